"""The Spark engine: block, compare and score on Apache Spark, with the local engine's results.

What runs where, and why:

- on the driver: preparation (``prepare_sources``, before this module is called: fine while
  the records fit one machine), the choice of blocking rules (``choose_rules`` needs only key
  counts), each rule's integer block codes (``KeyCodes``), the one Fellegi-Sunter fit (EM over
  the level patterns that Spark counted) and, once the scores are collected, clustering;
- on Spark: the pairs inside each block, with the semantics of ``linker.blocking.pairs``
  (record order inside a block; each record of a block over ``max_block_size`` paired with its
  next ``window`` records only; ``low < high``, no self-pairs, across sources only for a link
  job), their union over rules, the join to the record columns, and comparing and scoring with
  the local engine's own pandas functions (``compare_pairs``, ``levels_of``, the model) in
  ``mapInPandas`` over chunks of pairs.

The fitted model is kept on the driver too, in the ``Outcome``: clustering scores the pairs it
needs that blocking never made candidates with it, on the driver, as the local engine does.

The model is fitted (or read) once on the driver and broadcast; tasks never refit. pyspark is
imported inside functions only, so the local engine never needs it. This module starts the
session and runs the stages; ``spark_blocking`` forms the pairs, ``spark_scoring`` scores them.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linker.blocking import BlockingResult, KeyCodes
from linker.engines.spark_blocking import candidate_pairs
from linker.engines.spark_scoring import score_candidates
from linker.errors import ConfigError
from linker.models import FellegiSunter, PairClassifier
from linker.models.choice import ModelChoice
from linker.models.fellegi_sunter import fellegi_sunter_from_manifest
from linker.pipeline import (
    Outcome,
    blocking_rules,
    comparisons_and_model,
    em_sessions,
    run_stats,
)
from linker.prepare import PreparedRecords
from linker.progress import Timer
from linker.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CHUNK_PAIRS = 50_000  # pairs per Arrow batch handed to compare_pairs in a task
PAIRS_PER_TASK = 500_000  # more pairs than this make more scoring tasks

# Spark's own INFO/WARN lines would bury linker's messages; errors still show.
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


@contextmanager
def spark_session(master: str) -> Iterator[SparkSession]:
    """A Spark session for one run: the active one if any (a notebook, a test), left running;
    otherwise a new one on ``master``, stopped at the end."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "the spark engine needs pyspark: pip install 'linker[spark]' (or use the local engine)"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    with tempfile.TemporaryDirectory(prefix="linker-spark-") as scratch:
        spark = _start_session(master, Path(scratch))
        try:
            yield spark
        finally:
            spark.stop()


def _start_session(master: str, scratch: Path) -> SparkSession:
    """Start Spark quietly, without its web UI; a local master binds to loopback only."""
    from pyspark.sql import SparkSession

    log_config = scratch / "log4j2.properties"
    log_config.write_text(_LOG4J2)
    builder = (
        SparkSession.builder.master(master)
        .appName("linker")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(CHUNK_PAIRS))
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config}")
    )
    cores = _local_cores(master)
    if cores is not None:
        # Environment first: the JVM reads SPARK_LOCAL_IP when it starts, below.
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", str(2 * cores))
        )
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM launcher fails in many ways (no Java, bad master)
        raise ConfigError(
            f"cannot start Spark on {master!r} (is Java 17 or later installed?): {exc}"
        ) from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _local_cores(master: str) -> int | None:
    """Cores of a ``local``, ``local[N]`` or ``local[*]`` master; None for a cluster."""
    found = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\d+)?\])?", master.strip())
    if found is None:
        return None
    if found.group(1) in (None, "*"):
        return 1 if found.group(1) is None else os.cpu_count() or 1
    return int(found.group(1))


def score_pairs_on_spark(
    spark: SparkSession, prepared: PreparedRecords, settings: Settings
) -> Outcome:
    """Block, compare and score on Spark: the same ``Outcome`` as ``pipeline.score_pairs``."""
    timer = Timer()
    records = prepared.frame
    with timer.stage("block"):
        codes = KeyCodes(records)
        rules = blocking_rules(records, settings, codes)
        candidates = candidate_pairs(
            spark, records, rules, codes, settings.blocking, link_only=settings.link_only
        )
    comparisons, model = comparisons_and_model(prepared, settings)
    context = spark.sparkContext
    tasks = max(2 * context.defaultParallelism, math.ceil(candidates.count / PAIRS_PER_TASK))
    with timer.stage("compare_and_score"):
        pairs = candidates.pairs.repartition(tasks)
        (left, right, probability), model_stats = score_candidates(
            pairs,
            records,
            comparisons,
            model,
            settings,
            partial(em_sessions, codes, rules, comparisons),
        )
        candidates.pairs.unpersist()
    capped = candidates.capped_blocks
    blocking = BlockingResult(left, right, candidates.pairs_per_rule, capped)
    stats = run_stats(len(records), blocking, comparisons, model_stats, timer, "spark")
    stats["spark"] = _spark_figures(spark, tasks, len(capped))
    # The fitted model, on the driver: clustering scores on demand with it, as locally.
    scorer = _driver_model(model, model_stats)
    return Outcome(prepared, blocking, probability, stats, comparisons, scorer, rules)


def _driver_model(
    model: ModelChoice, model_stats: dict[str, Any]
) -> FellegiSunter | PairClassifier | None:
    """The model that scored the pairs on Spark, rebuilt on the driver (None: no model, as
    when there were no candidates to fit one on)."""
    if model.kind == "trained" and model.path is not None:
        return PairClassifier.load(model.path)
    manifest = model_stats.get("manifest")
    return None if manifest is None else fellegi_sunter_from_manifest(manifest)


def _spark_figures(spark: SparkSession, tasks: int, capped_blocks: int) -> dict[str, Any]:
    context = spark.sparkContext
    return {
        "version": spark.version,
        "master": context.master,
        "default_parallelism": context.defaultParallelism,
        "shuffle_partitions": int(spark.conf.get("spark.sql.shuffle.partitions") or 0),
        "scoring_partitions": tasks,
        "pairs_per_chunk": int(spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch") or 0),
        "capped_blocks": capped_blocks,
    }
