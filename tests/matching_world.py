"""A store loaded for the matching and screening tests: a small generated world's people.

The linkage model version is fitted once per test session on a SQLite file (fitting is the
slow part), then each test's store (SQLite or PostgreSQL) adopts it and resolves its records
under it with a full run: the identities the tests match against.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from linker.linkage import resolve_identities
from linker.store import RecordIn, Source, Store
from linker.synth.world import build_world

ENTITY = "person"
SOURCES = ("fiu-persons", "police-persons")
IDENTITIES, SEED = 80, 11


@cache
def people() -> dict[str, pd.DataFrame]:
    """Both services' person records of the world, by source."""
    frames = build_world(IDENTITIES, SEED).frames
    return {SOURCES[0]: frames["fiu/persons"], SOURCES[1]: frames["police/persons"]}


def _rows(frame: pd.DataFrame) -> list[RecordIn]:
    columns = [c for c in frame.columns if c != "record_id"]
    return [
        RecordIn(str(rid), {c: (v or None) for c, v in zip(columns, values, strict=True)})
        for rid, *values in frame[["record_id", *columns]].itertuples(index=False)
    ]


def ingest(store: Store) -> None:
    """The world's people into ``store``, one source per service."""
    with store.unit_of_work() as uow:
        for name, frame in people().items():
            uow.put_source(Source(name, agency=name.split("-")[0], entity_type=ENTITY))
            uow.upsert_records(name, _rows(frame))


@cache
def fitted() -> tuple[str, dict[str, Any]]:
    """The version a first linkage run fits on the world (once per session)."""
    with tempfile.TemporaryDirectory() as directory:
        fitting = Store.open(f"sqlite:///{Path(directory) / 'fit.db'}", check=False)
        fitting.upgrade()
        ingest(fitting)
        resolve_identities(fitting, ENTITY)
        with fitting.read() as reader:
            version = reader.active_model_version(ENTITY)
        fitting.close()
    assert version is not None
    return version.id, version.manifest


def load(store: Store, manifest: dict[str, Any] | None = None) -> str:
    """Ingest the world, adopt the fitted version (or ``manifest``) and resolve every record
    under it; returns the version id."""
    ingest(store)
    version_id, fitted_manifest = fitted()
    with store.unit_of_work() as uow:
        uow.add_model_version(version_id, ENTITY, manifest or fitted_manifest)
        uow.activate_model_version(version_id)
    resolve_identities(store, ENTITY, full=True)
    return version_id


def record_fields(store: Store, source: str, record_id: str) -> dict[str, str]:
    """A stored record's non-empty fields: a query that is that record."""
    with store.read() as reader:
        raw = reader.record(source, record_id).raw
    return {k: str(v) for k, v in raw.items() if v}


def identity_of(store: Store, source: str, record_id: str) -> str:
    with store.read() as reader:
        return reader.identities_of_records([(source, record_id)])[(source, record_id)]


def multi_record_identity(store: Store) -> tuple[str, str, str]:
    """``(source, record_id, identity_id)`` of a record whose identity holds several records
    (a person both services know), with a name, a date of birth and a family name."""
    with store.read() as reader:
        for identity in reader.identities(ENTITY):
            if len(identity.members) < 2:
                continue
            source, record_id = identity.members[0]
            raw = reader.record(source, record_id).raw
            if raw.get("full_name") and raw.get("dob") and raw.get("family_name"):
                return source, record_id, identity.id
    raise AssertionError("the world has no person known twice")
