"""Bulk ingest through the job ledger: records/s on SQLite and PostgreSQL, and how long a job
whose worker was killed takes to be recovered.

    python -m benchmarks.ingest [--records 50000] [--repeats 3] [--lease 2]
                                [--backends sqlite,postgresql]

**Throughput**: ``linker.synth.generate_people(N, seed=42)`` written once as CSV; each repeat
starts from an empty database (a new SQLite file; a new PostgreSQL schema), creates the source,
queues an ``ingest`` job (no linkage run after it) and runs a worker in this process until the
job is done. Timed from queueing to done: hashing and reading the file, and every chunk's
transaction (1,000 rows, the default). Median of the repeats.

**Recovery** (one run per backend): two ``linker worker --lease L`` processes wait for jobs;
the same ingest is queued and the worker holding it is killed with SIGKILL once a few chunks
are written. Reported: seconds from the kill until the other worker has claimed the job again
(the lease has to run out first, then its next poll, every second) and until the job is done,
and the job's attempts (2).

PostgreSQL comes from ``LINKER_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from linker.ingest import ensure_source, ingest_file, ingest_summary
from linker.store import Store
from linker.synth import generate_people
from linker.worker import Worker

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "LINKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, migrated database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        path = directory / f"ingest-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        _upgrade(url)
        yield url
        for leftover in directory.glob(f"{path.name}*"):
            leftover.unlink()
        return
    schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(POSTGRES_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        _upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _upgrade(url: str) -> None:
    store = Store.open(url, check=False)
    store.upgrade()
    with store.unit_of_work() as uow:
        ensure_source(uow, "bench", agency="bench-agency", entity_type="person")
    store.close()


def ingest_seconds(url: str, path: Path) -> float:
    """Seconds from queueing the ingest of ``path`` to its job being done."""
    store = Store.open(url)
    try:
        start = time.perf_counter()
        job = ingest_file(store, "bench", path, link=False).job
        worker = Worker(store, poll_seconds=0.01)
        while worker.run_once() is not None:
            pass
        seconds = time.perf_counter() - start
        with store.read() as reader:
            state = reader.job(job.id).state
            summary = ingest_summary(reader.job_results(job.id))
        if state != "done" or summary.inserted != summary.rows:
            raise RuntimeError(f"ingest ended {state}: {summary}")
        return seconds
    finally:
        store.close()


def recovery(url: str, path: Path, lease: float) -> dict[str, float]:
    """Two ``linker worker`` processes; the one running the ingest is killed mid-job; seconds
    until the other claims the job (its lease has to run out first) and finishes it."""
    store = Store.open(url)
    environment = {**os.environ, "LINKER_DATABASE_URL": url}
    command = [sys.executable, "-m", "linker", "worker", "--lease", str(lease)]
    processes = {}
    try:
        for _ in range(2):
            process = subprocess.Popen(
                command, cwd=REPO, env=environment, stderr=subprocess.PIPE, text=True
            )
            assert process.stderr is not None
            while "waiting for jobs" not in process.stderr.readline():
                pass
            processes[process.pid] = process
        job = ingest_file(store, "bench", path, link=False).job
        while True:
            with store.read() as reader:
                current = reader.job(job.id)
                if current.lease_owner and len(reader.job_results(job.id)) >= 4:
                    break
            time.sleep(0.02)
        victim = processes.pop(int(str(current.lease_owner).split(":")[1]))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed = time.perf_counter()
        claimed = None
        while current.state not in ("done", "failed"):
            time.sleep(0.02)
            with store.read() as reader:
                current = reader.job(job.id)
            if claimed is None and current.attempts == 2:
                claimed = time.perf_counter() - killed
        done = time.perf_counter() - killed
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        store.close()
    if current.state != "done":
        raise RuntimeError(f"the recovered job ended {current.state}: {current.errors[-1:]}")
    return {
        "claimed_again_s": round(claimed or 0.0, 2),
        "done_s": round(done, 2),
        "attempts": current.attempts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        directory = Path(folder)
        path = directory / "people.csv"
        records, _truth = generate_people(args.records, seed=42)
        records.to_csv(path, index=False)
        print(f"{args.records} records of generate_people({args.records}, seed=42): {path}")
        for backend in args.backends.split(","):
            runs = []
            for _ in range(args.repeats):
                with empty_database(backend, directory) as url:
                    runs.append(ingest_seconds(url, path))
            median = statistics.median(runs)
            print(
                f"{backend}: ingest {args.records / median:,.0f} records/s "
                f"(median of {args.repeats}: {median:.2f} s; runs "
                + ", ".join(f"{s:.2f}" for s in runs)
                + ")"
            )
            with empty_database(backend, directory) as url:
                found = recovery(url, path, args.lease)
            print(
                f"{backend}: killed worker, lease {args.lease:g} s: claimed again after "
                f"{found['claimed_again_s']} s, job done {found['done_s']} s after the kill, "
                f"attempts {found['attempts']:g}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
