"""The stable identities: listing, reading, why they hold together, their network, and the
manual split, merge and undo of an analyst.

An identity id is opaque and kept across linkage runs. When a run merges two identities,
the absorbed id answers **308** with ``Location`` of its survivor (chains already flattened
by the store: one hop), so a caller holding an old id follows it and learns the new one; a
retired id (every record of it erased or withdrawn) answers a 410 problem. An active identity
answers its members (records, by source and id) and the relations touching them.

The listing is paged by id (``cursor``, ``limit``), active identities by default
(``?status=merged`` or ``retired`` for the others), optionally of one ``entity_type``.

``/why`` answers the stored scored pairs between the members and the groups they connect,
``/network?depth=N`` the identities linked through relations (``linker.identity_graph``).
``POST /{id}/split``, ``POST /merge`` and ``POST /undo`` are the manual changes, each one
event (``linker.identity_edits``); a merged id on a sub-resource answers 308 to the same
sub-resource of its survivor.
"""

from __future__ import annotations

from datetime import date as date_type
from datetime import datetime
from typing import Any, Literal

from flask import url_for
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.errors import ProblemError
from api.models import JsonBody, PathArgs, QueryArgs
from api.paging import Page, PageQuery, page_of, read_cursor
from api.problems import INVALID_REQUEST, problem_responses
from api.resources.common import (
    STORE_DOWN,
    IdText,
    RecordRef,
    RecordRefBody,
    declare,
    location_config,
    ref,
)
from api.resources.identity_events import MAX_SEQ
from api.resources.relations import RelationView, relation_view
from api.resources.sources import EntityType
from api.store import current_store
from linker.identity_edits import (
    EditConflict,
    EditError,
    ManualChange,
    merge_manually,
    split_manually,
    undo_manual,
)
from linker.identity_graph import MAX_DEPTH, MAX_NODES, Why, network, why
from linker.store import Identity, Reader, UnitOfWork

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


class Moved(Exception):
    """The identity asked for was merged: answer 308 to the same path under its survivor."""

    def __init__(self, identity: Identity) -> None:
        super().__init__(identity.id)
        self.identity = identity


def _live(reader: Reader, identity_id: str) -> Identity:
    """The active identity ``identity_id``; ``Moved`` if it was merged, 410 if retired."""
    identity = reader.identity(identity_id)
    if identity.status == "merged" and identity.merged_into is not None:
        raise Moved(identity)
    if identity.status == "retired":
        raise ProblemError(
            410,
            "Gone",
            f"identity {identity.id!r} was retired: none of its records is held any more",
        )
    return identity


def _moved(
    moved: Moved, endpoint: str, **values: Any
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """308 to ``endpoint`` of the survivor (the same sub-resource; a POST is sent again)."""
    identity = moved.identity
    assert identity.merged_into is not None
    location = url_for(endpoint, identity_id=identity.merged_into, **values)
    body = MovedIdentity(id=identity.id, status="merged", merged_into=identity.merged_into)
    return body.model_dump(mode="json"), 308, {"Location": location}


@blueprint.get(
    "/<identity_id>",
    summary="One identity: its records and relations (308 to its survivor if merged)",
    responses=declare(
        {200: IdentityView, 308: MovedIdentity}, problem_responses(404, 410), STORE_DOWN
    ),
)
def get_identity(path: IdentityPath) -> Any:
    with current_store().read() as reader:
        try:
            identity = _live(reader, path.identity_id)
        except Moved as moved:
            return _moved(moved, "v1.identities.get_identity")
        relations = reader.relations_of(identity.members)
    view = IdentityView(
        **summary(identity).model_dump(),
        relations=[
            RelationView.model_validate(relation_view(source, relation))
            for source, relation in relations
        ],
    )
    return view.model_dump(mode="json", by_alias=True)


# --- why it holds together ----------------------------------------------------------------


class PairView(BaseModel):
    """A scored pair of two members, as the linkage run stored it."""

    left: RecordRef
    right: RecordRef
    score: float = Field(description="Match probability under the model version")
    band: str = Field(description="match (clusters records) or review")
    model_version: str
    explanation: dict[str, Any] | None = Field(
        description="Why it scored so, per feature, when stored; linkage runs store the "
        "score and band only, so null today (POST /v1/match explains a record on demand)"
    )


class IdentityWhy(BaseModel):
    """The stored pairs between the members, and the groups the match-band ones connect."""

    id: str
    entity_type: str
    model_version: str | None = Field(
        description="The active linkage model version, whose pairs these are; null: none yet"
    )
    pairs: list[PairView] = Field(description="Best score first")
    groups: list[list[RecordRef]] = Field(
        description="Members connected by match-band pairs, largest group first"
    )
    held_together: bool = Field(description="One group: stored matches join every member")
    note: str | None = Field(description="Why some members have no stored pair, when so")


def _note(found: Why) -> str | None:
    if found.model_version is None:
        return "no linkage model version yet: no pair was scored and stored"
    if len(found.groups) <= 1:
        return None
    alone = sum(len(group) for group in found.groups[1:])
    return (
        f"{alone} member(s) outside the largest group have no stored match-band pair with "
        "it: joined by a manual merge, by a run under another model version, or through "
        "pairs below the match threshold"
    )


@blueprint.get(
    "/<identity_id>/why",
    summary="The scored pairs holding an identity together",
    responses=declare(
        {200: IdentityWhy, 308: MovedIdentity}, problem_responses(404, 410), STORE_DOWN
    ),
)
def get_why(path: IdentityPath) -> Any:
    with current_store().read() as reader:
        try:
            identity = _live(reader, path.identity_id)
        except Moved as moved:
            return _moved(moved, "v1.identities.get_why")
        found = why(reader, identity)
    view = IdentityWhy(
        id=identity.id,
        entity_type=identity.entity_type,
        model_version=found.model_version,
        pairs=[
            PairView(
                left=ref(pair.left),
                right=ref(pair.right),
                score=pair.score,
                band=pair.band,
                model_version=found.model_version or "",
                explanation=None,
            )
            for pair in found.pairs
        ],
        groups=[[ref(member) for member in group] for group in found.groups],
        held_together=len(found.groups) <= 1,
        note=_note(found),
    )
    return view.model_dump(mode="json")


# --- the network ------------------------------------------------------------------------


class NetworkQuery(QueryArgs):
    depth: int = Field(1, ge=1, le=MAX_DEPTH, description=f"Hops, 1 (default) to {MAX_DEPTH}")


class NetworkNode(BaseModel):
    id: str
    entity_type: str
    hops: int = Field(description="Relations between it and the identity asked for (0: itself)")
    members: list[RecordRef]


class NetworkEdge(BaseModel):
    """A relation between the records of two identities."""

    from_identity: str
    to_identity: str
    type: str = Field(description="holds_account, directs_company, transfer, shares_phone, family")
    source: str = Field(description="The source that reported the relation")
    relation_id: str
    from_record: RecordRef
    to_record: RecordRef
    amount: float | None
    date: date_type | None


class IdentityNetwork(BaseModel):
    id: str
    depth: int
    nodes: list[NetworkNode] = Field(description="By hops, then id; the identity itself first")
    edges: list[NetworkEdge]
    unresolved_relations: int = Field(
        description="Relations followed whose other end is in no identity (not resolved yet)"
    )
    truncated: bool = Field(description=f"More than {MAX_NODES} identities: some left out")


@blueprint.get(
    "/<identity_id>/network",
    summary="Identities linked to one through relations, up to depth hops",
    responses=declare(
        {200: IdentityNetwork, 308: MovedIdentity}, problem_responses(404, 410), STORE_DOWN
    ),
)
def get_network(path: IdentityPath, query: NetworkQuery) -> Any:
    with current_store().read() as reader:
        try:
            identity = _live(reader, path.identity_id)
        except Moved as moved:
            return _moved(moved, "v1.identities.get_network", depth=query.depth)
        graph = network(reader, identity, query.depth)
    nodes = sorted(
        graph.nodes.values(), key=lambda node: (node[1], node[0].id != graph.root, node[0].id)
    )
    view = IdentityNetwork(
        id=graph.root,
        depth=graph.depth,
        nodes=[
            NetworkNode(
                id=x.id,
                entity_type=x.entity_type,
                hops=hops,
                members=[ref(member) for member in x.members],
            )
            for x, hops in nodes
        ],
        edges=[
            NetworkEdge(
                from_identity=edge.from_identity,
                to_identity=edge.to_identity,
                type=edge.relation.type,
                source=edge.source,
                relation_id=edge.relation.relation_id,
                from_record=ref(edge.relation.from_record),
                to_record=ref(edge.relation.to_record),
                amount=edge.relation.amount,
                date=edge.relation.date,
            )
            for edge in graph.edges
        ],
        unresolved_relations=graph.unresolved,
        truncated=graph.truncated,
    )
    return view.model_dump(mode="json")


# --- manual changes ---------------------------------------------------------------------


class SplitBody(JsonBody):
    parts: list[list[RecordRefBody]] = Field(
        min_length=1,
        max_length=100,
        description="Groups of the identity's members; members in no group form one more. "
        "The largest group keeps the id (tie: the one with the smallest member)",
    )


class MergeBody(JsonBody):
    identity_ids: list[str] = Field(
        min_length=2,
        max_length=100,
        description="Active identities of one entity type; the one with the most members "
        "survives (tie: the one created first)",
    )


class UndoBody(JsonBody):
    seq: int = Field(ge=1, le=MAX_SEQ, description="The seq of a manual split or merge")


class IdentityChange(BaseModel):
    """A manual change written: its event, and each identity it touched as it is now."""

    seq: int = Field(
        description="The event's seq in /v1/identity-events; POST /v1/identities/undo "
        "with it undoes a split or merge"
    )
    kind: Literal["split", "merge", "undo"]
    identity_ids: list[str] = Field(description="The ids involved, the kept or surviving one first")
    identities: list[IdentitySummary]


def _changed(uow: UnitOfWork, change: ManualChange) -> dict[str, Any]:
    view = IdentityChange(
        seq=change.seq,
        kind=change.kind,  # type: ignore[arg-type]
        identity_ids=list(change.identity_ids),
        identities=[summary(uow.identity(x)) for x in change.identity_ids],
    )
    return view.model_dump(mode="json")


def _invalid(error: EditError) -> ProblemError:
    """A manual change's refusal as a 422 locating it in the body."""
    where = ".".join(str(part) for part in ("body", *error.where))
    return ProblemError(
        422,
        "Unprocessable Content",
        f"{where}: {error}",
        type=INVALID_REQUEST,
        errors=[{"loc": ["body", *error.where], "msg": str(error), "type": "identity_change"}],
    )


def _conflict(error: EditConflict) -> ProblemError:
    return ProblemError(409, "Conflict", str(error))


@blueprint.post(
    "/<identity_id>/split",
    summary="Split an identity by hand into groups of its members",
    responses=declare(
        {200: IdentityChange, 308: MovedIdentity}, problem_responses(404, 409, 410), STORE_DOWN
    ),
)
def split_identity(path: IdentityPath, body: SplitBody) -> Any:
    groups = [[(r.source, r.record_id) for r in part] for part in body.parts]
    with current_store().unit_of_work() as uow:
        try:
            _live(uow, path.identity_id)
        except Moved as moved:
            return _moved(moved, "v1.identities.split_identity")
        try:
            change = split_manually(uow, path.identity_id, groups)
        except EditError as error:
            raise _invalid(error) from None
        except EditConflict as error:
            raise _conflict(error) from None
        return _changed(uow, change)


@blueprint.post(
    "/merge",
    summary="Merge identities by hand (the others answer 308 to the survivor)",
    responses=declare({200: IdentityChange}, problem_responses(409), STORE_DOWN),
)
def merge_identities(body: MergeBody) -> Any:
    with current_store().unit_of_work() as uow:
        try:
            change = merge_manually(uow, body.identity_ids)
        except EditError as error:
            raise _invalid(error) from None
        except EditConflict as error:
            raise _conflict(error) from None
        return _changed(uow, change)


@blueprint.post(
    "/undo",
    summary="Undo a manual split or merge (an undo event)",
    responses=declare({200: IdentityChange}, problem_responses(404, 409), STORE_DOWN),
)
def undo_change(body: UndoBody) -> Any:
    with current_store().unit_of_work() as uow:
        try:
            change = undo_manual(uow, body.seq)
        except EditConflict as error:
            raise _conflict(error) from None
        return _changed(uow, change)
