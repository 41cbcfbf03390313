"""``linker serve``: binds this machine only by default, serves the app with job worker
threads on SQLite, upgrades the default database, and ``--exit-when-ready`` stops it once
``/readyz`` answers (the smoke test of ``make run RUN_ONCE=1``)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from linker.cli import build_parser
from linker.store import Store


def test_serve_defaults_to_loopback() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_serve_rejects_a_bad_port(port: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["serve", "--port", port])
    assert exit_.value.code == 2
    assert "not a TCP port" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["-1", "65", "two"])
def test_serve_rejects_a_bad_number_of_workers(workers: str, capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--workers", workers])
    assert "not a number of worker threads" in capsys.readouterr().err


def test_serve_workers_default_to_the_backend() -> None:
    args = build_parser().parse_args(["serve"])
    assert args.workers is None and args.exit_when_ready is False  # linker.serve decides
    assert build_parser().parse_args(["serve", "--workers", "0"]).workers == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_answers_probes_until_stopped(tmp_path) -> None:
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    Store.open(url, check=False).upgrade()  # ready: the database is at the latest revision
    server = subprocess.Popen(
        [sys.executable, "-m", "linker", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "LINKER_DATABASE_URL": url},
    )
    try:
        deadline, body = time.monotonic() + 60, None
        while time.monotonic() < deadline and body is None:
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r,
            ):
                body = json.load(r)
            time.sleep(0.2)
        assert body == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/nowhere", timeout=2)
        assert missing.value.code == 404
        assert missing.value.headers["Content-Type"] == "application/problem+json"
        missing.value.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stderr is not None
        server.stderr.close()


def test_serve_on_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # in a process of its own: Werkzeug leaves its failed socket to the garbage collector
        done = subprocess.run(
            [sys.executable, "-m", "linker", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"Port {port} is in use" in done.stderr


def test_serve_exit_when_ready_runs_workers_and_stops_after_readyz(tmp_path) -> None:
    """The smoke test of ``make run RUN_ONCE=1``: up with its worker thread (SQLite), ready
    over HTTP, then exit 0."""
    url = f"sqlite:///{tmp_path / 'once.db'}"
    Store.open(url, check=False).upgrade()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "linker",
            "serve",
            "--port",
            str(_free_port()),
            "--exit-when-ready",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "LINKER_DATABASE_URL": url},
    )
    assert done.returncode == 0, done.stderr
    assert "serving http://127.0.0.1:" in done.stdout and "1 job worker thread" in done.stdout
    assert '"status": "ready"' in done.stderr


def test_serve_exit_when_ready_fails_when_never_ready(tmp_path, monkeypatch) -> None:
    """A database behind the latest revision is never ready: exit 1 once the wait is over."""
    from linker import serve

    monkeypatch.setattr(serve, "READY_TIMEOUT", 1.0)
    monkeypatch.setenv("LINKER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    said: list[str] = []
    status = serve.serve("127.0.0.1", _free_port(), exit_when_ready=True, say=said.append)
    assert status == 1
    assert any("not ready within 1 s" in line for line in said)


def test_serve_upgrades_the_default_database(tmp_path, monkeypatch) -> None:
    """No LINKER_DATABASE_URL: the SQLite file under LINKER_HOME is created at the latest
    revision on start, so the first /readyz is ready."""
    from linker import serve

    monkeypatch.delenv("LINKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LINKER_HOME", str(tmp_path))
    said: list[str] = []
    status = serve.serve("127.0.0.1", _free_port(), exit_when_ready=True, say=said.append)
    assert status == 0, said
    assert any("schema at revision" in line for line in said)
    store = Store.open(f"sqlite:///{tmp_path / 'linker.db'}")  # refuses an old schema
    assert store.revision() is not None
    store.close()
