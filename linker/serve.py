"""``linker serve``: the API on Werkzeug's development server, with job workers beside it.

On the embedded database (SQLite) the service is one process: ``serve`` starts job worker
threads (``linker.worker.start_workers``, one by default) so that uploads, linkage runs and
screening jobs run without a ``linker worker`` of their own; on PostgreSQL it starts none by
default (production runs ``linker worker`` processes and the app under a WSGI server). The
default SQLite file (no ``LINKER_DATABASE_URL``) is upgraded to the latest schema on start,
so a fresh machine serves at once; any other database is left as it is (``linker db
upgrade``) and ``/readyz`` says when it is behind.

``exit_when_ready`` is the smoke test of ``make run RUN_ONCE=1``: the server stops after the
first ``/readyz`` that answers 200 over HTTP (exit 0), or after ``READY_TIMEOUT`` seconds
without one (exit 1).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["READY_TIMEOUT", "serve"]

Say = Callable[[str], None]
READY_TIMEOUT = 120.0  # seconds ``exit_when_ready`` waits for a ready answer
POLL_SECONDS = 0.2
STOP_SECONDS = 10.0  # how long Ctrl-C waits for a worker to finish its chunk


def serve(
    host: str,
    port: int,
    *,
    workers: int | None = None,
    exit_when_ready: bool = False,
    say: Say = print,
) -> int:
    """Serve the API until Ctrl-C or SIGTERM; returns the exit status (2: cannot listen)."""
    # Imported here: the file-to-file commands never load Flask or SQLAlchemy.
    from werkzeug.serving import make_server

    from api import create_app
    from linker.store import DATABASE_URL_VARIABLE, Store, database_url
    from linker.worker import start_workers

    embedded = database_url().get_backend_name() == "sqlite"
    store = Store.open(check=False)
    try:
        if embedded and not os.environ.get(DATABASE_URL_VARIABLE, "").strip():
            say(f"database {store.url}: schema at revision {store.upgrade()} (latest)")
        count = (1 if embedded else 0) if workers is None else workers
        app = create_app(store=store)
        try:
            server = make_server(host, port, app, threaded=True)
        except SystemExit as exc:  # Werkzeug said why it cannot listen (port taken, no address)
            return 2 if exc.code else 0
        pool = start_workers(store, count, say=say) if count else None
        address = f"http://{f'[{host}]' if ':' in host else host}:{server.port}"
        print(
            f"serving {address} on {store.url} with {count} job worker thread(s); Ctrl-C stops",
            flush=True,
        )
        ready: list[dict[str, Any]] = []
        if exit_when_ready:
            threading.Thread(
                target=_stop_when_ready,
                args=(server, address, ready, say),
                name="linker-ready-probe",
                daemon=True,
            ).start()
        restore = _sigterm_interrupts()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            say("stopping: the job workers finish their chunk")
        finally:
            restore()
            server.server_close()
            if pool is not None:
                pool.stop(timeout=STOP_SECONDS)
        if exit_when_ready:
            return 0 if ready else 1
        return 0
    finally:
        store.close()


def _stop_when_ready(server: Any, address: str, ready: list[dict[str, Any]], say: Say) -> None:
    """Ask ``/readyz`` over HTTP until it answers 200 (kept in ``ready``), then stop."""
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{address}/readyz", timeout=5) as response:
                ready.append(json.load(response))
            say(f"{address}/readyz: {json.dumps(ready[0])}; exiting as asked")
            break
        except urllib.error.HTTPError as exc:
            last = f"{exc.code}"
            exc.close()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(POLL_SECONDS)
    else:
        say(f"{address}/readyz was not ready within {READY_TIMEOUT:g} s (last: {last})")
    server.shutdown()


def _sigterm_interrupts() -> Callable[[], None]:
    """SIGTERM stops the server as Ctrl-C does (the workers hand their job back); returns
    what restores the previous handler. Only the main thread can do this; elsewhere nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(_number: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
