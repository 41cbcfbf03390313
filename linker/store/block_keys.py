"""The blocking-key index: ``(key name, key value)`` -> the records that have that key.

One record's candidates are the records sharing any of its keys: an indexed lookup, so matching
one record does not re-block the whole store. Keys follow a record's current content; they are
replaced whole when it changes and removed when it is erased.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, and_, delete, insert, select

from linker.store.batches import chunks, pairs_in
from linker.store.schema import block_keys


def replace_block_keys(
    conn: Connection, source: str, keys: Mapping[str, Iterable[tuple[str, str]]]
) -> int:
    """Set the blocking keys ``(key name, key value)`` of each record id; returns keys written.

    A record's old keys go: keys follow the record's current content and blocking rules.
    """
    ids = list(keys)
    has_keys = conn.execute(
        select(block_keys.c.record_id).where(block_keys.c.source == source).limit(1)
    ).first()
    for chunk in chunks(ids) if has_keys else ():  # a source's first keys: nothing to delete
        conn.execute(
            delete(block_keys).where(
                and_(
                    block_keys.c.source == source,
                    block_keys.c.record_id.in_(chunk),
                )
            )
        )
    rows = [
        {"key_name": name, "key_value": value, "source": source, "record_id": rid}
        for rid, pairs in keys.items()
        for name, value in dict.fromkeys(pairs)
    ]
    for batch in chunks(rows):
        conn.execute(insert(block_keys), batch)
    return len(rows)


def block_keys_of_records(
    conn: Connection, refs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """The stored keys of each record ``(source, record_id)`` that has some: its
    ``(key name, key value)`` pairs (a run compares them with the keys it computed and
    rewrites only those that changed)."""
    found: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for chunk in chunks(list(dict.fromkeys(refs))):
        query = select(
            block_keys.c.source,
            block_keys.c.record_id,
            block_keys.c.key_name,
            block_keys.c.key_value,
        ).where(pairs_in(block_keys.c.source, block_keys.c.record_id, chunk))
        for source, record_id, name, value in conn.execute(query):
            found.setdefault((source, record_id), set()).add((name, value))
    return found


def records_by_block_keys(
    conn: Connection, keys: Iterable[tuple[str, str]], *, sources_only: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """``(source, record_id)`` of the records sharing any of the keys: one record's candidates.

    Keys are looked up per key name, ``key_name = ? AND key_value IN (...)``: a range of the
    primary key's leading columns on both backends (SQLite scans the table for a row-value
    ``IN`` of pairs). ``sources_only`` is applied to the rows found, not in the query: given
    there, SQLite searches the (source, record_id) index instead, every key of the source.
    """
    wanted_sources = set(sources_only)
    by_name: dict[str, list[str]] = {}
    for name, value in dict.fromkeys(keys):
        by_name.setdefault(name, []).append(value)
    found: set[tuple[str, str]] = set()
    for name, values in sorted(by_name.items()):
        for chunk in chunks(values):
            query = (
                select(block_keys.c.source, block_keys.c.record_id)
                .where(and_(block_keys.c.key_name == name, block_keys.c.key_value.in_(chunk)))
                .distinct()
            )
            found.update(
                (row.source, row.record_id)
                for row in conn.execute(query)
                if not wanted_sources or row.source in wanted_sources
            )
    return sorted(found)
