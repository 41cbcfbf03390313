"""One run, called by everyone: the ``linker`` command, the service and its job worker.

``read_sources`` reads input files (or a world directory) into source tables; ``run`` maps,
prepares, blocks, compares, scores and clusters (or selects matches) with one ``Settings``, and
returns a ``RunResult``: the result frame, the rejects, the statistics, and the settings as
run, with the blocking rules, comparisons and model it chose filled in, so the run can be
stored and replayed. Nothing here writes files or prints: callers do, through ``say``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from linker.engines import DEFAULT_SPARK_MASTER, score_with_engine
from linker.errors import ConfigError
from linker.io import REJECT_COLUMNS, read_table
from linker.models.choice import choose_model
from linker.pipeline import Outcome, dedupe, in_canonical_order, link
from linker.prepare.sources import ColumnPlan, SourceTable, plan_columns, prepare_sources
from linker.progress import Progress, Timer, no_progress
from linker.settings import Settings
from linker.world_input import is_world_dir, stack_world

Say = Callable[[str], None]


def _silent(message: str) -> None:
    pass


@dataclass
class RunResult:
    """What one run produced.

    ``result`` is ``record_id, cluster_id`` for a dedupe job and ``left_id, right_id,
    match_probability`` (best first) for a link job; ``settings`` are the settings as run.
    """

    settings: Settings
    plan: ColumnPlan
    outcome: Outcome
    result: pd.DataFrame
    rejects: pd.DataFrame
    inputs: dict[str, int]  # records per source
    summary: str
    # Values kept in a second reading, with a note (rejects' columns): linker.prepare.records
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))

    def scores(self, explain: bool = False) -> pd.DataFrame:
        """Every scored candidate pair (a dedupe job's with ``left_id < right_id`` as
        strings), with an ``explanation`` column when asked (its features compared again)."""
        scores = self.outcome.scores_frame(explain=explain, chunk_pairs=self.settings.chunk_pairs)
        if self.settings.job == "dedupe":
            swap = scores["left_id"].astype(str) > scores["right_id"].astype(str)
            scores.loc[swap, ["left_id", "right_id"]] = scores.loc[
                swap, ["right_id", "left_id"]
            ].to_numpy()
        return scores

    @property
    def model_manifest(self) -> dict[str, Any] | None:
        """The fitted Fellegi-Sunter model of an unsupervised run (None for a trained one):
        saved as a file, it is a model that a later run applies as is."""
        manifest: dict[str, Any] | None = self.outcome.stats["model"].get("manifest")
        return manifest

    def stats(self) -> dict[str, Any]:
        """The run's statistics, JSON-ready: stages, blocking, model, clustering, timings."""
        rejects = self.rejects
        return {
            **self.outcome.stats,
            "inputs": self.inputs,
            "columns": self.plan.as_dict(),
            "threshold": self.settings.threshold,
            "rejects": len(rejects),
            "rejects_by_column": _count_by_column(rejects),
            "notes": len(self.notes),
            "notes_by_column": _count_by_column(self.notes),
            "result": self.summary,
            "settings": self.settings.to_dict(),
        }


def read_sources(paths: list[Path], settings: Settings, say: Say = _silent) -> list[SourceTable]:
    """The source tables of ``paths``: each a CSV or Parquet file, or a world directory (its
    two services' files of ``settings.entity``). Two sources with one name (a file linked
    with itself) are told apart by ``(right)``."""
    tables: list[SourceTable] = []
    for path in paths:
        read = (
            stack_world(path, settings.entity, settings.id_column)
            if is_world_dir(path)
            else [read_table(path, settings.id_column)]
        )
        for table in read:
            say(table.describe())
            name = table.name
            if any(t.name == name for t in tables):
                name = f"{name} (right)"
            tables.append(SourceTable(name, table.frame, table.rows, table.rejects))
    return tables


def run(
    tables: list[SourceTable],
    settings: Settings,
    *,
    distinct: pd.DataFrame | None = None,
    progress: Progress[Any] = no_progress,
    say: Say = _silent,
    spark_master: str = DEFAULT_SPARK_MASTER,
) -> RunResult:
    """Run ``settings`` on ``tables``: the one path from input tables to a result.

    ``distinct`` (dedupe only) holds ``left_id, right_id`` pairs a reviewer said are
    different (``linker.io.read_id_pairs``). ``say`` hears the column plan and the model
    chosen as soon as they are known; ``progress`` may wrap the long loops.
    """
    if distinct is not None and settings.job != "dedupe":
        raise ConfigError("reviewer pairs (distinct records) apply to a dedupe job only")
    timer = Timer()
    plan = plan_columns(
        tables, settings.id_column, dict(settings.mapping), set(settings.ignore), settings.entity
    )
    for line in plan.describe():
        say(line)
    model = choose_model(settings.model, plan.fields, settings.entity)
    # The derived name columns feed the trained model only: an unsupervised run skips them
    # (``auto`` weighing the trained model needs them; Fellegi-Sunter does not read them).
    settings = replace(
        settings, prepare=replace(settings.prepare, name_features=model.kind == "trained")
    )
    with timer.stage("prepare"):
        prepared = prepare_sources(
            tables, plan, settings.id_column, settings.prepare, progress=progress
        )
    prepared = in_canonical_order(prepared)
    inputs = {t.name: len(t.frame) for t in tables}
    read_rejects = [t.rejects for t in tables if t.rejects is not None]
    rejects = pd.concat(
        [pd.DataFrame(columns=REJECT_COLUMNS), *read_rejects, prepared.rejects], ignore_index=True
    )
    outcome = score_with_engine(prepared, settings, progress=progress, spark_master=spark_master)
    chosen = outcome.stats["model"]
    if "evidence" in chosen:  # auto weighed both models: the check, its figures, the choice
        say(f"model: {chosen['kind']}; {outcome.blocking.count} candidates")
        say(chosen["reason"])
    else:
        say(f"model: {chosen['kind']} ({chosen['reason']}); {outcome.blocking.count} candidates")
    sessions = chosen.get("em_sessions", [])
    if sessions:
        used = [s for s in sessions if s["used"]]
        say(
            f"EM: {len(used)} of {len(sessions)} blocking-rule sessions fitted m "
            f"({sum(s['converged'] for s in used)} converged); "
            f"match probability of two random records {chosen['lambda']:.3g}"
        )
    for warning in chosen.get("warnings", []):
        say(f"warning: {warning}")
    with timer.stage("cluster" if settings.job == "dedupe" else "select_matches"):
        if settings.job == "dedupe":
            result = dedupe(outcome, settings.threshold, distinct)
            summary = f"{result['cluster_id'].nunique()} clusters from {len(result)} records"
        else:
            result = link(outcome, settings.threshold, settings.one_to_one)
            summary = f"{len(result)} matched pairs"
    outcome.stats["timings"] = {**timer.seconds, **outcome.stats["timings"]}
    # The model that scored, as a setting: a replay scores with it again, without weighing.
    scored_by = chosen.get("kind", model.kind)
    as_run = settings.with_choices(
        outcome.rules,
        outcome.comparisons,
        str(model.path) if model.path and scored_by == model.kind else scored_by,
    )
    return RunResult(as_run, plan, outcome, result, rejects, inputs, summary, prepared.notes)


def _count_by_column(problems: pd.DataFrame) -> dict[str, int]:
    """Rows of a rejects or notes frame per column."""
    return {str(column): int(n) for column, n in problems.groupby("column").size().items()}
