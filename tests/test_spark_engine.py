"""The Spark engine gives the local engine's pairs, capped blocks, scores and clusters.

The fixture is 50,000 synthetic people (``linker.synth.people``, seed 42) in which 1,200
records share one switchboard phone number, so the ``phones`` rule has a capped block. A
Fellegi-Sunter model is fitted once by the local engine and its manifest handed to both
engines, so any difference comes from blocking, comparing or scoring, not from fitting. Spark
runs in ``local[2]`` in one session shared by the module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from linker import cli
from linker.engines import score_with_engine
from linker.engines.spark import _local_cores, score_pairs_on_spark, spark_session
from linker.errors import ConfigError
from linker.models import PairClassifier
from linker.pipeline import Outcome, dedupe, link, score_pairs, train_features
from linker.prepare import PreparedRecords
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.settings import Settings
from linker.synth import generate_people

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytest.importorskip("pyspark.sql", reason="the spark extra is not installed (make installs it)")

RECORDS = 50_000
SWITCHBOARD = "01 40 00 00 00"
SHARED_PHONE_RECORDS = 1_200  # over BlockingOptions.max_block_size: a capped block


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    with spark_session("local[2]") as session:
        yield session


@pytest.fixture(autouse=True)
def linker_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No trained model: ``--model auto`` means unsupervised whatever the machine holds."""
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))


def prepare(*tables: tuple[str, pd.DataFrame]) -> PreparedRecords:
    sources = [
        SourceTable(name, frame.reset_index(drop=True), pd.Series(np.arange(2, len(frame) + 2)))
        for name, frame in tables
    ]
    plan = plan_columns(sources, "record_id", {}, set())
    return prepare_sources(sources, plan, "record_id", Settings().prepare)


@pytest.fixture(scope="module")
def people() -> PreparedRecords:
    records, _ = generate_people(RECORDS, seed=42)
    step = RECORDS // SHARED_PHONE_RECORDS
    shared = records.index[::step][:SHARED_PHONE_RECORDS]
    records.loc[shared, "phone"] = SWITCHBOARD
    return prepare(("people", records))


@pytest.fixture(scope="module")
def model_dir(people: PreparedRecords, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Fellegi-Sunter manifest fitted by the local engine, as ``--model PATH`` reads it."""
    fitted = score_pairs(people, Settings(model="unsupervised"))
    directory = tmp_path_factory.mktemp("model")
    (directory / "manifest.json").write_text(json.dumps(fitted.stats["model"]["manifest"]))
    return directory


@pytest.fixture(scope="module")
def outcomes(
    people: PreparedRecords, model_dir: Path, spark: SparkSession
) -> tuple[Outcome, Outcome]:
    settings = Settings(model=str(model_dir))
    local = score_pairs(people, settings)
    on_spark = score_pairs_on_spark(spark, people, settings)
    return local, on_spark


def pair_set(outcome: Outcome) -> set[tuple[int, int]]:
    return set(zip(outcome.blocking.left.tolist(), outcome.blocking.right.tolist(), strict=True))


def test_same_candidate_pairs(outcomes: tuple[Outcome, Outcome]) -> None:
    local, on_spark = outcomes
    local_pairs, spark_pairs = pair_set(local), pair_set(on_spark)
    assert len(local_pairs) > RECORDS  # a real workload, not an empty one
    assert len(local_pairs & spark_pairs) / len(local_pairs | spark_pairs) == 1.0
    # Same order too, so that scores line up pair by pair.
    np.testing.assert_array_equal(on_spark.blocking.left, local.blocking.left)
    np.testing.assert_array_equal(on_spark.blocking.right, local.blocking.right)


def test_same_pairs_per_rule_and_capped_blocks(outcomes: tuple[Outcome, Outcome]) -> None:
    local, on_spark = outcomes
    assert on_spark.blocking.pairs_per_rule == local.blocking.pairs_per_rule
    capped = local.blocking.capped_blocks
    assert [(b["rule"], b["size"]) for b in capped] == [("phones", SHARED_PHONE_RECORDS)]
    assert on_spark.blocking.capped_blocks == capped
    assert on_spark.stats["blocking"] == local.stats["blocking"]


def test_same_scores(outcomes: tuple[Outcome, Outcome]) -> None:
    local, on_spark = outcomes
    assert on_spark.probability.shape == local.probability.shape
    assert np.max(np.abs(on_spark.probability - local.probability)) <= 1e-9
    assert on_spark.stats["model"]["manifest"] == local.stats["model"]["manifest"]


def test_same_clusters(outcomes: tuple[Outcome, Outcome]) -> None:
    local, on_spark = outcomes
    clusters = dedupe(local, 0.5)
    assert clusters["cluster_id"].nunique() < RECORDS  # duplicates were found
    pd.testing.assert_frame_equal(dedupe(on_spark, 0.5), clusters)


def test_stats_name_the_engine(outcomes: tuple[Outcome, Outcome]) -> None:
    local, on_spark = outcomes
    assert local.stats["engine"] == "local"
    assert on_spark.stats["engine"] == "spark"
    figures = on_spark.stats["spark"]
    assert figures["master"] == "local[2]"
    assert figures["capped_blocks"] == 1
    assert figures["scoring_partitions"] >= 2
    assert set(on_spark.stats) == set(local.stats) | {"spark"}


def test_link_fits_the_same_model_and_pairs_across_sources_only(spark: SparkSession) -> None:
    """No model file: each engine fits Fellegi-Sunter itself, and they agree."""
    records, _ = generate_people(6_000, seed=5)
    prepared = prepare(("left", records.iloc[::2]), ("right", records.iloc[1::2]))
    settings = Settings(job="link", model="unsupervised")
    local = score_pairs(prepared, settings)
    on_spark = score_pairs_on_spark(spark, prepared, settings)
    sources = prepared.frame["source"].to_numpy()
    assert (sources[on_spark.blocking.left] != sources[on_spark.blocking.right]).all()
    np.testing.assert_array_equal(on_spark.blocking.left, local.blocking.left)
    np.testing.assert_array_equal(on_spark.blocking.right, local.blocking.right)
    assert np.max(np.abs(on_spark.probability - local.probability)) <= 1e-9
    assert on_spark.stats["model"]["em_iterations"] == local.stats["model"]["em_iterations"]
    assert on_spark.stats["model"]["lambda"] == pytest.approx(
        local.stats["model"]["lambda"], abs=1e-12
    )
    pd.testing.assert_frame_equal(link(on_spark, 0.5, False), link(local, 0.5, False))


def test_mixed_name_layouts_score_the_same(spark: SparkSession) -> None:
    """A full name made from given + family travels to the workers with its marker: a file
    where some records hold only a full name scores on Spark as it does locally."""
    records, _ = generate_people(3_000, seed=9)
    full_only = records.index[::3]
    records["full_name"] = None
    records.loc[full_only, "full_name"] = (
        records.loc[full_only, "given_name"] + " " + records.loc[full_only, "surname"]
    )
    records.loc[full_only, ["given_name", "surname"]] = None
    prepared = prepare(("people", records))
    settings = Settings(model="unsupervised")
    local = score_pairs(prepared, settings)
    on_spark = score_pairs_on_spark(spark, prepared, settings)
    np.testing.assert_array_equal(on_spark.blocking.left, local.blocking.left)
    assert np.max(np.abs(on_spark.probability - local.probability)) <= 1e-9


def test_trained_classifier_gives_the_same_scores(spark: SparkSession, tmp_path: Path) -> None:
    """A trained model is shipped to the tasks as its files and loaded there, not refitted."""
    records, truth = generate_people(3_000, seed=11)
    prepared = prepare(("people", records))
    entity = truth.set_index("record_id")["entity_id"]
    features, labels = train_features(prepared, entity, Settings(model="unsupervised"))
    settings = Settings(model=str(tmp_path / "trained"))
    # One OpenMP thread: on a busy 2-core machine gradient boosting's spinning threads make
    # the fit 20 times slower; the scores are the same.
    with threadpool_limits(limits=1):
        PairClassifier(max_iter=50).fit(features, labels).save(tmp_path / "trained")
        local = score_pairs(prepared, settings)
    on_spark = score_pairs_on_spark(spark, prepared, settings)
    assert on_spark.stats["model"]["kind"] == local.stats["model"]["kind"] == "trained"
    np.testing.assert_array_equal(on_spark.blocking.left, local.blocking.left)
    np.testing.assert_array_equal(on_spark.blocking.right, local.blocking.right)
    assert np.max(np.abs(on_spark.probability - local.probability)) <= 1e-9


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    records, _ = generate_people(300, seed=3)
    path = tmp_path / "small.csv"
    records.to_csv(path, index=False)
    return path


def test_cli_dedupe_on_spark_writes_parquet(
    spark: SparkSession, small_csv: Path, tmp_path: Path
) -> None:
    out, stats = tmp_path / "c.parquet", tmp_path / "stats.json"
    args = ["dedupe", str(small_csv), "--out", str(out), "--stats", str(stats), "--quiet"]
    assert cli.main([*args, "--engine", "spark"]) == 0
    clusters = pd.read_parquet(out)
    assert list(clusters.columns) == ["record_id", "cluster_id"]
    assert sorted(clusters["record_id"]) == sorted(pd.read_csv(small_csv)["record_id"])
    assert json.loads(stats.read_text())["engine"] == "spark"
    assert spark.range(3).count() == 3  # the CLI reused this session and left it running

    local_out = tmp_path / "local.csv"
    assert cli.main(["dedupe", str(small_csv), "--out", str(local_out), "--quiet"]) == 0
    pd.testing.assert_frame_equal(clusters, pd.read_csv(local_out, dtype=str))


def test_spark_without_pyspark_is_a_config_error(
    small_csv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"linker\[spark\]"):
        score_with_engine(
            prepare(("people", pd.read_csv(small_csv, dtype=str))),
            Settings(engine="spark"),
        )
    out = tmp_path / "c.csv"
    assert cli.main(["dedupe", str(small_csv), "--out", str(out), "--engine", "spark"]) == 2
    assert "pip install 'linker[spark]'" in capsys.readouterr().err
    assert not out.exists()


def test_the_local_engine_never_imports_pyspark() -> None:
    code = (
        "import sys, linker.cli, linker.engines, linker.engines.spark; "
        "assert 'pyspark' not in sys.modules, 'pyspark imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("master", "cores"),
    [
        ("local", 1),
        ("local[2]", 2),
        ("local[8,3]", 8),
        ("spark://10.0.0.5:7077", None),
        ("yarn", None),
    ],
)
def test_local_cores(master: str, cores: int | None) -> None:
    assert _local_cores(master) == cores
