"""The load generator of ``benchmarks.match_load`` against a tiny local HTTP server: open-loop
latency counts from each request's due time (a slow server is not hidden), a closed loop's
throughput is what the server can do, errors and connections closed by the server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.match_load import closed_loop, open_loop


class Handler(BaseHTTPRequestHandler):
    """One request at a time (``lock``), each taking ``server.pause`` seconds; a body
    ``fail`` is a 500; ``/drop`` closes the connection without saying so."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            threading.Event().wait(self.server.pause)  # type: ignore[attr-defined]
        status = 500 if body == b"fail" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        if self.path == "/drop":
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.pause = 0.0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_open_loop_counts_latency_from_the_due_time(server: ThreadingHTTPServer) -> None:
    server.pause = 0.2  # type: ignore[attr-defined]  # 5 answers/s, asked for 10/s
    port = server.server_address[1]
    load = open_loop(port, "/", [b"x"], rate=10, duration=1.0, concurrency=1)
    figures = load.figures()
    assert figures["requests"] == 10 and figures["errors"] == 0
    # Each answer takes 0.2 s once sent, but request k was due at 0.1 k and is answered at
    # about 0.2 (k + 1): its latency is 0.2 + 0.1 k, the last one's about 1.1 s.
    assert all(s.done - s.sent < 0.5 for s in load.samples)
    assert figures["max_ms"] >= 950 and figures["p50_ms"] >= 500
    assert figures["max_send_lag_ms"] >= 800
    assert [round(s.due - load.started, 3) for s in load.samples] == [n / 10 for n in range(10)]


def test_open_loop_keeps_the_rate_on_a_fast_server(server: ThreadingHTTPServer) -> None:
    port = server.server_address[1]
    load = open_loop(port, "/", [b"x", b"fail"], rate=50, duration=0.5, concurrency=4)
    figures = load.figures()
    assert figures["requests"] == 25
    assert figures["errors"] == 12  # every second body is a 500
    assert figures["p99_ms"] < 200 and figures["max_send_lag_ms"] < 200
    assert 0.45 < load.finished - load.started < 1.0


def test_closed_loop_throughput_is_the_servers(server: ThreadingHTTPServer) -> None:
    server.pause = 0.05  # type: ignore[attr-defined]  # one at a time: 20 answers/s at most
    port = server.server_address[1]
    load = closed_loop(port, "/", [b"x"], clients=4, duration=1.0)
    figures = load.figures()
    assert figures["errors"] == 0
    assert 10 <= figures["throughput_rps"] <= 21
    # four clients queue behind one another: each waits for the three others' answers
    assert figures["p50_ms"] >= 120


def test_a_connection_the_server_closed_is_opened_again(server: ThreadingHTTPServer) -> None:
    port = server.server_address[1]
    load = open_loop(port, "/drop", [b"x"], rate=20, duration=0.5, concurrency=1)
    figures = load.figures()
    assert figures["requests"] == 10 and figures["errors"] == 0
    assert figures["reopened_connections"] == 9  # every request after the first


def test_no_answer_is_an_error() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    server.server_close()  # nobody listens there any more
    figures = open_loop(port, "/", [b"x"], rate=20, duration=0.2, concurrency=2).figures()
    assert figures["requests"] == 4 and figures["errors"] == 4


def test_the_benchmark_serves_its_store_under_gunicorn(tmp_path) -> None:
    pytest.importorskip("gunicorn")
    from benchmarks.match_latency import stored_store
    from benchmarks.match_load import main

    args = ["--persons", "300", "--db", str(tmp_path / "store.db"), "--runs", "1"]
    args += ["--rate", "10", "--duration", "1", "--closed-duration", "1", "--clients", "2"]
    args += [
        "--warmup",
        "0.5",
        "--screenings",
        "1",
        "--no-splink",
        "--out",
        str(tmp_path / "r.json"),
    ]
    result = main(args)
    run = result["runs"][0]
    assert run["open_loop"]["requests"] == 10 and run["open_loop"]["errors"] == 0
    assert run["open_loop"]["stored_identity_first"] == 1.0  # the server read the benchmark's store
    assert run["closed_loop"]["errors"] == 0 and run["closed_loop"]["requests"] >= 2
    assert run["screening_100"]["errors"] == 0
    assert "| open loop, 10 req/s for 1 s | 10 |" in result["table"]
    assert "load_seconds" in result["store"]
    store, figures = stored_store(tmp_path / "store.db", 300)  # kept: reused, not loaded again
    store.close()
    assert figures["reused"] == str(tmp_path / "store.db")
    with pytest.raises(SystemExit, match="holds 300 records"):
        stored_store(tmp_path / "store.db", 400)
