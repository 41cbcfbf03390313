"""The app's store: the one database every ``/v1`` resource reads and writes.

The factory is given a ``Store`` (``create_app(store=...)``: the tests, an embedding program)
or opens one on first use from the ``DATABASE_URL`` setting (``LINKER_DATABASE_URL``, the same
variable the library and the ``linker`` command read; unset, the SQLite file under
``LINKER_HOME``). Opening is deferred so that building the app stays cheap (``python -m
api.snapshot`` builds one without a database) and a database that is down at start is a
``/readyz`` failure, not a crash of every worker process.

The store is opened without the revision check: an old schema is what ``/readyz`` reports
("migrations"), so the process stays up to say so instead of refusing to start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import text

from linker.store import Store, current_revision, head_revision

STORE_KEY = "linker.store"


class _StoreSlot:
    """The app's store, or how to open it: opened once, by the first request that needs it."""

    def __init__(self, store: Store | None, url: str | None) -> None:
        self.store = store
        self.url = url
        self._lock = threading.Lock()  # two first requests at once open one store

    def get(self) -> Store:
        if self.store is None:
            with self._lock:
                if self.store is None:
                    self.store = Store.open(self.url, check=False)
        return self.store


def attach_store(app: Flask, store: Store | None) -> None:
    """Keep ``store`` on the app, or the setting to open it from (``DATABASE_URL``)."""
    url = app.config.get("DATABASE_URL") or None
    app.extensions[STORE_KEY] = _StoreSlot(store, None if url is None else str(url))


def store_of(app: Flask) -> Store:
    """The app's store (opened now if it was not yet)."""
    slot: _StoreSlot = app.extensions[STORE_KEY]
    return slot.get()


def current_store() -> Store:
    """The store of the app handling this request."""
    return store_of(current_app)


def store_checks(app: Flask) -> dict[str, Callable[[], None]]:
    """The readiness checks of the store: the database answers, and its schema is the one
    this version of linker needs. Their failure messages name no host or password."""
    from api.health import NotReady  # api.health imports nothing of this module's

    def database() -> None:
        try:
            with store_of(app).engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error: not ready, say which kind
            raise NotReady(f"unreachable: {type(exc).__name__}") from exc

    def migrations() -> None:
        try:
            current = current_revision(store_of(app).engine)
        except Exception as exc:
            raise NotReady(f"revision unknown: {type(exc).__name__}") from exc
        head = head_revision()
        if current != head:
            found = "no schema" if current is None else f"revision {current}"
            raise NotReady(f"{found}, this linker needs {head}: run linker db upgrade")

    return {"database": database, "migrations": migrations}
