"""The one exception tree of the library.

``LinkerError`` is the root; callers catch it to tell the user what went wrong.

- ``InputError``: an input file or frame cannot be used as a whole (missing or duplicate ids,
  unreadable, empty, not a table). It names the file, row and column when known. Fix the input.
- ``ConfigError``: a setting is wrong (unknown field in a column mapping, unknown comparator,
  bad threshold). Fix the option.
- ``UnknownComparatorError``: a ``ConfigError`` for a comparator name that is not registered.
- ``OutputError``: an output file cannot be written. Choose another path.
- ``ModelError``: a model cannot be found, read or applied. Train one or pick another.
- ``StoreError``: the database cannot be reached, is not at the expected revision, or refused a
  write; the message says which and what to do. Its children: ``NotFoundError`` (a source,
  record, identity, model version or job that is not stored), ``LeaseLostError`` (a worker
  wrote to a job it no longer holds: stop working on it) and ``IdempotencyConflictError`` (an
  idempotency key sent again with a different body).

Row-level problems (one unparseable date, one malformed phone) are not exceptions: the value is
treated as missing and reported as a reject.
"""

from __future__ import annotations


class LinkerError(Exception):
    """Base of every error the library raises on purpose.

    ``setting`` names the run setting (``linker.settings.Settings``) that fixes it, when one
    does: the command line and the API name it in their own terms (an option, a field).
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        self.setting = setting
        super().__init__(message)


class InputError(LinkerError):
    """An input cannot be used as a whole; the message names the file, row and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        setting: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        where = ", ".join(
            part
            for part in (
                file and f"file {file}",
                row is not None and f"row {row}",
                column and f"column {column!r}",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message, setting=setting)


class ConfigError(LinkerError):
    """A setting or option is invalid; the message says which values are accepted."""


class UnknownComparatorError(ConfigError):
    """A comparator name that is not in ``COMPARATORS``."""


class OutputError(LinkerError):
    """An output cannot be written; nothing of the run's outputs was left behind."""


class ModelError(LinkerError):
    """A model cannot be found, read or applied."""


class StoreError(LinkerError):
    """The database cannot be used for this; the message says why."""


class NotFoundError(StoreError):
    """The object named is not in the store."""


class LeaseLostError(StoreError):
    """The job's lease is held by another worker or has ended; stop working on the job."""


class RunConflictError(StoreError):
    """Another linkage run wrote identity events while this one was computing; this one
    wrote nothing and can be run again."""


class IdempotencyConflictError(StoreError):
    """The idempotency key was already used for a request with a different body."""
