"""Engines: where the block, compare and score stages run.

``local`` runs them in this process (``linker.pipeline.score_pairs``). ``spark`` runs them on
Apache Spark (``linker.engines.spark``) with the same functions inside Spark tasks, and gives the
same pairs and scores. Both return a ``linker.pipeline.Outcome``, so clustering, outputs and
statistics do not know which engine ran. pyspark is an optional extra (``linker[spark]``),
imported only when the spark engine is asked for.
"""

from __future__ import annotations

import time
from typing import Any

from linker.pipeline import Outcome, score_pairs
from linker.prepare import PreparedRecords
from linker.progress import Progress, no_progress
from linker.settings import ENGINES, Settings

DEFAULT_SPARK_MASTER = "local[2]"


def score_with_engine(
    prepared: PreparedRecords,
    settings: Settings,
    *,
    progress: Progress[Any] = no_progress,
    spark_master: str = DEFAULT_SPARK_MASTER,
) -> Outcome:
    """Block, compare and score ``prepared`` on ``settings.engine``; the Spark session lives
    for this call only (unless one is already active, which is reused and left running)."""
    if settings.engine == "local":
        return score_pairs(prepared, settings, progress=progress)
    # Imported here: the module imports pyspark lazily, but it is still Spark-only code.
    from linker.engines.spark import score_pairs_on_spark, spark_session

    start = time.perf_counter()
    with spark_session(spark_master) as spark:
        started = round(time.perf_counter() - start, 3)
        outcome = score_pairs_on_spark(spark, prepared, settings)
    outcome.stats["timings"] = {"spark_session": started, **outcome.stats["timings"]}
    return outcome


__all__ = ["DEFAULT_SPARK_MASTER", "ENGINES", "score_with_engine"]
