"""``PUT/GET /v1/sources/{source}``: an agency's file of one entity type, and how to read it.

A source is created or replaced by ``PUT`` (201 when new, 200 when it was stored). Its agency
is not a field of the body: the server decides it (the caller's agency once authentication
plugs in; until then the ``AGENCY`` setting), and an update keeps the agency the source was
created with. The entity type of a stored source cannot change (its records and identities
are of that type): such a ``PUT`` is a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import phonenumbers
from flask import current_app, g, url_for
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field, field_validator, model_validator

from api.errors import ProblemError
from api.models import JsonBody
from api.problems import problem_responses
from api.resources.common import STORE_DOWN, SourcePath, declare, location_config
from api.store import current_store
from linker.prepare.columns import ENTITY_FIELDS
from linker.prepare.dates import DATE_ORDERS
from linker.store import NotFoundError, Source
from linker.store.schema import ENTITY_TYPES

blueprint = APIBlueprint(
    "sources",
    __name__,
    url_prefix="/sources",
    abp_tags=[Tag(name="sources", description="Sources: an agency's file of one entity type")],
)

IGNORE = "ignore"
# The key under which a record sent through the API keeps its envelope's free payload
# (``extra``): the source's column mapping ignores it, so it is kept but never compared.
EXTRA_KEY = "extra"
EntityType = Literal["person", "company", "account"]
DateOrder = Literal["DMY", "MDY", "YMD"]
assert set(EntityType.__args__) == set(ENTITY_TYPES)  # type: ignore[attr-defined]
assert set(DateOrder.__args__) == set(DATE_ORDERS)  # type: ignore[attr-defined]


class SourceBody(JsonBody):
    """A source's settings (its agency is the server's to decide)."""

    entity_type: EntityType = Field(description="What its records describe")
    default_region: str | None = Field(
        None,
        description="ISO 3166 alpha-2 region of its phone numbers written without a country code",
    )
    date_order: DateOrder | None = Field(
        None, description="Day/month order of its dates; null: guessed from the values"
    )
    column_mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Column of its bulk files -> canonical field (or 'ignore')",
    )

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("not a phone region (ISO 3166 alpha-2, e.g. FR, DE, MA)")
        return None if value is None else value.upper()

    @model_validator(mode="after")
    def _known_fields(self) -> SourceBody:
        known = set(ENTITY_FIELDS[self.entity_type]) | {IGNORE}
        for column, target in self.column_mapping.items():
            if target not in known:
                raise ValueError(
                    f"column_mapping: column {column!r} maps to {target!r}, not a canonical field "
                    f"of a {self.entity_type} (known: {', '.join(ENTITY_FIELDS[self.entity_type])})"
                    " nor 'ignore'"
                )
        return self


class SourceView(BaseModel):
    name: str
    agency: str = Field(description="The agency the source belongs to (set by the server)")
    entity_type: str
    default_region: str | None
    date_order: str | None
    column_mapping: dict[str, str]


class CreatedSource(SourceView):
    model_config = location_config("The source")


def caller_agency() -> str:
    """The agency acting: the authenticated principal's once authentication sets
    ``g.agency``, until then the deployment's ``AGENCY`` setting. Never the request's."""
    agency = g.get("agency") or current_app.config.get("AGENCY") or "local"
    return str(agency)


def with_extra_ignored(mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping with the envelope's ``extra`` ignored by linkage (a bulk file's column of
    that name is then ignored too: map it under another name)."""
    return {**mapping, EXTRA_KEY: IGNORE}


def source_view(source: Source) -> dict[str, Any]:
    return SourceView(
        name=source.name,
        agency=source.agency,
        entity_type=source.entity_type,
        default_region=source.default_region,
        date_order=source.date_order,
        column_mapping=dict(source.column_mapping),
    ).model_dump(mode="json")


@blueprint.put(
    "/<source>",
    summary="Create or replace a source",
    responses=declare({200: SourceView, 201: CreatedSource}, problem_responses(409), STORE_DOWN),
)
def put_source(path: SourcePath, body: SourceBody) -> tuple[dict[str, Any], int, dict[str, str]]:
    with current_store().unit_of_work() as uow:
        try:
            stored: Source | None = uow.source(path.source)
        except NotFoundError:
            stored = None
        if stored is not None and stored.entity_type != body.entity_type:
            raise ProblemError(
                409,
                "Conflict",
                f"source {path.source!r} holds {stored.entity_type} records; its entity type "
                "cannot change (create another source)",
            )
        source = Source(
            path.source,
            agency=stored.agency if stored is not None else caller_agency(),
            entity_type=body.entity_type,
            default_region=body.default_region,
            date_order=body.date_order,
            column_mapping=with_extra_ignored(body.column_mapping),
        )
        created = uow.put_source(source)
    headers = {"Location": url_for("v1.sources.get_source", source=path.source)}
    return source_view(source), 201 if created else 200, headers if created else {}


@blueprint.get(
    "/<source>",
    summary="A source's settings",
    responses=declare({200: SourceView}, problem_responses(404), STORE_DOWN),
)
def get_source(path: SourcePath) -> dict[str, Any]:
    with current_store().read() as reader:
        return source_view(reader.source(path.source))
