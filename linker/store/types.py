"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time zone and no JSON column; PostgreSQL has both. These types make the Python
side identical on both backends, so no query above them needs to know which one it runs on.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python; ``timestamptz`` on PostgreSQL, UTC text on SQLite.

    SQLite stores the naive UTC value in one fixed text format, so comparing two of them (a lease
    against "now") compares instants. A naive datetime is refused: its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, the stored text read by ``datetime.fromisoformat`` (C) instead of
        SQLAlchemy's regular expression: a linkage run reads two per record, and that parse
        was a sixth of reading 200,000 records."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | datetime | None) -> datetime | None:
            if isinstance(value, str):  # naive UTC text: read as UTC
                return datetime.fromisoformat(value + "+00:00")
            return self.process_result_value(value, dialect)

        return process


def _json_default(value: Any) -> Any:
    """numpy scalars and dates as the plain values they stand for; anything else is refused."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def dump_json(value: Any) -> str:
    """The one JSON text of the store: no NaN (PostgreSQL's json refuses it), UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)


def canonical_json(value: Any) -> str:
    """Key order and spacing fixed, so equal payloads give equal text (the content hash)."""
    return json.dumps(
        value,
        ensure_ascii=False,
        allow_nan=False,
        sort_keys=True,
        separators=(",", ":"),
        default=_json_default,
    )


def without_nan(value: Any) -> Any:
    """NaN (pandas' missing value) as JSON null, in nested dicts and lists too."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(item) for item in value]
    return value


# Plain ``json`` on PostgreSQL, not ``jsonb``: a raw payload is kept as received, key order too.
JsonColumn = JSON(none_as_null=True)
