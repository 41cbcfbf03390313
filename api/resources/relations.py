"""``PUT /v1/sources/{source}/relations/{relation_id}``: a relation the source reported.

A relation joins two records (``from`` -> ``to``: a person holds an account, directs a
company, one account transfers to another...), each named by source and record id. The
records may be stored later (a bulk load can bring relations first), so they are not looked
up. Sending the same id again replaces the relation: 201 when it is new, 200 otherwise;
``GET`` reads it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import url_for
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field

from api.models import JsonBody
from api.problems import problem_responses
from api.resources.common import (
    STORE_DOWN,
    IdText,
    RecordRef,
    RecordRefBody,
    SourcePath,
    declare,
    location_config,
    ref,
)
from api.store import current_store
from linker.store import NotFoundError, Relation
from linker.store.schema import RELATION_TYPES

blueprint = APIBlueprint(
    "relations",
    __name__,
    url_prefix="/sources",
    abp_tags=[Tag(name="relations", description="Relations between records")],
)

RelationType = Literal["holds_account", "directs_company", "transfer", "shares_phone", "family"]
assert set(RelationType.__args__) == set(RELATION_TYPES)  # type: ignore[attr-defined]


class RelationPath(SourcePath):
    relation_id: str = IdText


class RelationBody(JsonBody):
    type: RelationType
    from_record: RecordRefBody = Field(alias="from", description="The record it starts from")
    to_record: RecordRefBody = Field(alias="to", description="The record it goes to")
    amount: float | None = Field(None, allow_inf_nan=False, description="A transfer's amount")
    # An ISO 8601 date is a JSON string: parsed, not a strict date object.
    date: dt.date | None = Field(None, strict=False, description="When (ISO 8601, 2024-03-31)")
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="The source's own attributes of the relation"
    )


class RelationView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: str
    relation_id: str
    type: str
    from_record: RecordRef = Field(alias="from")
    to_record: RecordRef = Field(alias="to")
    amount: float | None
    date: dt.date | None
    attributes: dict[str, Any]


class CreatedRelation(RelationView):
    model_config = location_config("The relation", populate_by_name=True)


def relation_view(source: str, relation: Relation) -> dict[str, Any]:
    view = RelationView.model_validate(
        {
            "source": source,
            "relation_id": relation.relation_id,
            "type": relation.type,
            "from": ref(relation.from_record),
            "to": ref(relation.to_record),
            "amount": relation.amount,
            "date": relation.date,
            "attributes": dict(relation.attributes),
        }
    )
    return view.model_dump(mode="json", by_alias=True)


@blueprint.put(
    "/<source>/relations/<relation_id>",
    summary="Create or replace a relation",
    responses=declare(
        {200: RelationView, 201: CreatedRelation}, problem_responses(404), STORE_DOWN
    ),
)
def put_relation(
    path: RelationPath, body: RelationBody
) -> tuple[dict[str, Any], int, dict[str, str]]:
    relation = Relation(
        relation_id=path.relation_id,
        type=body.type,
        from_record=(body.from_record.source, body.from_record.record_id),
        to_record=(body.to_record.source, body.to_record.record_id),
        amount=body.amount,
        date=body.date,
        attributes=body.attributes,
    )
    with current_store().unit_of_work() as uow:
        try:
            uow.relation(path.source, path.relation_id)
            created = False
        except NotFoundError:
            created = True
        uow.put_relations(path.source, [relation])
        stored = uow.relation(path.source, path.relation_id)
    view = relation_view(path.source, stored)
    if created:
        location = url_for(
            "v1.relations.get_relation", source=path.source, relation_id=path.relation_id
        )
        return view, 201, {"Location": location}
    return view, 200, {}


@blueprint.get(
    "/<source>/relations/<relation_id>",
    summary="Read a relation",
    responses=declare({200: RelationView}, problem_responses(404), STORE_DOWN),
)
def get_relation(path: RelationPath) -> dict[str, Any]:
    with current_store().read() as reader:
        reader.source(path.source)
        return relation_view(path.source, reader.relation(path.source, path.relation_id))
