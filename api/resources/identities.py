"""``GET /v1/identities`` and ``GET /v1/identities/{id}``: the stable identities.

An identity id is opaque and kept across linkage runs. When a run merges two identities,
the absorbed id answers **308** with ``Location`` of its survivor (chains already flattened
by the store: one hop), so a caller holding an old id follows it and learns the new one; a
retired id (every record of it erased or withdrawn) answers a 410 problem. An active identity
answers its members (records, by source and id) and the relations touching them.

The listing is paged by id (``cursor``, ``limit``), active identities by default
(``?status=merged`` or ``retired`` for the others), optionally of one ``entity_type``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import url_for
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.errors import ProblemError
from api.models import PathArgs
from api.paging import Page, PageQuery, page_of, read_cursor
from api.problems import problem_responses
from api.resources.common import STORE_DOWN, IdText, RecordRef, declare, location_config, ref
from api.resources.relations import RelationView, relation_view
from api.resources.sources import EntityType
from api.store import current_store
from linker.store import Identity

blueprint = APIBlueprint(
    "identities",
    __name__,
    url_prefix="/identities",
    abp_tags=[Tag(name="identities", description="Stable identities and their records")],
)
SCOPE = "identities"


class IdentityPath(PathArgs):
    identity_id: str = IdText


class IdentityQuery(PageQuery):
    entity_type: EntityType | None = Field(None, description="Only identities of this type")
    status: Literal["active", "merged", "retired"] = Field(
        "active", description="active (default), merged or retired"
    )


class IdentitySummary(BaseModel):
    id: str
    entity_type: str
    status: str = Field(description="active, merged or retired")
    merged_into: str | None = Field(description="A merged identity's survivor")
    created_at: datetime
    members: list[RecordRef]


class IdentityView(IdentitySummary):
    relations: list[RelationView] = Field(description="Relations touching its records")


class MovedIdentity(BaseModel):
    """308: the identity was merged; ``Location`` is its survivor."""

    model_config = location_config("The identity this one was merged into")

    id: str
    status: Literal["merged"]
    merged_into: str


def summary(identity: Identity) -> IdentitySummary:
    return IdentitySummary(
        id=identity.id,
        entity_type=identity.entity_type,
        status=identity.status,
        merged_into=identity.merged_into,
        created_at=identity.created_at,
        members=[ref(member) for member in identity.members],
    )


@blueprint.get(
    "",
    summary="Identities, paged by id",
    responses=declare({200: Page[IdentitySummary]}, problem_responses(400), STORE_DOWN),
)
def list_identities(query: IdentityQuery) -> dict[str, Any]:
    scope = f"{SCOPE}:{query.entity_type or ''}:{query.status}"
    after = read_cursor(query.cursor, scope)
    with current_store().read() as reader:
        found = reader.identities(
            query.entity_type,
            status=query.status,
            after=None if after is None else str(after[0]),
            limit=query.limit + 1,
        )
    page = page_of([summary(x) for x in found], query.limit, lambda x: [x.id], scope)
    return page.model_dump(mode="json")


@blueprint.get(
    "/<identity_id>",
    summary="One identity: its records and relations (308 to its survivor if merged)",
    responses=declare(
        {200: IdentityView, 308: MovedIdentity}, problem_responses(404, 410), STORE_DOWN
    ),
)
def get_identity(path: IdentityPath) -> Any:
    with current_store().read() as reader:
        identity = reader.identity(path.identity_id)
        if identity.status == "merged" and identity.merged_into is not None:
            location = url_for("v1.identities.get_identity", identity_id=identity.merged_into)
            moved = MovedIdentity(id=identity.id, status="merged", merged_into=identity.merged_into)
            return moved.model_dump(mode="json"), 308, {"Location": location}
        if identity.status == "retired":
            raise ProblemError(
                410,
                "Gone",
                f"identity {identity.id!r} was retired: none of its records is held any more",
            )
        relations = reader.relations_of(identity.members)
    view = IdentityView(
        **summary(identity).model_dump(),
        relations=[
            RelationView.model_validate(relation_view(source, relation))
            for source, relation in relations
        ],
    )
    return view.model_dump(mode="json", by_alias=True)
