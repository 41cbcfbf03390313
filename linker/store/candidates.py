"""One record's candidates through the blocking-key index, oversized blocks left out.

Batch blocking pairs every record of a block with every other, except in a block larger than
``max_block_size`` (a common surname's phonetic code, in a large store), where each record is
paired only with its next few neighbours in record order. A record from outside the store has
no place in that order, so one-record matching leaves such a key out: its other keys still
find its candidates. Counting a key's records reads the index alone (the primary key of
``block_keys`` leads with ``(key_name, key_value)``); the refs are then read for the keys that
are small enough, so a frequent key never loads its thousands of records.

Every lookup here is written so that the database searches an index for it, whatever its
size: an equality on the leading column and ``IN`` on the next (``key_name = ? AND key_value
IN (...)``, ``source = ? AND record_id IN (...)``), one such term per name or source, joined
by ``OR``. A row-value ``(a, b) IN ((?, ?), ...)`` is not searched through the index by
SQLite (it scans the table), and a filter on ``source`` makes SQLite prefer the
``(source, record_id)`` index, which scans every record of the source: the sources are
filtered here after the search instead.

Also the records and identity owners of the candidates (the same shape of lookup), and the
active model version's id alone: a matcher keeps the version it loaded and checks, on each
request, only that it is still the active one (a version's manifest never changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, select

from linker.store.batches import chunks, pairs_in
from linker.store.records import StoredRecord, _record
from linker.store.schema import block_keys, identity_members, model_versions, records

Key = tuple[str, str]  # (key name, key value)
RecordRef = tuple[str, str]  # (source, record_id)


@dataclass(frozen=True)
class KeyCandidates:
    """The records of each key asked for, except the keys whose block is too large."""

    by_key: dict[Key, list[RecordRef]]
    oversized: dict[Key, int]  # key -> how many records share it


def candidates_by_key(
    conn: Connection, keys: Iterable[Key], *, sources: Sequence[str], max_block_size: int
) -> KeyCandidates:
    """For each key, the ``(source, record_id)`` of the records of ``sources`` holding it
    (keys held by nobody are left out), unless more than ``max_block_size`` records hold it."""
    wanted = list(dict.fromkeys(keys))
    allowed = set(sources)
    sizes: dict[Key, int] = {}
    for chunk in chunks(wanted):
        query = (
            select(block_keys.c.key_name, block_keys.c.key_value, block_keys.c.source, func.count())
            .where(pairs_in(block_keys.c.key_name, block_keys.c.key_value, chunk))
            .group_by(block_keys.c.key_name, block_keys.c.key_value, block_keys.c.source)
        )
        for name, value, source, n in conn.execute(query):
            if source in allowed:
                sizes[(name, value)] = sizes.get((name, value), 0) + int(n)
    oversized = {key: n for key, n in sizes.items() if n > max_block_size}
    small = [key for key in wanted if key in sizes and key not in oversized]
    by_key: dict[Key, list[RecordRef]] = {key: [] for key in small}
    for chunk in chunks(small):
        query = select(
            block_keys.c.key_name,
            block_keys.c.key_value,
            block_keys.c.source,
            block_keys.c.record_id,
        ).where(pairs_in(block_keys.c.key_name, block_keys.c.key_value, chunk))
        for name, value, source, record_id in conn.execute(query):
            if source in allowed:
                by_key[(name, value)].append((source, record_id))
    return KeyCandidates(by_key, oversized)


def records_of(conn: Connection, refs: Iterable[RecordRef]) -> list[StoredRecord]:
    """The stored records among ``refs``, in ref order (unknown refs left out)."""
    wanted = list(dict.fromkeys(refs))
    found: dict[RecordRef, StoredRecord] = {}
    for chunk in chunks(wanted):
        query = select(records).where(pairs_in(records.c.source, records.c.record_id, chunk))
        for row in conn.execute(query):
            found[(row.source, row.record_id)] = _record(row)
    return [found[ref] for ref in wanted if ref in found]


def owners_of(conn: Connection, refs: Iterable[RecordRef]) -> dict[RecordRef, str]:
    """The identity id of each record among ``refs`` that has one."""
    found: dict[RecordRef, str] = {}
    table = identity_members
    for chunk in chunks(list(dict.fromkeys(refs))):
        query = select(table.c.source, table.c.record_id, table.c.identity_id).where(
            pairs_in(table.c.source, table.c.record_id, chunk)
        )
        found.update(((s, r), identity) for s, r, identity in conn.execute(query))
    return found


def members_of(conn: Connection, identity_ids: Iterable[str]) -> dict[str, list[RecordRef]]:
    """The member records of each identity, by source and record id."""
    owned: dict[str, list[RecordRef]] = {}
    table = identity_members
    for chunk in chunks(sorted(set(identity_ids))):
        query = (
            select(table.c.identity_id, table.c.source, table.c.record_id)
            .where(table.c.identity_id.in_(chunk))
            .order_by(table.c.source, table.c.record_id)
        )
        for identity, source, record_id in conn.execute(query):
            owned.setdefault(identity, []).append((source, record_id))
    return owned


def active_version_id(conn: Connection, entity_type: str) -> str | None:
    """The id of the entity type's active model version (its manifest left unread)."""
    row = conn.execute(
        select(model_versions.c.id).where(
            and_(model_versions.c.entity_type == entity_type, model_versions.c.active)
        )
    ).one_or_none()
    return None if row is None else str(row.id)
