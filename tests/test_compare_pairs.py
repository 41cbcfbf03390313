"""Training from labelled pairs, ``linker compare-pairs`` and explanations that add up."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linker import cli
from linker.errors import ModelError
from linker.models import PairClassifier
from linker.models.classifier import load_estimator
from linker.synth.training_pairs import entity_pairs, write_gzip_lines
from linker.synth.world import generate_world


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by ``linker train --pairs`` on a small world's labelled pairs."""
    root = tmp_path_factory.mktemp("pairs")
    generate_world(500, 3, root / "world")
    pairs = root / "person_pairs.jsonl.gz"
    write_gzip_lines(pairs, entity_pairs(root / "world", "person", 3).lines)
    model = root / "model"
    code = cli.main(["train", "--pairs", str(pairs), "--model-dir", str(model), "--quiet"])
    assert code == 0
    return model


def test_compare_pairs_with_full_names_only(trained: Path, tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "left_full_name": ["Mohammed Al-Hassan", "Tesfay Gebremedhin Haile", "Karim Saleh"],
            "right_full_name": ["HASSAN Mohamed El", "Tesfay Gebre Medhin", None],
            "note": ["variant", "truncation", "one side empty"],
        }
    )
    rows.to_csv(tmp_path / "pairs.csv", index=False)
    out = tmp_path / "scored.csv"
    command = ["compare-pairs", str(tmp_path / "pairs.csv"), "--model", str(trained)]
    assert cli.main([*command, "--out", str(out), "--explain", "--quiet"]) == 0
    scored = pd.read_csv(out)
    assert list(scored.columns) == [*rows.columns, "match_probability", "explanation"]
    assert scored["note"].tolist() == rows["note"].tolist()
    assert scored["match_probability"].between(0, 1).all()
    for probability, text in zip(scored["match_probability"], scored["explanation"], strict=True):
        explanation = json.loads(text)
        total = explanation["base"] + sum(
            f["contribution"] for f in explanation["features"].values()
        )
        assert total == pytest.approx(explanation["logit"], abs=1e-9)
        assert explanation["logit"] == pytest.approx(
            math.log(probability / (1 - probability)), abs=1e-6
        )


def test_training_is_deterministic(trained: Path, tmp_path: Path) -> None:
    manifest = json.loads((trained / "manifest.json").read_text())
    (pairs,) = manifest["training_pairs"]
    again = tmp_path / "again"
    assert cli.main(["train", "--pairs", pairs, "--model-dir", str(again), "--quiet"]) == 0
    assert json.loads((again / "manifest.json").read_text())["platt"] == manifest["platt"]
    first, second = PairClassifier.load(trained), PairClassifier.load(again)
    rng = np.random.default_rng(0)
    probe = pd.DataFrame(rng.random((200, len(first.feature_names_))), columns=first.feature_names_)
    assert (first.predict_proba(probe) == second.predict_proba(probe)).all()


def test_saved_trees_score_as_the_saved_estimator(trained: Path, tmp_path: Path) -> None:
    """Runs walk the trees file in numpy; the skops file, loaded with its trusted types, is
    the same fitted estimator: their outputs agree bit for bit, missing values included."""
    model = PairClassifier.load(trained)
    estimator = load_estimator(trained)
    rng = np.random.default_rng(1)
    x = rng.random((500, len(model.feature_names_)))
    x[rng.random(x.shape) < 0.3] = np.nan
    assert (model.trees_.raw_output(x) == estimator.decision_function(x)).all()

    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("manifest.json", "estimator.skops"):
        (broken / name).write_bytes((trained / name).read_bytes())
    np.savez(broken / "trees.npz", baseline=np.array([0.0]), tree_0000=np.zeros(3))
    with pytest.raises(ModelError, match=r"trees\.npz"):
        PairClassifier.load(broken)


def test_a_feature_missing_on_every_training_pair_is_ignored() -> None:
    """A field no training record holds (the column is all missing) neither stops training
    nor moves a score."""
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 300)
    features = pd.DataFrame(
        {"name": labels + rng.normal(0, 0.3, 300), "phones_shared": np.full(300, np.nan)}
    )
    model = PairClassifier(max_iter=10).fit(features, labels)
    probe = features.assign(phones_shared=rng.random(300))
    assert (model.predict_proba(probe) == model.predict_proba(features)).all()


def test_compare_pairs_needs_side_columns_and_a_trained_model(tmp_path: Path) -> None:
    pd.DataFrame({"name": ["a"]}).to_csv(tmp_path / "bad.csv", index=False)
    code = cli.main(["compare-pairs", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "o.csv")])
    assert code == 2 and not (tmp_path / "o.csv").exists()
