"""The blocking-key index: ``(key name, key value)`` -> the records that have that key.

One record's candidates are the records sharing any of its keys: an indexed lookup, so matching
one record does not re-block the whole store. Keys follow a record's current content; they are
replaced whole when it changes and removed when it is erased.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, and_, delete, insert, select, tuple_

from linker.store.batches import chunks
from linker.store.schema import block_keys


def replace_block_keys(
    conn: Connection, source: str, keys: Mapping[str, Iterable[tuple[str, str]]]
) -> int:
    """Set the blocking keys ``(key name, key value)`` of each record id; returns keys written.

    A record's old keys go: keys follow the record's current content and blocking rules.
    """
    ids = list(keys)
    for chunk in chunks(ids):
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


def records_by_block_keys(
    conn: Connection, keys: Iterable[tuple[str, str]], *, sources_only: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """``(source, record_id)`` of the records sharing any of the keys: one record's candidates."""
    wanted = list(dict.fromkeys(keys))
    found: set[tuple[str, str]] = set()
    for chunk in chunks(wanted):
        query = (
            select(block_keys.c.source, block_keys.c.record_id)
            .where(tuple_(block_keys.c.key_name, block_keys.c.key_value).in_(chunk))
            .distinct()
        )
        if sources_only:
            query = query.where(block_keys.c.source.in_(sources_only))
        found.update((row.source, row.record_id) for row in conn.execute(query))
    return sorted(found)
