"""The store's errors, from the library's one tree (``linker.errors``), where they are
described; importable from here too."""

from __future__ import annotations

from linker.errors import (
    IdempotencyConflictError,
    LeaseLostError,
    NotFoundError,
    RunConflictError,
    StoreError,
)

__all__ = [
    "IdempotencyConflictError",
    "LeaseLostError",
    "NotFoundError",
    "RunConflictError",
    "StoreError",
]
