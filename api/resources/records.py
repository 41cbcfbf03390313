"""``PUT/GET/DELETE /v1/sources/{source}/records/{record_id}``: one record of a source.

``PUT`` stores the record sent in the envelope (``api.envelope``): its canonical fields and,
under the key ``extra``, its free payload (the source's column mapping ignores that key, so
it is kept and never compared). The store compares content hashes, so sending the same record
again changes nothing (``change: "unchanged"``). 201 when the record is new, 200 otherwise.

``PUT`` resolves the record synchronously when its content changed: an incremental linkage run
of that record alone under the active linkage model version (``linker.linkage``, the same run
as every other: its candidates through the blocking-key index, their identities re-clustered),
so the answer gives the record's ``identity_id``, ``resolution: "resolved"`` and the
identities the run changed (created, merged into, split). Before the first linkage run of the
entity type has fitted a version, or when another run keeps writing meanwhile (tried
``RESOLVE_ATTEMPTS`` times), the record is stored but left to the next linkage run:
``resolution: "pending"``; nothing is lost either way.

``DELETE`` erases the record (the right to erasure): its payload is emptied and its blocking
keys removed at once, and its identity is re-resolved as for ``PUT`` (retired if it held
nothing else; with no active version yet, the next linkage run does it). Erasing an erased
record is a 204 again; reading one is a 410.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import url_for
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.envelope import Envelope
from api.errors import ProblemError
from api.problems import INVALID_REQUEST, problem_responses
from api.resources.common import STORE_DOWN, IdText, SourcePath, declare, location_config
from api.resources.sources import EXTRA_KEY, with_extra_ignored
from api.store import current_store
from linker.linkage import resolve_identities
from linker.store import Reader, RecordIn, RunConflictError, Source, StoredRecord, UnitOfWork

RESOLVE_ATTEMPTS = 3  # of one-record resolution, when another linkage run wrote meanwhile

blueprint = APIBlueprint(
    "records",
    __name__,
    url_prefix="/sources",
    abp_tags=[Tag(name="records", description="Records of a source: upsert, read, erase")],
)


class RecordPath(SourcePath):
    record_id: str = IdText


class RecordView(BaseModel):
    source: str
    record_id: str
    entity_type: str = Field(description="The source's entity type")
    raw: dict[str, Any] = Field(
        description="The payload as stored: the envelope's fields, its extra under 'extra' "
        "(a bulk file's row: its columns as read)"
    )
    prepared: dict[str, Any] | None = Field(description="Prepared columns, when stored")
    version: int = Field(description="1, then +1 for each change of content")
    created_at: datetime
    updated_at: datetime
    identity_id: str | None = Field(description="The identity holding the record; null: none yet")
    resolution: Literal["resolved", "pending"] = Field(
        description="resolved: a linkage run has resolved this content; pending: not yet"
    )
    model_version: str | None = Field(
        description="The linkage model version of the run that last resolved the record"
    )


class UpsertedRecord(RecordView):
    change: Literal["inserted", "updated", "unchanged"]
    identities_changed: list[str] = Field(
        description="Identities the upsert's resolution changed (created, merged, split, "
        "retired); empty when the content was unchanged or the record is pending"
    )


class CreatedRecord(UpsertedRecord):
    model_config = location_config("The record")


def record_view(reader: Reader, source: Source, record: StoredRecord) -> dict[str, Any]:
    """The answer for a stored record, with the identity it belongs to now."""
    owners = reader.identities_of_records([(record.source, record.record_id)])
    resolved = record.resolved_hash == record.content_hash
    return RecordView(
        source=record.source,
        record_id=record.record_id,
        entity_type=source.entity_type,
        raw=record.raw,
        prepared=record.prepared,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        identity_id=owners.get((record.source, record.record_id)),
        resolution="resolved" if resolved else "pending",
        model_version=record.resolved_version,
    ).model_dump(mode="json")


def resolve_record(source: Source, record_id: str) -> list[str]:
    """Resolve one record now (see the module docstring): the identities changed, or none
    when it must wait for the next linkage run."""
    store = current_store()
    with store.read() as reader:
        if reader.active_model_version(source.entity_type) is None:
            return []
    for _ in range(RESOLVE_ATTEMPTS):
        try:
            report = resolve_identities(store, source.entity_type, only=[(source.name, record_id)])
        except RunConflictError:
            continue
        return report.identities_changed
    return []


def _wrong_entity(source: Source, sent: str) -> ProblemError:
    return ProblemError(
        422,
        "Unprocessable Content",
        f"body.entity_type: source {source.name!r} holds {source.entity_type} records, not {sent}",
        type=INVALID_REQUEST,
        errors=[
            {
                "loc": ["body", "entity_type"],
                "msg": f"the source holds {source.entity_type} records",
                "type": "entity_type_mismatch",
            }
        ],
    )


def _source_for_records(uow: UnitOfWork, name: str) -> Source:
    """The source, its column mapping made to ignore the envelope's ``extra``."""
    source = uow.source(name)
    mapping = with_extra_ignored(source.column_mapping)
    if mapping != dict(source.column_mapping):
        source = Source(
            source.name,
            agency=source.agency,
            entity_type=source.entity_type,
            default_region=source.default_region,
            date_order=source.date_order,
            column_mapping=mapping,
        )
        uow.put_source(source)
    return source


@blueprint.put(
    "/<source>/records/<record_id>",
    summary="Upsert one record",
    responses=declare(
        {200: UpsertedRecord, 201: CreatedRecord}, problem_responses(404), STORE_DOWN
    ),
)
def put_record(path: RecordPath, body: Envelope) -> tuple[dict[str, Any], int, dict[str, str]]:
    raw: dict[str, Any] = dict(body.fields)
    if body.extra:
        raw[EXTRA_KEY] = body.extra
    with current_store().unit_of_work() as uow:
        source = _source_for_records(uow, path.source)
        if body.entity_type != source.entity_type:
            raise _wrong_entity(source, body.entity_type)
        report = uow.upsert_records(path.source, [RecordIn(path.record_id, raw)])
    changed = resolve_record(source, path.record_id) if report.inserted or report.updated else []
    with current_store().read() as reader:
        view = record_view(reader, source, reader.record(path.source, path.record_id))
    change: Literal["inserted", "updated", "unchanged"] = (
        "inserted" if report.inserted else "updated" if report.updated else "unchanged"
    )
    answer = UpsertedRecord(**view, change=change, identities_changed=changed)
    if report.inserted:
        location = url_for("v1.records.get_record", source=path.source, record_id=path.record_id)
        return answer.model_dump(mode="json"), 201, {"Location": location}
    return answer.model_dump(mode="json"), 200, {}


@blueprint.get(
    "/<source>/records/<record_id>",
    summary="Read one record",
    responses=declare({200: RecordView}, problem_responses(404, 410), STORE_DOWN),
)
def get_record(path: RecordPath) -> dict[str, Any]:
    with current_store().read() as reader:
        source = reader.source(path.source)
        record = reader.record(path.source, path.record_id)
        if record.erased_at is not None:
            raise ProblemError(
                410,
                "Gone",
                f"record {path.record_id!r} of source {path.source!r} was erased "
                f"at {record.erased_at.isoformat()}",
            )
        return record_view(reader, source, record)


@blueprint.delete(
    "/<source>/records/<record_id>",
    summary="Erase one record (its identity is re-resolved)",
    responses=declare({204: None}, problem_responses(404), STORE_DOWN),
)
def delete_record(path: RecordPath) -> tuple[str, int]:
    with current_store().unit_of_work() as uow:
        source = uow.source(path.source)
        record = uow.record(path.source, path.record_id)
        erased = record.erased_at is None
        if erased:
            uow.erase_record(path.source, path.record_id)
    if erased:
        resolve_record(source, path.record_id)
    return "", 204
