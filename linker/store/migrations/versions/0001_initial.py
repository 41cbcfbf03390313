"""The initial schema: every table of the store.

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity_type IN ('person', 'company', 'account')",
            name=op.f("ck_identities_entity_type"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'merged', 'retired')", name=op.f("ck_identities_status")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["identities.id"], name=op.f("fk_identities_merged_into_identities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
    )
    op.create_index(op.f("ix_identities_merged_into"), "identities", ["merged_into"], unique=False)
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("progress_unit", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("errors", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
    )
    op.create_index(op.f("ix_jobs_state_created_at"), "jobs", ["state", "created_at"], unique=False)
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manifest", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "entity_type IN ('person', 'company', 'account')",
            name=op.f("ck_model_versions_entity_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
    )
    op.create_index(
        "uq_model_versions_one_active",
        "model_versions",
        ["entity_type"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("default_region", sa.String(length=2), nullable=True),
        sa.Column("date_order", sa.String(length=8), nullable=True),
        sa.Column("column_mapping", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity_type IN ('person', 'company', 'account')", name=op.f("ck_sources_entity_type")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sources")),
    )
    op.create_table(
        "identity_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("identity_ids", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("model_version_id", sa.String(length=200), nullable=True),
        sa.Column("details", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('create', 'merge', 'split', 'retire', 'undo')",
            name=op.f("ck_identity_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_identity_events_model_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_identity_events")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "job_results",
        sa.Column("job_id", sa.String(length=200), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_results_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "chunk", name=op.f("pk_job_results")),
    )
    op.create_table(
        "records",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("raw", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("prepared", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name=op.f("fk_records_source_sources")
        ),
        sa.PrimaryKeyConstraint("source", "record_id", name=op.f("pk_records")),
    )
    op.create_table(
        "relations",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("relation_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("from_source", sa.String(length=200), nullable=False),
        sa.Column("from_record_id", sa.String(length=200), nullable=False),
        sa.Column("to_source", sa.String(length=200), nullable=False),
        sa.Column("to_record_id", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("attributes", sa.JSON(none_as_null=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('holds_account', 'directs_company', 'transfer', 'shares_phone', 'family')",
            name=op.f("ck_relations_type"),
        ),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name=op.f("fk_relations_source_sources")
        ),
        sa.PrimaryKeyConstraint("source", "relation_id", name=op.f("pk_relations")),
    )
    op.create_index(
        op.f("ix_relations_from_source_from_record_id"),
        "relations",
        ["from_source", "from_record_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_relations_to_source_to_record_id"),
        "relations",
        ["to_source", "to_record_id"],
        unique=False,
    )
    op.create_table(
        "block_keys",
        sa.Column("key_name", sa.String(length=200), nullable=False),
        sa.Column("key_value", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["source", "record_id"],
            ["records.source", "records.record_id"],
            name=op.f("fk_block_keys_source_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "key_name", "key_value", "source", "record_id", name=op.f("pk_block_keys")
        ),
    )
    op.create_index(
        op.f("ix_block_keys_source_record_id"), "block_keys", ["source", "record_id"], unique=False
    )
    op.create_table(
        "identity_members",
        sa.Column("identity_id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["identities.id"],
            name=op.f("fk_identity_members_identity_id_identities"),
        ),
        sa.ForeignKeyConstraint(
            ["source", "record_id"],
            ["records.source", "records.record_id"],
            name=op.f("fk_identity_members_source_record_id_records"),
        ),
        sa.PrimaryKeyConstraint("source", "record_id", name=op.f("pk_identity_members")),
    )
    op.create_index(
        op.f("ix_identity_members_identity_id"), "identity_members", ["identity_id"], unique=False
    )
    op.create_table(
        "pairs",
        sa.Column("model_version_id", sa.String(length=200), nullable=False),
        sa.Column("source_l", sa.String(length=200), nullable=False),
        sa.Column("record_id_l", sa.String(length=200), nullable=False),
        sa.Column("source_r", sa.String(length=200), nullable=False),
        sa.Column("record_id_r", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("band IN ('match', 'review', 'non_match')", name=op.f("ck_pairs_band")),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_pairs_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["source_l", "record_id_l"],
            ["records.source", "records.record_id"],
            name=op.f("fk_pairs_source_l_record_id_l_records"),
        ),
        sa.ForeignKeyConstraint(
            ["source_r", "record_id_r"],
            ["records.source", "records.record_id"],
            name=op.f("fk_pairs_source_r_record_id_r_records"),
        ),
        sa.PrimaryKeyConstraint(
            "model_version_id",
            "source_l",
            "record_id_l",
            "source_r",
            "record_id_r",
            name=op.f("pk_pairs"),
        ),
    )
    op.create_index(
        op.f("ix_pairs_source_r_record_id_r"), "pairs", ["source_r", "record_id_r"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children before the tables they refer to.
    for table in (
        "pairs",
        "identity_members",
        "block_keys",
        "relations",
        "records",
        "job_results",
        "identity_events",
        "sources",
        "model_versions",
        "jobs",
        "identities",
    ):
        op.drop_table(table)
