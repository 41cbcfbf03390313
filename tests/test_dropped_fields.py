"""Missing never counts as evidence: the default model is trained with each pair also shown
with one of its fields missing (``linker.models.dropped_fields``), so a file that never holds
a field is scored on what it does hold. ``benchmarks/dropped_fields.py`` prints the full
distribution of logit moves per field."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from linker.compare import Comparison
from linker.explicit_pairs import ExplicitPairs, pair_features, read_labelled_pairs
from linker.models import PairClassifier
from linker.models.dropped_fields import field_features, with_a_field_dropped
from linker.prepare import PrepareOptions
from linker.synth.training_pairs import entity_pairs, write_gzip_lines
from linker.synth.world import generate_world

HELD_OUT_SEED = 11  # never used for training (101) or tuning

COMPARISONS = [
    Comparison("given_name", "jaro_winkler", (1.0, 0.9)),
    Comparison("dob", "date", (1.0, 0.8)),
    Comparison("dob_rarity", "min_value", (1.0,), supervised_only=True),
    Comparison("phones", "shared_item", (1.0,)),
]


def test_each_row_is_copied_once_with_one_held_field_missing() -> None:
    features = pd.DataFrame(
        {
            "given_name_jw": [1.0, 0.9, 1.0],
            "dob_date": [1.0, np.nan, np.nan],
            "dob_rarity_min": [0.7, np.nan, np.nan],
            "phones_shared": [0.0, 1.0, np.nan],
        }
    )
    labels, weights = np.array([1, 0, 1]), np.array([1.0, 5.0, 1.0])
    out, out_labels, out_weights = with_a_field_dropped(features, COMPARISONS, labels, weights)
    assert out.iloc[:3].equals(features)  # the originals first, untouched
    copies = out.iloc[3:].reset_index(drop=True)
    assert len(copies) == 2  # the third row holds no droppable field
    assert out_labels.tolist() == [1, 0, 1, 1, 0] and out_weights.tolist() == [1, 5, 1, 1, 5]
    assert (copies["given_name_jw"] == [1.0, 0.9]).all()  # names are never dropped
    first = copies.iloc[0]
    dob_dropped = np.isnan(first["dob_date"]) and np.isnan(first["dob_rarity_min"])
    phones_dropped = np.isnan(first["phones_shared"])
    assert dob_dropped != phones_dropped  # one field, with all the features it feeds
    assert np.isnan(copies.iloc[1]["phones_shared"])  # its only held field


def test_the_features_of_a_field_are_found_from_the_comparisons() -> None:
    assert field_features(COMPARISONS) == {
        "dob": ["dob_date", "dob_rarity_min"],
        "phones": ["phones_shared"],
    }


def test_the_copies_are_the_same_for_the_same_seed() -> None:
    rng = np.random.default_rng(3)
    features = pd.DataFrame(
        rng.random((50, 3)), columns=["dob_date", "dob_rarity_min", "phones_shared"]
    )
    labels, weights = np.zeros(50, dtype=int), np.ones(50)
    first = with_a_field_dropped(features, COMPARISONS, labels, weights, seed=1)[0]
    again = with_a_field_dropped(features, COMPARISONS, labels, weights, seed=1)[0]
    pd.testing.assert_frame_equal(first, again)
    dropped = first.iloc[50:].isna()
    assert dropped["phones_shared"].any() and dropped["dob_date"].any()  # both get dropped


@pytest.fixture(scope="module")
def held_out_pairs() -> tuple[ExplicitPairs, np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate_world(300, HELD_OUT_SEED, world)
        path = Path(tmp) / "pairs.jsonl.gz"
        write_gzip_lines(path, entity_pairs(world, "person", HELD_OUT_SEED).lines)
        labelled = read_labelled_pairs(path)
    return labelled.pairs, labelled.labels, labelled.weights


@pytest.mark.parametrize("field", ["documents", "phones", "dob", "address", "nationality"])
def test_a_field_absent_from_every_record_costs_little(
    default_person_model: Path,
    held_out_pairs: tuple[ExplicitPairs, np.ndarray, np.ndarray],
    field: str,
) -> None:
    # A file that never holds the field (its column named otherwise, or not kept by the
    # source): its pairs are scored on the rest, not pushed one way by the missing branch.
    # Before training with dropped fields, documents absent cost 0.13 of F1 (0.994 -> 0.868).
    model = PairClassifier.load(default_person_model / "models" / "person")
    pairs, labels, weights = held_out_pairs
    options = PrepareOptions(name_features=True)
    full = model.logit(pair_features(pairs, options)[0])
    records = pairs.records.copy()
    records[field] = None
    without = model.logit(
        pair_features(ExplicitPairs(records, pairs.left, pairs.right), options)[0]
    )
    f1_full = f1_score(labels, full > 0, sample_weight=weights)
    f1_without = f1_score(labels, without > 0, sample_weight=weights)
    assert f1_without >= f1_full - 0.05, (field, f1_full, f1_without)
