"""Schema revisions: bring a database to the latest revision, or say which one it is at.

Alembic is run programmatically on the package's own ``migrations`` directory, so an installed
``linker`` can upgrade a database with nothing beside it. Upgrading is idempotent: a database
at the head is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from linker.store.engine import display_url
from linker.store.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration for the store (``alembic.command`` functions take it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        url = engine.url.render_as_string(hide_password=False)
        # The ini parser interpolates "%": a URL with "?options=-csearch_path%3D..." needs "%%".
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The latest revision this version of ``linker`` knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise StoreError(f"no migration revisions found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never upgraded."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` (default the latest) and return the one reached."""
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    reached = current_revision(engine)
    if reached is None:  # pragma: no cover - alembic writes the version row
        raise StoreError(f"{display_url(engine.url)}: upgrade ran but recorded no revision")
    return reached


def check_revision(engine: Engine) -> None:
    """Refuse a database that is not at this version's head: the queries would not fit it."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise StoreError(
            f"the database {display_url(engine.url)} is {state}, this linker needs {head}; "
            "upgrade it first (linker.store.upgrade)"
        )


def _unreachable(engine: Engine, exc: OperationalError) -> StoreError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return StoreError(f"cannot open the database {display_url(engine.url)}: {reason}")
