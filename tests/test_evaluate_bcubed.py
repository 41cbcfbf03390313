"""Tests of linker.evaluate.bcubed_scores on hand-computed examples."""

from __future__ import annotations

import pandas as pd
import pytest

from linker.errors import InputError
from linker.evaluate import bcubed_scores

# Entities: E1 = {a1, a2, a3}, E2 = {b1, b2}, E3 = {c1}.
TRUTH = pd.Series({"a1": "E1", "a2": "E1", "a3": "E1", "b1": "E2", "b2": "E2", "c1": "E3"})


def clusters(labels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"record_id": list(labels), "cluster_id": list(labels.values())})


def test_hand_computed_example() -> None:
    # Clusters: X = {a1, a2, b1}, Y = {a3}, Z = {b2, c1}.
    found = bcubed_scores(
        clusters({"a1": "X", "a2": "X", "b1": "X", "a3": "Y", "b2": "Z", "c1": "Z"}), TRUTH
    )
    # Precision per record: a1 2/3, a2 2/3, b1 1/3, a3 1, b2 1/2, c1 1/2 -> 11/3 / 6 = 11/18.
    # Recall per record: a1 2/3, a2 2/3, b1 1/2, a3 1/3, b2 1/2, c1 1 -> 11/3 / 6 = 11/18.
    assert found.precision == pytest.approx(11 / 18)
    assert found.recall == pytest.approx(11 / 18)
    assert found.f1 == pytest.approx(11 / 18)
    assert found.records == 6


def test_unequal_precision_and_recall() -> None:
    # Everything in one cluster: precision (3*3/6 + 2*2/6 + 1/6) / 6 = 14/36, recall 1.
    found = bcubed_scores(clusters(dict.fromkeys(TRUTH.index, "all")), TRUTH)
    assert found.precision == pytest.approx(14 / 36)
    assert found.recall == 1.0
    assert found.f1 == pytest.approx(2 * (14 / 36) / (14 / 36 + 1))


def test_all_singletons() -> None:
    # Nothing clustered: every record is its own cluster; precision 1, recall
    # (3 * 1/3 + 2 * 1/2 + 1) / 6 = 1/2.
    empty = pd.DataFrame({"record_id": [], "cluster_id": []}, dtype=object)
    found = bcubed_scores(empty, TRUTH)
    assert found.precision == 1.0
    assert found.recall == pytest.approx(0.5)
    assert found.f1 == pytest.approx(2 / 3)
    # The same when the singletons are written as clusters of their own.
    written = bcubed_scores(clusters({r: f"s{i}" for i, r in enumerate(TRUTH.index)}), TRUTH)
    assert written == found


def test_all_singletons_truth_and_clusters() -> None:
    truth = pd.Series({"a": "1", "b": "2", "c": "3"})
    found = bcubed_scores(clusters({"a": "x", "b": "y", "c": "z"}), truth)
    assert (found.precision, found.recall, found.f1, found.records) == (1.0, 1.0, 1.0, 3)


def test_records_outside_the_truth_and_missing_entities() -> None:
    # z is clustered but unknown to the truth: an entity of its own. c1 has no entity.
    truth = pd.Series({"a1": "E1", "a2": "E1", "c1": None})
    found = bcubed_scores(clusters({"a1": "X", "a2": "X", "z": "X"}), truth)
    # Records a1, a2, z, c1. Precision: 2/3, 2/3, 1/3, 1 -> 8/3 / 4; recall: 1, 1, 1, 1.
    assert found.records == 4
    assert found.precision == pytest.approx(2 / 3)
    assert found.recall == 1.0


def test_no_records_and_errors() -> None:
    empty = pd.DataFrame({"record_id": [], "cluster_id": []}, dtype=object)
    assert bcubed_scores(empty, pd.Series(dtype=object)).f1 == 1.0
    with pytest.raises(InputError):
        bcubed_scores(_twice(clusters({"a1": "X"})), TRUTH)  # a1 in two clusters


def _twice(frame: pd.DataFrame) -> pd.DataFrame:
    """The clusters with every record listed again in another cluster."""
    return pd.concat([frame, frame.assign(cluster_id="Y")], ignore_index=True)
