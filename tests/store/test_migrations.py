"""The schema is built by the migrations, matches the code, and is checked on open."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from linker.store import (
    Store,
    StoreError,
    create_store_engine,
    database_url,
    display_url,
    head_revision,
)
from linker.store.migrate import alembic_config
from linker.store.schema import metadata

TABLES = {
    "sources",
    "records",
    "block_keys",
    "pairs",
    "model_versions",
    "identities",
    "identity_members",
    "identity_events",
    "relations",
    "jobs",
    "job_results",
}


def test_upgrade_from_empty_creates_every_table(engine_factory: Callable[[], Engine]) -> None:
    store = Store(engine_factory())
    assert store.revision() is None
    assert store.upgrade() == head_revision() == "0002"
    assert set(inspect(store.engine).get_table_names()) == TABLES | {"alembic_version"}
    assert store.upgrade() == "0002"  # a second upgrade is a no-op


def test_migrated_schema_is_the_one_the_code_queries(store: Store) -> None:
    # Alembic's autogenerate diff: no table, column, type, index or key differs.
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_downgrade_to_base_removes_the_tables(store: Store) -> None:
    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    assert store.upgrade() == head_revision()


def test_open_refuses_a_database_not_upgraded(engine_factory: Callable[[], Engine]) -> None:
    engine = engine_factory()
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(StoreError, match=f"is empty, this linker needs {head_revision()}"):
        Store.open(url, check=True)


def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'tuned.db'}", check=False)
    with store.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 30000,
        "foreign_keys": 1,
    }
    store.close()


def test_the_default_database_is_a_file_in_linker_home() -> None:
    url = database_url({})
    assert url.get_backend_name() == "sqlite"
    assert Path(str(url.database)).name == "linker.db"
    assert Path(str(url.database)).parent == Path(os.environ["LINKER_HOME"])


@pytest.mark.parametrize(
    ("configured", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/linker", "postgresql+psycopg://app:***@db:5432/linker"),
        ("postgresql+psycopg://app@db/linker", "postgresql+psycopg://app@db/linker"),
        ("sqlite:////var/lib/linker.db", "sqlite:////var/lib/linker.db"),
    ],
)
def test_the_configured_url_is_used_and_shown_without_password(configured: str, shown: str) -> None:
    assert display_url(database_url({"LINKER_DATABASE_URL": configured})) == shown


@pytest.mark.parametrize(
    ("configured", "message"),
    [("mysql://root@db/x", "backend 'mysql'"), ("not a url", "not a database URL")],
)
def test_an_unusable_url_says_what_is_wrong(configured: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        database_url({"LINKER_DATABASE_URL": configured})


def test_an_unreachable_database_is_a_store_error() -> None:
    store = Store(
        create_store_engine(
            "postgresql+psycopg://nobody:pw@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
        )
    )
    with pytest.raises(StoreError, match=r"cannot open the database .*nobody:\*\*\*@"):
        store.revision()


@pytest.mark.parametrize("engine_factory", ["postgresql"], indirect=True)
def test_each_postgresql_test_has_its_own_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    assert str(schema).startswith("linker_test_")
