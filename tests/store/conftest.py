"""Every store test runs twice: on a SQLite file and on the machine's PostgreSQL.

PostgreSQL comes from ``LINKER_TEST_POSTGRES_URL`` (the Makefile's ``test`` target sets it;
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets its own schema,
created empty, migrated, and dropped at the end, so runs (and tests) never see each other's
rows. When PostgreSQL cannot be reached, the PostgreSQL half *fails* if the variable was set
(CI, ``make test``: the backend was asked for) and is *skipped* with the reason otherwise (a
bare ``pytest`` on a machine without a server).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from linker.store import Store, create_store_engine

POSTGRES_VARIABLE = "LINKER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


class FakeClock:
    """A clock the test moves by hand, so lease expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _postgres_url() -> str:
    return os.environ.get(POSTGRES_VARIABLE) or DEFAULT_POSTGRES_URL


def _reach_postgres() -> Engine:
    engine = create_engine(_postgres_url())
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return engine
    except OperationalError as exc:
        problem = str(exc.orig).strip().replace("\n", " ")
    engine.dispose()
    reason = f"PostgreSQL at {_postgres_url()} is unreachable: {problem}"
    if os.environ.get(POSTGRES_VARIABLE):
        pytest.fail(f"{reason} ({POSTGRES_VARIABLE} is set: the backend is required)", False)
    pytest.skip(f"{reason}; set {POSTGRES_VARIABLE} to require it")


@pytest.fixture(params=BACKENDS)
def engine_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], Engine]]:
    """Makes engines on one empty database of the backend (several for concurrency tests)."""
    made: list[Engine] = []
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"

        def make() -> Engine:
            made.append(create_store_engine(url))
            return made[-1]

        yield make
    else:
        admin = _reach_postgres()
        schema = f"linker_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))

        def make() -> Engine:
            made.append(
                create_store_engine(
                    _postgres_url(), connect_args={"options": f"-csearch_path={schema}"}
                )
            )
            return made[-1]

        try:
            yield make
        finally:
            for engine in made:
                engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    for engine in made:
        engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(engine_factory: Callable[[], Engine], clock: FakeClock) -> Store:
    """An upgraded, empty store on the fake clock."""
    store = Store(engine_factory(), clock=clock)
    store.upgrade()
    return store
