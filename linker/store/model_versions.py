"""Linkage model versions: what one-record matching, incremental and full runs use unchanged.

A version's manifest holds everything a run needs (comparisons, blocking rules, the fitted
model or a reference to the trained one, term-frequency tables, the thresholds ``t_match`` and
``t_review``); the store keeps it as JSON and does not interpret it. Only a refit makes a new
version, and activating it is a separate, explicit step. At most one version per entity type is
active: a partial unique index makes the database refuse a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from linker.errors import InputError
from linker.store.errors import NotFoundError
from linker.store.schema import ENTITY_TYPES, model_versions
from linker.store.types import without_nan


@dataclass(frozen=True)
class ModelVersion:
    """A stored linkage model version."""

    id: str
    entity_type: str
    created_at: datetime
    manifest: dict[str, Any]
    active: bool


def add_model_version(
    conn: Connection,
    now: datetime,
    version_id: str,
    entity_type: str,
    manifest: Mapping[str, Any],
) -> ModelVersion:
    """Store a new, inactive version (activate it with ``activate_model_version``)."""
    if entity_type not in ENTITY_TYPES:
        raise InputError(
            f"model version {version_id!r}: unknown entity type {entity_type!r}; "
            f"known: {', '.join(ENTITY_TYPES)}"
        )
    conn.execute(
        insert(model_versions).values(
            id=version_id,
            entity_type=entity_type,
            created_at=now,
            manifest=without_nan(dict(manifest)),
            active=False,
        )
    )
    return get_model_version(conn, version_id)


def activate_model_version(conn: Connection, version_id: str) -> ModelVersion:
    """Make this version the active one of its entity type; the one active before is not."""
    version = get_model_version(conn, version_id)
    conn.execute(
        update(model_versions)
        .where(and_(model_versions.c.entity_type == version.entity_type, model_versions.c.active))
        .values(active=False)
    )
    conn.execute(
        update(model_versions).where(model_versions.c.id == version_id).values(active=True)
    )
    return get_model_version(conn, version_id)


def get_model_version(conn: Connection, version_id: str) -> ModelVersion:
    row = conn.execute(
        select(model_versions).where(model_versions.c.id == version_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no model version {version_id!r}")
    return _version(row)


def active_model_version(conn: Connection, entity_type: str) -> ModelVersion | None:
    """The active version of an entity type; None before any was activated."""
    row = conn.execute(
        select(model_versions).where(
            and_(model_versions.c.entity_type == entity_type, model_versions.c.active)
        )
    ).one_or_none()
    return None if row is None else _version(row)


def list_model_versions(conn: Connection, entity_type: str | None = None) -> list[ModelVersion]:
    """Versions, oldest first."""
    query = select(model_versions).order_by(model_versions.c.created_at, model_versions.c.id)
    if entity_type is not None:
        query = query.where(model_versions.c.entity_type == entity_type)
    return [_version(row) for row in conn.execute(query)]


def _version(row: Any) -> ModelVersion:
    return ModelVersion(
        id=row.id,
        entity_type=row.entity_type,
        created_at=row.created_at,
        manifest=row.manifest,
        active=bool(row.active),
    )
