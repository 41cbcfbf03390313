"""The job worker and bulk ingest through the ledger, on SQLite and PostgreSQL.

A worker killed with SIGKILL mid-job leaves whole chunks; the job is claimed again once its
lease expires and finishes with the results of an uninterrupted run. SIGTERM hands the job back
between chunks. Rejected rows are reported with file, row and column, never their values.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from linker.errors import InputError
from linker.ingest import (
    INGEST,
    ensure_source,
    ingest_file,
    ingest_params,
    ingest_summary,
    run_ingest,
    submit_ingest,
)
from linker.linkage_jobs import LINKAGE_RUN
from linker.store import IdempotencyConflictError, Job, Store
from linker.worker import JobContext, Worker, start_workers
from tests.store.conftest import FakeClock, clock, engine_factory  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
LEASE = 2.0  # seconds: short, so that a dead worker's job is taken over quickly
BOUND = 60.0  # seconds any wait of these tests may take (CI is slow; never a timing assertion)

HEADER = "record_id,given_name,family_name,date_of_birth,city"


def _people(count: int) -> str:
    rows = [
        f"p{n:04d},Given{n % 37},Family{n % 101},{1 + n % 28:02d}/{1 + n % 12:02d}/19{50 + n % 50},"
        f"Town{n % 13}"
        for n in range(count)
    ]
    return "\n".join([HEADER, *rows]) + "\n"


@pytest.fixture
def live_store(engine_factory: Callable[[], Engine]) -> Store:  # noqa: F811
    """An upgraded, empty store on the real clock (leases expire in real time)."""
    store = Store(engine_factory())
    store.upgrade()
    with store.unit_of_work() as uow:
        for name in ("tax", "tax-ref"):
            ensure_source(uow, name, agency="tax-office", entity_type="person")
    return store


def _url(engine: Engine) -> str:
    """A URL another process opens the same database (PostgreSQL: the same schema) with."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _run_all(store: Store, **options: Any) -> Worker:
    worker = Worker(store, lease_seconds=30, poll_seconds=0.05, **options)
    while worker.run_once() is not None:
        pass
    return worker


def _job(store: Store, job_id: str) -> Job:
    with store.read() as reader:
        return reader.job(job_id)


def _results(store: Store, job_id: str) -> dict[int, Any]:
    with store.read() as reader:
        return reader.job_results(job_id)


def _hashes(store: Store, source: str) -> dict[str, str]:
    with store.read() as reader:
        return {r.record_id: r.content_hash for r in reader.records(source)}


def test_an_ingest_job_stores_the_valid_rows_and_reports_the_rejects(
    live_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    oversized = "x" * (128 * 1024 + 1)
    path.write_text(
        f"{HEADER}\n"
        "a1,Martha,Dupont,02/03/1970,Lyon\n"
        ",Nobody,Noid,01/01/1990,Paris\n"  # row 3: no id
        "a2,Jean,Martin,01/01/1980,Nice\n"
        "a3,Bob,Smith,03/04/1975,Metz\n"  # rows 5 and 6: one id twice
        "a3,Bob,Smyth,03/04/1975,Metz\n"
        f"a4,{oversized},Lee,01/01/1960,Caen\n"  # row 7: an oversized cell
        "a5,Ann,Lee,01/01/1961,Caen,extra\n",  # row 8: a cell too many, kept
        encoding="utf-8",
    )
    with live_store.unit_of_work() as uow:
        job = submit_ingest(uow, ingest_params("tax", file=path, chunk_rows=2, link=False)).job
    _run_all(live_store)
    done = _job(live_store, job.id)
    assert (done.state, done.attempts) == ("done", 1)
    assert (done.progress_done, done.progress_total) == (3, 3)
    assert sorted(_hashes(live_store, "tax")) == ["a1", "a2", "a5"]
    rejects = {(e["row"], e["column"]): e["reason"] for e in done.errors}
    assert set(rejects) == {
        (3, "record_id"),
        (5, "record_id"),
        (6, "record_id"),
        (7, "given_name"),
        (8, None),
    }
    assert "several rows (5, 6)" in rejects[(5, "record_id")]
    assert all(e["file"] == str(path) and e["title"] == "reject" for e in done.errors)
    assert "Smyth" not in json.dumps(done.errors) and "xxxx" not in json.dumps(done.errors)
    summary = ingest_summary(_results(live_store, job.id))
    assert (summary.rows, summary.rejects, summary.inserted, summary.unchanged) == (3, 5, 3, 0)


def test_json_lines_rejects_name_their_line(live_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        '{"record_id": "j1", "given_name": "Ann", "age": 40}\n'
        "\n"
        '{"record_id": "j2", "given_name": \n'  # line 3: broken JSON
        '["j3"]\n'  # line 4: not an object
        '{"given_name": "No id"}\n'  # line 5
        '{"record_id": 17, "given_name": "Numbered"}\n',
        encoding="utf-8",
    )
    job = ingest_file(live_store, "tax", path, link=False).job
    _run_all(live_store)
    done = _job(live_store, job.id)
    assert done.state == "done"
    assert [(e["row"], e["column"]) for e in done.errors] == [
        (3, None),
        (4, None),
        (5, "record_id"),
    ]
    with live_store.read() as reader:
        assert reader.record("tax", "j1").raw == {"record_id": "j1", "given_name": "Ann", "age": 40}
        assert reader.record("tax", "17").raw["given_name"] == "Numbered"


def test_the_same_file_twice_changes_nothing_the_second_time(
    live_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(_people(250), encoding="utf-8")
    first = ingest_file(live_store, "tax", path, chunk_rows=100, link=False).job
    _run_all(live_store)
    before = _hashes(live_store, "tax")
    with live_store.read() as reader:
        stamps = {r.record_id: r.updated_at for r in reader.records("tax")}
    second = ingest_file(live_store, "tax", path, chunk_rows=100, link=False).job
    _run_all(live_store)
    assert second.id != first.id
    summary = ingest_summary(_results(live_store, second.id))
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 250)
    assert ingest_summary(_results(live_store, first.id)).inserted == 250
    assert _hashes(live_store, "tax") == before
    with live_store.read() as reader:
        assert {r.record_id: r.updated_at for r in reader.records("tax")} == stamps
        assert all(r.version == 1 for r in reader.records("tax"))


def test_an_idempotency_key_gives_back_the_job_it_made(live_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(_people(10), encoding="utf-8")
    first = ingest_file(live_store, "tax", path, link=False, idempotency_key="upload-1")
    again = ingest_file(live_store, "tax", path, link=False, idempotency_key="upload-1")
    assert (first.created, again.created, again.job.id) == (True, False, first.job.id)
    path.write_text(_people(11), encoding="utf-8")  # the same key for another file's content
    with pytest.raises(IdempotencyConflictError, match="upload-1"):
        ingest_file(live_store, "tax", path, link=False, idempotency_key="upload-1")
    records = [{"record_id": "i1", "name": "Ann"}]
    with live_store.unit_of_work() as uow:
        inline = submit_ingest(uow, ingest_params("tax", records=records), idempotency_key="api-7")
    with live_store.unit_of_work() as uow:
        same = submit_ingest(uow, ingest_params("tax", records=records), idempotency_key="api-7")
    assert (same.created, same.job.id) == (False, inline.job.id)
    with live_store.read() as reader:
        assert len(reader.jobs()) == 2


def test_inline_records_are_a_self_contained_job(live_store: Store) -> None:
    records = [{"record_id": "i1", "name": "Ann"}, {"record_id": "i2", "name": "Bo"}, "junk"]
    with live_store.unit_of_work() as uow:
        params = ingest_params("tax", records=records, name="upload.json", link=False)
        job = submit_ingest(uow, params).job
    _run_all(live_store)
    done = _job(live_store, job.id)
    assert done.state == "done"
    assert [(e["file"], e["row"]) for e in done.errors] == [("upload.json", 3)]
    assert sorted(_hashes(live_store, "tax")) == ["i1", "i2"]


def test_an_ingest_queues_one_incremental_linkage_run(live_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(_people(5), encoding="utf-8")
    job = ingest_file(live_store, "tax", path).job
    _run_all(live_store, handlers={INGEST: run_ingest})  # the linkage run stays queued
    linkage_id = ingest_summary(_results(live_store, job.id)).linkage_job
    assert linkage_id is not None
    linkage = _job(live_store, linkage_id)
    assert (linkage.kind, linkage.state) == (LINKAGE_RUN, "queued")
    assert linkage.params == {"entity_type": "person", "full": False, "refit": False}
    assert linkage.idempotency_key == f"{job.id}/linkage"


def test_a_bad_file_fails_the_job_saying_where(live_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,given_name\nx1,Martha\n", encoding="utf-8")
    job = ingest_file(live_store, "tax", path, link=False).job
    changed = tmp_path / "changed.csv"
    changed.write_text(_people(3), encoding="utf-8")
    second = ingest_file(live_store, "tax", changed, link=False).job
    changed.write_text(_people(4), encoding="utf-8")
    _run_all(live_store)
    failed = _job(live_store, job.id)
    assert failed.state == "failed"
    (error,) = failed.errors
    assert error["title"] == "InputError"
    assert (error["file"], error["column"]) == (str(path), "record_id")
    assert "Martha" not in json.dumps(error)
    assert "changed since the job was submitted" in _job(live_store, second.id).errors[0]["detail"]
    assert _hashes(live_store, "tax") == {}


def test_a_new_source_needs_an_agency(live_store: Store) -> None:
    with live_store.unit_of_work() as uow, pytest.raises(InputError, match="agency"):
        ensure_source(uow, "customs")
    with live_store.unit_of_work() as uow:
        source, created = ensure_source(uow, "tax", date_order="DMY")
    assert (created, source.agency, source.date_order) == (False, "tax-office", "DMY")


def test_a_worker_that_lost_its_lease_writes_nothing(
    engine_factory: Callable[[], Engine],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    store = Store(engine_factory(), clock=clock)
    store.upgrade()
    with store.unit_of_work() as uow:
        job = uow.submit_job("count", {"chunks": 2}).job
    taken_over: list[str] = []

    def count(context: JobContext) -> None:
        context.write_chunk(1, lambda _uow: {"by": context.worker})
        clock.advance(31)  # this worker stalls past its lease; another one takes the job
        with store.unit_of_work() as uow:
            other = uow.claim_job("w2", 30)
        taken_over.append(other.id if other else "")
        context.write_chunk(2, lambda _uow: {"by": context.worker})

    outcome = Worker(store, name="w1", lease_seconds=30, handlers={"count": count}).run_once()
    assert outcome is not None and outcome.state == "lost"
    assert taken_over == [job.id]
    assert _results(store, job.id) == {1: {"by": "w1"}}
    after = _job(store, job.id)
    assert (after.state, after.lease_owner, after.attempts) == ("running", "w2", 2)


def test_two_worker_threads_never_run_the_same_job(live_store: Store) -> None:
    with live_store.unit_of_work() as uow:
        ids = {uow.submit_job("mark", {"n": n}).job.id for n in range(12)}
    runs: list[tuple[str, str]] = []
    lock = threading.Lock()

    def mark(context: JobContext) -> None:
        with lock:
            runs.append((context.job.id, context.worker))
        time.sleep(0.05)
        context.write_chunk(0, lambda _uow: {"worker": context.worker})

    pool = start_workers(live_store, 2, lease_seconds=30, handlers={"mark": mark})
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        with live_store.read() as reader:
            if all(reader.job(job_id).state == "done" for job_id in ids):
                break
        time.sleep(0.1)
    pool.stop(timeout=BOUND)
    assert not any(thread.is_alive() for thread in pool.threads)
    assert sorted(job_id for job_id, _ in runs) == sorted(ids)  # each exactly once
    workers = {worker.name for worker in pool.workers}
    with live_store.read() as reader:
        assert all(reader.job(job_id).state == "done" for job_id in ids)
        assert all(reader.job_results(job_id)[0]["worker"] in workers for job_id in ids)


class _Child:
    """A worker process (``tests/worker_child.py``) and the lines it prints."""

    def __init__(self, url: str, pause: float, job_id: str | None = None) -> None:
        command = [sys.executable, "-m", "tests.worker_child", url, str(LEASE), str(pause)]
        self.process = subprocess.Popen(
            command + ([job_id] if job_id else []),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, wanted: Callable[[str], bool]) -> None:
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if wanted(line):
                return
        raise AssertionError(f"the worker never printed what was awaited: {self.seen[-20:]}")

    def finish(self) -> int:
        code = self.process.wait(timeout=BOUND)
        self._reader.join(timeout=BOUND)
        assert self.process.stdout is not None
        self.process.stdout.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code


def _chunk_at_least(number: int) -> Callable[[str], bool]:
    return lambda line: line.startswith("chunk ") and int(line.split()[1]) >= number


def _reference(store: Store, path: Path) -> dict[int, Any]:
    """The results of an uninterrupted ingest of ``path`` (into the reference source)."""
    job = ingest_file(store, "tax-ref", path, chunk_rows=20, link=False).job
    _run_all(store)
    return _results(store, job.id)


def test_a_job_whose_worker_was_killed_finishes_after_its_lease_with_the_same_results(
    live_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(_people(400), encoding="utf-8")
    job = ingest_file(live_store, "tax", path, chunk_rows=20, link=False).job
    url = _url(live_store.engine)
    doomed = _Child(url, pause=0.25)
    doomed.wait_for(_chunk_at_least(3))
    doomed.process.send_signal(signal.SIGKILL)
    assert doomed.finish() == -signal.SIGKILL
    killed = _job(live_store, job.id)
    written = _results(live_store, job.id)
    assert (killed.state, killed.attempts) == ("running", 1)
    assert 3 <= max(written) < 21
    # Whole chunks only: the records stored are those of the chunks recorded as written.
    assert len(_hashes(live_store, "tax")) == ingest_summary(written).inserted

    rescuer = _Child(url, pause=0.0, job_id=job.id)
    assert rescuer.finish() == 0, rescuer.seen
    done = _job(live_store, job.id)
    assert (done.state, done.attempts) == ("done", 2)
    assert _results(live_store, job.id) == _reference(live_store, path)
    assert _hashes(live_store, "tax") == _hashes(live_store, "tax-ref")
    assert ingest_summary(_results(live_store, job.id)).inserted == 400


def test_sigterm_hands_the_job_back_after_the_current_chunk(
    live_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(_people(400), encoding="utf-8")
    job = ingest_file(live_store, "tax", path, chunk_rows=20, link=False).job
    child = _Child(_url(live_store.engine), pause=0.25)
    child.wait_for(_chunk_at_least(2))
    child.process.send_signal(signal.SIGTERM)
    assert child.finish() == 0, child.seen
    assert child.seen[-1] == "stopped"
    released = _job(live_store, job.id)
    assert (released.state, released.lease_owner, released.attempts) == ("queued", None, 0)
    written = _results(live_store, job.id)
    assert 2 <= max(written) < 21
    assert len(_hashes(live_store, "tax")) == ingest_summary(written).inserted
    _run_all(live_store)  # another worker goes on from the chunks written
    done = _job(live_store, job.id)
    assert (done.state, done.attempts) == ("done", 1)
    assert _results(live_store, job.id) == _reference(live_store, path)


def test_the_ingest_command_creates_the_source_and_reports_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linker import cli

    monkeypatch.setenv("LINKER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli.main(["db", "upgrade"]) == 0
    path = tmp_path / "people.csv"
    path.write_text(_people(30) + ",No,Id,01/01/1990,Paris\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["ingest", "tax", str(path), "--no-link"]) == 2
    assert "its agency is needed to create it (option --agency)" in capsys.readouterr().err
    command = ["ingest", "tax", str(path), "--agency", "tax-office", "--no-link", "--quiet"]
    assert cli.main(command) == 0
    out = capsys.readouterr().out
    assert "ingested 30 records" in out and "30 new, 0 changed, 0 unchanged; 1 rejected" in out
    assert "row 32, column record_id" in out
    assert cli.main(command) == 0
    assert "0 new, 0 changed, 30 unchanged" in capsys.readouterr().out
    assert cli.main(["ingest", "tax", str(path), "--no-link", "--no-wait"]) == 0
    assert "queued job job_" in capsys.readouterr().out
    assert cli.main(["worker", "--once", "--quiet"]) == 0
    assert cli.main(["worker", "--once"]) == 0
    assert "no job waiting" in capsys.readouterr().err


def test_an_ingest_ends_with_a_linkage_run_that_a_second_ingest_leaves_unchanged(
    live_store: Store, tmp_path: Path
) -> None:
    from linker.synth import generate_people

    path = tmp_path / "people.csv"
    generate_people(200, seed=5)[0].to_csv(path, index=False)
    first = ingest_file(live_store, "tax", path).job
    _run_all(live_store)
    linkage_id = ingest_summary(_results(live_store, first.id)).linkage_job
    assert linkage_id is not None
    assert _job(live_store, linkage_id).state == "done"
    with live_store.read() as reader:
        refs = [("tax", record.record_id) for record in reader.records("tax")]
        identities = reader.identities_of_records(refs)
        last_seq = reader.last_event_seq()
    assert len(refs) == 200 and len(identities) == 200
    second = ingest_file(live_store, "tax", path).job
    _run_all(live_store)
    again = ingest_summary(_results(live_store, second.id))
    assert again.unchanged == 200 and again.linkage_job not in (None, linkage_id)
    assert _job(live_store, str(again.linkage_job)).state == "done"
    with live_store.read() as reader:
        assert reader.last_event_seq() == last_seq  # nothing changed: no event
        assert reader.identities_of_records(refs) == identities


def test_an_unexpected_error_is_recorded_without_its_message(live_store: Store) -> None:
    with live_store.unit_of_work() as uow:
        job = uow.submit_job("explode", {}).job

    def explode(context: JobContext) -> None:
        raise KeyError("Martha Dupont")  # a message that may quote data

    outcome = Worker(live_store, handlers={"explode": explode}).run_once()
    assert outcome is not None and outcome.state == "failed"
    failed = _job(live_store, job.id)
    (error,) = failed.errors
    assert error["title"] == "internal error"
    assert error["detail"].startswith("KeyError at ") and "test_worker.py" in error["detail"]
    assert "Martha" not in json.dumps(failed.errors)
