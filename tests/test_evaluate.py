"""Tests of linker.evaluate: hand-worked precision/recall/F1 on tiny literal frames."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linker.errors import InputError
from linker.evaluate import (
    DEFAULT_THRESHOLDS,
    Scores,
    blocking_recall,
    cluster_scores,
    pair_scores,
    read_truth,
    threshold_table,
    true_pairs,
    write_report,
)

# Entities: E1 = {a1, a2, a3}, E2 = {b1, b2}, E3 = {c1}, E4 = {d1, d2}.
# True pairs (5): a1-a2, a1-a3, a2-a3, b1-b2, d1-d2.
TRUTH = pd.Series(
    {
        "a1": "E1",
        "a2": "E1",
        "a3": "E1",
        "b1": "E2",
        "b2": "E2",
        "c1": "E3",
        "d1": "E4",
        "d2": "E4",
    },
    name="entity_id",
)
# Two files A and B. Cross-side true pairs (3): a1-a2, a1-a3, d1-d2
# (a2-a3 are both in B, b1-b2 both in A).
SIDES = pd.Series(
    {"a1": "A", "a2": "B", "a3": "B", "b1": "A", "b2": "A", "c1": "B", "d1": "A", "d2": "B"}
)


def pairs(*items: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(items), columns=["left_id", "right_id"], dtype=object)


def scored(*items: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(list(items), columns=["left_id", "right_id", "match_probability"])


def assert_scores(actual: Scores, expected: tuple[float, float, float, int, int, int]) -> None:
    p, r, f1, tp, fp, fn = expected
    assert (actual.true_positives, actual.false_positives, actual.false_negatives) == (tp, fp, fn)
    assert actual.precision == pytest.approx(p)
    assert actual.recall == pytest.approx(r)
    assert actual.f1 == pytest.approx(f1)


# --------------------------------------------------------------------------- Scores


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((3, 1, 2), (0.75, 0.6, 2 / 3, 3, 1, 2)),
        ((0, 0, 0), (1.0, 1.0, 1.0, 0, 0, 0)),  # nothing predicted, nothing to find
        ((0, 0, 4), (1.0, 0.0, 0.0, 0, 0, 4)),  # nothing predicted
        ((0, 2, 0), (0.0, 1.0, 0.0, 0, 2, 0)),  # nothing to find, but false claims
        ((0, 3, 3), (0.0, 0.0, 0.0, 0, 3, 3)),
    ],
)
def test_scores_from_counts(
    counts: tuple[int, int, int], expected: tuple[float, float, float, int, int, int]
) -> None:
    assert_scores(Scores.from_counts(*counts), expected)


def test_scores_as_dict() -> None:
    assert Scores.from_counts(1, 1, 0).as_dict() == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "true_positives": 1,
        "false_positives": 1,
        "false_negatives": 0,
    }


# --------------------------------------------------------------------------- true_pairs


def test_true_pairs() -> None:
    expected = pairs(("a1", "a2"), ("a1", "a3"), ("a2", "a3"), ("b1", "b2"), ("d1", "d2"))
    pd.testing.assert_frame_equal(true_pairs(TRUTH), expected)


def test_true_pairs_link_sides() -> None:
    expected = pairs(("a1", "a2"), ("a1", "a3"), ("d1", "d2"))
    pd.testing.assert_frame_equal(true_pairs(TRUTH, SIDES), expected)


def test_true_pairs_orders_ids_as_strings_and_skips_missing_entities() -> None:
    truth = pd.Series({"10": "X", "9": "X", "2": None, "3": None, "1": "Y"})
    # "10" < "9" in string order; the two records without an entity are not a pair.
    pd.testing.assert_frame_equal(true_pairs(truth), pairs(("10", "9")))


def test_true_pairs_record_without_side_is_in_no_pair() -> None:
    sides = SIDES.drop("a1")
    pd.testing.assert_frame_equal(true_pairs(TRUTH, sides), pairs(("d1", "d2")))


def test_true_pairs_empty() -> None:
    result = true_pairs(pd.Series({"x": "1", "y": "2"}))
    assert list(result.columns) == ["left_id", "right_id"]
    assert result.empty


def test_true_pairs_rejects_duplicate_record_ids() -> None:
    truth = pd.Series(["E1", "E2"], index=["a", "a"])
    with pytest.raises(InputError, match="'a'"):
        true_pairs(truth)


# --------------------------------------------------------------------------- pair_scores


PAIR_CASES = {
    "perfect": (
        pairs(("a1", "a2"), ("a1", "a3"), ("a2", "a3"), ("b1", "b2"), ("d1", "d2")),
        None,
        (1.0, 1.0, 1.0, 5, 0, 0),
    ),
    # a2-a1 given reversed and twice; b1-c1 is a wrong merge; a2-a3 and d1-d2 are missed.
    "wrong merge and missed pairs": (
        pairs(("a2", "a1"), ("a1", "a3"), ("b1", "b2"), ("b1", "c1"), ("a1", "a2")),
        None,
        (0.75, 0.6, 2 / 3, 3, 1, 2),
    ),
    "nothing predicted": (pairs(), None, (1.0, 0.0, 0.0, 0, 0, 5)),
    "all wrong": (pairs(("a1", "b1"), ("c1", "d1")), None, (0.0, 0.0, 0.0, 0, 2, 5)),
    # A record paired with itself is not a pair at all.
    "self pair ignored": (pairs(("a1", "a1"), ("a1", "a2")), None, (1.0, 0.2, 1 / 3, 1, 0, 4)),
    "unknown ids are false positives": (
        pairs(("a1", "a2"), ("zz", "a1")),
        None,
        (0.5, 0.2, 2 / 7, 1, 1, 4),
    ),
    # Linking: b1-b2 is within file A so it is ignored; b1-c1 crosses and is wrong;
    # a1-a3 (cross) is missed.
    "link sides": (
        pairs(("a1", "a2"), ("b1", "b2"), ("b1", "c1"), ("d2", "d1")),
        SIDES,
        (2 / 3, 2 / 3, 2 / 3, 2, 1, 1),
    ),
}


@pytest.mark.parametrize(("predicted", "sides", "expected"), PAIR_CASES.values(), ids=PAIR_CASES)
def test_pair_scores(
    predicted: pd.DataFrame,
    sides: pd.Series | None,
    expected: tuple[float, float, float, int, int, int],
) -> None:
    assert_scores(pair_scores(predicted, TRUTH, sides), expected)


def test_pair_scores_nothing_to_find() -> None:
    truth = pd.Series({"x": "1", "y": "2"})
    assert_scores(pair_scores(pairs(), truth), (1.0, 1.0, 1.0, 0, 0, 0))


def test_pair_scores_integer_ids_are_compared_as_strings() -> None:
    truth = pd.Series({"1": "E", "2": "E", "3": "F"})
    predicted = pd.DataFrame({"left_id": [2], "right_id": [1]})
    assert_scores(pair_scores(predicted, truth), (1.0, 1.0, 1.0, 1, 0, 0))


def test_pair_scores_missing_column() -> None:
    with pytest.raises(InputError, match="right_id"):
        pair_scores(pd.DataFrame({"left_id": ["a1"]}), TRUTH)


# --------------------------------------------------------------------------- cluster_scores


CLUSTER_CASES = {
    # Predicted pairs: C(4,2) + 0 + C(3,2) = 9. Cells: (1,E1)=3 -> 3, (3,E4)=2 -> 1, TP = 4.
    "merges": (
        {"a1": 1, "a2": 1, "a3": 1, "b1": 1, "b2": 2, "c1": 3, "d1": 3, "d2": 3},
        (4 / 9, 4 / 5, 4 / 7, 4, 5, 1),
    ),
    "perfect": (
        {"a1": "x", "a2": "x", "a3": "x", "b1": "y", "b2": "y", "c1": "z", "d1": "w", "d2": "w"},
        (1.0, 1.0, 1.0, 5, 0, 0),
    ),
    "all singletons": ({k: i for i, k in enumerate(TRUTH.index)}, (1.0, 0.0, 0.0, 0, 0, 5)),
    # Records absent from the clusters are singletons.
    "partial": ({"a1": 7, "a2": 7}, (1.0, 0.2, 1 / 3, 1, 0, 4)),
    # A clustered record unknown to the truth has no true partner.
    "unknown record": ({"a1": 7, "a2": 7, "zz": 7}, (1 / 3, 0.2, 0.25, 1, 2, 4)),
}


@pytest.mark.parametrize(("assignment", "expected"), CLUSTER_CASES.values(), ids=CLUSTER_CASES)
def test_cluster_scores(
    assignment: dict[str, object], expected: tuple[float, float, float, int, int, int]
) -> None:
    clusters = pd.DataFrame(
        {"record_id": list(assignment), "cluster_id": list(assignment.values())}
    )
    assert_scores(cluster_scores(clusters, TRUTH), expected)


def test_cluster_scores_missing_cluster_id_is_singleton() -> None:
    clusters = pd.DataFrame({"record_id": ["a1", "a2", "a3"], "cluster_id": [1.0, 1.0, np.nan]})
    assert_scores(cluster_scores(clusters, TRUTH), (1.0, 0.2, 1 / 3, 1, 0, 4))


def test_cluster_scores_rejects_record_in_two_clusters() -> None:
    clusters = pd.DataFrame({"record_id": ["a1", "a1"], "cluster_id": [1, 2]})
    with pytest.raises(InputError, match="a1"):
        cluster_scores(clusters, TRUTH)


def cluster_pairs(clusters: pd.DataFrame) -> pd.DataFrame:
    found = [
        pair
        for _, group in clusters.groupby("cluster_id")
        for pair in itertools.combinations(sorted(group["record_id"]), 2)
    ]
    return pairs(*found)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cluster_scores_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(150)]
    truth = pd.Series(rng.integers(0, 40, size=len(ids)).astype(str), index=ids)
    # Clusters: the truth with noise, some records dropped, some unknown records added.
    cluster_ids = truth.to_numpy().copy()
    noisy = rng.random(len(ids)) < 0.25
    cluster_ids[noisy] = rng.integers(0, 40, size=int(noisy.sum())).astype(str)
    clusters = pd.DataFrame({"record_id": ids, "cluster_id": cluster_ids})
    clusters = clusters[rng.random(len(ids)) > 0.1]
    extra = pd.DataFrame(
        {
            "record_id": [f"u{i}" for i in range(10)],
            "cluster_id": rng.integers(0, 40, 10).astype(str),
        }
    )
    clusters = pd.concat([clusters, extra], ignore_index=True)

    # Brute force over every pair of records.
    everyone = sorted(set(ids) | set(clusters["record_id"]))
    entity = truth.to_dict()
    cluster = dict(zip(clusters["record_id"], clusters["cluster_id"], strict=True))
    tp = fp = fn = 0
    for left, right in itertools.combinations(everyone, 2):
        same_entity = left in entity and right in entity and entity[left] == entity[right]
        same_cluster = left in cluster and right in cluster and cluster[left] == cluster[right]
        tp += same_entity and same_cluster
        fp += same_cluster and not same_entity
        fn += same_entity and not same_cluster
    expected = Scores.from_counts(tp, fp, fn)

    assert cluster_scores(clusters, truth) == expected
    assert pair_scores(cluster_pairs(clusters), truth) == expected
    assert tp > 0 and fp > 0 and fn > 0  # the case exercises all three counts


# --------------------------------------------------------------------------- blocking recall


@pytest.mark.parametrize(
    ("candidates", "sides", "expected"),
    [
        (pairs(("a1", "a2"), ("a3", "a1"), ("x", "y"), ("d2", "d1")), None, 3 / 5),
        (pairs(("a1", "a2"), ("a3", "a1"), ("x", "y"), ("d2", "d1")), SIDES, 1.0),
        (pairs(("a1", "a2"), ("a2", "a3")), SIDES, 1 / 3),  # a2-a3 is not a cross-side pair
        (pairs(), None, 0.0),
    ],
)
def test_blocking_recall(
    candidates: pd.DataFrame, sides: pd.Series | None, expected: float
) -> None:
    assert blocking_recall(candidates, TRUTH, sides) == pytest.approx(expected)


def test_blocking_recall_nothing_to_find() -> None:
    assert blocking_recall(pairs(("x", "y")), pd.Series({"x": "1", "y": "2"})) == 1.0


# --------------------------------------------------------------------------- threshold table


# a2-a3 and d1-d2 are never scored: false negatives at every threshold (5 true pairs).
SCORED = scored(
    ("a1", "a2", 0.95),
    ("a3", "a1", 0.8),
    ("b1", "b2", 0.4),
    ("b1", "c1", 0.6),
    ("c1", "d1", 0.2),
    ("a2", "a1", 0.3),  # the same pair again: the highest probability (0.95) counts
)


@pytest.mark.parametrize(
    ("threshold", "precision", "recall"),
    [
        (0.1, 3 / 5, 3 / 5),
        (0.5, 2 / 3, 2 / 5),
        (0.95, 1.0, 1 / 5),  # the threshold itself is included (>=)
        (0.99, 1.0, 0.0),  # nothing predicted
    ],
)
def test_threshold_table_values(threshold: float, precision: float, recall: float) -> None:
    table = threshold_table(SCORED, TRUTH).set_index("threshold")
    row = table.loc[threshold]
    assert row["precision"] == pytest.approx(precision)
    assert row["recall"] == pytest.approx(recall)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert row["f1"] == pytest.approx(f1)


def test_threshold_table_rejects_non_numeric_probability() -> None:
    bad = scored(("a1", "a2", 0.5)).astype({"match_probability": object})
    bad.loc[0, "match_probability"] = "high"
    with pytest.raises(InputError, match="match_probability"):
        threshold_table(bad, TRUTH)


def test_threshold_table_missing_probability_never_predicts() -> None:
    table = threshold_table(scored(("a1", "a2", float("nan"))), TRUTH, thresholds=[0.1])
    assert table["recall"].tolist() == [0.0]
    assert blocking_recall(scored(("a1", "a2", float("nan"))), TRUTH) == pytest.approx(0.2)


def test_threshold_table_shape() -> None:
    table = threshold_table(SCORED, TRUTH)
    assert list(table.columns) == ["threshold", "precision", "recall", "f1"]
    assert table["threshold"].tolist() == list(DEFAULT_THRESHOLDS)
    assert threshold_table(SCORED, TRUTH, thresholds=[0.5])["recall"].tolist() == [0.4]


def test_threshold_table_link_sides() -> None:
    # Cross-side true pairs: a1-a2 (0.95), a1-a3 (0.8), d1-d2 (unscored); b1-b2 is ignored.
    table = threshold_table(SCORED, TRUTH, SIDES, thresholds=[0.1, 0.9])
    assert table["recall"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert table["precision"].tolist() == pytest.approx([2 / 4, 1.0])  # 0.1: + b1-c1, c1-d1


@pytest.mark.parametrize("seed", [0, 1])
def test_threshold_table_recall_is_monotonic(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(80)]
    truth = pd.Series(rng.integers(0, 20, size=len(ids)).astype(str), index=ids)
    candidates = pd.DataFrame(
        rng.choice(ids, size=(400, 2)), columns=["left_id", "right_id"]
    ).assign(match_probability=rng.random(400))
    table = threshold_table(candidates, truth)
    assert table["threshold"].is_monotonic_increasing
    assert table["recall"].is_monotonic_decreasing
    assert (table["recall"] <= blocking_recall(candidates, truth) + 1e-12).all()


# --------------------------------------------------------------------------- report


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_write_report(tmp_path: Path) -> None:
    predicted = SCORED[SCORED["match_probability"] >= 0.5]
    sections: dict[str, Scores | float] = {
        "pairs at 0.5": pair_scores(predicted, TRUTH),
        "blocking recall": blocking_recall(SCORED, TRUTH),
    }
    written = write_report(
        tmp_path / "report", title="Tiny run", sections=sections, scored=SCORED, truth=TRUTH
    )
    out = tmp_path / "report"
    assert written == [out / "summary.md", out / "pr_curve.png", out / "score_histogram.png"]
    for png in written[1:]:
        data = png.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000
    summary = written[0].read_text(encoding="utf-8")
    assert summary.startswith("# Tiny run")
    assert "| pairs at 0.5 | 0.6667 | 0.4000 | 0.5000 | 2 | 1 | 3 |" in summary
    assert "| blocking recall | 0.6000 |" in summary
    assert "## Threshold table" in summary
    assert "| 0.95 | 1.0000 | 0.2000 | 0.3333 |" in summary
    assert "True pairs: 5." in summary


def test_write_report_without_scored(tmp_path: Path) -> None:
    clusters = pd.DataFrame({"record_id": ["a1", "a2"], "cluster_id": [1, 1]})
    written = write_report(
        tmp_path,
        title="Clusters",
        sections={"clusters": cluster_scores(clusters, TRUTH)},
        scored=None,
        truth=TRUTH,
        link_sides=SIDES,
    )
    assert written == [tmp_path / "summary.md"]
    summary = written[0].read_text(encoding="utf-8")
    assert "| clusters | 1.0000 | 0.2000 | 0.3333 | 1 | 0 | 4 |" in summary
    assert "True pairs: 3." in summary  # cross-side pairs only
    assert "Threshold table" not in summary


@pytest.mark.parametrize(
    "candidates",
    [
        scored(("b1", "c1", 0.7)),  # no true pair among the scored ones
        scored(),  # nothing scored
        scored(("a1", "a2", 0.7), ("a1", "a3", 0.9)),  # only true pairs
    ],
    ids=["no-true-scored", "empty", "only-true"],
)
def test_write_report_degenerate_scored(tmp_path: Path, candidates: pd.DataFrame) -> None:
    written = write_report(tmp_path, title="Edge", sections={}, scored=candidates, truth=TRUTH)
    assert [p.name for p in written] == ["summary.md", "pr_curve.png", "score_histogram.png"]
    for png in written[1:]:
        assert png.read_bytes().startswith(PNG_MAGIC)


PLOTTING_PROBE = """
import sys
from pathlib import Path

import pandas as pd

import linker.evaluate as ev

def loaded():
    gui = ("matplotlib.pyplot", "tkinter", "PyQt5", "PyQt6", "PySide6", "gi", "wx")
    return sorted(
        m
        for m in sys.modules
        if m in gui
        or (m.startswith("matplotlib.backends.backend_") and m != "matplotlib.backends.backend_agg")
    )

print("import", loaded(), "matplotlib" in sys.modules)
truth = pd.Series({"a": "1", "b": "1"})
scored = pd.DataFrame({"left_id": ["a"], "right_id": ["b"], "match_probability": [0.9]})
ev.write_report(Path(sys.argv[1]), title="t", sections={}, scored=scored, truth=truth)
print("report", loaded())
"""


def test_no_pyplot_or_gui_backend(tmp_path: Path) -> None:
    """Importing linker.evaluate loads no matplotlib; writing a report loads no pyplot/GUI."""
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        "MPLBACKEND": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", PLOTTING_PROBE, str(tmp_path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == ["import [] False", "report []"]
    assert (tmp_path / "pr_curve.png").read_bytes().startswith(PNG_MAGIC)


# --------------------------------------------------------------------------- read_truth


def test_read_truth(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("record_id,entity_id,source\n007,E1,a\nNA,E1,b\n9,,a\n", encoding="utf-8")
    truth = read_truth(path)
    assert truth.index.tolist() == ["007", "NA", "9"]
    assert truth.index.name == "record_id"
    assert truth.name == "entity_id"
    assert truth.iloc[:2].tolist() == ["E1", "E1"]
    assert pd.isna(truth.iloc[2])
    pd.testing.assert_frame_equal(true_pairs(truth), pairs(("007", "NA")))


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("record_id,entity\nr1,E1\n", r"truth\.csv.*'entity_id'"),
        ("id,entity_id\nr1,E1\n", r"truth\.csv.*'record_id'"),
        ("record_id,entity_id\nr1,E1\nr1,E2\n", r"truth\.csv.*row 3.*'r1'"),
        ("record_id,entity_id\nr1,E1\n,E2\n", r"truth\.csv.*row 3.*blank"),
        ("", r"truth\.csv"),
    ],
    ids=["no-entity_id", "no-record_id", "duplicate", "blank-id", "empty-file"],
)
def test_read_truth_errors(tmp_path: Path, content: str, pattern: str) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=pattern) as info:
        read_truth(path)
    assert info.value.file == str(path)


def test_read_truth_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv"):
        read_truth(tmp_path / "nope.csv")
