"""The default person model, trained from the committed ``training_data/`` as ``make run``
trains it: it reproduces the committed reference scores, and it ranks the hand-written hard
name pairs (variants and look-alikes the generator never produced) with every DOMAIN.md §2
variant above its look-alike.

Two hand-written files: ``hard_name_pairs.csv`` (DOMAIN.md's 42 pairs and 276 more), whose
failures guided the skeleton rules and features, and ``heldout_name_pairs.csv`` (238 pairs of
51 other people), written later by someone who saw neither the scores nor that file, and
never used to choose a change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from linker import cli

DATA = Path(__file__).parent / "data"
REFERENCE_PAIRS = DATA / "reference_pairs.csv"
REFERENCE_SCORES = DATA / "reference_scores.csv"  # written by `make training-data`
HARD_PAIRS = DATA / "hard_name_pairs.csv"
HELDOUT_PAIRS = DATA / "heldout_name_pairs.csv"


@pytest.fixture(scope="module")
def default_model(default_person_model: Path) -> Path:
    return default_person_model / "models" / "person"


def score(pairs: Path, model: Path, out: Path) -> pd.DataFrame:
    code = cli.main(
        ["compare-pairs", str(pairs), "--model", str(model), "--out", str(out), "--quiet"]
    )
    assert code == 0
    return pd.read_csv(out)


def test_reference_pairs_score_as_committed(default_model: Path, tmp_path: Path) -> None:
    scored = score(REFERENCE_PAIRS, default_model, tmp_path / "scores.csv")
    expected = pd.read_csv(REFERENCE_SCORES)
    assert list(scored["note"]) == list(expected["note"])
    np.testing.assert_allclose(
        scored["match_probability"], expected["match_probability"], rtol=0, atol=1e-9
    )


@pytest.fixture(scope="module")
def hard_scores(default_model: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return score(HARD_PAIRS, default_model, tmp_path_factory.mktemp("hard") / "scores.csv")


# (variant, look-alike) pairs of DOMAIN.md §2: the variant must score higher.
DOMAIN_ORDERINGS = [
    (
        ("Mohammed Al-Hassan", "HASSAN Mohamed El"),
        ("Mohammed Al-Hassan", "Ahmed Al-Hassan"),
    ),
    (
        ("Abdulrahman Ahmadi", "Abdel Rahman Ahmadi"),
        ("Abdul Rahman Ahmadi", "Abdul Rahim Ahmadi"),
    ),
    (
        ("Tesfaye Gebremedhin", "ተስፋዬ ገብረመድህን"),
        ("Tesfaye Gebremedhin Tekle", "Gebremedhin Tekle Haile"),
    ),
    (("Nguyen Van Minh", "Minh Van Nguyen"), ("Nguyen Van Minh", "Nguyen Van Manh")),
]


def _probability(scores: pd.DataFrame, left: str, right: str) -> float:
    row = scores[(scores["left_full_name"] == left) & (scores["right_full_name"] == right)]
    assert len(row) == 1, (left, right)
    return float(row["match_probability"].iloc[0])


@pytest.mark.parametrize(("variant", "lookalike"), DOMAIN_ORDERINGS)
def test_domain_variants_score_above_their_lookalikes(
    hard_scores: pd.DataFrame, variant: tuple[str, str], lookalike: tuple[str, str]
) -> None:
    assert _probability(hard_scores, *variant) > _probability(hard_scores, *lookalike)


# The floor, AUC 0.90 on hard_name_pairs, and floors a little below what the model
# reaches today, to catch a regression: hard_name_pairs AUC 0.918 with 88 of 100 name groups
# ordered (every variant above every look-alike), heldout_name_pairs AUC 0.915 with 40 of 51.
@pytest.mark.parametrize(
    ("pairs", "min_auc", "min_ordered"), [(HARD_PAIRS, 0.90, 0.84), (HELDOUT_PAIRS, 0.89, 0.74)]
)
def test_hand_written_name_pairs_are_mostly_ordered(
    default_model: Path, tmp_path: Path, pairs: Path, min_auc: float, min_ordered: float
) -> None:
    scores = score(pairs, default_model, tmp_path / "scores.csv")
    auc = roc_auc_score(scores["is_match"], scores["match_probability"])
    ordered = total = 0
    for _, group in scores.groupby("left_full_name"):
        variants = group.loc[group["is_match"] == 1, "match_probability"]
        lookalikes = group.loc[group["is_match"] == 0, "match_probability"]
        if len(variants) and len(lookalikes):
            total += 1
            ordered += int(variants.min() > lookalikes.max())
    assert auc >= min_auc
    assert ordered / total >= min_ordered
