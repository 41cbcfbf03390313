"""The store's entry point: reads on one connection, every write in one unit of work.

``Store.unit_of_work()`` is the single door for writes: it opens one transaction, hands out a
``UnitOfWork`` whose methods do the writing, commits when the block ends and rolls everything
back when it raises. Nothing else in the library writes to the database. The security work
(audit events in the same transaction as the action they record) plugs in here: the unit of
work is where an audit row will be written before commit, so a failed audit write fails the
action with it.

``Store.read()`` gives a ``Reader`` (the same read methods, no writes) on one connection, e.g.
for one API request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from linker.store import (
    block_keys,
    identities,
    jobs,
    model_versions,
    pairs,
    records,
    relations,
    sources,
)
from linker.store.batches import CHUNK_ROWS
from linker.store.engine import WRITE_OPTION, create_store_engine, database_url, display_url
from linker.store.errors import StoreError
from linker.store.identities import Identity, IdentityChanges, IdentityEvent, RecordRef
from linker.store.jobs import Job, Submitted
from linker.store.migrate import check_revision, current_revision, upgrade
from linker.store.model_versions import ModelVersion
from linker.store.pairs import ScoredPair
from linker.store.records import RecordIn, StoredRecord, UpsertReport
from linker.store.relations import Relation
from linker.store.sources import Source

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """A database holding sources, records, identities, model versions and jobs.

    ``clock`` gives "now" for every timestamp and lease; tests pass a fake one. Lease expiry
    compares times taken by the workers' clocks, so the machines' clocks must agree to well
    within a lease (NTP does).
    """

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})

    @classmethod
    def open(cls, url: str | None = None, *, check: bool = True, clock: Clock = utc_now) -> Store:
        """The store at ``url`` (default: the configured one); ``check`` refuses an old schema."""
        store = cls(create_store_engine(url or database_url()), clock=clock)
        if check:
            try:
                check_revision(store.engine)
            except StoreError:
                store.close()
                raise
        return store

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return display_url(self.engine.url)

    def upgrade(self) -> str:
        """Bring the schema to the latest revision; returns the revision reached."""
        return upgrade(self.engine)

    def revision(self) -> str | None:
        """The schema revision of the database; None before the first upgrade."""
        return current_revision(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Reader]:
        """One connection for reading; its transaction is rolled back at the end."""
        with _translated(self), self.engine.connect() as connection:
            yield Reader(connection, self.clock)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """One transaction for writes: all of them are committed, or on an error none is.

        The place where every write goes through; the audit event of an action will be
        written here, in the same transaction, by the security work.
        """
        with _translated(self), self._write_engine.begin() as connection:
            yield UnitOfWork(connection, self.clock)


class Reader:
    """Reads of the store on one connection (see the modules for what each one returns)."""

    def __init__(self, connection: Connection, clock: Clock) -> None:
        self.connection = connection
        self._clock = clock

    def source(self, name: str) -> Source:
        return sources.get_source(self.connection, name)

    def sources(self) -> list[Source]:
        return sources.list_sources(self.connection)

    def record(self, source: str, record_id: str) -> StoredRecord:
        return records.get_record(self.connection, source, record_id)

    def records(
        self,
        source: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        include_erased: bool = False,
    ) -> list[StoredRecord]:
        return records.list_records(
            self.connection, source, after=after, limit=limit, include_erased=include_erased
        )

    def records_by_ref(self, refs: Iterable[RecordRef]) -> list[StoredRecord]:
        return records.get_records(self.connection, refs)

    def records_to_resolve(self, sources: Sequence[str]) -> list[StoredRecord]:
        return records.records_to_resolve(self.connection, sources)

    def records_by_block_keys(
        self, keys: Iterable[tuple[str, str]], *, sources: Sequence[str] = ()
    ) -> list[RecordRef]:
        return block_keys.records_by_block_keys(self.connection, keys, sources_only=sources)

    def block_keys_of_records(
        self, refs: Iterable[RecordRef]
    ) -> dict[RecordRef, set[tuple[str, str]]]:
        return block_keys.block_keys_of_records(self.connection, refs)

    def identity(self, identity_id: str) -> Identity:
        return identities.get_identity(self.connection, identity_id)

    def surviving_identity(self, identity_id: str) -> str:
        return identities.surviving_identity(self.connection, identity_id)

    def identities(
        self,
        entity_type: str | None = None,
        *,
        status: str | None = "active",
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Identity]:
        return identities.list_identities(
            self.connection, entity_type, status=status, after=after, limit=limit
        )

    def all_identities(self, entity_type: str) -> list[Identity]:
        return identities.all_identities(self.connection, entity_type)

    def identities_of_records(self, refs: Iterable[RecordRef]) -> dict[RecordRef, str]:
        return identities.identities_of_records(self.connection, refs)

    def identities_by_id(self, ids: Iterable[str]) -> list[Identity]:
        return identities.identities_by_id(self.connection, ids)

    def issued_ids(self, ids: Iterable[str]) -> set[str]:
        return identities.issued_ids(self.connection, ids)

    def events_since(self, seq: int = 0, *, limit: int = 1000) -> list[IdentityEvent]:
        return identities.events_since(self.connection, seq, limit=limit)

    def manual_events(self, entity_type: str) -> list[IdentityEvent]:
        return identities.manual_events(self.connection, entity_type)

    def last_event_seq(self) -> int:
        return identities.last_event_seq(self.connection)

    def model_version(self, version_id: str) -> ModelVersion:
        return model_versions.get_model_version(self.connection, version_id)

    def active_model_version(self, entity_type: str) -> ModelVersion | None:
        return model_versions.active_model_version(self.connection, entity_type)

    def model_versions(self, entity_type: str | None = None) -> list[ModelVersion]:
        return model_versions.list_model_versions(self.connection, entity_type)

    def pairs_of(
        self, model_version_id: str, refs: Iterable[RecordRef], *, bands: tuple[str, ...] = ()
    ) -> list[ScoredPair]:
        return pairs.pairs_of(self.connection, model_version_id, refs, bands=bands)

    def relation(self, source: str, relation_id: str) -> Relation:
        return relations.get_relation(self.connection, source, relation_id)

    def relations_of(
        self, refs: Iterable[RecordRef], *, types: tuple[str, ...] = ()
    ) -> list[tuple[str, Relation]]:
        return relations.relations_of(self.connection, refs, types=types)

    def job(self, job_id: str) -> Job:
        return jobs.get_job(self.connection, job_id)

    def jobs(self, *, state: str | None = None, limit: int = 100) -> list[Job]:
        return jobs.list_jobs(self.connection, state=state, limit=limit)

    def job_results(
        self, job_id: str, *, after: int | None = None, limit: int | None = None
    ) -> dict[int, Any]:
        return jobs.job_results_of(self.connection, job_id, after=after, limit=limit)


class UnitOfWork(Reader):
    """The writes of one transaction (and the reads, which see them)."""

    def put_source(self, source: Source) -> bool:
        return sources.put_source(self.connection, self._clock(), source)

    def upsert_records(
        self, source: str, rows: Iterable[RecordIn], *, chunk_rows: int = CHUNK_ROWS
    ) -> UpsertReport:
        return records.upsert_records(
            self.connection, self._clock(), source, rows, chunk_rows=chunk_rows
        )

    def set_prepared(self, source: str, prepared: Mapping[str, Mapping[str, Any]]) -> None:
        records.set_prepared(self.connection, source, prepared)

    def mark_resolved(self, resolved: Mapping[RecordRef, str], model_version_id: str | None) -> int:
        return records.mark_resolved(self.connection, resolved, model_version_id)

    def erase_record(self, source: str, record_id: str) -> None:
        records.erase_record(self.connection, self._clock(), source, record_id)

    def replace_block_keys(self, source: str, keys: Mapping[str, Iterable[tuple[str, str]]]) -> int:
        return block_keys.replace_block_keys(self.connection, source, keys)

    def put_relations(self, source: str, rows: Iterable[Relation]) -> int:
        return relations.put_relations(self.connection, source, rows)

    def forget_pairs(self, model_version_id: str, refs: Iterable[RecordRef]) -> int:
        return pairs.forget_pairs(self.connection, model_version_id, refs)

    def put_pairs(self, model_version_id: str, scored: Iterable[ScoredPair]) -> int:
        return pairs.put_pairs(self.connection, self._clock(), model_version_id, scored)

    def add_model_version(
        self, version_id: str, entity_type: str, manifest: Mapping[str, Any]
    ) -> ModelVersion:
        return model_versions.add_model_version(
            self.connection, self._clock(), version_id, entity_type, manifest
        )

    def activate_model_version(self, version_id: str) -> ModelVersion:
        return model_versions.activate_model_version(self.connection, version_id)

    def create_identity(
        self,
        identity_id: str,
        entity_type: str,
        members: Iterable[RecordRef],
        model_version_id: str | None,
    ) -> int:
        return identities.create_identity(
            self.connection, self._clock(), identity_id, entity_type, members, model_version_id
        )

    def merge_identities(
        self, survivor_id: str, absorbed_ids: Sequence[str], model_version_id: str | None
    ) -> int:
        return identities.merge_identities(
            self.connection, self._clock(), survivor_id, absorbed_ids, model_version_id
        )

    def split_identity(
        self,
        identity_id: str,
        parts: Mapping[str, Iterable[RecordRef]],
        model_version_id: str | None,
    ) -> int:
        return identities.split_identity(
            self.connection, self._clock(), identity_id, parts, model_version_id
        )

    def apply_identity_changes(
        self, entity_type: str, changes: IdentityChanges, model_version_id: str | None
    ) -> list[int]:
        return identities.apply_identity_changes(
            self.connection, self._clock(), entity_type, changes, model_version_id
        )

    def retire_identity(self, identity_id: str, model_version_id: str | None) -> int:
        return identities.retire_identity(
            self.connection, self._clock(), identity_id, model_version_id
        )

    def append_event(
        self,
        kind: str,
        identity_ids: Sequence[str],
        model_version_id: str | None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        return identities.append_event(
            self.connection, self._clock(), kind, identity_ids, model_version_id, details
        )

    def submit_job(
        self,
        kind: str,
        params: Mapping[str, Any],
        *,
        progress_unit: str = "records",
        progress_total: int | None = None,
        idempotency_key: str | None = None,
    ) -> Submitted:
        return jobs.submit_job(
            self.connection,
            self._clock(),
            kind,
            params,
            progress_unit=progress_unit,
            progress_total=progress_total,
            idempotency_key=idempotency_key,
        )

    def claim_job(
        self,
        worker: str,
        lease_seconds: float,
        *,
        kinds: tuple[str, ...] = (),
        max_attempts: int = jobs.DEFAULT_MAX_ATTEMPTS,
    ) -> Job | None:
        return jobs.claim_job(
            self.connection,
            self._clock(),
            worker,
            lease_seconds,
            kinds=kinds,
            max_attempts=max_attempts,
        )

    def heartbeat(
        self,
        job_id: str,
        worker: str,
        lease_seconds: float,
        *,
        done: int | None = None,
        total: int | None = None,
    ) -> Job:
        return jobs.heartbeat(
            self.connection, self._clock(), job_id, worker, lease_seconds, done=done, total=total
        )

    def write_result(self, job_id: str, worker: str, chunk: int, payload: Any) -> None:
        jobs.write_result(self.connection, self._clock(), job_id, worker, chunk, payload)

    def finish_job(self, job_id: str, worker: str) -> Job:
        return jobs.finish_job(self.connection, self._clock(), job_id, worker)

    def fail_job(self, job_id: str, worker: str, error: Mapping[str, Any]) -> Job:
        return jobs.fail_job(self.connection, self._clock(), job_id, worker, error)

    def add_job_errors(self, job_id: str, worker: str, errors: Sequence[Mapping[str, Any]]) -> Job:
        return jobs.add_job_errors(self.connection, self._clock(), job_id, worker, errors)

    def release_job(self, job_id: str, worker: str) -> Job:
        return jobs.release_job(self.connection, self._clock(), job_id, worker)


@contextmanager
def _translated(store: Store) -> Iterator[None]:
    """Database errors as ``StoreError`` naming the database; the library's own pass through."""
    try:
        yield
    except IntegrityError as exc:
        raise StoreError(f"{store.url} refused the write: {_first_line(exc)}") from exc
    except OperationalError as exc:
        raise StoreError(f"cannot use the database {store.url}: {_first_line(exc)}") from exc
    except DBAPIError as exc:
        raise StoreError(f"the database {store.url} failed: {_first_line(exc)}") from exc


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


__all__ = ["Reader", "Store", "UnitOfWork"]
