"""Relations between records (holds an account, directs a company, transfers, ...).

A relation belongs to the source that reported it and is keyed by that source's relation id,
so loading the same file again replaces rather than duplicates. The records it joins may
arrive later in a bulk load, so there is no foreign key to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, tuple_

from linker.errors import InputError
from linker.store.batches import chunks
from linker.store.errors import NotFoundError
from linker.store.schema import RELATION_TYPES, relations
from linker.store.sources import get_source
from linker.store.types import without_nan

RecordRef = tuple[str, str]


@dataclass(frozen=True)
class Relation:
    """``from_record`` -> ``to_record``, e.g. a person (from) holds an account (to)."""

    relation_id: str
    type: str
    from_record: RecordRef
    to_record: RecordRef
    amount: float | None = None
    date: date | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in RELATION_TYPES:
            raise InputError(
                f"relation {self.relation_id!r}: unknown type {self.type!r}; "
                f"known: {', '.join(RELATION_TYPES)}"
            )


def put_relations(conn: Connection, source: str, rows: Iterable[Relation]) -> int:
    """Store the relations a source reported, replacing any with the same id; returns the count."""
    get_source(conn, source)
    values = {
        row.relation_id: {
            "source": source,
            "relation_id": row.relation_id,
            "type": row.type,
            "from_source": row.from_record[0],
            "from_record_id": row.from_record[1],
            "to_source": row.to_record[0],
            "to_record_id": row.to_record[1],
            "amount": row.amount,
            "date": row.date,
            "attributes": without_nan(dict(row.attributes)),
        }
        for row in rows
    }
    batch = list(values.values())
    for chunk in chunks(batch):
        conn.execute(
            delete(relations).where(
                and_(
                    relations.c.source == source,
                    relations.c.relation_id.in_([row["relation_id"] for row in chunk]),
                )
            )
        )
        conn.execute(insert(relations), chunk)
    return len(batch)


def get_relation(conn: Connection, source: str, relation_id: str) -> Relation:
    """The relation ``relation_id`` that ``source`` reported; ``NotFoundError`` if none."""
    row = conn.execute(
        select(relations).where(
            and_(relations.c.source == source, relations.c.relation_id == relation_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"source {source!r} has no relation {relation_id!r}")
    return _relation(row)


def relations_of(
    conn: Connection, refs: Iterable[RecordRef], *, types: tuple[str, ...] = ()
) -> list[tuple[str, Relation]]:
    """``(source, relation)`` for every relation touching one of the records, either end."""
    wanted = list(dict.fromkeys(refs))
    found: dict[tuple[str, str], Relation] = {}
    for chunk in chunks(wanted):
        query = select(relations).where(
            or_(
                tuple_(relations.c.from_source, relations.c.from_record_id).in_(chunk),
                tuple_(relations.c.to_source, relations.c.to_record_id).in_(chunk),
            )
        )
        if types:
            query = query.where(relations.c.type.in_(types))
        for row in conn.execute(query):
            found[(row.source, row.relation_id)] = _relation(row)
    return [(source, found[(source, rid)]) for source, rid in sorted(found)]


def _relation(row: Any) -> Relation:
    return Relation(
        relation_id=row.relation_id,
        type=row.type,
        from_record=(row.from_source, row.from_record_id),
        to_record=(row.to_source, row.to_record_id),
        amount=row.amount,
        date=row.date,
        attributes=row.attributes,
    )
