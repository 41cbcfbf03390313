"""The ``linker ingest`` and ``linker worker`` commands: the job ledger from the terminal.

``linker ingest SOURCE FILE`` queues an ingest job (creating or updating the source in the
same transaction), then runs a worker in this process until the job and the linkage run it
queues are done, with the status line showing rows done out of all. ``--no-wait`` only
queues: a ``linker worker`` elsewhere (or ``linker serve``) runs it. ``linker worker`` runs
jobs until SIGTERM or Ctrl-C, or one job with ``--once``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linker.prepare import parse_map_option
from linker.prepare.dates import DATE_ORDERS
from linker.world_input import ENTITY_TYPES

if TYPE_CHECKING:
    from linker.cli import Console
    from linker.store import Job, Store

INTERRUPTED = 130  # the exit status of a command stopped by a signal (128 + SIGINT)
SHOWN_REJECTS = 10


def _seconds(text: str) -> float:
    """A lease length for ``--lease``: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _rows(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of rows")
    return int(text)


def add_job_commands(
    commands: Any, region: Callable[[str], str], lease_default: float = 30.0
) -> None:
    """Add ``ingest`` and ``worker`` to the ``linker`` parser's subcommands."""
    ingest = commands.add_parser(
        "ingest", help="load a bulk file of records into a source of the store, as a job"
    )
    ingest.add_argument("source", help="source name (created if new: give --agency)")
    ingest.add_argument("file", type=Path, help="CSV, Parquet, or JSON Lines (.jsonl) file")
    ingest.add_argument("--agency", help="the agency the source belongs to (for a new source)")
    ingest.add_argument(
        "--entity", choices=ENTITY_TYPES, help="what the records describe (new source: person)"
    )
    ingest.add_argument("--region", type=region, help="the source's default phone region")
    ingest.add_argument("--date-order", choices=DATE_ORDERS, help="the source's day/month order")
    ingest.add_argument(
        "--map", dest="mapping", help="column=field,...: the source's column mapping"
    )
    ingest.add_argument("--id-column", default="record_id", help="id column (default record_id)")
    ingest.add_argument(
        "--chunk-rows", type=_rows, default=1000, help="rows per transaction (default 1000)"
    )
    ingest.add_argument(
        "--no-link", action="store_true", help="no linkage run after the ingest (run resolve)"
    )
    ingest.add_argument(
        "--no-wait", action="store_true", help="queue the job only; a linker worker runs it"
    )
    ingest.add_argument("--lease", type=_seconds, default=lease_default, help=argparse.SUPPRESS)
    ingest.add_argument("--quiet", action="store_true", help="no progress line or messages")
    ingest.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")

    worker = commands.add_parser("worker", help="run the jobs queued in the store")
    worker.add_argument("--once", action="store_true", help="run at most one job, then exit")
    worker.add_argument(
        "--lease",
        type=_seconds,
        default=lease_default,
        help=f"seconds a job stays claimed without a heartbeat (default {lease_default:g})",
    )
    worker.add_argument("--quiet", action="store_true", help="no messages")
    worker.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def run_job_command(args: argparse.Namespace, console: Console) -> int:
    """Run ``linker ingest`` or ``linker worker``; returns the exit status."""
    # Imported here: the file-to-file commands never load SQLAlchemy.
    from linker.store import Store

    store = Store.open()
    try:
        if args.command == "worker":
            return _worker(store, args, console)
        return _ingest(store, args, console)
    finally:
        store.close()


def _worker(store: Store, args: argparse.Namespace, console: Console) -> int:
    from linker.worker import Worker, stop_on_signals

    stop = threading.Event()
    worker = Worker(store, lease_seconds=args.lease, stop=stop, say=console.say)
    with stop_on_signals(stop, console.say):
        if args.once:
            if worker.run_once() is None:
                console.say("no job waiting")
            return 0
        console.say(f"worker {worker.name} on {store.url}: waiting for jobs (Ctrl-C stops)")
        worker.run()
    return 0


def _ingest(store: Store, args: argparse.Namespace, console: Console) -> int:
    from linker.errors import NotFoundError
    from linker.ingest import ensure_source, ingest_params, submit_ingest

    params = ingest_params(
        args.source,
        file=args.file,
        id_column=args.id_column,
        chunk_rows=args.chunk_rows,
        link=not args.no_link,
    )
    with store.unit_of_work() as uow:
        entity = args.entity
        if entity is None:
            try:
                entity = uow.source(args.source).entity_type
            except NotFoundError:
                entity = "person"
        source, created = ensure_source(
            uow,
            args.source,
            agency=args.agency,
            entity_type=args.entity,
            default_region=args.region,
            date_order=args.date_order,
            column_mapping=parse_map_option(args.mapping, entity) if args.mapping else None,
        )
        job = submit_ingest(uow, params).job
    what = (
        f"new source {source.name} ({source.agency}, {source.entity_type})"
        if created
        else (f"source {source.name}")
    )
    if args.no_wait:
        print(f"queued job {job.id}: ingest {args.file} into {what}")
        return 0
    console.say(f"job {job.id}: ingest {args.file} into {what}")
    return _wait_and_report(store, job, args, console)


def _wait_and_report(store: Store, job: Job, args: argparse.Namespace, console: Console) -> int:
    from linker.ingest import ingest_summary
    from linker.worker import Worker, stop_on_signals

    stop = threading.Event()

    def observe(running: Job, done: int, total: int | None) -> None:
        heartbeat = console.heartbeat
        if heartbeat is not None:  # plain attribute writes: the line is redrawn from them
            heartbeat.stage, heartbeat.done, heartbeat.total = running.kind, done, total or 0

    worker = Worker(store, lease_seconds=args.lease, stop=stop, observe=observe)
    with console.working(), stop_on_signals(stop, console.say):
        ingest = _run_until_settled(store, worker, job.id)
        results = _results(store, job.id)
        summary = ingest_summary(results)
        linkage = None
        if ingest.state == "done" and summary.linkage_job is not None:
            linkage = _run_until_settled(store, worker, summary.linkage_job)
    if ingest.state != "done" or (linkage is not None and linkage.state != "done"):
        return _unfinished(linkage if ingest.state == "done" and linkage else ingest, console)
    print(
        f"ingested {summary.rows} records from {args.file} into source {args.source}: "
        f"{summary.inserted} new, {summary.updated} changed, {summary.unchanged} unchanged; "
        f"{summary.rejects} rejected"
    )
    rejects = [error for error in ingest.errors if error.get("title") == "reject"]
    for error in rejects[:SHOWN_REJECTS]:
        if "row" in error:
            column = f", column {error['column']}" if error.get("column") else ""
            print(f"  row {error['row']}{column}: {error['reason']}")
    if len(rejects) > SHOWN_REJECTS:
        print(f"  ... {summary.rejects - SHOWN_REJECTS} more: see job {job.id} (its errors)")
    if linkage is not None:
        report = _results(store, linkage.id).get(0, {})
        summary_text = report.get("summary") or ", ".join(f"{k} {v}" for k, v in report.items())
        print(f"linkage run ({linkage.id}): {summary_text}")
    return 0


def _run_until_settled(store: Store, worker: Any, job_id: str) -> Job:
    """Run jobs (this one, and any queued before it) until this one is done or failed."""

    def settled() -> bool:
        return _job(store, job_id).state in ("done", "failed")

    worker.run(until=settled)
    return _job(store, job_id)


def _unfinished(job: Job, console: Console) -> int:
    if job.state == "failed":
        last = job.errors[-1] if job.errors else {}
        print(
            f"linker: error: job {job.id} ({job.kind}) failed: {last.get('detail', '')}",
            file=sys.stderr,
        )
        return 2
    console.say(
        f"stopped: job {job.id} ({job.kind}) is {job.state}; "
        "a linker worker will finish it from where it stopped"
    )
    return INTERRUPTED


def _job(store: Store, job_id: str) -> Job:
    with store.read() as reader:
        return reader.job(job_id)


def _results(store: Store, job_id: str) -> dict[int, Any]:
    with store.read() as reader:
        return reader.job_results(job_id)


__all__ = ["add_job_commands", "run_job_command"]
