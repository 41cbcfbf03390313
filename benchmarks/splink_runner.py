"""Run Splink 4 (DuckDB, 2 threads) on benchmark CSVs, the way ``linker`` is run.

    python -m benchmarks.splink_runner dedupe INPUT.csv --out CLUSTERS.csv --stats STATS.json
    python -m benchmarks.splink_runner link LEFT.csv RIGHT.csv --out PAIRS.csv --stats STATS.json

``dedupe`` writes ``record_id,cluster_id`` (connected components of the pairs predicted at
match probability >= 0.5); ``link`` writes ``left_id,right_id,match_probability`` for the pairs
predicted at >= 0.5. The stats JSON holds ``comparisons`` (how many record pairs Splink scored),
phase timings and versions. The model is chosen from the input columns
(``benchmarks.splink_settings``).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.splink_dataframe import SplinkDataFrame

from benchmarks.splink_settings import LinkType, SplinkModel, detect_schema, model_for

THRESHOLD = 0.5
THREADS = 2
BLOCKED_PAIRS_TABLE = "__splink__blocked_id_pairs"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_table(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[str]:
    """Read a CSV as text into table ``name``; returns its column names."""
    con.execute(
        f"create table {name}_raw as select * from read_csv({_sql_string(str(path))}, "
        "header = true, all_varchar = true)"
    )
    columns = [row[0] for row in con.execute(f"describe {name}_raw").fetchall()]
    return columns


def prepare_table(
    con: duckdb.DuckDBPyConnection, name: str, model: SplinkModel, columns: list[str]
) -> None:
    """Create ``name`` from ``name_raw``: the record id and the model's cleaned columns."""
    selects = ['"record_id"'] + [
        f'{expression} as "{column}"'
        for column, expression in model.prepare.items()
        if column in columns
    ]
    con.execute(f"create table {name} as select {', '.join(selects)} from {name}_raw")
    con.execute(f"drop table {name}_raw")


def train(linker: Linker, model: SplinkModel) -> None:
    """Estimate lambda from deterministic rules, u by random sampling, m by EM."""
    linker.training.estimate_probability_two_random_records_match(
        list[str | BlockingRuleCreator](model.deterministic_rules), recall=model.recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=model.u_max_pairs, seed=model.u_seed)
    for rule in model.em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )


@contextmanager
def count_blocked_pairs(db_api: DuckDBAPI, counts: list[int]) -> Iterator[None]:
    """Append the size of every blocked-pairs table Splink materialises while inside.

    Splink drops that table at the end of ``predict``; counting it as it is created gives the
    exact number of comparisons scored without scoring them all again.
    """
    original: Callable[..., SplinkDataFrame] = db_api.sql_pipeline_to_splink_dataframe

    def counting(*args: Any, **kwargs: Any) -> SplinkDataFrame:
        frame = original(*args, **kwargs)
        if frame.templated_name == BLOCKED_PAIRS_TABLE:
            counts.append(_count(db_api._con, frame.physical_name))
        return frame

    db_api.sql_pipeline_to_splink_dataframe = counting  # type: ignore[method-assign]
    try:
        yield
    finally:
        db_api.sql_pipeline_to_splink_dataframe = original  # type: ignore[method-assign]


def write_clusters(con: duckdb.DuckDBPyConnection, clusters: SplinkDataFrame, out: Path) -> int:
    query = (
        f'select "record_id", cast(cluster_id as varchar) as cluster_id '
        f'from {clusters.physical_name} order by "record_id"'
    )
    return _copy(con, query, out)


def write_pairs(con: duckdb.DuckDBPyConnection, predictions: SplinkDataFrame, out: Path) -> int:
    query = f"""
        select
            case when source_dataset_l = 'left' then record_id_l else record_id_r end as left_id,
            case when source_dataset_l = 'left' then record_id_r else record_id_l end as right_id,
            match_probability
        from {predictions.physical_name}
        where match_probability >= {THRESHOLD}
        order by left_id, right_id
    """
    return _copy(con, query, out)


def _copy(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> int:
    partial = out.with_name(out.name + ".partial")
    con.execute(f"copy ({query}) to {_sql_string(str(partial))} (header, delimiter ',')")
    partial.replace(out)
    return _count(con, f"({query})")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of a table or parenthesised query (fetching everything: DuckDB 2 refuses new
    statements while a result is only partly fetched)."""
    rows = con.execute(f"select count(*) from {table}").fetchall()
    return int(rows[0][0])


def run(
    command: str, inputs: list[Path], out: Path, u_max_pairs: float | None = None
) -> dict[str, Any]:
    """Prepare, train, predict and write; returns the run statistics."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    con = duckdb.connect()
    con.execute(f"set threads to {THREADS}")
    aliases = ["records"] if command == "dedupe" else ["left", "right"]
    names = [f"input_{alias}" for alias in aliases]
    columns = [load_table(con, path, name) for path, name in zip(inputs, names, strict=True)]
    schema = detect_schema(columns[0])
    link_type: LinkType = "dedupe_only" if command == "dedupe" else "link_only"
    model = model_for(schema, link_type)
    if u_max_pairs is not None:
        model = replace(model, u_max_pairs=u_max_pairs)
    for name, cols in zip(names, columns, strict=True):
        prepare_table(con, name, model, cols)
    timings["load_s"] = time.perf_counter() - started

    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        names if command == "link" else names[0],
        model.settings,
        db_api=db_api,
        set_up_basic_logging=False,
        input_table_aliases=aliases if command == "link" else None,
    )
    mark = time.perf_counter()
    train(linker, model)
    timings["train_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    counts: list[int] = []
    with count_blocked_pairs(db_api, counts):
        predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    timings["predict_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if command == "dedupe":
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=THRESHOLD
        )
        written = write_clusters(con, clusters, out)
    else:
        written = write_pairs(con, predictions, out)
    timings["cluster_write_s"] = time.perf_counter() - mark
    return {
        "tool": "splink",
        "schema": schema,
        "comparisons": counts[-1] if counts else None,
        "predicted_pairs": _count(con, predictions.physical_name),
        "rows_written": written,
        "threshold": THRESHOLD,
        "u_max_pairs": model.u_max_pairs,
        "threads": THREADS,
        "versions": {p: version(p) for p in ("splink", "duckdb", "sqlglot")},
        "timings": timings,
        "total_s": time.perf_counter() - started,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.splink_runner")
    commands = parser.add_subparsers(dest="command", required=True)
    dedupe = commands.add_parser("dedupe", help="cluster the records of one CSV")
    dedupe.add_argument("inputs", nargs=1, type=Path, metavar="INPUT")
    link = commands.add_parser("link", help="match the records of two CSVs")
    link.add_argument("inputs", nargs=2, type=Path, metavar="CSV")
    for sub in (dedupe, link):
        sub.add_argument("--out", required=True, type=Path)
        sub.add_argument("--stats", type=Path)
        sub.add_argument("--verbose", action="store_true", help="show Splink's log")
        sub.add_argument(
            "--u-max-pairs", type=float, help="pairs sampled to estimate u (default: the model's)"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("splink").setLevel(logging.INFO if args.verbose else logging.WARNING)
    stats = run(args.command, list(args.inputs), args.out, args.u_max_pairs)
    if args.stats:
        args.stats.write_text(json.dumps(stats, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
