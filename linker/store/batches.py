"""Long lists cut into statements of bounded size.

SQLite caps the bound parameters of one statement (32,766) and PostgreSQL the size of one
message; 500 rows or keys a statement stays far under both, and keeps a bulk file's memory
bounded when it is read as a stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

CHUNK_ROWS = 500


def chunks(items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items; a stream is read one chunk at a time."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
