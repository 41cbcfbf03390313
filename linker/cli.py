"""The ``linker`` command: dedupe, link, evaluate, train.

Exit status: 0 done; 2 the input or an option is unusable (the one-line message names the
file, row and column; no output is written); 1 an internal error (``--debug`` shows the
traceback). Outputs are written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from linker.engines import DEFAULT_SPARK_MASTER
from linker.errors import ConfigError, InputError, LinkerError, ModelError
from linker.io import (
    check_output_paths,
    read_id_pairs,
    read_result_table,
    read_table,
    write_outputs,
)
from linker.job_commands import add_job_commands, run_job_command
from linker.models import PairClassifier
from linker.models.choice import default_model_dir, default_model_stale, read_manifest
from linker.models.explanations import explain_pairs
from linker.models.fellegi_sunter import FellegiSunter
from linker.models.freshness import (
    TRAINING_FILES,
    default_training_pairs,
    stale_reason,
    training_provenance,
)
from linker.pipeline import train_features
from linker.prepare import PrepareOptions, parse_map_option
from linker.prepare.dates import DATE_ORDERS
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.progress import Heartbeat, Timer, show_progress
from linker.runs import read_sources, run
from linker.settings import DEFAULT_THRESHOLD, ENGINES, Settings
from linker.store_commands import STORE_COMMANDS, add_store_commands, run_store_command
from linker.world_input import ENTITY_TYPES

T = TypeVar("T")

# The repository's training_data/ files, found from any working directory.
DEFAULT_TRAINING_PAIRS = default_training_pairs()


# The option that sets each setting a library error may name (``LinkerError.setting``).
SETTING_OPTIONS = {
    "id_column": "--id-column",
    "model": "--model",
    "mapping": "--map",
    "ignore": "--ignore",
    "engine": "--engine",
    "threshold": "--threshold",
    "entity": "--entity",
    "agency": "--agency",
}


class Console:
    """Messages and the progress line on stderr, silenced by ``--quiet``; the line shows only
    on a terminal and only once a run has lasted ``linker.progress.MIN_SECONDS``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.heartbeat: Heartbeat | None = None

    def say(self, message: str) -> None:
        if self.quiet:
            return
        if self.heartbeat is not None:
            self.heartbeat.message(f"linker: {message}")
        else:
            print(f"linker: {message}", file=sys.stderr)

    def progress(self, items: Iterable[T], description: str, total: int) -> Iterable[T]:
        if self.heartbeat is None:
            return items
        return self.heartbeat.progress(items, description, total)

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Show the progress line while the block runs, when ``show_progress`` allows it."""
        if not show_progress(self.quiet, sys.stderr.isatty()):
            yield
            return
        with Heartbeat(sys.stderr) as heartbeat:
            self.heartbeat = heartbeat
            try:
                yield
            finally:
                self.heartbeat = None


def _output_path(text: str) -> Path:
    """An output file option: a path ending in a separator names a directory, not a file."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(
            f"{text!r} ends with {text[-1]!r}: expected a file path, not a directory"
        )
    return Path(text)


def _region(text: str) -> str:
    """A phone region the phonenumbers library knows (ISO 3166 alpha-2: FR, DE, MA...)."""
    import phonenumbers

    region = text.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        close = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if r[:1] == region[:1])
        raise argparse.ArgumentTypeError(
            f"unknown phone region {text!r}: expected a two-letter country code known to "
            f"phonenumbers ({len(phonenumbers.SUPPORTED_REGIONS)} regions"
            + (f"; starting with {region[:1]}: {', '.join(close)}" if close else "")
            + ")"
        )
    return region


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        type=_output_path,
        help="output file: .csv, or .parquet for Parquet",
    )
    parser.add_argument("--id-column", default="record_id", help="id column (default record_id)")
    parser.add_argument(
        "--map", dest="mapping", help="column=field,... overrides the guessed mapping"
    )
    parser.add_argument("--ignore", default="", help="columns not to compare: col,col")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"match probability at or above which a pair matches (default {DEFAULT_THRESHOLD})",
    )
    parser.add_argument(
        "--model",
        default="auto",
        help="auto (trained model if one exists, else unsupervised), unsupervised, trained, "
        "or a model manifest path (default auto)",
    )
    parser.add_argument(
        "--scores", type=_output_path, help="write every scored candidate pair here"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add an explanation column (JSON) to --scores: each feature's value and its "
        "contribution to the logit",
    )
    parser.add_argument("--stats", type=_output_path, help="write run statistics (JSON) here")
    parser.add_argument("--rejects", type=_output_path, help="write row-level problems (CSV) here")
    parser.add_argument(
        "--date-order", choices=DATE_ORDERS, help="day/month order (default: guessed)"
    )
    parser.add_argument(
        "--region", type=_region, default="FR", help="default phone region (default FR)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument(
        "--entity",
        choices=ENTITY_TYPES,
        default="person",
        help="what the records describe: their column names, comparisons and blocking keys "
        "follow it; with a world directory, which files to stack (default person)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where blocking, comparing and scoring run: local (this process) or spark "
        "(needs linker[spark]; default local)",
    )
    parser.add_argument(
        "--spark-master",
        default=DEFAULT_SPARK_MASTER,
        help=f"with --engine spark: local[N] or spark://host:7077 (default {DEFAULT_SPARK_MASTER})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linker", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    dedupe_cmd = commands.add_parser("dedupe", help="cluster the records of one file")
    dedupe_cmd.add_argument(
        "input", type=Path, help="CSV or Parquet file, or a world directory (both services)"
    )
    _add_run_options(dedupe_cmd)
    dedupe_cmd.add_argument(
        "--distinct",
        type=Path,
        metavar="PAIRS.csv",
        help="CSV left_id,right_id (other columns ignored): record pairs a reviewer said are "
        "different, never put in one cluster; rows with unknown ids are skipped and counted",
    )

    link_cmd = commands.add_parser("link", help="match the records of two files")
    link_cmd.add_argument("left", type=Path)
    link_cmd.add_argument("right", type=Path)
    _add_run_options(link_cmd)
    link_cmd.add_argument("--one-to-one", action="store_true", help="at most one partner each")
    link_cmd.add_argument("--left-id-column", help="id column of LEFT (default: --id-column)")
    link_cmd.add_argument("--right-id-column", help="id column of RIGHT (default: --id-column)")

    train_cmd = commands.add_parser(
        "train",
        help="train the classifier from labelled pairs (default training_data/) or a file "
        "with truth",
    )
    train_cmd.add_argument("input", type=Path, nargs="?", help="records (needs --truth)")
    train_cmd.add_argument("--truth", type=Path, help="CSV record_id,entity_id")
    train_cmd.add_argument(
        "--pairs",
        type=Path,
        action="append",
        help="labelled pairs, JSON Lines; repeat for several files (default: "
        + " and ".join(f"training_data/{name}" for name in TRAINING_FILES)
        + ")",
    )
    train_cmd.add_argument(
        "--model-dir", type=Path, help="where to save (default: the default model)"
    )
    train_cmd.add_argument("--id-column", default="record_id")
    train_cmd.add_argument("--map", dest="mapping")
    train_cmd.add_argument("--ignore", default="")
    train_cmd.add_argument("--date-order", choices=DATE_ORDERS)
    train_cmd.add_argument("--region", type=_region, default="FR")
    train_cmd.add_argument(
        "--if-stale",
        action="store_true",
        help="train only if the model there is missing, stale (another linker version) or "
        "learnt from other files than these (make run uses it)",
    )
    train_cmd.add_argument(
        "--force",
        action="store_true",
        help="with INPUT --truth: save the model even if its cross-validated AUC is below 0.6 "
        "or below the unsupervised model's on the same pairs",
    )
    train_cmd.add_argument("--quiet", action="store_true")

    pairs_cmd = commands.add_parser(
        "compare-pairs", help="score explicit pairs given as left_<field>,right_<field> columns"
    )
    pairs_cmd.add_argument("pairs", type=Path, help="CSV or Parquet, one pair per row")
    pairs_cmd.add_argument(
        "--out", required=True, type=_output_path, help="the rows + match_probability"
    )
    pairs_cmd.add_argument(
        "--model", default="auto", help="auto (the default trained model) or PATH"
    )
    pairs_cmd.add_argument("--explain", action="store_true", help="add an explanation column")
    pairs_cmd.add_argument(
        "--entity",
        choices=ENTITY_TYPES,
        default="person",
        help="what the pairs describe: person (default), company (names, legal forms, "
        "registration...) or account (IBAN, account number, holder)",
    )
    pairs_cmd.add_argument("--date-order", choices=DATE_ORDERS)
    pairs_cmd.add_argument("--region", type=_region, default="FR")
    pairs_cmd.add_argument("--quiet", action="store_true")
    pairs_cmd.add_argument("--debug", action="store_true")
    train_cmd.add_argument("--debug", action="store_true")

    gen_cmd = commands.add_parser("generate", help="write a synthetic two-service world")
    gen_cmd.add_argument("--seed", type=int, required=True)
    gen_cmd.add_argument("--identities", type=int, default=2000, help="people (default 2000)")
    gen_cmd.add_argument("--out", type=Path, help="world directory to write")
    gen_cmd.add_argument(
        "--sample-pairs", type=int, help="print N random cross-service pairs of one identity"
    )
    gen_cmd.add_argument("--debug", action="store_true")

    eval_cmd = commands.add_parser("evaluate", help="measure clusters or pairs against truth")
    against = eval_cmd.add_mutually_exclusive_group(required=True)
    against.add_argument("--truth", type=Path, help="CSV record_id,entity_id[,source]")
    against.add_argument("--world", type=Path, help="a synthetic world directory (its truth/)")
    found = eval_cmd.add_mutually_exclusive_group(required=True)
    found.add_argument("--clusters", type=Path, help="CSV record_id,cluster_id")
    found.add_argument("--pairs", type=Path, help="CSV left_id,right_id")
    eval_cmd.add_argument("--scores", type=Path, help="CSV left_id,right_id,match_probability")
    eval_cmd.add_argument("--out-dir", type=Path, help="write summary.md and plots here")
    eval_cmd.add_argument("--debug", action="store_true")

    db_cmd = commands.add_parser(
        "db", help="the store's database (LINKER_DATABASE_URL, default a SQLite file)"
    )
    db_actions = db_cmd.add_subparsers(dest="db_command", required=True)
    for action, text in (
        ("upgrade", "create or upgrade the schema to the latest revision"),
        ("current", "show the database and the revision it is at"),
    ):
        db_actions.add_parser(action, help=text).add_argument("--debug", action="store_true")

    serve_cmd = commands.add_parser(
        "serve", help="run the web API on Werkzeug's development server (docs/api.md)"
    )
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)"
    )
    serve_cmd.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    serve_cmd.add_argument(
        "--workers",
        type=_workers,
        help="job worker threads (default: 1 on SQLite, 0 on PostgreSQL: run linker worker)",
    )
    serve_cmd.add_argument(
        "--exit-when-ready", action="store_true", help="stop after the first ready /readyz"
    )
    serve_cmd.add_argument("--debug", action="store_true")
    add_job_commands(commands, _region)
    add_store_commands(commands)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    """The run settings the options give (``train`` has no threshold, model or engine)."""
    entity = getattr(args, "entity", "person")
    return Settings(
        job="link" if args.command == "link" else "dedupe",
        entity=entity,
        threshold=getattr(args, "threshold", DEFAULT_THRESHOLD),
        model=getattr(args, "model", "auto"),
        id_column=getattr(args, "left_id_column", None) or args.id_column,
        mapping=parse_map_option(args.mapping, entity),
        ignore=tuple(c.strip() for c in args.ignore.split(",") if c.strip()),
        prepare=PrepareOptions(date_order=args.date_order, region=args.region),
        one_to_one=getattr(args, "one_to_one", False),
        engine=getattr(args, "engine", "local"),
    )


def _run(args: argparse.Namespace, console: Console) -> int:
    if args.explain and not args.scores:
        raise ConfigError("--explain adds a column to the --scores output: give --scores too")
    if args.explain and args.engine != "local":
        raise ConfigError("--explain needs --engine local (explanations are computed in-process)")
    paths = [args.input] if args.command == "dedupe" else [args.left, args.right]
    distinct_path: Path | None = getattr(args, "distinct", None)
    _check_outputs(args, [*paths, *([distinct_path] if distinct_path else [])])
    distinct = read_id_pairs(distinct_path) if distinct_path else None  # a bad file fails early
    settings = _settings(args)
    timer = Timer()
    with console.working():
        with timer.stage("read"):
            tables = _read_inputs(args, paths, settings, console)
        return _run_tables(args, console, tables, settings, timer, distinct)


def _check_outputs(args: argparse.Namespace, inputs: list[Path]) -> None:
    """Every output path checked before any work: none an input, none twice, each writable."""
    options = {"--out": "out", "--scores": "scores", "--rejects": "rejects", "--stats": "stats"}
    outputs = {
        option: getattr(args, name)
        for option, name in options.items()
        if getattr(args, name, None) is not None
    }
    check_output_paths(outputs, inputs)


def _read_inputs(
    args: argparse.Namespace, paths: list[Path], settings: Settings, console: Console
) -> list[SourceTable]:
    """The input tables; with ``link --left-id-column/--right-id-column``, each file read
    with its own id column, renamed to the left one's name so the run sees one id column."""
    left_id = settings.id_column  # --left-id-column, else --id-column
    right_id = getattr(args, "right_id_column", None) or args.id_column
    if args.command != "link" or right_id == left_id:
        return read_sources(paths, settings, console.say)
    left = read_sources([paths[0]], settings, console.say)
    right = read_sources([paths[1]], replace(settings, id_column=right_id), console.say)
    for table in right:
        if left_id in table.frame.columns:
            raise ConfigError(
                f"{table.name} has a column {left_id!r} besides its id column {right_id!r}: "
                "the ids of both sides go in one column of that name; rename the column"
            )
        table.frame = table.frame.rename(columns={right_id: left_id})
        if any(t.name == table.name for t in left):
            table.name = f"{table.name} (right)"
    return left + right


def _run_tables(
    args: argparse.Namespace,
    console: Console,
    tables: list[SourceTable],
    settings: Settings,
    timer: Timer,
    distinct: pd.DataFrame | None,
) -> int:
    distinct_path: Path | None = getattr(args, "distinct", None)
    done = run(
        tables,
        settings,
        distinct=distinct,
        progress=console.progress,
        say=console.say,
        spark_master=args.spark_master,
    )
    del tables
    if len(done.rejects):
        console.say(
            f"{len(done.rejects)} value(s) rejected and treated as missing"
            + ("" if args.rejects else " (list them with --rejects)")
        )
    if len(done.notes):
        by_column = done.notes.groupby("column").size()
        console.say(
            f"{len(done.notes)} value(s) kept with a note ("
            + ", ".join(f"{column}: {n}" for column, n in by_column.items())
            + ")"
            + ("" if args.rejects else " (list them with --rejects)")
        )
    if distinct_path:
        console.say(_reviewer_summary(distinct_path, done.outcome.stats["clustering"]))
    outputs: dict[Path, pd.DataFrame | str] = {args.out: done.result}
    if args.scores:
        with timer.stage("scores_output"):  # with --explain: the features compared again
            outputs[args.scores] = done.scores(explain=args.explain)
    if args.rejects:  # the notes follow the rejects, their reason prefixed with "kept: "
        notes = done.notes.assign(reason="kept: " + done.notes["reason"].astype(str))
        outputs[args.rejects] = pd.concat([done.rejects, notes], ignore_index=True)
    if args.stats:
        stats = done.stats()
        stats["timings"] = {**timer.seconds, **stats["timings"]}
        outputs[args.stats] = json.dumps(stats, indent=2, default=str)
    write_outputs(outputs)
    console.say(f"{done.summary}; wrote {', '.join(str(p) for p in outputs)}")
    return 0


def _reviewer_summary(path: Path, clustering: dict[str, int]) -> str:
    applied, skipped = clustering["cannot_link_reviewer"], clustering["reviewer_pairs_skipped"]
    message = f"{path}: {applied} reviewer pair(s) kept apart"
    if skipped:
        message += (
            f"; {skipped} row(s) skipped (an id not among the records, an empty id, "
            "or one record twice)"
        )
    return message


def _up_to_date(directory: Path, training: list[Path], console: Console) -> bool:
    """For ``--if-stale``: whether the model in ``directory`` is current and learnt from
    ``training`` as the files are now (then it is kept, and said so)."""
    manifest = directory / "manifest.json"
    if not manifest.exists() or read_manifest(manifest).get("kind") != "trained":
        return False
    reason = stale_reason(read_manifest(manifest), directory, training)
    if reason:
        console.say(f"{reason}: training again")
        return False
    console.say(f"the trained model at {directory} is up to date; not trained again")
    return True


def _train(args: argparse.Namespace, console: Console) -> int:
    if args.input is None:
        return _train_from_pairs(args, console)
    if args.truth is None:
        raise ConfigError("train INPUT needs --truth TRUTH.csv (or give --pairs instead)")
    from linker import evaluate
    from linker.training_check import check_training

    directory = args.model_dir or default_model_dir()
    if args.if_stale and _up_to_date(directory, [args.input, args.truth], console):
        return 0

    settings = replace(_settings(args), model="unsupervised")
    tables = read_sources([args.input], settings, console.say)
    plan = plan_columns(tables, settings.id_column, settings.mapping, set(settings.ignore))
    for line in plan.describe():
        console.say(line)
    prepared = prepare_sources(tables, plan, settings.id_column, settings.prepare)
    truth = evaluate.read_truth(args.truth)
    features, labels = train_features(prepared, truth, settings)
    model = PairClassifier().fit(features, labels)
    check = check_training(model.metrics_["cv_roc_auc"], prepared, truth, settings)
    problem = check.problem()
    if problem and not args.force:
        raise ModelError(
            f"{problem}: not saved; check that {args.truth} gives the entities of "
            f"{args.input}'s records, or give --force to save the model anyway"
        )
    if problem:  # shown even with --quiet: a doubtful model is now the one runs may use
        print(f"linker: warning: {problem}; saved anyway (--force)", file=sys.stderr)
    extra = {
        "columns": plan.as_dict(),
        "fields": plan.fields,
        "unsupervised_auc": check.unsupervised_auc,
        **training_provenance([args.input, args.truth], default=False),
    }
    manifest = model.save(directory, extra)
    versus = (
        ""
        if check.unsupervised_auc is None
        else f" (unsupervised model on the same pairs: {check.unsupervised_auc:.4f})"
    )
    console.say(
        f"trained on {len(labels)} pairs ({int(labels.sum())} matches); "
        f"cross-validated AUC {model.metrics_['cv_roc_auc']:.4f}{versus}; saved {manifest}"
    )
    return 0


def _train_from_pairs(args: argparse.Namespace, console: Console) -> int:
    from linker.explicit_pairs import train_from_pairs

    pairs = args.pairs or list(DEFAULT_TRAINING_PAIRS)
    for path in pairs:
        if not path.exists():
            raise ConfigError(f"no labelled pairs at {path}: give --pairs or INPUT --truth")
    directory = args.model_dir or default_model_dir()
    if args.if_stale and _up_to_date(directory, pairs, console):
        return 0
    options = PrepareOptions(date_order=args.date_order, region=args.region)
    model, features, fields = train_from_pairs(pairs, options)
    extra = {
        "training_pairs": [str(p) for p in pairs],
        "fields": fields,
        **training_provenance(pairs, default=not args.pairs),
    }
    manifest = model.save(directory, extra)
    names = ", ".join(str(p) for p in pairs)
    console.say(
        f"trained on {len(features)} pairs from {names} ({model.metrics_['matches']} matches); "
        f"out-of-fold AUC {model.metrics_['cv_roc_auc']:.4f}, "
        f"Brier {model.metrics_['cv_brier']:.4f}; saved {manifest}"
    )
    return 0


def _compare_pairs(args: argparse.Namespace, console: Console) -> int:
    from linker.explicit_pairs import from_side_columns, pair_features, prior_model

    check_output_paths({"--out": args.out}, [args.pairs])
    table = read_table(args.pairs, id_column=None)
    console.say(table.describe())
    pairs = from_side_columns(table.frame, str(args.pairs))
    path = default_model_dir(args.entity) if args.model == "auto" else Path(args.model)
    trained = path.exists() and read_manifest(path).get("kind") == "trained"
    stale = (
        default_model_stale(path / "manifest.json") if trained and args.model == "auto" else None
    )
    if stale:
        raise ModelError(stale, setting="model")
    if not trained and (args.entity == "person" or args.model != "auto"):
        raise ConfigError(
            f"compare-pairs scores {args.entity} pairs with a trained model and there is none "
            f"at {path}: run 'linker train' or give --model PATH",
            setting="model",
        )
    options = PrepareOptions(date_order=args.date_order, region=args.region)
    features, comparisons = pair_features(  # a list of pairs is no population: no rarity
        pairs, options, population=False, entity=args.entity
    )
    model: PairClassifier | FellegiSunter
    if trained:
        model, used = PairClassifier.load(path), str(path)
    else:  # companies and accounts have no default trained model
        model = prior_model(comparisons, features)
        used = f"the {args.entity} comparisons' prior weights (no trained model at {path})"
    scored = table.frame.copy()
    scored["match_probability"] = model.predict_proba(features)
    if args.explain:
        scored["explanation"] = explain_pairs(model, features)
    write_outputs({args.out: scored})
    console.say(f"scored {len(scored)} {args.entity} pairs with {used}; wrote {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    # Imported here, as the other commands' own modules are: dedupe and link never load them.
    from linker import evaluate

    if args.world:
        return _evaluate_world(args)
    truth_frame = read_result_table(args.truth, evaluate.TRUTH_COLUMNS, "a truth file")
    truth = evaluate.truth_of(truth_frame, args.truth)
    sides = (
        truth_frame.set_index("record_id")["source"].replace("", None)
        if "source" in truth_frame
        else None
    )
    sections: dict[str, Any] = {}
    if args.clusters:
        # Pairs inside clusters, counted without listing them (a cluster may be huge).
        clusters = read_result_table(args.clusters, ("record_id", "cluster_id"), "clusters")
        _warn_unknown_ids(args.clusters, clusters[["record_id"]], truth)
        sections["cluster"] = evaluate.cluster_scores(clusters, truth)
    else:
        pairs = read_result_table(args.pairs, ("left_id", "right_id"), "a file of pairs")
        _warn_unknown_ids(args.pairs, pairs[["left_id", "right_id"]], truth)
        sections["pairwise"] = evaluate.pair_scores(pairs, truth, sides)
    scored = _read_scores(args.scores) if args.scores else None
    if scored is not None:
        sections["blocking_recall"] = evaluate.blocking_recall(scored, truth, sides)
    for name, value in sections.items():
        if isinstance(value, float):
            print(f"{name}: {value:.4f}")
        else:
            print(
                f"{name}: precision {value.precision:.4f} recall {value.recall:.4f} "
                f"f1 {value.f1:.4f}"
            )
    if args.out_dir:
        written = evaluate.write_report(
            args.out_dir,
            title="linker evaluation",
            sections=sections,
            scored=scored,
            truth=truth,
            link_sides=sides,
        )
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _read_scores(path: Path) -> pd.DataFrame:
    columns = ("left_id", "right_id", "match_probability")
    scored = read_result_table(path, columns, "a file of scored pairs")
    probability = pd.to_numeric(scored["match_probability"], errors="coerce")
    bad = probability.isna() | ~probability.between(0.0, 1.0)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} match_probability value(s) are not numbers between 0 and 1 "
            f"(first: {scored['match_probability'][bad].iloc[0]!r})",
            file=str(path),
            column="match_probability",
        )
    return scored.assign(match_probability=probability)


def _warn_unknown_ids(path: Path, ids: pd.DataFrame, truth: pd.Series) -> None:
    """Warn (stderr) when predicted record ids are not in the truth: another file's ids, or
    ids that changed on the way (leading zeros, spaces)."""
    values = pd.unique(ids.to_numpy().ravel())
    unknown = [v for v in values if v != "" and v not in truth.index]
    if unknown:
        examples = ", ".join(repr(v) for v in unknown[:5])
        print(
            f"linker: warning: {path}: {len(unknown)} of {len(values)} record id(s) are not in "
            f"the truth (e.g. {examples}); they count as records with no true partner",
            file=sys.stderr,
        )


def _generate(args: argparse.Namespace) -> int:
    # Imported here: the matcher never loads the generator's variant tables.
    from linker.synth.world import format_pair, generate_world, sample_pairs

    if args.sample_pairs:
        for pair in sample_pairs(args.sample_pairs, args.seed, world=args.out):
            print(format_pair(pair))
        return 0
    if not args.out:
        raise ConfigError("generate needs --out DIR (or --sample-pairs N)")
    print(generate_world(args.identities, args.seed, args.out).describe())
    return 0


def _evaluate_world(args: argparse.Namespace) -> int:
    from linker.evaluate_world import evaluate_world, format_world_report, write_world_report

    if not args.clusters:
        raise ConfigError("--world needs --clusters (clusters over both services' records)")
    clusters = read_result_table(args.clusters, ("record_id", "cluster_id"), "clusters")
    scores = _read_scores(args.scores) if args.scores else None
    report = evaluate_world(args.world, clusters, scores=scores)
    print(format_world_report(report))
    if args.out_dir:
        written = write_world_report(report, args.out_dir)
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _db(args: argparse.Namespace) -> int:
    # Imported here: the file-to-file commands never load SQLAlchemy.
    from linker.store import Store, head_revision

    store = Store.open(check=False)
    try:
        if args.db_command == "upgrade":
            print(f"database: {store.url}\nrevision: {store.upgrade()} (latest)")
            return 0
        revision, head = store.revision(), head_revision()
        state = "latest" if revision == head else f"latest is {head}: run linker db upgrade"
        print(f"database: {store.url}\nrevision: {revision or 'none'} ({state})")
        return 0
    finally:
        store.close()


def _port(text: str) -> int:
    """A TCP port number for ``--port``."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1 to 65535)")
    return int(text)


def _workers(text: str) -> int:
    """A number of job worker threads for ``--workers``."""
    if not text.isdigit() or int(text) > 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of worker threads (0 to 64)")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    """Serve the API (and job workers on SQLite) until Ctrl-C; production runs the app under a
    WSGI server (docs/api.md)."""
    from linker.serve import serve

    return serve(
        args.host,
        args.port,
        workers=args.workers,
        exit_when_ready=args.exit_when_ready,
        say=lambda message: print(f"linker: {message}", file=sys.stderr, flush=True),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``linker`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    console = Console(getattr(args, "quiet", False))
    try:
        if args.command == "evaluate":
            return _evaluate(args)
        if args.command == "train":
            return _train(args, console)
        if args.command == "compare-pairs":
            return _compare_pairs(args, console)
        if args.command == "generate":
            return _generate(args)
        if args.command == "db":
            return _db(args)
        if args.command == "serve":
            return _serve(args)
        if args.command in ("ingest", "worker"):
            return run_job_command(args, console)
        if args.command in STORE_COMMANDS:
            return run_store_command(args, console)
        return _run(args, console)
    except LinkerError as exc:
        option = SETTING_OPTIONS.get(exc.setting or "")
        print(f"linker: error: {exc}" + (f" (option {option})" if option else ""), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `linker generate --sample-pairs 20 | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"linker: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
