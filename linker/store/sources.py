"""Sources: an agency's file of one entity type, and how its bulk files are read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from linker.errors import InputError
from linker.store.errors import NotFoundError
from linker.store.schema import ENTITY_TYPES, ID, sources


@dataclass(frozen=True)
class Source:
    """An agency's file of one entity type, and how its bulk files are read."""

    name: str
    agency: str
    entity_type: str
    default_region: str | None = None
    date_order: str | None = None
    column_mapping: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_id(self.name, "source name")
        if not self.agency.strip():
            raise InputError(f"source {self.name!r}: the agency is empty")
        if self.entity_type not in ENTITY_TYPES:
            raise InputError(
                f"source {self.name!r}: unknown entity type {self.entity_type!r}; "
                f"known: {', '.join(ENTITY_TYPES)}"
            )


def put_source(conn: Connection, now: datetime, source: Source) -> bool:
    """Create the source or update its settings; True when it was new."""
    values = {
        "agency": source.agency,
        "entity_type": source.entity_type,
        "default_region": source.default_region,
        "date_order": source.date_order,
        "column_mapping": dict(source.column_mapping),
        "updated_at": now,
    }
    changed = conn.execute(
        update(sources).where(sources.c.name == source.name).values(**values)
    ).rowcount
    if changed:
        return False
    conn.execute(insert(sources).values(name=source.name, created_at=now, **values))
    return True


def get_source(conn: Connection, name: str) -> Source:
    row = conn.execute(select(sources).where(sources.c.name == name)).one_or_none()
    if row is None:
        known = conn.execute(select(sources.c.name).order_by(sources.c.name)).scalars().all()
        raise NotFoundError(f"unknown source {name!r}; stored: {', '.join(known) or 'none'}")
    return Source(
        name=row.name,
        agency=row.agency,
        entity_type=row.entity_type,
        default_region=row.default_region,
        date_order=row.date_order,
        column_mapping=row.column_mapping,
    )


def list_sources(conn: Connection) -> list[Source]:
    names = conn.execute(select(sources.c.name).order_by(sources.c.name)).scalars().all()
    return [get_source(conn, name) for name in names]


def check_id(
    value: object, what: str, *, source: str | None = None, row: int | None = None
) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > ID:
        raise InputError(
            f"{what} must be a non-empty string of at most {ID} characters, got {value!r}",
            file=source and f"source {source}",
            row=row,
        )
