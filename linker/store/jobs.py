"""The job ledger: the one copy of every job's state, progress, attempts and lease.

A worker claims a job with a lease and extends it while it works (heartbeat). A worker that
dies stops extending; once the lease has expired another worker claims the job again, its
``attempts`` one higher, and redoes it. Results are written per chunk under the key
``(job, chunk)``, so the redo overwrites what the dead worker wrote instead of adding to it.
Every write after the claim checks that the writer still holds the lease (``LeaseLostError``):
a worker that was only slow cannot overwrite the work of the one that took over.

Claiming is atomic on both backends. PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks a
job no other transaction is claiming. SQLite: one ``UPDATE ... WHERE id = (SELECT ...)`` under
the database's single write lock, guarded again by state and lease.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from linker.errors import InputError
from linker.store.errors import IdempotencyConflictError, LeaseLostError, NotFoundError
from linker.store.schema import job_results, jobs
from linker.store.types import canonical_json, without_nan

DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Job:
    """A job as the ledger has it."""

    id: str
    kind: str
    state: str
    params: dict[str, Any]
    progress_done: int
    progress_total: int | None
    progress_unit: str
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    errors: list[Any]
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Submitted:
    """A job from ``submit_job``: ``created`` is False when the idempotency key found it."""

    job: Job
    created: bool


def body_hash(body: Mapping[str, Any]) -> str:
    """The hash an idempotency key is checked against: the request's canonical JSON."""
    return hashlib.sha256(canonical_json(dict(body)).encode("utf-8")).hexdigest()


def submit_job(
    conn: Connection,
    now: datetime,
    kind: str,
    params: Mapping[str, Any],
    *,
    progress_unit: str = "records",
    progress_total: int | None = None,
    idempotency_key: str | None = None,
) -> Submitted:
    """Queue a job; with an idempotency key already used for the same params, the old job.

    The same key with different params is refused (``IdempotencyConflictError``).
    """
    if not kind.strip():
        raise InputError("a job needs a kind")
    digest = body_hash({"kind": kind, "params": dict(params)})
    if idempotency_key is not None:
        found = _by_key(conn, idempotency_key, digest)
        if found is not None:
            return Submitted(found, created=False)
    job_id = f"job_{uuid.uuid4().hex}"
    values = {
        "id": job_id,
        "kind": kind,
        "state": "queued",
        "params": without_nan(dict(params)),
        "progress_done": 0,
        "progress_total": progress_total,
        "progress_unit": progress_unit,
        "attempts": 0,
        "errors": [],
        "idempotency_key": idempotency_key,
        "body_hash": digest,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with conn.begin_nested():  # a savepoint: a lost race leaves the transaction usable
            conn.execute(insert(jobs).values(**values))
    except IntegrityError:
        if idempotency_key is None:
            raise
        found = _by_key(conn, idempotency_key, digest)
        if found is None:
            raise
        return Submitted(found, created=False)
    return Submitted(get_job(conn, job_id), created=True)


def claim_job(
    conn: Connection,
    now: datetime,
    worker: str,
    lease_seconds: float,
    *,
    kinds: tuple[str, ...] = (),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job | None:
    """Take the oldest claimable job for ``worker``: queued, or running with an expired lease.

    A job whose lease expired ``max_attempts`` times fails instead of being claimed again (a
    job that kills its worker would otherwise kill them all). None when nothing is claimable.
    """
    if lease_seconds <= 0:
        raise InputError(f"lease_seconds must be positive, got {lease_seconds}")
    _fail_exhausted(conn, now, max_attempts)
    claimable = or_(
        jobs.c.state == "queued",
        and_(jobs.c.state == "running", jobs.c.lease_expires_at < now),
    )
    candidate = select(jobs.c.id).where(claimable).order_by(jobs.c.created_at, jobs.c.id).limit(1)
    if kinds:
        candidate = candidate.where(jobs.c.kind.in_(kinds))
    if conn.dialect.name == "postgresql":
        job_id = conn.execute(candidate.with_for_update(skip_locked=True)).scalar_one_or_none()
        if job_id is None:
            return None
        target = jobs.c.id == job_id
    else:
        target = jobs.c.id == candidate.scalar_subquery()
    claimed = conn.execute(
        update(jobs)
        .where(and_(target, claimable))
        .values(
            state="running",
            attempts=jobs.c.attempts + 1,
            lease_owner=worker,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(jobs.c.id)
    ).scalar_one_or_none()
    return None if claimed is None else get_job(conn, claimed)


def heartbeat(
    conn: Connection,
    now: datetime,
    job_id: str,
    worker: str,
    lease_seconds: float,
    *,
    done: int | None = None,
    total: int | None = None,
) -> Job:
    """Extend the lease and record progress; ``LeaseLostError`` if the worker lost the job."""
    values: dict[str, Any] = {
        "lease_expires_at": now + timedelta(seconds=lease_seconds),
        "updated_at": now,
    }
    if done is not None:
        values["progress_done"] = done
    if total is not None:
        values["progress_total"] = total
    _update_held(conn, now, job_id, worker, values)
    return get_job(conn, job_id)


def write_result(
    conn: Connection, now: datetime, job_id: str, worker: str, chunk: int, payload: Any
) -> None:
    """Write one chunk's result; writing the same chunk again replaces it (a redo after a crash)."""
    _update_held(conn, now, job_id, worker, {"updated_at": now})
    values = {"job_id": job_id, "chunk": chunk, "payload": without_nan(payload), "written_at": now}
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = upsert(job_results).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[job_results.c.job_id, job_results.c.chunk],
            set_={"payload": statement.excluded.payload, "written_at": now},
        )
    )


def finish_job(conn: Connection, now: datetime, job_id: str, worker: str) -> Job:
    """Mark the job done and release its lease."""
    job = get_job(conn, job_id)
    done = job.progress_total if job.progress_total is not None else job.progress_done
    _update_held(
        conn,
        now,
        job_id,
        worker,
        {
            "state": "done",
            "progress_done": done,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    return get_job(conn, job_id)


def fail_job(
    conn: Connection, now: datetime, job_id: str, worker: str, error: Mapping[str, Any]
) -> Job:
    """Mark the job failed with ``error`` (e.g. ``{"title": ..., "detail": ...}``) appended."""
    job = get_job(conn, job_id)
    _update_held(
        conn,
        now,
        job_id,
        worker,
        {
            "state": "failed",
            "errors": [*job.errors, {**without_nan(dict(error)), "attempt": job.attempts}],
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    return get_job(conn, job_id)


def add_job_errors(
    conn: Connection,
    now: datetime,
    job_id: str,
    worker: str,
    errors: Sequence[Mapping[str, Any]],
) -> Job:
    """Append problems found while the job runs (e.g. rejected rows), the job still running.

    Each entry gets the attempt that found it. The caller writes them in the same transaction
    as the chunk result that records them, so a redo that skips the chunk does not add them
    twice.
    """
    job = get_job(conn, job_id)
    found = [{**without_nan(dict(error)), "attempt": job.attempts} for error in errors]
    _update_held(conn, now, job_id, worker, {"errors": [*job.errors, *found], "updated_at": now})
    return get_job(conn, job_id)


def release_job(conn: Connection, now: datetime, job_id: str, worker: str) -> Job:
    """Hand a running job back to the queue (a worker stopping cleanly between chunks).

    The attempt is given back (``attempts`` - 1): a job handed back did not fail and must not
    count towards ``max_attempts``. Its chunk results stay, so the next worker goes on from
    them.
    """
    job = get_job(conn, job_id)
    _update_held(
        conn,
        now,
        job_id,
        worker,
        {
            "state": "queued",
            "attempts": max(job.attempts - 1, 0),
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        },
    )
    return get_job(conn, job_id)


def get_job(conn: Connection, job_id: str) -> Job:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    return _job(row)


def list_jobs(conn: Connection, *, state: str | None = None, limit: int = 100) -> list[Job]:
    """Jobs, newest first."""
    query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(jobs.c.state == state)
    return [_job(row) for row in conn.execute(query)]


def job_results_of(
    conn: Connection, job_id: str, *, after: int | None = None, limit: int | None = None
) -> dict[int, Any]:
    """Chunk number -> payload, in chunk order; ``after`` and ``limit`` page through them."""
    query = (
        select(job_results.c.chunk, job_results.c.payload)
        .where(job_results.c.job_id == job_id)
        .order_by(job_results.c.chunk)
    )
    if after is not None:
        query = query.where(job_results.c.chunk > after)
    if limit is not None:
        query = query.limit(limit)
    return {row.chunk: row.payload for row in conn.execute(query)}


def _update_held(
    conn: Connection, now: datetime, job_id: str, worker: str, values: Mapping[str, Any]
) -> None:
    held = and_(
        jobs.c.id == job_id,
        jobs.c.state == "running",
        jobs.c.lease_owner == worker,
        jobs.c.lease_expires_at >= now,
    )
    if not conn.execute(update(jobs).where(held).values(**values)).rowcount:
        job = get_job(conn, job_id)
        raise LeaseLostError(
            f"job {job_id!r} is not held by worker {worker!r} (state {job.state}, "
            f"lease held by {job.lease_owner!r} until {job.lease_expires_at})"
        )


def _fail_exhausted(conn: Connection, now: datetime, max_attempts: int) -> None:
    exhausted = and_(
        jobs.c.state == "running",
        jobs.c.lease_expires_at < now,
        jobs.c.attempts >= max_attempts,
    )
    for job in [_job(row) for row in conn.execute(select(jobs).where(exhausted))]:
        conn.execute(
            update(jobs)
            .where(and_(jobs.c.id == job.id, exhausted))
            .values(
                state="failed",
                errors=[
                    *job.errors,
                    {
                        "title": "worker lost",
                        "detail": f"the lease expired on each of {job.attempts} attempts",
                        "attempt": job.attempts,
                    },
                ],
                lease_owner=None,
                lease_expires_at=None,
                updated_at=now,
            )
        )


def _by_key(conn: Connection, key: str, digest: str) -> Job | None:
    row = conn.execute(select(jobs).where(jobs.c.idempotency_key == key)).one_or_none()
    if row is None:
        return None
    if row.body_hash != digest:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was used for job {row.id} with a different request"
        )
    return _job(row)


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        state=row.state,
        params=row.params,
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        progress_unit=row.progress_unit,
        attempts=row.attempts,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        errors=list(row.errors),
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
