"""Run the robustness matrix: schema x size x d, linker and Splink, one table.

    python -m benchmarks.robustness [--schemas S1,S2] [--sizes 2,3,10,1000] [--d 0.3,1.5]
        [--tools linker,splink] [--out-dir robustness_out] [--seed N] [--jobs 1]

For every row the input is generated (``dataset.generate``, written once under
``OUT_DIR/data`` and reused), then each tool runs in its own subprocess on the same CSV, with
``benchmarks.run.run_measured`` (wall time from start to exit, a timeout): linker at its
defaults (``linker dedupe IN.csv --out clusters.csv --stats stats.json --quiet``, the command
of ``benchmarks.run.invocation``), Splink through ``splink_model`` (``splink_settings_for``).
The tools ``linker-unsupervised`` and ``linker-trained`` run linker with that model forced
(``--model``), to compare what ``--model auto`` chose with what it chose from.
Both outputs are scored by the same code: pair precision, recall and F1 of the clusters
(``linker.evaluate.cluster_scores``) and B-cubed F1 (``linker.evaluate.bcubed_scores``).
A tool that exits non-zero, writes nothing or times out is listed as ``failed: reason`` (the
last error line of its log); a row without any true pair has no score (``n/a``).
The table is printed and written to ``OUT_DIR/robustness.md``, the figures to
``OUT_DIR/robustness.json``; each run's output, stats and log are in
``OUT_DIR/runs/ROW/TOOL/``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.robustness import dataset
from benchmarks.robustness.schemas import SCHEMAS
from benchmarks.run import (
    Dataset,
    _environment,
    _model,
    _names,
    _read_stats,
    invocation,
    read_labels,
    run_measured,
)
from linker.evaluate import BCubedScores, Scores, bcubed_scores, cluster_scores, read_truth

# linker at its defaults (``--model auto``), and with each model forced: what auto chose from.
LINKER_MODELS = {"linker": None, "linker-unsupervised": "unsupervised", "linker-trained": "trained"}
TOOLS = (*LINKER_MODELS, "splink")
DEFAULT_TOOLS = ("linker", "splink")
SIZES = (2, 3, 10, 1000, 10_000, 100_000)
LARGE_SIZES = {100_000: ("S1", "S5")}  # sizes run for some schemas only
DS = (0.3, 1.5)
DEFAULT_SEED = 2024
DEFAULT_TIMEOUT_S = 3600.0
REASON_CHARS = 150
_ERROR_LINE = re.compile(r"^([\w.]+(Error|Exception|Exit)|error|linker:)", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    """One row of the matrix and where its data is."""

    schema: str
    size: int
    d: float
    records: Path
    truth: Path

    @property
    def name(self) -> str:
        return f"{self.schema}_n{self.size}_d{self.d:g}"


@dataclass
class ToolRun:
    """How one tool did on one row: ``status`` is ``ok`` or ``failed: reason``."""

    tool: str
    status: str
    wall_s: float | None = None
    pairs: Scores | None = None
    bcubed: BCubedScores | None = None
    model: str = ""


@dataclass
class Row:
    """The figures of one row."""

    schema: str
    size: int
    d: float
    records: int
    true_pairs: int
    runs: dict[str, ToolRun] = field(default_factory=dict)


def cases(
    schemas: Sequence[str], sizes: Sequence[int], ds: Sequence[float]
) -> list[tuple[str, int, float]]:
    """The rows to run, schema-major; sizes of ``LARGE_SIZES`` only for their schemas."""
    return [
        (schema, size, d)
        for schema in schemas
        for size in sizes
        if schema in LARGE_SIZES.get(size, (schema,))
        for d in ds
    ]


def prepare_case(schema: str, size: int, d: float, seed: int, data_dir: Path) -> Case:
    """Generate (once per seed) and write the records and truth of one row."""
    stem = f"{schema}_n{size}_d{d:g}_seed{seed}"
    case = Case(schema, size, d, data_dir / f"{stem}.csv", data_dir / f"{stem}_truth.csv")
    if not (case.records.exists() and case.truth.exists()):
        dataset.write(dataset.generate(schema, size, d, seed), case.records, case.truth)
    return case


def failure_reason(log: Path) -> str:
    """The last error line of a log (a traceback's exception, linker's message), else its last
    line, shortened."""
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    if not lines:
        return "no output"
    errors = [ln for ln in lines if _ERROR_LINE.match(ln)]
    reason = errors[-1] if errors else lines[-1]
    reason = re.sub(r"^(?:\w+\.)+(?=\w+(?:Error|Exception)\b)", "", reason)  # the class alone
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"


def command(tool: str, case: Case, run_dir: Path) -> tuple[list[str], Path, Path, Path]:
    """The command line of ``tool`` on ``case``, and its output, stats and log paths."""
    call = invocation("linker", Dataset(case.name, "dedupe", (case.records,), case.truth), run_dir)
    if tool in LINKER_MODELS:
        forced = LINKER_MODELS[tool]
        argv = call.command if forced is None else [*call.command, "--model", forced]
        return argv, call.output, call.stats, call.log
    fields = json.dumps(SCHEMAS[case.schema].columns)
    splink = [sys.executable, "-m", "benchmarks.robustness.splink_model", str(case.records)]
    splink += ["--fields", fields, "--out", str(call.output), "--stats", str(call.stats)]
    return splink, call.output, call.stats, call.log


def run_tool(tool: str, case: Case, out_dir: Path, timeout_s: float) -> ToolRun:
    """Run one tool on one row, measure it and score its clusters; never raises."""
    run_dir = out_dir / "runs" / case.name / tool
    run_dir.mkdir(parents=True, exist_ok=True)
    argv, output, stats, log = command(tool, case, run_dir)
    for stale in (output, stats):
        stale.unlink(missing_ok=True)
    measured = run_measured(argv, log, timeout_s)
    result = ToolRun(tool, "ok", measured.wall_s)
    if measured.error:
        result.status = f"failed: {measured.error}"
    elif measured.returncode != 0 or not output.exists():
        result.status = f"failed: {failure_reason(log)}"
    else:
        result.model = _model("linker" if tool in LINKER_MODELS else tool, _read_stats(stats))
        try:
            labels, truth = read_labels(output), read_truth(case.truth)
            result.pairs, result.bcubed = (
                cluster_scores(labels, truth),
                bcubed_scores(labels, truth),
            )
        except (ValueError, KeyError, pd.errors.ParserError) as exc:
            result.status = f"failed: unscorable output ({exc})"
    print(f"[{case.name}] {tool}: {result.status}, {measured.wall_s or 0:.1f} s", flush=True)
    return result


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _tool_cells(row: Row, tool: str) -> list[str]:
    run = row.runs[tool]
    wall = "–" if run.wall_s is None else f"{run.wall_s:.1f}"
    if run.status != "ok":
        return [_cell(run.status), "–", "–", "–", wall]
    if row.true_pairs == 0 or run.pairs is None or run.bcubed is None:
        return ["n/a", "n/a", "n/a", "n/a", wall]
    p = run.pairs
    return [f"{p.precision:.3f}", f"{p.recall:.3f}", f"{p.f1:.3f}", f"{run.bcubed.f1:.3f}", wall]


def markdown_table(rows: list[Row], tools: Sequence[str]) -> str:
    """One line per row: its size and true pairs, then P / R / F1 / B³F1 / seconds per tool."""
    header = ["schema", "size", "d", "records", "true pairs"]
    for tool in tools:
        label = "Splink" if tool == "splink" else tool
        header += [f"{label} P", f"{label} R", f"{label} F1", f"{label} B³F1", f"{label} s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [
            row.schema,
            f"{row.size:,}",
            f"{row.d:g}",
            f"{row.records:,}",
            f"{row.true_pairs:,}",
        ]
        for tool in tools:
            cells += _tool_cells(row, tool)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _as_json(row: Row) -> dict[str, Any]:
    runs = {}
    for tool, run in row.runs.items():
        scored = row.true_pairs > 0 and run.status == "ok"
        runs[tool] = {
            "status": run.status,
            "wall_s": run.wall_s,
            "model": run.model,
            "pairs": run.pairs.as_dict() if run.pairs and scored else None,
            "bcubed": asdict(run.bcubed) if run.bcubed and scored else None,
        }
    return {**{k: v for k, v in asdict(row).items() if k != "runs"}, "tools": runs}


def write_report(rows: list[Row], tools: Sequence[str], out_dir: Path, seed: int) -> str:
    """Write ``robustness.md`` and ``robustness.json``; returns the Markdown table."""
    table = markdown_table(rows, tools)
    chosen: dict[str, set[str]] = {}
    for row in rows:
        run = row.runs.get("linker")
        if run is not None and run.model:
            chosen.setdefault(run.model, set()).add(row.schema)
    models = [f"{kind} on {', '.join(sorted(schemas))}" for kind, schemas in sorted(chosen.items())]
    text = (
        "# Robustness: linker vs Splink on corrupted multi-locale people\n\n"
        f"{_environment()}. Seed {seed}; linker at its defaults (`--model auto` chose: "
        f"{'; '.join(models) or '–'}), Splink from `splink_settings_for`. Pair P / R / F1 "
        "over the pairs in clusters, B³F1 over records; s = wall seconds of the process "
        "(see benchmarks/README.md).\n\n"
        f"{table}\n"
    )
    (out_dir / "robustness.md").write_text(text)
    payload = {"seed": seed, "rows": [_as_json(row) for row in rows]}
    (out_dir / "robustness.json").write_text(json.dumps(payload, indent=2) + "\n")
    return table


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _numbers(text: str, kind: type[int] | type[float]) -> list[Any]:
    try:
        return [kind(t.replace("_", "")) for t in text.split(",") if t.strip()]
    except ValueError as exc:
        raise SystemExit(f"not a list of numbers: {text!r}") from exc


def run_matrix(
    schemas: Sequence[str],
    sizes: Sequence[int],
    ds: Sequence[float],
    tools: Sequence[str],
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[Row]:
    """Generate every row's data, run every tool on it (``jobs`` runs at a time) and score."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = [
        prepare_case(s, n, d, seed, out_dir / "data") for s, n, d in cases(schemas, sizes, ds)
    ]
    rows = []
    for case in prepared:
        truth = pd.read_csv(case.truth, dtype=str, keep_default_na=False)
        rows.append(Row(case.schema, case.size, case.d, len(truth), dataset.true_pair_count(truth)))
    tasks = [(case, row, tool) for case, row in zip(prepared, rows, strict=True) for tool in tools]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(lambda t: run_tool(t[2], t[0], out_dir, timeout_s), tasks))
    for (_, row, tool), result in zip(tasks, results, strict=True):
        row.runs[tool] = result
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the matrix, print the table, write the report. Exit status 0 (a
    failed tool is a result, shown in the table)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.robustness", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--schemas", default=",".join(SCHEMAS), help="comma-separated")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="records, comma-separated (100000 runs for S1 and S5 only)",
    )
    parser.add_argument("--d", default=",".join(map(str, DS)), help="mean extra records per person")
    parser.add_argument(
        "--tools",
        default=",".join(DEFAULT_TOOLS),
        help=f"comma-separated, of {', '.join(TOOLS)}",
    )
    parser.add_argument("--out-dir", type=Path, default=Path("robustness_out"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--jobs", type=int, default=1, help="tool runs at a time")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per run")
    args = parser.parse_args(argv)
    schemas = _names(args.schemas, tuple(SCHEMAS), "schema")
    tools = _names(args.tools, TOOLS, "tool")
    out_dir = args.out_dir.resolve()
    rows = run_matrix(
        schemas,
        _numbers(args.sizes, int),
        _numbers(args.d, float),
        tools,
        out_dir,
        seed=args.seed,
        jobs=args.jobs,
        timeout_s=args.timeout,
    )
    table = write_report(rows, tools, out_dir, args.seed)
    print()
    print(table)
    print(f"\nwritten to {out_dir / 'robustness.md'}")
    return 0
