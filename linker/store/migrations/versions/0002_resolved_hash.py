"""Records remember what a linkage run last resolved: ``resolved_hash``, ``resolved_version``.

An incremental linkage run takes the records whose ``content_hash`` differs from their
``resolved_hash`` (new ones have none): new, changed and erased records since the last run. A
full run rewrites the blocking keys and pairs only of the records not already resolved at
their content under its model version (``resolved_version``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite copies the table to alter it; PostgreSQL alters it in place.
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("resolved_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("resolved_version", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("resolved_version")
        batch.drop_column("resolved_hash")
