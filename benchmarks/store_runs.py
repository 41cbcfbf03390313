"""Linkage runs through the store against the file-to-file run, and an incremental run.

    python -m benchmarks.store_runs [--persons 100000] [--new 0.01] [--db PATH] [--out FILE]

**Records**: ``linker.synth.generate_people(N + new, seed=42)`` (French-style people with
typos, swapped names, date errors; 40% duplicates). The first N go into one SQLite store
(source ``synth``, columns mapped onto the canonical fields), the last ``new`` (default 1% of
N) arrive afterwards.

**Measured**, each once, in this order, one process:

- *file to file*: ``linker dedupe`` of the first N records written as CSV (a subprocess, as a
  user runs it, with ``--model unsupervised``: the store's first run fits Fellegi-Sunter too);
- *load*: the N records upserted in one unit of work (raw payload, content hash);
- *first run*: ``resolve_identities`` on the empty store: fits and activates a linkage model
  version, then prepares, blocks, scores and clusters every record and writes identities,
  members, events, scored pairs and the blocking-key index;
- *full run*: ``resolve_identities(full=True)`` under that version (re-blocks and re-clusters
  everything, no refit): the figure the issue compares with the file-to-file run (≤ 1.5×);
- *incremental*: the new records upserted, then ``resolve_identities`` (incremental: the new
  records against the stored ones through the key index): the issue's "incremental 10k
  against 1M" (≤ 120 s at N = 1,000,000).

With ``--db`` the SQLite file is kept (a file already holding records is refused: every run
starts empty). The table gives seconds and, for the linkage runs, what they did.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.match_latency import put_people
from linker.linkage import LinkageReport, resolve_identities
from linker.store import Store
from linker.synth import generate_people

SEED = 42


def file_to_file(frame: pd.DataFrame, directory: Path) -> float:
    """Seconds of ``linker dedupe`` on ``frame`` written as CSV (a subprocess)."""
    path = directory / "people.csv"
    frame.to_csv(path, index=False)
    command = [
        str(Path(sys.executable).with_name("linker")),
        "dedupe",
        str(path),
        "--out",
        str(directory / "clusters.csv"),
        "--model",
        "unsupervised",
        "--quiet",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def _run_row(step: str, report: LinkageReport) -> dict[str, Any]:
    return {
        "step": step,
        "seconds": round(report.seconds, 1),
        "records": report.records,
        "to_resolve": report.to_resolve,
        "identities": report.identities,
        "kept": report.kept,
        "events": sum(report.events.values()),
        "pairs": report.pairs,
        "stages": ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items()),
    }


def measure(persons: int, new: int, db: Path) -> list[dict[str, Any]]:
    """The benchmark's rows (see the module docstring)."""
    people, _ = generate_people(persons + new, seed=SEED)
    first, later = people.iloc[:persons], people.iloc[persons:]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        rows.append(
            {"step": "file to file (linker dedupe)", "seconds": file_to_file(first, Path(scratch))}
        )
    store = Store.open(f"sqlite:///{db}", check=False)
    store.upgrade()
    with store.read() as reader:
        if reader.sources():
            raise SystemExit(f"{db} already holds sources: give a new --db")
    started = time.perf_counter()
    put_people(store, first)
    rows.append({"step": f"load {persons:,} records", "seconds": time.perf_counter() - started})
    rows.append(_run_row("first run (fit + resolve)", resolve_identities(store, "person")))
    rows.append(
        _run_row("full run (active version)", resolve_identities(store, "person", full=True))
    )
    started = time.perf_counter()
    put_people(store, later)
    rows.append({"step": f"load {new:,} new records", "seconds": time.perf_counter() - started})
    rows.append(_run_row(f"incremental ({new:,} new)", resolve_identities(store, "person")))
    for row in rows:
        row["seconds"] = round(row["seconds"], 1)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    columns = [
        *("step", "seconds", "records", "to_resolve", "identities", "kept", "events", "pairs"),
        "stages",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [row.get(c, "") for c in columns]
        lines.append(
            "| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in cells) + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--new", type=float, default=0.01, help="share of N added afterwards")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (kept)")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args(argv)
    new = max(1, round(args.persons * args.new))
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or Path(scratch) / "store.db"
        rows = measure(args.persons, new, db)
    by_step = {row["step"]: row["seconds"] for row in rows}
    ratio = by_step["full run (active version)"] / by_step["file to file (linker dedupe)"]
    print(markdown(rows))
    print(f"\nfull run through the store / file-to-file run: {ratio:.2f}x")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "full_over_file": ratio}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
