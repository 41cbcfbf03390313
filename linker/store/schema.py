"""The tables of the store, as SQLAlchemy Core metadata.

This is what the code queries; the Alembic revisions in ``migrations/versions`` are what builds
the database, and a test checks that the two agree on both backends. A change here needs a new
revision (see docs/store.md).

Records are keyed by ``(source, record_id)`` everywhere: a record id is only unique within the
source (agency file) that issued it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

from linker.store.types import JsonColumn, UtcDateTime

ENTITY_TYPES = ("person", "company", "account")
IDENTITY_STATUSES = ("active", "merged", "retired")
EVENT_KINDS = ("create", "merge", "split", "retire", "undo")
RELATION_TYPES = ("holds_account", "directs_company", "transfer", "shares_phone", "family")
JOB_STATES = ("queued", "running", "done", "failed")
BANDS = ("match", "review", "non_match")

ID = 200  # the longest record, source, job or identity id the store accepts

# Constraint names fixed by convention, so migrations can name what they alter on both backends.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


sources = Table(
    "sources",
    metadata,
    Column("name", String(ID), primary_key=True),
    Column("agency", String(ID), nullable=False),
    Column("entity_type", String(16), nullable=False),
    Column("default_region", String(2)),
    Column("date_order", String(8)),
    Column("column_mapping", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _one_of("entity_type", ENTITY_TYPES),
)

records = Table(
    "records",
    metadata,
    Column("source", String(ID), ForeignKey("sources.name"), primary_key=True),
    Column("record_id", String(ID), primary_key=True),
    Column("raw", JsonColumn, nullable=False),
    Column("prepared", JsonColumn),
    Column("content_hash", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("erased_at", UtcDateTime),
    # The content hash a linkage run last resolved (None: never): an incremental run takes
    # the records where it differs from content_hash (new, changed or erased since); a full
    # run under the same version skips rewriting their keys and pairs.
    Column("resolved_hash", String(64)),
    Column("resolved_version", String(ID)),  # the model version of that run
)

block_keys = Table(
    "block_keys",
    metadata,
    Column("key_name", String(ID), primary_key=True),
    Column("key_value", String(1000), primary_key=True),
    Column("source", String(ID), primary_key=True),
    Column("record_id", String(ID), primary_key=True),
    ForeignKeyConstraint(
        ["source", "record_id"], ["records.source", "records.record_id"], ondelete="CASCADE"
    ),
    # The primary key's leading (key_name, key_value) is the lookup index of one-record
    # matching; this one finds a record's own keys when they are replaced.
    Index(None, "source", "record_id"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("entity_type", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("manifest", JsonColumn, nullable=False),
    Column("active", Boolean(create_constraint=False), nullable=False),
    _one_of("entity_type", ENTITY_TYPES),
    # At most one active version per entity type, enforced by the database itself.
    Index(
        "uq_model_versions_one_active",
        "entity_type",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

pairs = Table(
    "pairs",
    metadata,
    Column("model_version_id", String(ID), ForeignKey("model_versions.id"), primary_key=True),
    Column("source_l", String(ID), primary_key=True),
    Column("record_id_l", String(ID), primary_key=True),
    Column("source_r", String(ID), primary_key=True),
    Column("record_id_r", String(ID), primary_key=True),
    Column("score", Float, nullable=False),
    Column("band", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["source_l", "record_id_l"], ["records.source", "records.record_id"]),
    ForeignKeyConstraint(["source_r", "record_id_r"], ["records.source", "records.record_id"]),
    _one_of("band", BANDS),
    Index(None, "source_r", "record_id_r"),
)

identities = Table(
    "identities",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("entity_type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("merged_into", String(ID), ForeignKey("identities.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_seq", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _one_of("entity_type", ENTITY_TYPES),
    _one_of("status", IDENTITY_STATUSES),
    Index(None, "merged_into"),
)

identity_members = Table(
    "identity_members",
    metadata,
    Column("identity_id", String(ID), ForeignKey("identities.id"), nullable=False),
    # A record belongs to at most one identity: the primary key says so.
    Column("source", String(ID), primary_key=True),
    Column("record_id", String(ID), primary_key=True),
    ForeignKeyConstraint(["source", "record_id"], ["records.source", "records.record_id"]),
    Index(None, "identity_id"),
)

identity_events = Table(
    "identity_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(16), nullable=False),
    Column("identity_ids", JsonColumn, nullable=False),
    Column("model_version_id", String(ID), ForeignKey("model_versions.id")),
    Column("details", JsonColumn, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    _one_of("kind", EVENT_KINDS),
    sqlite_autoincrement=True,  # never reuse a seq, even the last one after a delete
)

relations = Table(
    "relations",
    metadata,
    Column("source", String(ID), ForeignKey("sources.name"), primary_key=True),
    Column("relation_id", String(ID), primary_key=True),
    Column("type", String(32), nullable=False),
    # No foreign key to records: a bulk load may bring relations before the records they join.
    Column("from_source", String(ID), nullable=False),
    Column("from_record_id", String(ID), nullable=False),
    Column("to_source", String(ID), nullable=False),
    Column("to_record_id", String(ID), nullable=False),
    Column("amount", Float),
    Column("date", Date),
    Column("attributes", JsonColumn, nullable=False),
    _one_of("type", RELATION_TYPES),
    Index(None, "from_source", "from_record_id"),
    Index(None, "to_source", "to_record_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("params", JsonColumn, nullable=False),
    Column("progress_done", Integer, nullable=False),
    Column("progress_total", Integer),
    Column("progress_unit", String(32), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(ID)),
    Column("lease_expires_at", UtcDateTime),
    Column("errors", JsonColumn, nullable=False),
    Column("idempotency_key", String(ID)),
    Column("body_hash", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _one_of("state", JOB_STATES),
    UniqueConstraint("idempotency_key"),
    Index(None, "state", "created_at"),
)

job_results = Table(
    "job_results",
    metadata,
    Column("job_id", String(ID), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("chunk", Integer, primary_key=True),
    Column("payload", JsonColumn, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)

TABLES = tuple(metadata.tables)
