"""The durable store: the only package of the library that holds SQL.

SQLAlchemy Core over SQLite (the default: a file in the per-user data directory) or PostgreSQL
(``LINKER_DATABASE_URL=postgresql+psycopg://...``); the schema is built and changed by the
Alembic revisions in ``migrations/``. Open a store, read through ``store.read()`` and write
through ``store.unit_of_work()``, the one transaction every write goes through::

    store = Store.open()
    with store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        report = uow.upsert_records("tax", [RecordIn("T1", {"name": "Martha Dupont"})])

See docs/store.md for the tables and the guarantees.
"""

from __future__ import annotations

from linker.store.engine import (
    DATABASE_URL_VARIABLE,
    create_store_engine,
    database_url,
    default_database_path,
    display_url,
)
from linker.store.errors import (
    IdempotencyConflictError,
    LeaseLostError,
    NotFoundError,
    RunConflictError,
    StoreError,
)
from linker.store.identities import EventIn, Identity, IdentityChanges, IdentityEvent, RecordRef
from linker.store.jobs import Job, Submitted
from linker.store.migrate import current_revision, head_revision, upgrade
from linker.store.model_versions import ModelVersion
from linker.store.pairs import ScoredPair
from linker.store.records import RecordIn, StoredRecord, UpsertReport, content_hash
from linker.store.relations import Relation
from linker.store.sources import Source
from linker.store.unit_of_work import Reader, Store, UnitOfWork

__all__ = [
    "DATABASE_URL_VARIABLE",
    "EventIn",
    "IdempotencyConflictError",
    "Identity",
    "IdentityChanges",
    "IdentityEvent",
    "Job",
    "LeaseLostError",
    "ModelVersion",
    "NotFoundError",
    "Reader",
    "RecordIn",
    "RecordRef",
    "Relation",
    "RunConflictError",
    "ScoredPair",
    "Source",
    "Store",
    "StoreError",
    "StoredRecord",
    "Submitted",
    "UnitOfWork",
    "UpsertReport",
    "content_hash",
    "create_store_engine",
    "current_revision",
    "database_url",
    "default_database_path",
    "display_url",
    "head_revision",
    "upgrade",
]
