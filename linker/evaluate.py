"""Quality measurements of a linkage against a known truth.

Everything here is a pure function over pandas objects; nothing reads options or prints.

Definitions
-----------
*Truth* is a Series indexed by ``record_id`` whose values are ``entity_id``: two records are the
same real-world entity when they carry the same ``entity_id``. All ids are compared as strings.
A record whose ``entity_id`` is missing (NaN / blank) is an entity of its own.

*True pairs* are all unordered pairs of distinct records that share an entity, written once as
``(left_id, right_id)`` with ``left_id < right_id`` in string order. When linking two files,
``link_sides`` (a Series ``record_id -> side label``) restricts the universe to pairs whose two
records are on different sides; records without a side label then take part in no pair. The same
restriction is applied to predicted and scored pairs, so a within-file pair is neither right nor
wrong in linking mode.

*Pair scores* compare a set of predicted pairs ``P`` with the true pairs ``T``:
``TP = |P ∩ T|``, ``FP = |P - T|``, ``FN = |T - P|``,
``precision = TP / (TP + FP)``, ``recall = TP / (TP + FN)``, ``f1`` their harmonic mean.
By convention ``precision = 1.0`` when nothing is predicted (no claim is wrong),
``recall = 1.0`` when there is nothing to find, and ``f1 = 0.0`` when precision and recall are
both 0. Predicted pairs are unordered (``(a, b)`` and ``(b, a)`` are the same pair), duplicates
count once and a record paired with itself is ignored.

*Cluster scores* are the pair scores of the pairs implied by clusters: every two records in the
same predicted cluster form a predicted pair. They are computed from counts over the contingency
table cluster x entity (``TP = sum C(n_ce, 2)``, predicted ``= sum C(n_c, 2)``, true
``= sum C(n_e, 2)``), never by enumerating pairs, so they scale to millions of records.
Records absent from ``clusters`` are singletons; clustered records absent from the truth have no
true partner.

*B-cubed (B³) scores* are averaged over records instead of pairs: a record's precision is
``|own cluster ∩ own entity| / |own cluster|``, its recall ``|own cluster ∩ own entity| /
|own entity|``; precision and recall are the means over all records, F1 their harmonic mean.
The records are those of the truth and of the clusters together: one absent from ``clusters``
is a singleton cluster, one absent from the truth (or without entity) an entity of its own.
Both are 1.0 when there is no record. Unlike pair scores, a large cluster does not weigh
quadratically, and singletons count.

*Blocking recall* is the share of true pairs present among the candidate pairs that were
scored; it is the ceiling on the recall of anything downstream.

*Threshold table*: at threshold ``t`` the predicted pairs are the scored pairs with
``match_probability >= t``; true pairs that were never scored are false negatives at every
threshold. A pair scored more than once keeps its highest probability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from linker.errors import InputError
from linker.io import read_result_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DEFAULT_THRESHOLDS",
    "TRUTH_COLUMNS",
    "BCubedScores",
    "Scores",
    "bcubed_scores",
    "blocking_recall",
    "cluster_scores",
    "pair_scores",
    "read_truth",
    "threshold_table",
    "true_pairs",
    "truth_of",
    "write_report",
]

DEFAULT_THRESHOLDS: tuple[float, ...] = (
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.95,
    0.99,
)

_PAIR_COLUMNS = ["left_id", "right_id"]


@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 with the counts behind them.

    ``precision`` is 1.0 when nothing was predicted and ``recall`` is 1.0 when there was nothing
    to find; ``f1`` is 0.0 when both are 0.
    """

    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int

    @classmethod
    def from_counts(cls, true_positives: int, false_positives: int, false_negatives: int) -> Scores:
        """Build scores from the three counts, applying the empty-set conventions."""
        tp, fp, fn = int(true_positives), int(false_positives), int(false_negatives)
        if min(tp, fp, fn) < 0:
            raise ValueError(f"negative count in tp={tp}, fp={fp}, fn={fn}")
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, tp, fp, fn)

    def as_dict(self) -> dict[str, float | int]:
        """The fields as a plain dict (JSON-ready)."""
        return asdict(self)

    def cells(self) -> list[str]:
        """Precision, recall, F1 (4 decimals) and the three counts, as table cells."""
        rates = [f"{v:.4f}" for v in (self.precision, self.recall, self.f1)]
        counts = [self.true_positives, self.false_positives, self.false_negatives]
        return rates + [str(c) for c in counts]


# --------------------------------------------------------------------------- helpers


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise InputError(f"{what} has no column {column!r}", column=column)


def _truth_frame(truth: pd.Series) -> pd.DataFrame:
    """Truth as a frame ``record_id, entity_id`` (strings), records without entity dropped."""
    frame = pd.DataFrame(
        {"record_id": truth.index.astype(str), "entity_id": truth.to_numpy()},
    )
    duplicated = frame["record_id"].duplicated()
    if duplicated.any():
        first = frame.loc[duplicated, "record_id"].iloc[0]
        raise InputError(
            f"truth lists record {first!r} more than once ({int(duplicated.sum())} duplicates)",
            column="record_id",
        )
    frame = frame[frame["entity_id"].notna()]
    return frame.assign(entity_id=frame["entity_id"].astype(str)).reset_index(drop=True)


def _side_codes(link_sides: pd.Series, ids: NDArray[np.object_]) -> NDArray[np.int64]:
    """Side code (>= 0) of each id in ``ids``, -1 when the id has no side label."""
    labels = pd.Series(link_sides.to_numpy(), index=link_sides.index.astype(str))
    labels = labels[~labels.index.duplicated(keep="first")]
    codes = pd.factorize(labels.to_numpy())[0].astype(np.int64)  # missing label -> -1
    side = np.full(len(ids), -1, dtype=np.int64)
    position = pd.Index(labels.index).get_indexer(ids)
    known = position >= 0
    side[known] = codes[position[known]]
    return side


def _choose2_sum(counts: pd.Series[int]) -> int:
    n = counts.to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


def _count_true_pairs(entity: NDArray[np.int64], side: NDArray[np.int64] | None) -> int:
    """Number of true pairs among records with these entity codes (and side codes)."""
    frame = pd.DataFrame({"entity": entity})
    if side is None:
        return _choose2_sum(frame.groupby("entity", sort=False).size())
    frame = frame.assign(side=side)[side >= 0]
    within_entity = _choose2_sum(frame.groupby("entity", sort=False).size())
    within_side = _choose2_sum(frame.groupby(["entity", "side"], sort=False).size())
    return within_entity - within_side


@dataclass(frozen=True)
class _Pairs:
    """Unordered pairs encoded over one vocabulary of record ids, restricted to the universe."""

    key: NDArray[np.int64]  # one integer per unordered pair
    is_true: NDArray[np.bool_]
    rows: NDArray[np.intp]  # position of each kept pair in the input frame


def _encode(
    truth: pd.Series, link_sides: pd.Series | None, frame: pd.DataFrame, what: str
) -> tuple[_Pairs, int]:
    """Encode the pairs of ``frame`` against the truth; also return the number of true pairs.

    Ids are factorised (hashing, no sort) over truth ids and pair ids together, so a pair is
    a true pair when both ids carry the same entity code: no true pair is enumerated.
    Self pairs and, in linking mode, pairs not across two sides are dropped.
    """
    _require_columns(frame, _PAIR_COLUMNS, what)
    truth_frame = _truth_frame(truth)
    n_truth, n_pairs = len(truth_frame), len(frame)
    codes, vocabulary = pd.factorize(
        np.concatenate(
            [
                truth_frame["record_id"].to_numpy(dtype=object),
                frame["left_id"].astype(str).to_numpy(dtype=object),
                frame["right_id"].astype(str).to_numpy(dtype=object),
            ]
        )
    )
    codes = codes.astype(np.int64)
    size = len(vocabulary)
    entity = np.full(size, -1, dtype=np.int64)
    truth_codes = codes[:n_truth]
    entity[truth_codes] = pd.factorize(truth_frame["entity_id"])[0]
    side = None if link_sides is None else _side_codes(link_sides, np.asarray(vocabulary))
    n_true = _count_true_pairs(entity[truth_codes], None if side is None else side[truth_codes])

    a, b = codes[n_truth : n_truth + n_pairs], codes[n_truth + n_pairs :]
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high
    if side is not None:
        keep &= (side[low] >= 0) & (side[high] >= 0) & (side[low] != side[high])
    rows = np.flatnonzero(keep)
    low, high = low[rows], high[rows]
    is_true = (entity[low] >= 0) & (entity[low] == entity[high])
    return _Pairs(key=low * size + high, is_true=is_true, rows=rows), n_true


def _scored_with_labels(
    scored: pd.DataFrame, truth: pd.Series, link_sides: pd.Series | None
) -> tuple[NDArray[np.float64], NDArray[np.bool_], int]:
    """Probabilities and labels of unique scored pairs, and the number of true pairs.

    A pair scored more than once keeps its highest probability.
    """
    _require_columns(scored, [*_PAIR_COLUMNS, "match_probability"], "scored pairs")
    pairs, n_true = _encode(truth, link_sides, scored, "scored pairs")
    try:
        probability = pd.to_numeric(scored["match_probability"]).to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"scored pairs: match_probability is not numeric ({exc})", column="match_probability"
        ) from exc
    frame = pd.DataFrame(
        {"key": pairs.key, "probability": probability[pairs.rows], "is_true": pairs.is_true}
    )
    frame = frame.sort_values("probability", ascending=False, na_position="last", kind="stable")
    frame = frame.drop_duplicates("key", keep="first")
    return (
        frame["probability"].to_numpy(dtype=np.float64),
        frame["is_true"].to_numpy(dtype=np.bool_),
        n_true,
    )


def _threshold_rows(
    probabilities: NDArray[np.float64],
    labels: NDArray[np.bool_],
    n_true: int,
    thresholds: Iterable[float],
) -> pd.DataFrame:
    valid = ~np.isnan(probabilities)
    all_sorted: NDArray[np.float64] = np.sort(probabilities[valid])
    true_sorted: NDArray[np.float64] = np.sort(probabilities[valid & labels])
    rows = []
    for threshold in thresholds:
        t = float(threshold)
        n_predicted = len(all_sorted) - int(np.searchsorted(all_sorted, t, side="left"))
        tp = len(true_sorted) - int(np.searchsorted(true_sorted, t, side="left"))
        s = Scores.from_counts(tp, n_predicted - tp, n_true - tp)
        rows.append({"threshold": t, "precision": s.precision, "recall": s.recall, "f1": s.f1})
    return pd.DataFrame(rows, columns=["threshold", "precision", "recall", "f1"])


# --------------------------------------------------------------------------- measures


def true_pairs(truth: pd.Series, link_sides: pd.Series | None = None) -> pd.DataFrame:
    """All pairs of records sharing an entity, as ``left_id, right_id`` with ``left_id < right_id``.

    Built by a self-merge on the entity code (cost proportional to the number of pairs, no
    Python loop over records), sorted by ``left_id, right_id``. With ``link_sides`` only pairs
    whose two records are on different sides are kept.
    """
    frame = _truth_frame(truth)
    # Entities of one record cannot form a pair; dropping them keeps the merge small.
    frame = frame[frame["entity_id"].duplicated(keep=False)]
    ids = frame["record_id"].to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids), dtype=np.int64)
    codes = pd.DataFrame({"rank": rank, "entity": pd.factorize(frame["entity_id"])[0]})
    if link_sides is not None:
        codes["side"] = _side_codes(link_sides, ids)
        codes = codes[codes["side"] >= 0]
    merged = codes.merge(codes, on="entity", suffixes=("_l", "_r"))
    keep = merged["rank_l"] < merged["rank_r"]
    if link_sides is not None:
        keep &= merged["side_l"] != merged["side_r"]
    left = merged["rank_l"].to_numpy(dtype=np.int64)[keep.to_numpy()]
    right = merged["rank_r"].to_numpy(dtype=np.int64)[keep.to_numpy()]
    by_pair = np.lexsort((right, left))
    sorted_ids = ids[order]
    return pd.DataFrame(
        {"left_id": sorted_ids[left[by_pair]], "right_id": sorted_ids[right[by_pair]]},
        dtype=object,
    )


def pair_scores(
    predicted: pd.DataFrame, truth: pd.Series, link_sides: pd.Series | None = None
) -> Scores:
    """Precision, recall and F1 of predicted pairs (``left_id, right_id``) against the truth."""
    pairs, n_true = _encode(truth, link_sides, predicted, "predicted pairs")
    first = ~pd.Series(pairs.key).duplicated().to_numpy()
    n_predicted = int(first.sum())
    tp = int(pairs.is_true[first].sum())
    return Scores.from_counts(tp, n_predicted - tp, n_true - tp)


def _cluster_frame(clusters: pd.DataFrame) -> pd.DataFrame:
    """``record_id`` (as strings), ``cluster_id`` of the clustered records, each once; a
    record in two clusters is refused."""
    _require_columns(clusters, ["record_id", "cluster_id"], "clusters")
    frame = pd.DataFrame(
        {
            "record_id": clusters["record_id"].astype(str).to_numpy(),
            "cluster_id": clusters["cluster_id"].to_numpy(),
        }
    )
    frame = frame[frame["cluster_id"].notna()].drop_duplicates()
    duplicated = frame["record_id"].duplicated()
    if duplicated.any():
        first = frame.loc[duplicated, "record_id"].iloc[0]
        raise InputError(f"record {first!r} is in more than one cluster", column="record_id")
    return frame


def cluster_scores(clusters: pd.DataFrame, truth: pd.Series) -> Scores:
    """Pairwise scores of clusters (``record_id, cluster_id``) against the true entities.

    Counts come from the cluster x entity contingency table, so no pair is enumerated.
    Records with a missing ``cluster_id`` are singletons.
    """
    frame = _cluster_frame(clusters)
    truth_frame = _truth_frame(truth)
    predicted = _choose2_sum(frame.groupby("cluster_id", sort=False).size())
    actual = _choose2_sum(truth_frame.groupby("entity_id", sort=False).size())
    both = frame.merge(truth_frame, on="record_id", how="inner")
    tp = _choose2_sum(both.groupby(["cluster_id", "entity_id"], sort=False).size())
    return Scores.from_counts(tp, predicted - tp, actual - tp)


@dataclass(frozen=True)
class BCubedScores:
    """B-cubed precision, recall and F1 (means over ``records`` records)."""

    precision: float
    recall: float
    f1: float
    records: int

    def as_dict(self) -> dict[str, float | int]:
        """The fields as a plain dict (JSON-ready)."""
        return asdict(self)


def bcubed_scores(clusters: pd.DataFrame, truth: pd.Series) -> BCubedScores:
    """B-cubed precision, recall and F1 of clusters (``record_id, cluster_id``) against the
    true entities (see the module docstring for the records counted and the conventions).

    Computed from the cluster x entity contingency table: with ``n_ce`` records of entity ``e``
    in cluster ``c``, precision is ``sum n_ce**2 / n_c`` over all cells divided by the number of
    records, recall ``sum n_ce**2 / n_e`` likewise. Records with a missing ``cluster_id`` are
    singletons.
    """
    frame = _cluster_frame(clusters)
    _truth_frame(truth)  # refuses a record listed twice
    entities = pd.DataFrame(
        {"record_id": truth.index.astype(str), "entity_id": truth.to_numpy(dtype=object)}
    )
    known = entities["entity_id"].notna()
    entities["entity_id"] = entities["entity_id"].where(
        ~known, "e:" + entities["entity_id"].astype(str)
    )
    both = frame.assign(cluster_id="c:" + frame["cluster_id"].astype(str)).merge(
        entities, on="record_id", how="outer"
    )
    both["cluster_id"] = both["cluster_id"].fillna("s:" + both["record_id"])
    both["entity_id"] = both["entity_id"].fillna("s:" + both["record_id"])
    n = len(both)
    if n == 0:
        return BCubedScores(1.0, 1.0, 1.0, 0)
    cells = both.groupby(["cluster_id", "entity_id"], sort=False).size().rename("n").reset_index()
    cells["n_c"] = cells["cluster_id"].map(both.groupby("cluster_id", sort=False).size())
    cells["n_e"] = cells["entity_id"].map(both.groupby("entity_id", sort=False).size())
    squared = cells["n"].to_numpy(dtype=np.float64) ** 2
    precision = float((squared / cells["n_c"].to_numpy(dtype=np.float64)).sum() / n)
    recall = float((squared / cells["n_e"].to_numpy(dtype=np.float64)).sum() / n)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BCubedScores(precision, recall, f1, n)


def blocking_recall(
    scored: pd.DataFrame, truth: pd.Series, link_sides: pd.Series | None = None
) -> float:
    """Share of true pairs present among the candidate pairs (1.0 when there are none)."""
    pairs, n_true = _encode(truth, link_sides, scored, "scored pairs")
    if n_true == 0:
        return 1.0
    found = pd.unique(pairs.key[pairs.is_true])
    return len(found) / n_true


def threshold_table(
    scored: pd.DataFrame,
    truth: pd.Series,
    link_sides: pd.Series | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """Precision, recall and F1 when predicting pairs with ``match_probability >= threshold``.

    Columns ``threshold, precision, recall, f1``, one row per threshold in the given order.
    True pairs that were never scored are false negatives at every threshold; a missing
    probability never predicts a match.
    """
    probabilities, labels, n_true = _scored_with_labels(scored, truth, link_sides)
    return _threshold_rows(probabilities, labels, n_true, thresholds)


# --------------------------------------------------------------------------- report


def _markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary_markdown(
    title: str,
    sections: Mapping[str, Scores | float],
    table: pd.DataFrame | None,
    n_true: int,
    n_scored: int | None,
) -> str:
    lines = [f"# {title}", ""]
    scores = {name: value for name, value in sections.items() if isinstance(value, Scores)}
    measures = {name: value for name, value in sections.items() if not isinstance(value, Scores)}
    if scores:
        lines += _markdown_table(
            ["section", "precision", "recall", "F1", "true pos.", "false pos.", "false neg."],
            ([_cell(name), *s.cells()] for name, s in scores.items()),
        )
        lines.append("")
    if measures:
        lines += _markdown_table(
            ["measure", "value"],
            ([_cell(name), f"{float(value):.4f}"] for name, value in measures.items()),
        )
        lines.append("")
    lines.append(f"True pairs: {n_true}.")
    if n_scored is not None:
        lines.append(f"Distinct scored candidate pairs: {n_scored}.")
    lines.append("")
    if table is not None:
        lines += ["## Threshold table", ""]
        lines += ["Pairs with `match_probability >= threshold` are predicted matches.", ""]
        lines += _markdown_table(
            ["threshold", "precision", "recall", "F1"],
            (
                [f"{r.threshold:g}", f"{r.precision:.4f}", f"{r.recall:.4f}", f"{r.f1:.4f}"]
                for r in table.itertuples(index=False)
            ),
        )
        lines.append("")
    lines += [
        "Precision is 1.0 when nothing is predicted; recall is 1.0 when there is nothing to find.",
        "",
    ]
    return "\n".join(lines)


def _no_data(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)


def _plot_pr_curve(
    path: Path,
    title: str,
    probabilities: NDArray[np.float64],
    labels: NDArray[np.bool_],
    n_true: int,
) -> None:
    from matplotlib.figure import Figure
    from sklearn.metrics import precision_recall_curve

    valid = ~np.isnan(probabilities)
    y, p = labels[valid], probabilities[valid]
    n_positive = int(y.sum())
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    if n_positive == 0 or n_true == 0:
        _no_data(ax, "no true pair among the scored pairs")
    else:
        precision, recall, _ = precision_recall_curve(y.astype(int), p)
        # sklearn's recall is over the scored positives; rescale so unscored true pairs are misses.
        ceiling = n_positive / n_true
        ax.plot(recall * ceiling, precision, drawstyle="steps-post", label="scored pairs")
        ax.axvline(ceiling, linestyle="--", color="grey", label=f"blocking ceiling {ceiling:.3f}")
        ax.legend(loc="lower left")
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("recall (over all true pairs)")
    ax.set_ylabel("precision")
    ax.set_title(f"{title}: precision-recall")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_histogram(
    path: Path, title: str, probabilities: NDArray[np.float64], labels: NDArray[np.bool_]
) -> None:
    from matplotlib.figure import Figure

    valid = ~np.isnan(probabilities)
    groups = [
        ("false pairs", probabilities[valid & ~labels], "tab:red"),
        ("true pairs", probabilities[valid & labels], "tab:blue"),
    ]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    bins = [i / 50 for i in range(51)]
    drawn = False
    for name, values, color in groups:
        if len(values):
            ax.hist(values, bins=bins, alpha=0.6, color=color, label=f"{name} ({len(values)})")
            drawn = True
    if drawn:
        ax.set_yscale("log")
        ax.legend(loc="upper center")
    else:
        _no_data(ax, "no scored pairs")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("match_probability")
    ax.set_ylabel("pairs (log scale)")
    ax.set_title(f"{title}: score distribution")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(
    out_dir: Path,
    *,
    title: str,
    sections: Mapping[str, Scores | float],
    scored: pd.DataFrame | None,
    truth: pd.Series,
    link_sides: pd.Series | None = None,
) -> list[Path]:
    """Write ``summary.md`` and, when ``scored`` is given, ``pr_curve.png`` and
    ``score_histogram.png`` into ``out_dir`` (created if needed). Returns the written paths.

    Uses matplotlib's object API (``Figure``), never pyplot, so no GUI backend is loaded.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table: pd.DataFrame | None = None
    n_scored: int | None = None
    if scored is not None:
        probabilities, labels, n_true = _scored_with_labels(scored, truth, link_sides)
        n_scored = len(probabilities)
        table = _threshold_rows(probabilities, labels, n_true, DEFAULT_THRESHOLDS)
    else:
        _, n_true = _encode(truth, link_sides, pd.DataFrame(columns=_PAIR_COLUMNS), "pairs")
    summary = out_dir / "summary.md"
    summary.write_text(
        _summary_markdown(title, sections, table, n_true, n_scored), encoding="utf-8"
    )
    written = [summary]
    if scored is not None:
        pr_path = out_dir / "pr_curve.png"
        _plot_pr_curve(pr_path, title, probabilities, labels, n_true)
        hist_path = out_dir / "score_histogram.png"
        _plot_histogram(hist_path, title, probabilities, labels)
        written += [pr_path, hist_path]
    return written


# --------------------------------------------------------------------------- input


TRUTH_COLUMNS = ("record_id", "entity_id")


def read_truth(path: Path) -> pd.Series:
    """Read a truth CSV with columns ``record_id, entity_id`` (extra columns ignored), in any
    encoding and separator ``linker.io.read_result_table`` reads.

    Returns a Series of strings indexed by ``record_id`` (name ``entity_id``); a blank
    ``entity_id`` becomes missing (the record is its own entity). Raises ``InputError`` naming
    the file when it cannot be read, a column is missing, or a record id is blank or repeated.
    """
    path = Path(path)
    return truth_of(read_result_table(path, TRUTH_COLUMNS, "a truth file"), path)


def truth_of(frame: pd.DataFrame, path: Path) -> pd.Series:
    """The truth Series of a truth table already read (``read_truth``'s checks, with ``path``
    named in their errors)."""
    record_ids = frame["record_id"].str.strip()
    blank = record_ids == ""
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0]) + 2  # 1-based, after the header line
        raise InputError("blank record_id", file=str(path), row=row, column="record_id")
    duplicated = record_ids.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 2
        raise InputError(
            f"record_id {record_ids[duplicated].iloc[0]!r} appears more than once",
            file=str(path),
            row=row,
            column="record_id",
        )
    entity_ids = frame["entity_id"].str.strip()
    entity_ids = entity_ids.where(entity_ids != "")
    return pd.Series(
        entity_ids.to_numpy(dtype=object),
        index=pd.Index(record_ids.to_numpy(dtype=object), name="record_id"),
        name="entity_id",
    )
