"""Quality of a clustering of a synthetic world's records, per entity type, origin and trap.

``evaluate_world`` measures clusters (``record_id, cluster_id`` over the stacked records of both
services) against ``DIR/truth``. For each entity type present in the clusters (or the one asked
for) it gives:

- *pairwise* scores: every two records in one cluster form a predicted pair
  (``linker.evaluate.cluster_scores``);
- *cluster* scores: a predicted cluster is right when it holds exactly the records of one true
  entity; precision is the share of predicted clusters that are right, recall the share of true
  entities found exactly. Records of the type missing from the clusters are singleton clusters.
- *cross-service link* scores: the pairwise scores restricted to pairs of one fiu and one police
  record (the sides are the truth's ``source``);
- *by origin*: for each origin of the true entity, the pairwise and cross-service scores of that
  origin's records. A true pair belongs to the origin of its entity. A predicted pair counts for
  every origin among its two records' entities (a pair merging an Afghan and a Syrian is a false
  positive of both), so precision per origin is "of the predicted pairs touching this origin,
  the share that are true". All counts come from cluster x entity tables: no pair is listed.
- *by hard-negative kind*: the share of each kind's planted pairs (``truth/hard_negatives.csv``)
  whose two records ended up in one cluster. The pair belongs to the entity type of its first
  record.
- *blocking recall* (when ``scores``, ``left_id, right_id, match_probability``, are given): the
  share of true pairs, and of true cross-service pairs, among the scored candidate pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from linker import evaluate
from linker.errors import ConfigError, InputError
from linker.evaluate import Scores
from linker.world_input import (
    ENTITY_TYPES,
    SERVICES,
    read_hard_negatives,
    read_truth_records,
)

__all__ = [
    "EntityReport",
    "WorldReport",
    "evaluate_world",
    "format_world_report",
    "write_world_report",
]

ORIGIN_COLUMNS = [
    "origin",
    "records",
    "entities",
    "true_pairs",
    "pair_precision",
    "pair_recall",
    "pair_f1",
    "link_true_pairs",
    "link_precision",
    "link_recall",
    "link_f1",
]
HARD_NEGATIVE_COLUMNS = ["kind", "planted", "merged", "merged_share"]
UNKNOWN_ORIGIN = "(unknown)"


@dataclass(frozen=True)
class EntityReport:
    """The measures of one entity type (see the module docstring)."""

    entity_type: str
    records: int
    clustered_records: int
    entities: int
    pairwise: Scores
    cluster: Scores
    cross_service: Scores
    by_origin: pd.DataFrame  # ORIGIN_COLUMNS, one row per origin (empty when none is known)
    hard_negatives: pd.DataFrame  # HARD_NEGATIVE_COLUMNS, one row per kind
    blocking_recall: float | None = None
    cross_service_blocking_recall: float | None = None
    truth: pd.Series = field(default_factory=lambda: pd.Series(dtype=object), repr=False)
    sides: pd.Series = field(default_factory=lambda: pd.Series(dtype=object), repr=False)
    scores: pd.DataFrame | None = field(default=None, repr=False)


@dataclass(frozen=True)
class WorldReport:
    """Per entity type reports of one clustering of one world."""

    world: Path
    entities: dict[str, EntityReport]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (scores, slices and blocking recall per entity type)."""
        return {
            "world": str(self.world),
            "entities": {
                name: {
                    "records": r.records,
                    "clustered_records": r.clustered_records,
                    "entities": r.entities,
                    "pairwise": r.pairwise.as_dict(),
                    "cluster": r.cluster.as_dict(),
                    "cross_service": r.cross_service.as_dict(),
                    "by_origin": r.by_origin.to_dict(orient="records"),
                    "hard_negatives": r.hard_negatives.to_dict(orient="records"),
                    "blocking_recall": r.blocking_recall,
                    "cross_service_blocking_recall": r.cross_service_blocking_recall,
                }
                for name, r in self.entities.items()
            },
        }


# --------------------------------------------------------------------------- counting


def _choose2(n: NDArray[np.int64]) -> NDArray[np.int64]:
    result: NDArray[np.int64] = n * (n - 1) // 2
    return result


def _clusters_frame(clusters: pd.DataFrame) -> pd.DataFrame:
    for column in ("record_id", "cluster_id"):
        if column not in clusters.columns:
            raise InputError(
                f"clusters have no column {column!r} (found: {list(clusters.columns)})",
                column=column,
            )
    frame = pd.DataFrame(
        {
            "record_id": clusters["record_id"].astype(str).str.strip().to_numpy(),
            "cluster_id": clusters["cluster_id"].to_numpy(),
        }
    )
    frame = frame[frame["cluster_id"].notna()].drop_duplicates()
    frame = frame.assign(cluster_id=frame["cluster_id"].astype(str))
    duplicated = frame["record_id"].duplicated()
    if duplicated.any():
        first = frame.loc[duplicated, "record_id"].iloc[0]
        raise InputError(f"record {first!r} is in more than one cluster", column="record_id")
    return frame.reset_index(drop=True)


def _codes_or_own(values: pd.Series) -> NDArray[np.int64]:
    """Integer codes of the values; each missing value gets a code of its own."""
    codes = pd.factorize(values)[0].astype(np.int64)
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(int(missing.sum()), dtype=np.int64)
    return codes


def _labelled(truth: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """One row per truth record of one type: integer ``cluster``, ``entity``, ``side`` (0 fiu,
    1 police) and the entity's ``origin``. Unclustered records are singleton clusters; a record
    without entity is its own entity."""
    merged = truth.merge(clusters, on="record_id", how="left")
    cluster = _codes_or_own(merged["cluster_id"])
    entity = _codes_or_own(merged["entity_id"])
    # The origin of the true entity: its first known origin among its records.
    origin = merged.groupby(entity, sort=False)["origin"].transform("first")
    return pd.DataFrame(
        {
            "cluster": cluster,
            "entity": entity,
            "side": (merged["source"] == SERVICES[1]).to_numpy(dtype=np.int64),
            "origin": origin.fillna(UNKNOWN_ORIGIN).to_numpy(dtype=object),
        }
    )


def _group_counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group: ``n`` records, ``f`` fiu records, ``p`` police records."""
    grouped = frame.assign(p=frame["side"]).groupby(keys, sort=False)
    counts = grouped.agg(n=("side", "size"), p=("p", "sum")).reset_index()
    counts["f"] = counts["n"] - counts["p"]
    return counts


def _pairs(counts: pd.DataFrame) -> NDArray[np.int64]:
    return _choose2(counts["n"].to_numpy(dtype=np.int64))


def _cross(counts: pd.DataFrame) -> NDArray[np.int64]:
    f = counts["f"].to_numpy(dtype=np.int64)
    p = counts["p"].to_numpy(dtype=np.int64)
    result: NDArray[np.int64] = f * p
    return result


def _exact_cluster_scores(frame: pd.DataFrame) -> Scores:
    by_cluster = frame.groupby("cluster", sort=False).size()
    by_entity = frame.groupby("entity", sort=False).size()
    both = frame.groupby(["cluster", "entity"], sort=False).size().reset_index(name="n")
    exact = (both["n"].to_numpy() == by_cluster.loc[both["cluster"]].to_numpy()) & (
        both["n"].to_numpy() == by_entity.loc[both["entity"]].to_numpy()
    )
    tp = int(exact.sum())
    return Scores.from_counts(tp, len(by_cluster) - tp, len(by_entity) - tp)


def _cross_scores(frame: pd.DataFrame) -> Scores:
    predicted = int(_cross(_group_counts(frame, ["cluster"])).sum())
    actual = int(_cross(_group_counts(frame, ["entity"])).sum())
    tp = int(_cross(_group_counts(frame, ["cluster", "entity"])).sum())
    return Scores.from_counts(tp, predicted - tp, actual - tp)


def _origin_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairwise and cross-service scores per origin of the true entity (module docstring)."""
    if (frame["origin"] == UNKNOWN_ORIGIN).all():
        return pd.DataFrame(columns=ORIGIN_COLUMNS)
    cluster_totals = _group_counts(frame, ["cluster"])
    touching = _group_counts(frame, ["cluster", "origin"]).merge(
        cluster_totals, on="cluster", suffixes=("_o", "")
    )
    n, m = touching["n"].to_numpy(np.int64), touching["n_o"].to_numpy(np.int64)
    f, fo = touching["f"].to_numpy(np.int64), touching["f_o"].to_numpy(np.int64)
    p, po = touching["p"].to_numpy(np.int64), touching["p_o"].to_numpy(np.int64)
    touching = touching.assign(
        predicted=_choose2(n) - _choose2(n - m), link_predicted=f * p - (f - fo) * (p - po)
    )
    predicted = touching.groupby("origin")[["predicted", "link_predicted"]].sum()
    by_entity = _group_counts(frame, ["entity", "origin"])
    by_entity = by_entity.assign(true=_pairs(by_entity), link_true=_cross(by_entity))
    actual = by_entity.groupby("origin").agg(
        entities=("entity", "size"),
        records=("n", "sum"),
        true=("true", "sum"),
        link_true=("link_true", "sum"),
    )
    found = _group_counts(frame, ["cluster", "entity", "origin"])
    found = found.assign(tp=_pairs(found), link_tp=_cross(found))
    hits = found.groupby("origin")[["tp", "link_tp"]].sum()
    table = actual.join(predicted).join(hits).fillna(0)
    rows = []
    for origin, row in table.sort_index().iterrows():
        pair = Scores.from_counts(
            int(row["tp"]), int(row["predicted"] - row["tp"]), int(row["true"] - row["tp"])
        )
        link = Scores.from_counts(
            int(row["link_tp"]),
            int(row["link_predicted"] - row["link_tp"]),
            int(row["link_true"] - row["link_tp"]),
        )
        rows.append(
            [
                str(origin),
                int(row["records"]),
                int(row["entities"]),
                int(row["true"]),
                pair.precision,
                pair.recall,
                pair.f1,
                int(row["link_true"]),
                link.precision,
                link.recall,
                link.f1,
            ]
        )
    return pd.DataFrame(rows, columns=ORIGIN_COLUMNS)


def _hard_negative_table(
    hard: pd.DataFrame, record_ids: pd.Index, clusters: pd.DataFrame
) -> pd.DataFrame:
    mine = hard[hard["record_id_a"].isin(record_ids)]
    if mine.empty:
        return pd.DataFrame(columns=HARD_NEGATIVE_COLUMNS)
    cluster_of = clusters.set_index("record_id")["cluster_id"]
    a = cluster_of.reindex(mine["record_id_a"].to_numpy()).to_numpy()
    b = cluster_of.reindex(mine["record_id_b"].to_numpy()).to_numpy()
    merged = pd.notna(a) & pd.notna(b) & (a == b)
    counts = (
        pd.DataFrame({"kind": mine["kind"].fillna("(none)").to_numpy(), "merged": merged})
        .groupby("kind")["merged"]
        .agg(planted="size", merged="sum")
        .reset_index()
    )
    counts["merged"] = counts["merged"].astype(int)
    counts["merged_share"] = counts["merged"] / counts["planted"]
    return counts[HARD_NEGATIVE_COLUMNS]


def _scores_of_type(scores: pd.DataFrame, record_ids: pd.Index) -> pd.DataFrame:
    for column in ("left_id", "right_id", "match_probability"):
        if column not in scores.columns:
            raise InputError(f"scores have no column {column!r}", column=column)
    left = scores["left_id"].astype(str)
    right = scores["right_id"].astype(str)
    return scores[left.isin(record_ids) | right.isin(record_ids)].assign(
        left_id=left, right_id=right
    )


# --------------------------------------------------------------------------- evaluation


def evaluate_world(
    world: Path,
    clusters: pd.DataFrame,
    entity: str | None = None,
    scores: pd.DataFrame | None = None,
) -> WorldReport:
    """Measure ``clusters`` (``record_id, cluster_id``) against the truth of ``world``.

    Evaluates ``entity`` only when given, else every entity type with a record in the clusters.
    Raises ``InputError`` when the world's truth is missing or malformed, or when a clustered
    record is not in the truth (clusters of another world).
    """
    world = Path(world)
    if entity is not None and entity not in ENTITY_TYPES:
        raise ConfigError(
            f"unknown entity type {entity!r}; expected one of {', '.join(ENTITY_TYPES)}"
        )
    truth = read_truth_records(world)
    hard = read_hard_negatives(world)
    frame = _clusters_frame(clusters)
    unknown = ~frame["record_id"].isin(truth["record_id"])
    if unknown.any():
        raise InputError(
            f"{int(unknown.sum())} clustered record(s) are not in the world's truth, e.g. "
            f"{frame.loc[unknown, 'record_id'].iloc[0]!r}: are these clusters of {world}?",
            file=str(world / "truth" / "records.csv"),
        )
    types_present = set(truth.loc[truth["record_id"].isin(frame["record_id"]), "entity_type"])
    wanted = [entity] if entity is not None else [t for t in ENTITY_TYPES if t in types_present]
    reports: dict[str, EntityReport] = {}
    for entity_type in wanted:
        records = truth[truth["entity_type"] == entity_type].reset_index(drop=True)
        ids = pd.Index(records["record_id"])
        mine = frame[frame["record_id"].isin(ids)]
        labelled = _labelled(records, mine)
        truth_series = pd.Series(records["entity_id"].to_numpy(), index=ids, name="entity_id")
        sides = pd.Series(records["source"].to_numpy(), index=ids, name="source")
        typed_scores = None if scores is None else _scores_of_type(scores, ids)
        reports[entity_type] = EntityReport(
            entity_type=entity_type,
            records=len(records),
            clustered_records=len(mine),
            entities=int(labelled["entity"].nunique()),
            pairwise=evaluate.cluster_scores(mine, truth_series),
            cluster=_exact_cluster_scores(labelled),
            cross_service=_cross_scores(labelled),
            by_origin=_origin_table(labelled),
            hard_negatives=_hard_negative_table(hard, ids, mine),
            blocking_recall=None
            if typed_scores is None
            else evaluate.blocking_recall(typed_scores, truth_series),
            cross_service_blocking_recall=None
            if typed_scores is None
            else evaluate.blocking_recall(typed_scores, truth_series, sides),
            truth=truth_series,
            sides=sides,
            scores=typed_scores,
        )
    return WorldReport(world=world, entities=reports)


# --------------------------------------------------------------------------- output


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _score_rows(report: EntityReport) -> list[list[str]]:
    rows = []
    for name, s in (
        ("pairwise", report.pairwise),
        ("cluster (exact)", report.cluster),
        ("cross-service link", report.cross_service),
    ):
        rows.append([name, *s.cells()])
    return rows


def _origin_rows(table: pd.DataFrame) -> list[list[str]]:
    return [
        [
            str(r.origin),
            str(r.records),
            str(r.entities),
            str(r.true_pairs),
            f"{r.pair_precision:.4f}",
            f"{r.pair_recall:.4f}",
            f"{r.pair_f1:.4f}",
            str(r.link_true_pairs),
            f"{r.link_precision:.4f}",
            f"{r.link_recall:.4f}",
            f"{r.link_f1:.4f}",
        ]
        for r in table.itertuples(index=False)
    ]


def _hard_rows(table: pd.DataFrame) -> list[list[str]]:
    return [
        [str(r.kind), str(r.planted), str(r.merged), f"{r.merged_share:.4f}"]
        for r in table.itertuples(index=False)
    ]


_SCORE_HEADER = ["measure", "precision", "recall", "F1", "true pos.", "false pos.", "false neg."]
_ORIGIN_HEADER = [
    "origin",
    "records",
    "entities",
    "true pairs",
    "pair P",
    "pair R",
    "pair F1",
    "link pairs",
    "link P",
    "link R",
    "link F1",
]
_HARD_HEADER = ["hard negative", "planted", "merged", "merged share"]


def _render(report: WorldReport, markdown: bool) -> str:
    def heading(level: int, text: str) -> list[str]:
        return [f"{'#' * level} {text}", ""] if markdown else [text, ""]

    lines = heading(1, f"World evaluation: {report.world}")
    if not report.entities:
        lines += ["No clustered record of a known entity type.", ""]
    for name, r in report.entities.items():
        lines += heading(2, f"{name} ({r.records} records, {r.entities} entities)")
        lines += [
            f"Clustered records: {r.clustered_records} of {r.records} "
            "(the others count as singletons).",
            "",
        ]
        lines += [*_table(_SCORE_HEADER, _score_rows(r), markdown), ""]
        if r.blocking_recall is not None:
            lines += [
                f"Blocking recall: {r.blocking_recall:.4f} "
                f"(cross-service: {r.cross_service_blocking_recall or 0.0:.4f}).",
                "",
            ]
        if len(r.by_origin):
            lines += heading(3, f"{name}: by origin of the true entity")
            lines += [*_table(_ORIGIN_HEADER, _origin_rows(r.by_origin), markdown), ""]
        if len(r.hard_negatives):
            lines += heading(3, f"{name}: hard negatives merged (lower is better)")
            lines += [*_table(_HARD_HEADER, _hard_rows(r.hard_negatives), markdown), ""]
        else:
            lines += [f"No planted hard negative among the {name} records.", ""]
    if markdown:
        lines += [
            "Pair P/R: all pairs; link P/R: pairs of one fiu and one police record. A predicted "
            "pair counts for the origin of each of its two records' entities. Precision is 1.0 "
            "when nothing is predicted; recall is 1.0 when there is nothing to find.",
            "",
        ]
    return "\n".join(lines)


def format_world_report(report: WorldReport) -> str:
    """The report's tables as plain text for a terminal."""
    return _render(report, markdown=False)


def _plot_origins(path: Path, report: WorldReport) -> bool:
    from matplotlib.figure import Figure

    sliced = [(name, r.by_origin) for name, r in report.entities.items() if len(r.by_origin)]
    if not sliced:
        return False
    widest = max(len(table) for _, table in sliced)
    fig = Figure(figsize=(max(6.0, 0.9 * widest + 2), 4.0 * len(sliced)))
    axes = fig.subplots(len(sliced), 1, squeeze=False)[:, 0]
    measures = [
        ("pair_precision", "pair precision"),
        ("pair_recall", "pair recall"),
        ("link_recall", "cross-service recall"),
    ]
    width = 0.8 / len(measures)
    for ax, (name, table) in zip(axes, sliced, strict=True):
        x = np.arange(len(table))
        for i, (column, label) in enumerate(measures):
            ax.bar(x + (i - (len(measures) - 1) / 2) * width, table[column], width, label=label)
        ax.set_xticks(x)
        ax.set_xticklabels(table["origin"].astype(str), rotation=30, ha="right")
        ax.set_ylim(0.0, 1.05)
        ax.set_ylabel("score")
        ax.set_title(f"{name}: scores by origin of the true entity")
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def write_world_report(report: WorldReport, out_dir: Path) -> list[Path]:
    """Write ``summary.md`` (all tables), ``origin_scores.png`` (when an origin is known) and,
    for each entity type with scores, ``<entity>/summary.md``, ``<entity>/pr_curve.png`` and
    ``<entity>/score_histogram.png`` (``linker.evaluate.write_report``). Returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = out_dir / "summary.md"
    summary.write_text(_render(report, markdown=True), encoding="utf-8")
    written = [summary]
    chart = out_dir / "origin_scores.png"
    if _plot_origins(chart, report):
        written.append(chart)
    for name, r in report.entities.items():
        if r.scores is None:
            continue
        sections: dict[str, Scores | float] = {
            "pairwise (from clusters)": r.pairwise,
            "cluster (exact)": r.cluster,
            "cross-service link (from clusters)": r.cross_service,
        }
        if r.blocking_recall is not None:
            sections["blocking recall"] = r.blocking_recall
        written += evaluate.write_report(
            out_dir / name,
            title=f"linker world evaluation: {name}",
            sections=sections,
            scored=r.scores,
            truth=r.truth,
        )
    return written
