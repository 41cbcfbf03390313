"""``linker serve``: binds this machine only by default, and serves the app."""

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
