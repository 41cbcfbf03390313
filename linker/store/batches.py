"""Long lists cut into statements of bounded size, and lookups of many two-column keys.

SQLite caps the bound parameters of one statement (32,766) and PostgreSQL the size of one
message; 500 rows or keys a statement stays far under both, and keeps a bulk file's memory
bounded when it is read as a stream.

A lookup of ``(source, record_id)`` or ``(key_name, key_value)`` pairs is written as one
equality on the first column and ``IN`` on the second per distinct first value, joined by
``OR`` (``pairs_in``): a row-value ``(a, b) IN ((?, ?), ...)`` is not searched through the
index by SQLite, which scans the table instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, and_, or_

T = TypeVar("T")

CHUNK_ROWS = 500


def chunks(items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items; a stream is read one chunk at a time."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def pairs_in(
    first: Column[Any], second: Column[Any], pairs: Sequence[tuple[str, str]]
) -> ColumnElement[bool]:
    """``(first, second)`` is one of ``pairs``, as terms an index on both answers."""
    grouped: dict[str, list[str]] = {}
    for a, b in pairs:
        grouped.setdefault(a, []).append(b)
    return or_(*(and_(first == a, second.in_(bs)) for a, bs in grouped.items()))
