import json

import numpy as np
import pytest

from linker.compare import Comparison
from linker.errors import ModelError
from linker.models import FellegiSunter
from linker.models.fellegi_sunter import fellegi_sunter_from_manifest

COMPARISONS = [
    Comparison("given_name", "jaro_winkler", (1.0, 0.8)),
    Comparison("family_name", "jaro_winkler", (1.0, 0.8)),
    Comparison("dob", "date", (1.0, 0.5)),
]


def simulated(seed: int, matches: int, non_matches: int) -> tuple[np.ndarray, np.ndarray]:
    """Levels drawn from known m and u: matches mostly at the top level (2)."""
    rng = np.random.default_rng(seed)
    m, u = [0.05, 0.15, 0.8], [0.9, 0.08, 0.02]
    top = rng.choice(3, size=(matches, 3), p=m)
    bottom = rng.choice(3, size=(non_matches, 3), p=u)
    levels = np.vstack([top, bottom]).astype(np.int8)
    truth = np.r_[np.ones(matches), np.zeros(non_matches)]
    return levels, truth


def test_em_recovers_m_and_separates_matches() -> None:
    levels, truth = simulated(0, 2000, 8000)
    random_levels, _ = simulated(1, 0, 50000)
    model = FellegiSunter(COMPARISONS).fit(levels, random_levels)
    assert model.lambda_ == pytest.approx(0.2, abs=0.03)
    assert model.m_[0][2] == pytest.approx(0.8, abs=0.05)
    predicted = model.predict_proba_levels(levels) >= 0.5
    assert (predicted == truth).mean() > 0.95


def test_missing_levels_are_neutral() -> None:
    levels, _ = simulated(0, 500, 2000)
    model = FellegiSunter(COMPARISONS).fit(levels, simulated(1, 0, 5000)[0])
    weights = model.log2_weights(np.array([[-1, -1, -1]], dtype=np.int8))
    assert (weights == 0).all()
    assert model.predict_proba_levels(np.array([[-1, -1, -1]], dtype=np.int8))[0] == (
        pytest.approx(model.lambda_)
    )


def test_manifest_round_trip_gives_identical_scores() -> None:
    levels, _ = simulated(0, 500, 2000)
    model = FellegiSunter(COMPARISONS).fit(levels, simulated(1, 0, 5000)[0])
    again = fellegi_sunter_from_manifest(json.loads(json.dumps(model.to_manifest())))
    assert np.array_equal(model.predict_proba_levels(levels), again.predict_proba_levels(levels))


def test_unfitted_model_says_so() -> None:
    with pytest.raises(ModelError, match="not fitted"):
        FellegiSunter(COMPARISONS).weights_table()
