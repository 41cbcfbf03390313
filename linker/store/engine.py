"""Where the store lives and how a connection to it is set up.

``LINKER_DATABASE_URL`` chooses the database (``postgresql+psycopg://user@host/db`` in
production); without it the store is a SQLite file in the per-user data directory
(``$LINKER_HOME`` when set), so a single analyst needs no server. SQLite connections are tuned
for one writer and many readers: WAL journal, ``synchronous=NORMAL`` (a power cut may lose the
last commits, never corrupts), a busy timeout instead of an immediate "database is locked",
and foreign keys on (SQLite leaves them off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from linker.home import linker_home
from linker.store.errors import StoreError
from linker.store.types import dump_json

DATABASE_URL_VARIABLE = "LINKER_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def default_database_path() -> Path:
    """The SQLite file used when no database is configured: ``linker.db`` in ``$LINKER_HOME``,
    else in the per-user data directory (where the default model lives too)."""
    return linker_home() / "linker.db"


def database_url(environ: Mapping[str, str] | None = None) -> URL:
    """The configured database: ``LINKER_DATABASE_URL``, else the default SQLite file."""
    environ = os.environ if environ is None else environ
    configured = environ.get(DATABASE_URL_VARIABLE, "").strip()
    if not configured:
        return URL.create("sqlite+pysqlite", database=str(default_database_path()))
    try:
        url = make_url(configured)
    except ArgumentError as exc:
        raise StoreError(
            f"{DATABASE_URL_VARIABLE} is not a database URL ({exc}); "
            "expected e.g. postgresql+psycopg://user@host:5432/db or sqlite:///path/linker.db"
        ) from exc
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"{DATABASE_URL_VARIABLE} names backend {url.get_backend_name()!r}; "
            f"supported: {', '.join(SUPPORTED_BACKENDS)}"
        )
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3, the driver installed
    return url


def display_url(url: URL | str) -> str:
    """The URL with its password hidden, fit for a log line or the terminal."""
    return make_url(url).render_as_string(hide_password=True)


def create_store_engine(url: URL | str, **engine_options: Any) -> Engine:
    """An engine for the store; SQLite connections get the pragmas above and immediate writes.

    Write transactions on SQLite start with ``BEGIN IMMEDIATE`` (see ``WRITE_OPTION``): they
    take the write lock first and wait for it up to the busy timeout, instead of failing at
    their first write when another connection wrote in between (SQLite's deferred default).
    """
    url = make_url(url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        # No server-side prepared statements: a plan prepared while a table was empty (the
        # first chunks of a bulk load) would keep scanning it whole as it grows.
        connect_args = {"prepare_threshold": None, **engine_options.pop("connect_args", {})}
        engine_options["connect_args"] = connect_args
    engine = create_engine(url, json_serializer=dump_json, **engine_options)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


WRITE_OPTION = "linker_write"  # execution option marking a connection of a unit of work


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling off: the "begin" event below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
