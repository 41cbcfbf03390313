"""A worker in its own process, for the tests that kill one (``tests/test_worker.py``).

``python -m tests.worker_child URL LEASE PAUSE [JOB_ID]``: a worker on the store at ``URL``
whose ``ingest`` handler sleeps ``PAUSE`` seconds after each chunk it writes (a test-only
handler, registered through the kind table), so that a test can kill it between chunks. It
runs until ``JOB_ID`` is done or failed, or, without one, until SIGTERM/SIGINT. It prints each
chunk it wrote (``chunk N``), so the test knows when to strike.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from linker.ingest import INGEST, run_ingest
from linker.store import Store
from linker.worker import JobContext, Worker, stop_on_signals


def main(argv: list[str]) -> int:
    url, lease, pause = argv[0], float(argv[1]), float(argv[2])
    job_id = argv[3] if len(argv) > 3 else None
    store = Store.open(url)

    def slow_ingest(context: JobContext) -> None:
        write = context.write_chunk

        def write_slowly(chunk: int, *args: Any, **options: Any) -> Any:
            payload = write(chunk, *args, **options)
            print(f"chunk {chunk}", flush=True)
            time.sleep(pause)
            return payload

        context.write_chunk = write_slowly  # type: ignore[method-assign]
        run_ingest(context)

    stop = threading.Event()
    worker = Worker(
        store,
        lease_seconds=lease,
        handlers={INGEST: slow_ingest},
        stop=stop,
        poll_seconds=0.1,
        say=lambda message: print(message, flush=True),
    )

    def settled() -> bool:
        if job_id is None:
            return False
        with store.read() as reader:
            return reader.job(job_id).state in ("done", "failed")

    print("ready", flush=True)
    with stop_on_signals(stop):
        worker.run(until=settled)
    store.close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
