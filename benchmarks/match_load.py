"""``POST /v1/match`` and 100-name ``POST /v1/screenings`` over HTTP, under load: open loop
at a fixed rate, closed loop with many clients, beside Splink's one-record matching.

    python -m benchmarks.match_load [--persons 200000] [--db PATH] [--runs 3]
        [--rate 20] [--duration 60] [--clients 16] [--closed-duration 30] [--screenings 10]
        [--workers 1] [--threads 4] [--splink-queries 100] [--no-splink] [--no-pin] [--out FILE]

What the acceptance asks: with 1,000,000 stored persons, ``POST /v1/match`` at 20 requests/s
open loop has p99 <= 100 ms and no error, and is faster than Splink's
``find_matches_to_new_records`` in the same run; a 100-name screening has p99 <= 2 s; each
figure the median of 3 runs; also the throughput and p50/p99 of 16 closed-loop clients.

**Store** (``benchmarks.match_latency.stored_store``): ``linker.synth.generate_people(N,
seed=42)`` in one source, then the first linkage run through the store; both timed and
reported. With ``--db`` the SQLite file is kept and reused when it already holds the N people
(the 1,000,000 load is paid once).

**Server**: the app factory under gunicorn, as docs/api.md serves it in production
(``gunicorn --workers W --threads T --bind 127.0.0.1:PORT 'api.app:create_app()'``: the
gthread worker, keep-alive), in a subprocess on loopback, on that store through
``LINKER_DATABASE_URL``; one new server per run, used once ``/readyz`` answers 200 and a
warm-up (each worker process loads the model version on its first match) is done. Where
``taskset`` exists and this process may run on CPUs 0 and 1, the server is started under
``taskset -c 0`` and the load generator (this process's thread and the threads it starts) is
pinned to CPU 1 (``os.sched_setaffinity``, the call ``taskset`` makes); the output says what
was pinned.

**Load generator** (standard library: threads, each with one keep-alive
``http.client.HTTPConnection``; a connection the server closed while idle is opened again and
the request sent once more; every other failure is an error):

* *open loop*: request i is due at ``start + i / rate``; up to ``--concurrency`` requests are in
  flight and whichever thread is free sends the next one when it is due. Latency runs from the
  due time, not from the send, so a slow server makes the following requests late and that
  lateness counts (no coordinated omission). Reported: p50, p99, max, errors (a status other
  than 200, a timeout, a broken connection), the largest send lag (how late a request left;
  large only when the server falls behind or the generator cannot keep up), and how often a
  stored record's own identity came first.
* *closed loop*: ``--clients`` threads each send the next query as soon as the previous answer
  came, for ``--closed-duration`` seconds: throughput (answers/s), p50, p99, errors.
* *screening*: ``--screenings`` requests of 100 names each (full name and date of birth of
  drawn records, a third with a typo in the family name, a third with the names of two
  people), one after another; also the share of names answered with a candidate.

**Queries**: ``benchmarks.match_latency.queries`` (seeded: stored, typo, unknown in turn); the
closed loop goes round the same list, Splink gets its first ``--splink-queries``.

**Splink**: after the runs, with the server stopped and this process on every CPU (DuckDB, 2
threads), Splink 4 trained once on the same people (``benchmarks.match_latency``), then each
run's ``find_matches_to_new_records`` of the same queries, one after another. linker's open-loop
p50 and p99 as a ratio of Splink's: below 1, linker is faster (while serving 20 requests/s
on one pinned CPU).

**Runs**: ``--runs`` (default 3) of server, open loop, closed loop and screening (then of the
Splink queries); each figure is the median of the runs' figures, errors are summed. One
markdown table is printed; ``--out`` writes every run's figures as JSON.

Not done here: PostgreSQL (the store is SQLite); a client on another machine (generator and
server share the loopback and the machine's memory bus); gunicorn's other worker classes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.match_latency import (
    percentile,
    queries,
    splink_matcher,
    splink_queries,
    stored_pool,
    stored_store,
)

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
READY_SECONDS = 120.0
TIMEOUT = 10.0  # seconds a request may take before it counts as an error
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

Query = tuple[str, dict[str, str], Any]


# --- the load generator ---------------------------------------------------------------------


class Client:
    """One keep-alive connection to ``HOST:port``: ``post`` answers (status, body)."""

    def __init__(self, port: int, timeout: float = TIMEOUT) -> None:
        self.port, self.timeout = port, timeout
        self.connection: http.client.HTTPConnection | None = None
        self.reopened = 0  # connections the server had closed while idle

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        fresh = self.connection is None
        try:
            return self._send(path, body)
        except STALE:
            self.close()
            if fresh:
                raise
            self.reopened += 1  # closed while idle: once more on a new connection
            return self._send(path, body)
        except BaseException:
            self.close()
            raise

    def _send(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Sample:
    """One request: when it was due and sent, how long it took from each, what came back."""

    due: float
    sent: float
    done: float
    status: int  # 0: no answer (timeout, broken connection)
    body: bytes = b""


def _request(client: Client, path: str, body: bytes, due: float) -> Sample:
    sent = time.perf_counter()
    try:
        status, data = client.post(path, body)
    except (OSError, http.client.HTTPException):  # timeouts are OSErrors
        status, data = 0, b""
    return Sample(due, sent, time.perf_counter(), status, data)


@dataclass
class Load:
    """The samples of one load phase and its wall time."""

    samples: list[Sample] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    reopened: int = 0

    def latencies(self) -> list[float]:
        return [s.done - s.due for s in self.samples]

    def errors(self) -> int:
        return sum(s.status != 200 for s in self.samples)

    def figures(self) -> dict[str, Any]:
        latencies = self.latencies()
        elapsed = self.finished - self.started
        return {
            **ms_summary(latencies),
            "requests": len(latencies),
            "errors": self.errors(),
            "seconds": round(elapsed, 2),
            "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
            "max_send_lag_ms": round(
                1000 * max((s.sent - s.due for s in self.samples), default=0), 1
            ),
            "reopened_connections": self.reopened,
        }


def ms_summary(latencies: Sequence[float]) -> dict[str, float]:
    if not latencies:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    values = list(latencies)
    return {
        "p50_ms": round(1000 * statistics.median(values), 1),
        "p99_ms": round(1000 * percentile(values, 0.99), 1),
        "max_ms": round(1000 * max(values), 1),
    }


def open_loop(
    port: int,
    path: str,
    bodies: Sequence[bytes],
    *,
    rate: float,
    duration: float,
    concurrency: int = 32,
    timeout: float = TIMEOUT,
) -> Load:
    """``rate * duration`` requests, request i due at ``start + i / rate`` (bodies in turn),
    sent by whichever of ``concurrency`` threads is free; latency counted from the due time."""
    total = max(1, round(rate * duration))
    load = Load(samples=[])
    slots: list[Sample | None] = [None] * total
    lock = threading.Lock()
    following = iter(range(total))
    clients = [Client(port, timeout) for _ in range(min(concurrency, total))]
    load.started = time.perf_counter() + 0.05

    def work(client: Client) -> None:
        while True:
            with lock:
                n = next(following, None)
            if n is None:
                return
            due = load.started + n / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            slots[n] = _request(client, path, bodies[n % len(bodies)], due)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.finished = time.perf_counter()
    load.samples = [s for s in slots if s is not None]
    load.reopened = sum(c.reopened for c in clients)
    for client in clients:
        client.close()
    return load


def closed_loop(
    port: int,
    path: str,
    bodies: Sequence[bytes],
    *,
    clients: int,
    duration: float,
    timeout: float = TIMEOUT,
) -> Load:
    """``clients`` threads, each sending the next body as soon as its previous answer came,
    until ``duration`` seconds have passed; latency from each send."""
    load = Load(samples=[])
    lock = threading.Lock()
    counter = iter(range(sys.maxsize))
    connections = [Client(port, timeout) for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    per_client: list[list[Sample]] = [[] for _ in range(clients)]

    def work(k: int) -> None:
        start.wait()
        deadline = load.started + duration
        while time.perf_counter() < deadline:
            with lock:
                n = next(counter)
            sample = _request(connections[k], path, bodies[n % len(bodies)], time.perf_counter())
            per_client[k].append(sample)

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(clients)]
    for thread in threads:
        thread.start()
    load.started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    load.finished = time.perf_counter()
    load.samples = [s for samples in per_client for s in samples]
    load.reopened = sum(c.reopened for c in connections)
    for client in connections:
        client.close()
    return load


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def pinning() -> tuple[list[str], set[int] | None]:
    """The command prefix that pins the server to CPU 0 and the CPUs for the generator, or
    nothing (no ``taskset``, or CPUs 0 and 1 not both allowed to this process)."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if shutil.which("taskset") is None or not {0, 1} <= allowed:
        return [], None
    return ["taskset", "-c", "0"], {1}


@contextmanager
def gunicorn(
    db: Path, *, workers: int, threads: int, prefix: Sequence[str] = ()
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn serving ``api.app:create_app()`` on the SQLite store ``db``, on a free loopback
    port, once ``/readyz`` answers 200; stopped (SIGTERM) afterwards."""
    port = free_port()
    command = [
        *prefix,
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--bind",
        f"{HOST}:{port}",
        "--timeout",
        "300",
        "--keep-alive",
        "120",
        "--log-level",
        "warning",
        "api.app:create_app()",
    ]
    environment = {**os.environ, "LINKER_DATABASE_URL": f"sqlite:///{db.resolve()}"}
    process = subprocess.Popen(command, cwd=REPO, env=environment)
    try:
        wait_ready(port, process)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """``/readyz``'s answer once it is 200; an error when the server exits or is not ready in
    ``READY_SECONDS``."""
    deadline = time.monotonic() + READY_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=5) as answer:
                ready: dict[str, Any] = json.load(answer)
                return ready
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:200]!r}"
            exc.close()
        except (urllib.error.URLError, OSError) as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise RuntimeError(f"/readyz not ready within {READY_SECONDS:g} s (last: {last})")


# --- one run --------------------------------------------------------------------------------


def match_bodies(asked: Sequence[Query]) -> list[bytes]:
    return [
        json.dumps({"entity_type": "person", "fields": fields}).encode() for _, fields, _ in asked
    ]


def screening_bodies(drawn: Sequence[Query], count: int) -> list[bytes]:
    """``count`` bodies of 100 names each from ``drawn`` (at least 100 * count queries)."""
    bodies = []
    for n in range(count):
        names = []
        for k, (_, fields, _) in enumerate(drawn[100 * n : 100 * (n + 1)]):
            full = " ".join(fields.get(f, "") for f in ("given_name", "family_name")).strip()
            name = {"key": f"n{k}", "full_name": full or "X"}
            if fields.get("dob"):
                name["dob"] = fields["dob"]
            names.append(name)
        bodies.append(json.dumps({"names": names}).encode())
    return bodies


def identity_first(asked: Sequence[Query], bodies: Sequence[bytes], load: Load) -> dict[str, float]:
    """Of the stored and typo queries answered, how often the record's identity came first
    (the samples are in due order: sample i asked query i modulo their number)."""
    hits: dict[str, list[bool]] = {"stored": [], "typo": []}
    for n, sample in enumerate(load.samples):
        kind, _, expected = asked[n % len(asked)]
        if sample.status != 200 or kind not in hits or expected is None:
            continue
        candidates = json.loads(sample.body)["candidates"]
        hits[kind].append(bool(candidates) and candidates[0]["identity_id"] == expected)
    return {f"{kind}_identity_first": round(sum(h) / max(len(h), 1), 3) for kind, h in hits.items()}


def one_run(
    args: argparse.Namespace,
    db: Path,
    asked: Sequence[Query],
    screenings: Sequence[bytes],
    prefix: Sequence[str],
) -> dict[str, Any]:
    """One server: warm-up, open loop, closed loop, screening."""
    bodies = match_bodies(asked)
    figures: dict[str, Any] = {}
    with gunicorn(db, workers=args.workers, threads=args.threads, prefix=prefix) as (port, _):
        started = time.perf_counter()
        warm = closed_loop(
            port, "/v1/match", bodies, clients=args.workers * args.threads, duration=args.warmup
        )
        figures["warmup"] = {"seconds": round(time.perf_counter() - started, 1), **warm.figures()}
        load = open_loop(
            port,
            "/v1/match",
            bodies,
            rate=args.rate,
            duration=args.duration,
            concurrency=args.concurrency,
        )
        figures["open_loop"] = {**load.figures(), **identity_first(asked, bodies, load)}
        time.sleep(1)
        closed = closed_loop(
            port, "/v1/match", bodies, clients=args.clients, duration=args.closed_duration
        )
        figures["closed_loop"] = closed.figures()
        time.sleep(1)
        client = Client(port, timeout=60)
        screened = Load(started=time.perf_counter())
        for body in screenings:
            now = time.perf_counter()
            screened.samples.append(_request(client, "/v1/screenings", body, now))
        screened.finished = time.perf_counter()
        client.close()
        answered = [json.loads(x.body)["results"] for x in screened.samples if x.status == 200]
        found = [bool(c) for results in answered for c in results.values()]
        figures["screening_100"] = {
            **screened.figures(),
            "names_with_candidates": round(sum(found) / max(len(found), 1), 3),
        }
    return figures


# --- the table ------------------------------------------------------------------------------

ROWS = {
    "open_loop": "open loop, {rate:g} req/s for {duration:g} s",
    "closed_loop": "closed loop, {clients} clients for {closed_duration:g} s",
    "screening_100": "screening, 100 names ({screenings} requests, one client)",
    "splink": "Splink find_matches_to_new_records ({splink_queries} queries, one client)",
}
FIGURES = ("p50_ms", "p99_ms", "max_ms", "throughput_rps", "max_send_lag_ms")


def median_of(runs: Sequence[dict[str, Any]], part: str) -> dict[str, Any]:
    """The median over the runs of each figure of ``part``; errors and requests summed."""
    held = [run[part] for run in runs if part in run]
    if not held:
        return {}
    out: dict[str, Any] = {}
    for name in held[0]:
        values = [h[name] for h in held if isinstance(h.get(name), int | float)]
        if not values:
            continue
        if name in ("errors", "requests", "reopened_connections"):
            out[name] = sum(values)
        else:
            precise = name.endswith(("first", "candidates"))
        out[name] = round(statistics.median(values), 3 if precise else 1)
    return out


def verdicts(medians: dict[str, dict[str, Any]], ratio: dict[str, float] | None) -> dict[str, str]:
    def yes(ok: bool) -> str:
        return "yes" if ok else "**no**"

    out = {
        "open_loop": yes(
            medians["open_loop"]["p99_ms"] <= 100 and medians["open_loop"]["errors"] == 0
        )
        + " (p99 <= 100 ms, 0 errors)",
        "screening_100": yes(
            medians["screening_100"]["p99_ms"] <= 2000 and medians["screening_100"]["errors"] == 0
        )
        + " (p99 <= 2 s)",
    }
    if ratio is not None:
        out["ratio"] = yes(ratio["p50"] < 1 and ratio["p99"] < 1) + " (faster than Splink)"
    return out


def table(result: dict[str, Any]) -> str:
    medians, ratio, settings = result["median"], result.get("linker_over_splink"), result["args"]
    verdict = verdicts(medians, ratio)

    def cell(value: Any) -> str:
        return "" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:g}"

    lines = [
        f"| median of {settings['runs']} runs | requests | p50 ms | p99 ms | max ms | req/s "
        "| errors | max send lag ms | acceptance |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for part, label in ROWS.items():
        row = medians.get(part)
        if not row:
            continue
        values = [cell(row.get(name)) for name in ("requests", *FIGURES[:4])]
        values += [cell(row.get("errors")), cell(row.get("max_send_lag_ms"))]
        lines.append(
            f"| {label.format(**settings)} | "
            + " | ".join(values)
            + f" | {verdict.get(part, '')} |"
        )
    if ratio is not None:
        lines.append(
            f"| linker open loop / Splink | | {ratio['p50']:g} | {ratio['p99']:g} | | | | "
            f"| {verdict['ratio']} |"
        )
    store = result["store"]
    loaded = (
        f"loading {store['load_seconds']:g} s + first linkage run {store['linkage_seconds']:g} s"
        if "load_seconds" in store
        else "load time not kept"
    )
    if "reused" in store:
        loaded = f"reused {store['reused']} ({loaded})"
    splink = result.get("splink_train_seconds")
    lines += [
        "",
        f"Store: {store['persons']:,} persons from `{store['generator']}`, SQLite, {loaded}.",
        f"Server: gunicorn {result['gunicorn']} `--workers {settings['workers']} --threads "
        f"{settings['threads']}` (gthread), {result['pinning']}.",
        f"Open loop: up to {settings['concurrency']} requests in flight; latency from each "
        "request's due time. Identity first (stored / typo queries): "
        f"{medians['open_loop'].get('stored_identity_first')} / "
        f"{medians['open_loop'].get('typo_identity_first')}; screened names with a "
        f"candidate: {medians['screening_100'].get('names_with_candidates')}.",
    ]
    if splink is not None:
        lines.append(
            f"Splink: trained in {splink:g} s (term-frequency tables included), DuckDB 2 threads, "
            "server stopped, every CPU."
        )
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (kept, reused)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="open loop, requests/s")
    parser.add_argument("--duration", type=float, default=60.0, help="open loop, seconds")
    parser.add_argument("--concurrency", type=int, default=32, help="open loop, most in flight")
    parser.add_argument("--clients", type=int, default=16, help="closed loop")
    parser.add_argument("--closed-duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="closed-loop seconds first")
    parser.add_argument("--screenings", type=int, default=10, help="100-name requests per run")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--splink-queries", type=int, default=100)
    parser.add_argument("--no-splink", dest="splink", action="store_false")
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="server and generator on every CPU"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    import gunicorn as gunicorn_package  # the bench extra (pyproject.toml)

    directory = tempfile.TemporaryDirectory(prefix="linker-match-load-")
    db = args.db or Path(directory.name) / "store.db"
    store, store_figures = stored_store(db, args.persons)
    started = time.perf_counter()
    count = max(round(args.rate * args.duration), args.splink_queries, 1)
    pool = stored_pool(store)
    asked = queries(store, count, random.Random(7), pool)
    drawn = queries(store, 100 * args.screenings, random.Random(100), pool)
    del pool
    store_figures["queries_seconds"] = round(time.perf_counter() - started, 1)
    store.close()
    screenings = screening_bodies(drawn, args.screenings)

    prefix, generator_cpus = pinning() if args.pin else ([], None)
    everywhere = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if generator_cpus is not None:
        os.sched_setaffinity(0, generator_cpus)
        pinned = "server `taskset -c 0`, load generator on CPU 1 (sched_setaffinity)"
    else:
        pinned = (
            "nothing pinned (no taskset, or CPUs 0 and 1 not both available)"
            if args.pin
            else "nothing pinned (--no-pin)"
        )
    runs: list[dict[str, Any]] = []
    try:
        for n in range(args.runs):
            runs.append(one_run(args, db, asked, screenings, prefix))
            print(f"run {n + 1}/{args.runs}: {json.dumps(runs[-1])}", flush=True)
    finally:
        if everywhere is not None and generator_cpus is not None:
            os.sched_setaffinity(0, everywhere)
    result: dict[str, Any] = {
        "store": store_figures,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "gunicorn": gunicorn_package.__version__,
        "pinning": pinned,
        "runs": runs,
    }
    if args.splink:
        match_one, trained = splink_matcher(args.persons)
        result["splink_train_seconds"] = round(trained, 1)
        for run in runs:
            run["splink"] = splink_queries(match_one, list(asked[: args.splink_queries]))
            print(f"splink: {json.dumps(run['splink'])}", flush=True)
    parts = ("warmup", "open_loop", "closed_loop", "screening_100", "splink")
    result["median"] = {part: median_of(runs, part) for part in parts}
    if args.splink:
        linker_, splink = result["median"]["open_loop"], result["median"]["splink"]
        result["linker_over_splink"] = {
            q: round(linker_[f"{q}_ms"] / splink[f"{q}_ms"], 3) for q in ("p50", "p99")
        }
    result["table"] = table(result)
    print(result["table"])
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    directory.cleanup()
    return result


if __name__ == "__main__":
    main()
