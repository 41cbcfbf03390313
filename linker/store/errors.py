"""Errors of the store, children of the library's one tree (``linker.errors.LinkerError``).

- ``StoreError``: the database cannot be reached, is not at the expected revision, or refused a
  write (a constraint); the message says which and what to do.
- ``NotFoundError``: a source, record, identity, model version or job that is not stored.
- ``LeaseLostError``: a worker wrote to a job it no longer holds (its lease expired and another
  worker claimed the job); the worker must stop working on it.
- ``IdempotencyConflictError``: an idempotency key sent again with a different body.
"""

from __future__ import annotations

from linker.errors import LinkerError


class StoreError(LinkerError):
    """The database cannot be used for this; the message says why."""


class NotFoundError(StoreError):
    """The object named is not in the store."""


class LeaseLostError(StoreError):
    """The job's lease is held by another worker or has ended; stop working on the job."""


class IdempotencyConflictError(StoreError):
    """The idempotency key was already used for a request with a different body."""
