import json
import math

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


GROUPED = [
    Comparison("address", "token_sort", (1.0, 0.8), group="location"),
    Comparison("city", "jaro_winkler", (1.0,), group="location"),
    Comparison("dob", "date", (1.0, 0.5)),
]


def test_grouped_comparisons_form_one_joint_level() -> None:
    model = FellegiSunter(GROUPED)
    assert [name for name, _ in model.groups] == ["location", "dob_date"]
    # address has 3 levels + missing, city 2 + missing: 4 * 3 - 1 (all missing) = 11 levels.
    assert model.sizes == [11, 3]
    levels = np.array([[-1, -1, 2], [2, 1, 0], [-1, 1, -1]], dtype=np.int8)
    joint = model.joint_levels(levels)
    assert joint[0].tolist() == [-1, 2]  # both location members missing: the group is missing
    assert joint[1, 0] != joint[2, 0]
    every = np.array([[a, c, 0] for a in range(-1, 3) for c in range(-1, 2)], dtype=np.int8)
    assert len(set(model.joint_levels(every)[:, 0].tolist())) == 12  # 11 levels and missing


def test_a_missing_member_of_a_joint_group_is_no_evidence_in_its_prior() -> None:
    # No session fits the group (its only data are random pairs): m is the prior. A pair whose
    # city is missing weighs as its address says, and each pattern of missing members is as
    # common among matches as among random pairs.
    rng = np.random.default_rng(5)
    random_levels = np.column_stack(
        [rng.choice(3, 4000, p=[0.9, 0.07, 0.03]), rng.choice([-1, 0, 1], 4000, p=[0.3, 0.5, 0.2])]
    ).astype(np.int8)
    model = FellegiSunter(GROUPED[:2]).fit(random_levels[:50], random_levels, sessions=[])
    no_city = np.array([[2, -1], [0, -1]], dtype=np.int8)
    agree, disagree = model.log2_weights(no_city).sum(axis=1)
    assert agree > 3 and disagree < -3
    joint = model.joint_levels(np.array([[a, -1] for a in range(3)], dtype=np.int8))[:, 0]
    share_m, share_u = model.m_[0][joint].sum(), model.u_random_[0][joint].sum()
    assert share_m == pytest.approx(share_u, rel=0.05)


def test_a_move_counts_once_when_location_fields_are_grouped() -> None:
    # Matches either stay (address and city agree) or move (both disagree together).
    rng = np.random.default_rng(3)
    n_match, n_non = 3000, 12000
    moved = rng.random(n_match) < 0.3
    match_levels = np.column_stack(
        [np.where(moved, 0, 2), np.where(moved, 0, 1), rng.choice(3, n_match, p=[0.05, 0.1, 0.85])]
    )
    non_levels = np.column_stack(
        [
            rng.choice(3, n_non, p=[0.9, 0.07, 0.03]),
            rng.choice(2, n_non, p=[0.8, 0.2]),
            rng.choice(3, n_non, p=[0.9, 0.08, 0.02]),
        ]
    )
    levels = np.vstack([match_levels, non_levels]).astype(np.int8)
    random_levels = non_levels.astype(np.int8)
    grouped = FellegiSunter(GROUPED).fit(levels, random_levels)
    separate = FellegiSunter([Comparison(c.left, c.comparator, c.levels) for c in GROUPED]).fit(
        levels, random_levels
    )
    movers = np.flatnonzero(moved)
    # A mover with the same date of birth: grouping keeps it a likely match.
    mover_levels = levels[movers][levels[movers, 2] == 2]
    assert grouped.predict_proba_levels(mover_levels).mean() > (
        separate.predict_proba_levels(mover_levels).mean()
    )
    again = fellegi_sunter_from_manifest(json.loads(json.dumps(grouped.to_manifest())))
    assert np.array_equal(again.predict_proba_levels(levels), grouped.predict_proba_levels(levels))
    assert any("address" in row["similarity"] for row in grouped.weights_table())


def _identifier_model() -> tuple[list[Comparison], FellegiSunter]:
    """A model fitted on names, dates and a phone (an identifier), levels made up."""
    comparisons = [
        Comparison("family_name", "jaro_winkler", (1.0, 0.8)),
        Comparison("dob", "date", (1.0,)),
        Comparison("phones", "shared_item", (1.0,), identifier=True),
    ]
    rng = np.random.default_rng(5)
    matches = np.column_stack(
        [
            rng.choice(3, 4000, p=[0.02, 0.08, 0.9]),
            rng.choice(2, 4000, p=[0.1, 0.9]),
            rng.choice(2, 4000, p=[0.3, 0.7]),
        ]
    )
    others = np.column_stack(
        [
            rng.choice(3, 40000, p=[0.9, 0.08, 0.02]),
            rng.choice(2, 40000, p=[0.97, 0.03]),
            rng.choice(2, 40000, p=[0.9995, 0.0005]),
        ]
    )
    levels = np.vstack([matches, others]).astype(np.int8)
    model = FellegiSunter(comparisons).fit(levels, others.astype(np.int8))
    return comparisons, model


def test_a_shared_identifier_alone_never_makes_a_match() -> None:
    comparisons, model = _identifier_model()
    same_phone_only = np.array([[0, 0, 1]], dtype=np.int8)  # names and dates disagree
    same_phone_and_name = np.array([[2, -1, 1]], dtype=np.int8)
    unfloored = FellegiSunter(comparisons, identifier_floor=0.0)
    unfloored.m_, unfloored.u_, unfloored.lambda_ = model.m_, model.u_, model.lambda_
    assert (
        unfloored.predict_proba_levels(same_phone_only)[0]
        > model.predict_proba_levels(same_phone_only)[0]
    )
    assert model.predict_proba_levels(same_phone_only)[0] < 0.01
    assert model.predict_proba_levels(same_phone_and_name)[0] > 0.5


def test_fellegi_sunter_contributions_follow_the_identifier_floor() -> None:
    _, model = _identifier_model()
    probe = np.array([[0, 0, 1], [2, 1, 1], [2, -1, 0], [-1, -1, -1]], dtype=np.int8)
    base, contributions = model.explain(probe)
    logit = base + contributions.sum(axis=1)
    probability = model.predict_proba_levels(probe)
    assert np.allclose(1 / (1 + np.exp(-logit)), probability, rtol=0, atol=1e-12)
    ignored = model.identifiers_ignored(probe)
    assert ignored.tolist() == [True, False, False, False]
    assert contributions[0, 2] == 0.0 and contributions[1, 2] != 0.0
    assert (contributions[3] == 0).all() and base == pytest.approx(
        math.log(model.lambda_ / (1 - model.lambda_))
    )
