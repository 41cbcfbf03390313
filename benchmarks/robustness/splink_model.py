"""Splink 4 for the robustness benchmark: one settings function for every schema, and a runner.

``splink_settings_for(fields)`` builds the whole model from the field kinds of the input's
columns (``schemas.Schema.columns``), the same way for every row of the matrix, following
Splink's tutorials: tutorial comparisons per kind, single-column blocking rules plus a few
pairs, lambda from one deterministic rule, u by random sampling, m by EM on two blocking rules.
Preparation is the cleaning ``benchmarks.splink_settings`` does (trim, lower case, accents off,
``DD/MM/YYYY`` to ISO; a date written as the year only becomes null, as any text that is not a
full date), and the first number of a phone list, digits only.

    python -m benchmarks.robustness.splink_model IN.csv --fields '{"given_name": ...}' \\
        --out clusters.csv --stats stats.json

runs it (DuckDB, 2 threads), predicts at match probability 0.9 and writes the clusters of
``cluster_pairwise_predictions_at_threshold(..., 0.9)`` as ``record_id,cluster_id``. Any
failure (too few records to sample, EM that cannot start) ends the process with its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

from benchmarks.splink_runner import (
    THREADS,
    _count,
    count_blocked_pairs,
    load_table,
    prepare_table,
    train,
    write_clusters,
)
from benchmarks.splink_settings import SplinkModel, _clean, _folded, _iso_from_ddmmyyyy

THRESHOLD = 0.9
U_MAX_PAIRS = 1e6
RECALL = 0.7  # of the deterministic rule, as in benchmarks/splink_settings.py
# Blocking: every one of these kinds alone, when present, ...
SINGLE_BLOCKS = ("dob", "family_name", "given_name", "full_name", "email", "phones")
# ... and these pairs of kinds (city is too common to block on alone).
PAIR_BLOCKS = (("city", "birth_place"), ("city", "address"), ("birth_place", "occupation"))
# The deterministic rule for lambda: the first of these whose kinds are all present.
DETERMINISTIC = (
    ("given_name", "family_name", "dob"),
    ("full_name", "dob"),
    ("given_name", "family_name"),
    ("full_name",),
)
# EM: one session per rule, blocked on the first two of these kinds present.
EM_BLOCKS = ("dob", "family_name", "given_name", "full_name", "city")


def _comparison(column: str, kind: str) -> ComparisonCreator:
    if kind in ("given_name", "family_name"):
        return cl.NameComparison(column).configure(term_frequency_adjustments=True)
    if kind == "full_name":
        return cl.JaroWinklerAtThresholds(column, [0.9, 0.8]).configure(
            term_frequency_adjustments=True
        )
    if kind == "dob":
        return cl.DateOfBirthComparison(column, input_is_string=True, invalid_dates_as_null=True)
    if kind in ("city", "birth_place"):
        return cl.LevenshteinAtThresholds(column, [2]).configure(term_frequency_adjustments=True)
    if kind == "email":
        return cl.EmailComparison(column)
    if kind == "phones":
        return cl.LevenshteinAtThresholds(column, [1, 2])
    if kind in ("sex", "nationality"):
        return cl.ExactMatch(column)
    if kind in ("address", "occupation"):
        return cl.JaroWinklerAtThresholds(column, [0.9, 0.8])
    raise ValueError(f"no Splink comparison for field kind {kind!r}")


def _prepare(column: str, kind: str) -> str:
    if kind == "dob":
        return _iso_from_ddmmyyyy(column)
    if kind == "sex":
        return f"upper({_clean(column)})"
    if kind == "phones":
        first = f"regexp_split_to_array(coalesce(\"{column}\", ''), '[|,;/]')[1]"
        return f"nullif(regexp_replace({first}, '[^0-9]', '', 'g'), '')"
    return _folded(column)


def splink_settings_for(fields: Mapping[str, str]) -> SplinkModel:
    """The Splink model for an input whose columns have these field kinds (column -> kind,
    ``schemas.FIELD_KINDS``), built by one fixed recipe for every schema."""
    columns: dict[str, list[str]] = {}
    for column, kind in fields.items():
        columns.setdefault(kind, []).append(column)

    def first(kind: str) -> str | None:
        return columns[kind][0] if kind in columns else None

    blocking: list[BlockingRuleCreator | dict[str, Any]] = [
        block_on(column) for kind in SINGLE_BLOCKS for column in columns.get(kind, [])[:1]
    ]
    given, family = first("given_name"), first("family_name")
    if given and family:
        blocking.append(CustomRule(f'l."{given}" = r."{family}" and l."{family}" = r."{given}"'))
    for a, b in PAIR_BLOCKS:
        col_a, col_b = first(a), first(b)
        if col_a and col_b:
            blocking.append(block_on(col_a, col_b))
    rule = next(r for r in DETERMINISTIC if all(k in columns for k in r))
    em_kinds = [k for k in EM_BLOCKS if k in columns][:2]
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[_comparison(column, kind) for column, kind in fields.items()],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    return SplinkModel(
        schema="robustness",
        settings=settings,
        prepare={column: _prepare(column, kind) for column, kind in fields.items()},
        deterministic_rules=[block_on(*(columns[k][0] for k in rule))],
        recall=RECALL,
        em_rules=[block_on(columns[k][0]) for k in em_kinds],
        u_max_pairs=U_MAX_PAIRS,
    )


def describe(model: SplinkModel) -> dict[str, Any]:
    """The model's comparisons and rules as Splink writes them (for the stats and the docs)."""
    settings = model.settings.get_settings("duckdb").as_dict()  # type: ignore[no-untyped-call]
    return {
        "comparisons": [c.get("output_column_name") for c in settings["comparisons"]],
        "blocking_rules": [
            r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]
        ],
        "deterministic_rules": [
            r.get_blocking_rule("duckdb").blocking_rule_sql for r in model.deterministic_rules
        ],
        "em_rules": [r.get_blocking_rule("duckdb").blocking_rule_sql for r in model.em_rules],
    }


def run(path: Path, fields: Mapping[str, str], out: Path) -> dict[str, Any]:
    """Prepare, train, predict, cluster and write; returns the run statistics."""
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"set threads to {THREADS}")
    columns = load_table(con, path, "input_records")
    model = splink_settings_for(fields)
    prepare_table(con, "input_records", model, columns)
    db_api = DuckDBAPI(connection=con)
    linker = Linker("input_records", model.settings, db_api=db_api, set_up_basic_logging=False)
    train(linker, model)
    counts: list[int] = []
    with count_blocked_pairs(db_api, counts):
        predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    written = write_clusters(con, clusters, out)
    return {
        "tool": "splink",
        "model": describe(model),
        "comparisons": counts[-1] if counts else None,
        "predicted_pairs": _count(con, predictions.physical_name),
        "rows_written": written,
        "threshold": THRESHOLD,
        "threads": THREADS,
        "versions": {p: version(p) for p in ("splink", "duckdb")},
        "total_s": time.perf_counter() - started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.robustness.splink_model")
    parser.add_argument("input", type=Path)
    parser.add_argument("--fields", required=True, help="JSON object: column -> field kind")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--stats", type=Path)
    parser.add_argument("--verbose", action="store_true", help="show Splink's log")
    args = parser.parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level)
    logging.getLogger("splink").setLevel(level)
    stats = run(args.input, json.loads(args.fields), args.out)
    if args.stats:
        args.stats.write_text(json.dumps(stats, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
