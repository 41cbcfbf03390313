"""``--explain`` on dedupe and link: per feature, its value and its contribution, adding up to
the logit of the written match probability, for both models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from linker import cli
from linker.evaluate import read_truth
from linker.models import PairClassifier
from linker.pipeline import train_features
from linker.prepare import PrepareOptions
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.settings import Settings
from linker.synth.world import generate_world
from linker.world_input import stack_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("explain") / "world"
    generate_world(150, 11, directory)
    return directory


@pytest.fixture(scope="module")
def trained(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small classifier trained on the world's own blocked pairs (few trees: fast)."""
    tables = [
        SourceTable(t.name, t.frame, t.rows) for t in stack_world(world, "person", "record_id")
    ]
    plan = plan_columns(tables, "record_id", {}, set())
    prepared = prepare_sources(tables, plan, "record_id", PrepareOptions())
    truth = read_truth(world / "truth" / "records.csv")
    features, labels = train_features(prepared, truth, Settings(model="unsupervised"))
    directory = tmp_path_factory.mktemp("model")
    PairClassifier(max_iter=20).fit(features, labels).save(directory)
    return directory


def explained_scores(arguments: list[str], scores: Path) -> pd.DataFrame:
    assert cli.main([*arguments, "--scores", str(scores), "--explain", "--quiet"]) == 0
    return pd.read_csv(scores, dtype={"left_id": str, "right_id": str})


def assert_adds_up(scores: pd.DataFrame) -> None:
    """Base plus contributions is the logit, and the logit is the written probability's."""
    assert len(scores) > 100
    for probability, text in zip(scores["match_probability"], scores["explanation"], strict=True):
        explanation = json.loads(text)
        contributions = [f["contribution"] for f in explanation["features"].values()]
        logit = explanation["base"] + math.fsum(contributions)
        assert logit == pytest.approx(explanation["logit"], abs=1e-9)
        assert 1 / (1 + math.exp(-logit)) == pytest.approx(probability, abs=1e-9)
        if 1e-6 < probability < 1 - 1e-6:  # beyond, a float64 probability has lost the digits
            assert math.log(probability / (1 - probability)) == pytest.approx(logit, abs=1e-9)


def test_dedupe_explains_the_unsupervised_model(world: Path, tmp_path: Path) -> None:
    run = ["dedupe", str(world), "--out", str(tmp_path / "c.csv"), "--model", "unsupervised"]
    scores = explained_scores(run, tmp_path / "s.csv")
    assert_adds_up(scores)
    features = json.loads(scores["explanation"].iloc[0])["features"]
    # Every comparison group, with its level in words; a joint group gives each similarity.
    assert {"name", "location", "dob_date", "sex_exact"} <= set(features)
    assert set(features["name"]["value"]) == {
        "given_name_jw_either_order",
        "family_name_jw_either_order",
        "full_name_tsort",
    }
    assert all(isinstance(f["level"], str) for f in features.values())
    # The same probabilities as without --explain.
    assert cli.main([*run, "--scores", str(tmp_path / "plain.csv"), "--quiet"]) == 0
    plain = pd.read_csv(tmp_path / "plain.csv")
    assert list(plain.columns) == ["left_id", "right_id", "match_probability"]
    assert plain["match_probability"].equals(scores["match_probability"])


def test_dedupe_explains_the_trained_model(world: Path, trained: Path, tmp_path: Path) -> None:
    run = ["dedupe", str(world), "--out", str(tmp_path / "c.csv"), "--model", str(trained)]
    scores = explained_scores(run, tmp_path / "s.csv")
    assert_adds_up(scores)
    features = json.loads(scores["explanation"].iloc[0])["features"]
    assert set(features) <= set(PairClassifier.load(trained).feature_names_)


def test_link_explains_its_scores(world: Path, tmp_path: Path) -> None:
    left, right = world / "fiu" / "persons.csv", world / "police" / "persons.csv"
    run = ["link", str(left), str(right), "--out", str(tmp_path / "p.csv")]
    assert_adds_up(explained_scores(run, tmp_path / "s.csv"))


def test_explain_needs_scores(world: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "c.csv"
    assert cli.main(["dedupe", str(world), "--out", str(out), "--explain", "--quiet"]) == 2
    assert "--scores" in capsys.readouterr().err
    assert not out.exists()
