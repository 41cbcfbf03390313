"""The job worker: takes jobs from the ledger, runs them, and leaves nothing lost if it dies.

The ledger in the database (``linker.store.jobs``) holds the only copy of every job. A worker
claims the oldest job it has a handler for, with a lease, and a background thread extends the
lease while the handler works. A handler does its work in chunks; each chunk is one unit of
work holding both the chunk's writes and its result (``JobContext.write_chunk``), so a crash
leaves a chunk wholly done or not at all. A worker killed mid-job stops extending its lease;
once the lease has expired another worker claims the job again (``attempts`` + 1), skips the
chunks already written and finishes with the results an uninterrupted run would have given.

Stopping: ``stop`` (an event, set by SIGTERM/SIGINT through ``stop_on_signals`` or by the
caller) is checked between chunks; the worker then hands the job back to the queue
(``release_job``) with every finished chunk kept. A job that is one long step (a linkage run)
ends that step first. A second signal ends the process at once; the lease expiry recovers.

Errors are written into the job without personal data: a library error's message (it names
the file, row and column, never a payload), and for anything else only the exception's type
and the line of code that raised it.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from linker.errors import InputError, LeaseLostError, LinkerError, StoreError
from linker.store import Job, Store, UnitOfWork
from linker.store.jobs import DEFAULT_MAX_ATTEMPTS

DEFAULT_LEASE_SECONDS = 30.0
POLL_SECONDS = 1.0  # how often an idle worker looks for a job

Say = Callable[[str], None]
# A progress observer: the job, rows done, rows in all (None while unknown).
Observer = Callable[[Job, int, int | None], None]


class JobStopped(Exception):
    """Raised inside a handler at a checkpoint once the worker was asked to stop."""


def _quiet(_message: str) -> None:
    pass


class JobContext:
    """What a handler sees of its job: its params, the chunks done, and how to write one."""

    def __init__(
        self,
        store: Store,
        job: Job,
        worker: str,
        lease_seconds: float,
        *,
        stop: threading.Event,
        lost: threading.Event,
        say: Say = _quiet,
        observe: Observer | None = None,
    ) -> None:
        self.store = store
        self.job = job
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.say = say
        self._stop = stop
        self._lost = lost
        self._observe = observe

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def results(self) -> dict[int, Any]:
        """The chunk results already written, by this attempt or an earlier one."""
        with self.store.read() as reader:
            return reader.job_results(self.job.id)

    def checkpoint(self) -> None:
        """Between chunks: unwind if the worker lost the job or was asked to stop."""
        if self._lost.is_set():
            raise LeaseLostError(f"job {self.job.id!r}: the lease was lost")
        if self._stop.is_set():
            raise JobStopped(self.job.id)

    def write_chunk(
        self,
        chunk: int,
        work: Callable[[UnitOfWork], Any],
        *,
        done: int | None = None,
        total: int | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> Any:
        """Run ``work`` and record its return value as chunk ``chunk``, in one transaction.

        The lease is checked first (and extended, with the progress ``done``/``total``), so a
        worker that lost the job writes nothing; ``errors`` (e.g. rejected rows) are appended
        to the job in the same transaction, so a redo that skips this chunk does not repeat
        them.
        """
        if self._lost.is_set():
            raise LeaseLostError(f"job {self.job.id!r}: the lease was lost")
        with self.store.unit_of_work() as uow:
            # The job row first: on PostgreSQL its lock is then always taken before any other.
            job = uow.heartbeat(
                self.job.id, self.worker, self.lease_seconds, done=done, total=total
            )
            payload = work(uow)
            if errors:
                uow.add_job_errors(self.job.id, self.worker, errors)
            uow.write_result(self.job.id, self.worker, chunk, payload)
        if self._observe is not None:
            self._observe(job, job.progress_done, job.progress_total)
        return payload


Handler = Callable[[JobContext], None]


def default_handlers() -> dict[str, Handler]:
    """The kinds of job a worker runs, by name: the table a new kind is added to."""
    # Imported here: the handlers' modules import this one (for JobContext).
    from linker.ingest import INGEST, run_ingest
    from linker.linkage_jobs import LINKAGE_RUN, run_linkage_job
    from linker.screening import SCREENING, run_screening_job

    return {INGEST: run_ingest, LINKAGE_RUN: run_linkage_job, SCREENING: run_screening_job}


@dataclass(frozen=True)
class Outcome:
    """How a worker left a job: done, failed, released (handed back on stop), lost (another
    worker holds it) or abandoned (the database failed: retried once the lease expires)."""

    job_id: str
    kind: str
    state: str
    detail: str = ""


def worker_name() -> str:
    """A name unique to this worker: host, process and a random part (threads share a pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Claims jobs it has a handler for and runs them, one at a time, until ``stop`` is set."""

    def __init__(
        self,
        store: Store,
        *,
        name: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        handlers: Mapping[str, Handler] | None = None,
        stop: threading.Event | None = None,
        say: Say = _quiet,
        observe: Observer | None = None,
        poll_seconds: float = POLL_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if lease_seconds <= 0:
            raise InputError(f"a lease must last more than 0 seconds, got {lease_seconds}")
        self.store = store
        self.name = name or worker_name()
        self.lease_seconds = lease_seconds
        self.handlers = dict(default_handlers() if handlers is None else handlers)
        self.stop = stop or threading.Event()
        self.say = say
        self.observe = observe
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts

    def run_once(self) -> Outcome | None:
        """Claim one job and run it; None when no job is waiting."""
        with self.store.unit_of_work() as uow:
            job = uow.claim_job(
                self.name,
                self.lease_seconds,
                kinds=tuple(sorted(self.handlers)),
                max_attempts=self.max_attempts,
            )
        if job is None:
            return None
        return self._run(job)

    def run(self, until: Callable[[], bool] | None = None) -> list[Outcome]:
        """Run jobs until ``stop`` is set (or ``until()`` is true, checked between jobs)."""
        outcomes: list[Outcome] = []
        while not self.stop.is_set() and not (until is not None and until()):
            try:
                outcome = self.run_once()
            except StoreError as exc:  # the database is away: say so, try again later
                self.say(f"worker {self.name}: {exc}")
                outcome = None
            if outcome is None:
                self.stop.wait(self.poll_seconds)
            else:
                outcomes.append(outcome)
        return outcomes

    def _run(self, job: Job) -> Outcome:
        lost = threading.Event()
        context = JobContext(
            self.store,
            job,
            self.name,
            self.lease_seconds,
            stop=self.stop,
            lost=lost,
            say=self.say,
            observe=self.observe,
        )
        self.say(f"job {job.id} ({job.kind}): started, attempt {job.attempts}")
        keeper = _LeaseKeeper(self.store, job.id, self.name, self.lease_seconds, lost, self.say)
        try:
            with keeper:
                self.handlers[job.kind](context)
        except JobStopped:
            return self._settle(job, "released", lambda uow: uow.release_job(job.id, self.name))
        except LeaseLostError as exc:
            self.say(f"job {job.id} ({job.kind}): given up, {exc}")
            return Outcome(job.id, job.kind, "lost", str(exc))
        except StoreError as exc:
            if type(exc) is not StoreError:  # NotFoundError, IdempotencyConflictError: final
                return self._fail(job, _library_error(exc), str(exc))
            # The database failed under the job: leave the lease to expire, so that the job is
            # tried again (up to max_attempts) once the database is back.
            self.say(f"job {job.id} ({job.kind}): left for a retry, {exc}")
            return Outcome(job.id, job.kind, "abandoned", str(exc))
        except LinkerError as exc:
            return self._fail(job, _library_error(exc), str(exc))
        except Exception as exc:
            error = _unexpected_error(exc)
            self.say(f"job {job.id} ({job.kind}): internal error\n{traceback.format_exc()}")
            return self._fail(job, error, error["detail"])
        return self._settle(job, "done", lambda uow: uow.finish_job(job.id, self.name))

    def _fail(self, job: Job, error: dict[str, Any], detail: str) -> Outcome:
        return self._settle(
            job, "failed", lambda uow: uow.fail_job(job.id, self.name, error), detail
        )

    def _settle(
        self, job: Job, state: str, write: Callable[[UnitOfWork], Job], detail: str = ""
    ) -> Outcome:
        try:
            with self.store.unit_of_work() as uow:
                write(uow)
        except LeaseLostError as exc:
            self.say(f"job {job.id} ({job.kind}): could not be marked {state}, {exc}")
            return Outcome(job.id, job.kind, "lost", str(exc))
        self.say(f"job {job.id} ({job.kind}): {state}" + (f": {detail}" if detail else ""))
        return Outcome(job.id, job.kind, state, detail)


class _LeaseKeeper:
    """Extends a job's lease every third of the lease while the handler works.

    On ``LeaseLostError`` it sets ``lost`` and ends: the handler's next write or checkpoint
    fails. A database that is briefly away is retried at the next beat.
    """

    def __init__(
        self, store: Store, job_id: str, worker: str, lease: float, lost: threading.Event, say: Say
    ) -> None:
        self._store, self._job_id, self._worker, self._lease = store, job_id, worker, lease
        self._lost, self._say = lost, say
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{job_id}", daemon=True)

    def _beat(self) -> None:
        while not self._done.wait(self._lease / 3):
            try:
                with self._store.unit_of_work() as uow:
                    uow.heartbeat(self._job_id, self._worker, self._lease)
            except LeaseLostError:
                self._lost.set()
                return
            except StoreError as exc:
                self._say(f"job {self._job_id}: lease not extended ({exc}); retrying")

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _library_error(exc: LinkerError) -> dict[str, Any]:
    """A library error for the job's errors: its message names where, never a payload."""
    error: dict[str, Any] = {"title": type(exc).__name__, "detail": str(exc)}
    if isinstance(exc, InputError):
        error.update(
            {key: value for key in ("file", "row", "column") if (value := getattr(exc, key))}
        )
    return error


def _unexpected_error(exc: Exception) -> dict[str, Any]:
    """An unexpected error: its type and where it was raised, not its message (which may quote
    data); the worker's log has the traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return {
        "title": "internal error",
        "detail": f"{type(exc).__name__} at {where}" if where else type(exc).__name__,
    }


@dataclass
class WorkerPool:
    """Worker threads sharing one stop event (the embedded workers of ``linker serve``)."""

    workers: list[Worker]
    threads: list[threading.Thread]
    stop_event: threading.Event

    def stop(self, timeout: float | None = None) -> None:
        """Ask every worker to stop after its current chunk and wait for the threads."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)


def start_workers(
    store: Store,
    count: int,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    handlers: Mapping[str, Handler] | None = None,
    stop: threading.Event | None = None,
    say: Say = _quiet,
) -> WorkerPool:
    """Start ``count`` worker threads on ``store``; ``WorkerPool.stop`` ends them."""
    if count < 1:
        raise InputError(f"the number of workers must be at least 1, got {count}")
    stop = stop or threading.Event()
    workers = [
        Worker(store, lease_seconds=lease_seconds, handlers=handlers, stop=stop, say=say)
        for _ in range(count)
    ]
    threads = [
        threading.Thread(target=worker.run, name=f"linker-worker-{n}", daemon=True)
        for n, worker in enumerate(workers, start=1)
    ]
    for thread in threads:
        thread.start()
    return WorkerPool(workers, threads, stop)


@contextmanager
def stop_on_signals(stop: threading.Event, say: Say = _quiet) -> Iterator[None]:
    """SIGTERM or SIGINT sets ``stop`` (the job is handed back after its current chunk); a
    second one ends the process at once (the job's lease expires and another worker takes it).

    Only the main thread can install signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    watched = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.getsignal(number) for number in watched}

    def handle(number: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        stop.set()
        say(f"{signal.Signals(number).name}: stopping after the current chunk (again to quit now)")

    for number in watched:
        signal.signal(number, handle)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "Handler",
    "JobContext",
    "JobStopped",
    "Outcome",
    "Worker",
    "WorkerPool",
    "default_handlers",
    "start_workers",
    "stop_on_signals",
    "worker_name",
]
