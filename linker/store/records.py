"""Records: what each source sent, as received, beside its prepared columns.

A record is kept as it was received (``raw``), beside the prepared columns the matcher uses and
a hash of the raw content. Upserting compares hashes, so sending the same record or batch again
changes nothing; a batch is read in chunks (bounded memory for a bulk file) but written in the
caller's one transaction, so a failure at any row leaves none of the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, or_, select, update

from linker.errors import InputError
from linker.store.batches import CHUNK_ROWS, chunks, pairs_in
from linker.store.errors import NotFoundError
from linker.store.schema import block_keys, records
from linker.store.sources import check_id, get_source
from linker.store.types import canonical_json, without_nan


@dataclass(frozen=True)
class RecordIn:
    """One record to store: its id in the source, the payload as received, prepared columns."""

    record_id: str
    raw: Mapping[str, Any]
    prepared: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored; ``version`` counts content changes, from 1."""

    source: str
    record_id: str
    raw: dict[str, Any]
    prepared: dict[str, Any] | None
    content_hash: str
    version: int
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None
    resolved_hash: str | None = None  # the content a linkage run last resolved; None: never
    resolved_version: str | None = None  # the model version of that run


@dataclass(frozen=True)
class UpsertReport:
    """What a batch did, record ids in input order: new, changed, or the same as stored."""

    inserted: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def changed(self) -> tuple[str, ...]:
        """Inserted and updated ids: the records a linkage run has to look at."""
        return self.inserted + self.updated


def content_hash(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the payload's canonical JSON: key order and spacing do not count."""
    return hashlib.sha256(canonical_json(raw).encode("utf-8")).hexdigest()


def upsert_records(
    conn: Connection,
    now: datetime,
    source: str,
    rows: Iterable[RecordIn],
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> UpsertReport:
    """Insert new records, update changed ones, leave the same ones untouched.

    An erased record sent again is stored again (as an update). A record id twice in one batch
    is an error (which of the two is meant?), raised with both row numbers (from 1).
    """
    get_source(conn, source)  # a clear error for an unknown source, before any row
    inserted: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    first_row: dict[str, int] = {}
    for chunk in chunks(_checked(rows, source, first_row), chunk_rows):
        stored = _stored_hashes(conn, source, [row.record_id for _, row in chunk])
        new, changed = [], []
        for _, row in chunk:
            digest = content_hash(row.raw)
            values = {
                "rid": row.record_id,
                "raw": dict(row.raw),
                "prepared": None if row.prepared is None else without_nan(dict(row.prepared)),
                "content_hash": digest,
            }
            if row.record_id not in stored:
                new.append(values)
                inserted.append(row.record_id)
            elif stored[row.record_id] != (digest, False):
                changed.append(values)
                updated.append(row.record_id)
            else:
                unchanged.append(row.record_id)
        if new:
            conn.execute(
                insert(records).values(
                    source=source,
                    record_id=bindparam("rid"),
                    version=1,
                    created_at=now,
                    updated_at=now,
                ),
                new,
            )
        if changed:
            conn.execute(
                update(records)
                .where(and_(records.c.source == source, records.c.record_id == bindparam("rid")))
                .values(
                    version=records.c.version + 1,
                    updated_at=now,
                    erased_at=None,
                ),
                changed,
            )
    return UpsertReport(tuple(inserted), tuple(updated), tuple(unchanged))


def set_prepared(conn: Connection, source: str, prepared: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace the prepared columns of stored records (after the preparation code changed)."""
    missing = set(prepared) - set(_stored_hashes(conn, source, list(prepared)))
    if missing:
        raise NotFoundError(f"source {source!r} has no records {sorted(missing)[:10]}")
    conn.execute(
        update(records)
        .where(and_(records.c.source == source, records.c.record_id == bindparam("rid")))
        .values(prepared=bindparam("new_prepared")),
        [{"rid": rid, "new_prepared": without_nan(dict(cols))} for rid, cols in prepared.items()],
    )


def erase_record(conn: Connection, now: datetime, source: str, record_id: str) -> None:
    """Forget a record's content (the right to erasure): payload emptied, keys removed."""
    done = conn.execute(
        update(records)
        .where(and_(records.c.source == source, records.c.record_id == record_id))
        .values(raw={}, prepared=None, content_hash=content_hash({}), erased_at=now, updated_at=now)
    ).rowcount
    if not done:
        raise NotFoundError(f"source {source!r} has no record {record_id!r}")
    conn.execute(
        delete(block_keys).where(
            and_(block_keys.c.source == source, block_keys.c.record_id == record_id)
        )
    )


def get_record(conn: Connection, source: str, record_id: str) -> StoredRecord:
    row = conn.execute(
        select(records).where(and_(records.c.source == source, records.c.record_id == record_id))
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"source {source!r} has no record {record_id!r}")
    return _record(row)


def list_records(
    conn: Connection,
    source: str,
    *,
    after: str | None = None,
    limit: int | None = None,
    include_erased: bool = False,
) -> list[StoredRecord]:
    """The records of a source in record-id order; ``after`` pages on from a record id."""
    query = select(records).where(records.c.source == source).order_by(records.c.record_id)
    if after is not None:
        query = query.where(records.c.record_id > after)
    if not include_erased:
        query = query.where(records.c.erased_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return [_record(row) for row in conn.execute(query).all()]  # all(): one fetch, not one per row


def get_records(conn: Connection, refs: Iterable[tuple[str, str]]) -> list[StoredRecord]:
    """The stored records among ``(source, record_id)`` refs, in ref order; unknown refs left."""
    refs = list(dict.fromkeys(refs))
    found: dict[tuple[str, str], StoredRecord] = {}
    for chunk in chunks(refs):
        query = select(records).where(pairs_in(records.c.source, records.c.record_id, chunk))
        for row in conn.execute(query):
            found[(row.source, row.record_id)] = _record(row)
    return [found[ref] for ref in refs if ref in found]


def records_to_resolve(conn: Connection, sources: Sequence[str]) -> list[StoredRecord]:
    """The records of ``sources`` whose content no linkage run has resolved: new, changed or
    erased since the last run (``resolved_hash`` differs from ``content_hash``), by source and
    record id. An erased record that no run ever saw is left: there is nothing to undo."""
    query = (
        select(records)
        .where(
            and_(
                records.c.source.in_(list(sources)),
                or_(
                    and_(records.c.resolved_hash.is_(None), records.c.erased_at.is_(None)),
                    records.c.resolved_hash != records.c.content_hash,
                ),
            )
        )
        .order_by(records.c.source, records.c.record_id)
    )
    return [_record(row) for row in conn.execute(query)]


def mark_resolved(
    conn: Connection, resolved: Mapping[tuple[str, str], str], model_version_id: str | None
) -> int:
    """Record that a linkage run under ``model_version_id`` resolved each record ``(source,
    record_id)`` at the content hash it read; a record changed since (another hash) stays to be
    resolved. Returns how many were marked."""
    # One parametrised statement run for many records (executemany), each an update by
    # primary key: a row-value IN of (source, record_id, hash) made SQLite scan the table once
    # per chunk (quadratic: 10 s of a 100,000-record first run).
    statement = (
        update(records)
        .where(
            and_(
                records.c.source == bindparam("at_source"),
                records.c.record_id == bindparam("at_record"),
                records.c.content_hash == bindparam("at_hash"),
            )
        )
        .values(resolved_hash=records.c.content_hash, resolved_version=model_version_id)
    )
    rows = [
        {"at_source": source, "at_record": record_id, "at_hash": digest}
        for (source, record_id), digest in resolved.items()
    ]
    return sum(conn.execute(statement, chunk).rowcount for chunk in chunks(rows))


def _checked(
    rows: Iterable[RecordIn], source: str, first_row: dict[str, int]
) -> Iterator[tuple[int, RecordIn]]:
    for number, row in enumerate(rows, start=1):
        check_id(row.record_id, "record_id", source=source, row=number)
        if row.record_id in first_row:
            raise InputError(
                f"record_id {row.record_id!r} appears twice in the batch "
                f"(rows {first_row[row.record_id]} and {number})",
                file=f"source {source}",
                row=number,
            )
        first_row[row.record_id] = number
        try:
            canonical_json(row.raw)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"record {row.record_id!r}: the payload is not JSON ({exc})",
                file=f"source {source}",
                row=number,
            ) from exc
        yield number, row


def _stored_hashes(
    conn: Connection, source: str, record_ids: list[str]
) -> dict[str, tuple[str, bool]]:
    """record id -> (content hash, erased) for the ids that are stored."""
    stored: dict[str, tuple[str, bool]] = {}
    for chunk in chunks(record_ids):
        query = select(records.c.record_id, records.c.content_hash, records.c.erased_at).where(
            and_(records.c.source == source, records.c.record_id.in_(chunk))
        )
        for row in conn.execute(query):
            stored[row.record_id] = (row.content_hash, row.erased_at is not None)
    return stored


def _record(row: Any) -> StoredRecord:
    """A row of ``select(records)``: its columns are StoredRecord's fields, in order (a test
    holds them so), read by position: by name cost a quarter of reading 200,000 records."""
    return StoredRecord(*row)
