"""The job ledger: claims are exclusive, leases expire, results are written once per chunk."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from linker.store import IdempotencyConflictError, Job, LeaseLostError, Store

from .conftest import FakeClock

LEASE = 30.0


def _submit(store: Store, count: int, kind: str = "ingest") -> list[str]:
    with store.unit_of_work() as uow:
        return [
            uow.submit_job(kind, {"file": f"part-{i}.csv"}, progress_total=100).job.id
            for i in range(count)
        ]


def _claim(store: Store, worker: str, **options: object) -> Job | None:
    with store.unit_of_work() as uow:
        return uow.claim_job(worker, LEASE, **options)  # type: ignore[arg-type]


def test_jobs_are_claimed_oldest_first_and_only_once(store: Store, clock: FakeClock) -> None:
    ids = []
    for _ in range(3):
        ids += _submit(store, 1)
        clock.advance(1)
    claimed = [_claim(store, "w1"), _claim(store, "w2"), _claim(store, "w1"), _claim(store, "w2")]
    assert [job.id if job else None for job in claimed] == [*ids, None]
    first = claimed[0]
    assert first is not None
    assert (first.state, first.attempts, first.lease_owner) == ("running", 1, "w1")
    assert first.lease_expires_at is not None
    assert (first.lease_expires_at - clock.now).total_seconds() == LEASE


def test_two_workers_racing_never_claim_one_job(
    engine_factory: Callable[[], Engine], clock: FakeClock
) -> None:
    store = Store(engine_factory(), clock=clock)
    store.upgrade()
    ids = set(_submit(store, 30))
    workers = {name: Store(engine_factory(), clock=clock) for name in ("w1", "w2")}
    start = threading.Barrier(len(workers))
    claimed: dict[str, list[str]] = {name: [] for name in workers}
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while (job := _claim(workers[name], name)) is not None:
                claimed[name].append(job.id)
        except BaseException as exc:  # reported below: a thread's error is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert set(claimed["w1"]).isdisjoint(claimed["w2"])
    assert set(claimed["w1"]) | set(claimed["w2"]) == ids
    assert len(claimed["w1"]) + len(claimed["w2"]) == len(ids)


def test_a_claim_in_flight_is_invisible_to_another_worker(
    engine_factory: Callable[[], Engine], clock: FakeClock
) -> None:
    first = Store(engine_factory(), clock=clock)
    first.upgrade()
    second = Store(engine_factory(), clock=clock)
    _submit(first, 1)
    seen: list[Job | None] = []
    with first.unit_of_work() as uow:
        assert uow.claim_job("w1", LEASE) is not None
        # w2 claims while w1's transaction is open: PostgreSQL skips the locked row, SQLite
        # waits for w1's write lock; either way w2 must not get the job.
        rival = threading.Thread(target=lambda: seen.append(_claim(second, "w2")))
        rival.start()
        rival.join(timeout=1)
    rival.join(timeout=60)
    assert seen == [None]


def test_an_expired_lease_is_claimed_again_with_one_more_attempt(
    store: Store, clock: FakeClock
) -> None:
    [job_id] = _submit(store, 1)
    assert _claim(store, "w1") is not None
    clock.advance(LEASE - 1)
    assert _claim(store, "w2") is None  # the lease still holds
    clock.advance(2)
    again = _claim(store, "w2")
    assert again is not None and again.id == job_id
    assert (again.attempts, again.lease_owner) == (2, "w2")
    # w1 was only slow: it may no longer touch the job.
    with (
        pytest.raises(LeaseLostError, match="not held by worker 'w1'"),
        store.unit_of_work() as uow,
    ):
        uow.heartbeat(job_id, "w1", LEASE)
    with pytest.raises(LeaseLostError), store.unit_of_work() as uow:
        uow.write_result(job_id, "w1", 0, {"stale": True})
    with store.read() as reader:
        assert reader.job_results(job_id) == {}


def test_a_heartbeat_keeps_the_lease_and_records_progress(store: Store, clock: FakeClock) -> None:
    [job_id] = _submit(store, 1)
    _claim(store, "w1")
    for done in (10, 20, 30):
        clock.advance(LEASE - 5)
        with store.unit_of_work() as uow:
            uow.heartbeat(job_id, "w1", LEASE, done=done)
    assert _claim(store, "w2") is None
    with store.read() as reader:
        job = reader.job(job_id)
    assert (job.progress_done, job.progress_total, job.progress_unit) == (30, 100, "records")


def test_a_job_that_loses_every_worker_fails(store: Store, clock: FakeClock) -> None:
    [job_id] = _submit(store, 1)
    for attempt in range(1, 4):
        job = _claim(store, f"w{attempt}", max_attempts=3)
        assert job is not None and job.attempts == attempt
        clock.advance(LEASE + 1)
    assert _claim(store, "w4", max_attempts=3) is None
    with store.read() as reader:
        failed = reader.job(job_id)
    assert failed.state == "failed" and failed.lease_owner is None
    assert failed.errors[-1]["title"] == "worker lost" and failed.errors[-1]["attempt"] == 3


def test_chunk_results_are_written_once_per_chunk(store: Store, clock: FakeClock) -> None:
    [job_id] = _submit(store, 1)
    _claim(store, "w1")
    with store.unit_of_work() as uow:
        uow.write_result(job_id, "w1", 0, {"inserted": 500})
        uow.write_result(job_id, "w1", 1, {"inserted": 250})
    clock.advance(LEASE + 1)  # w1 died; w2 redoes the job from the start
    _claim(store, "w2")
    with store.unit_of_work() as uow:
        uow.write_result(job_id, "w2", 0, {"inserted": 500})
        uow.write_result(job_id, "w2", 0, {"inserted": 500})
        uow.write_result(job_id, "w2", 1, {"inserted": 250})
        finished = uow.finish_job(job_id, "w2")
    with store.read() as reader:
        assert reader.job_results(job_id) == {0: {"inserted": 500}, 1: {"inserted": 250}}
    assert (finished.state, finished.progress_done, finished.lease_owner) == ("done", 100, None)
    with pytest.raises(LeaseLostError, match="state done"), store.unit_of_work() as uow:
        uow.write_result(job_id, "w2", 2, {})


def test_a_failed_job_keeps_its_error(store: Store) -> None:
    [job_id] = _submit(store, 1)
    _claim(store, "w1")
    with store.unit_of_work() as uow:
        failed = uow.fail_job(job_id, "w1", {"title": "unreadable file", "detail": "row 3"})
    assert failed.state == "failed"
    assert failed.errors == [{"title": "unreadable file", "detail": "row 3", "attempt": 1}]
    assert _claim(store, "w2") is None


def test_an_idempotency_key_returns_the_same_job(store: Store) -> None:
    with store.unit_of_work() as uow:
        first = uow.submit_job("ingest", {"file": "a.csv"}, idempotency_key="k1")
        again = uow.submit_job("ingest", {"file": "a.csv"}, idempotency_key="k1")
        other = uow.submit_job("ingest", {"file": "a.csv"}, idempotency_key="k2")
    assert first.created and not again.created and other.created
    assert again.job.id == first.job.id != other.job.id
    with (
        pytest.raises(IdempotencyConflictError, match="'k1' was used for job"),
        store.unit_of_work() as uow,
    ):
        uow.submit_job("ingest", {"file": "b.csv"}, idempotency_key="k1")
    with store.read() as reader:
        assert len(reader.jobs()) == 2


def test_claims_can_be_limited_to_kinds(store: Store) -> None:
    _submit(store, 1, kind="ingest")
    [resolve] = _submit(store, 1, kind="resolve")
    job = _claim(store, "w1", kinds=("resolve",))
    assert job is not None and job.id == resolve
