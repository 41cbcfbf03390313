"""Comparing and scoring candidate pairs on Spark with the local engine's pandas functions.

Each pair is joined to the compared columns of its two records, and ``mapInPandas`` hands
chunks of them to ``compare_pairs``, ``levels_of`` and the model, exactly as the local engine
calls them. The model is fitted (or read) once on the driver and broadcast: a Fellegi-Sunter
manifest as JSON-like data, a trained classifier as its files, loaded in the tasks through the
same skops trust check. Tasks never refit.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from linker.compare import Comparison, compare_pairs
from linker.compare.features import compared_columns
from linker.errors import ModelError
from linker.models import PairClassifier, levels_of
from linker.models.choice import ModelChoice, read_manifest
from linker.models.classifier import MANIFEST, loaded_files, manifest_file
from linker.models.fellegi_sunter import FellegiSunter, Session, fellegi_sunter_from_manifest
from linker.pipeline import EM_SAMPLE_PAIRS, fit_unsupervised, pair_hash
from linker.settings import Settings

if TYPE_CHECKING:
    from pyspark.broadcast import Broadcast
    from pyspark.sql import DataFrame

BROADCAST_RECORDS = 200_000  # up to this many records, every task gets the record columns
PAIR_SCHEMA = "low long, high long, match_probability double"
Scores = tuple[np.ndarray, np.ndarray, np.ndarray]  # low, high, match probability
# (left, right, levels) of the EM sample -> the EM sessions
SessionsOf = Callable[[np.ndarray, np.ndarray, np.ndarray], list[Session]]


def score_candidates(
    pairs: DataFrame,
    records: pd.DataFrame,
    comparisons: list[Comparison],
    model: ModelChoice,
    settings: Settings,
    sessions_of: SessionsOf,
) -> tuple[Scores, dict[str, Any]]:
    """The pairs' probabilities, collected to the driver in pair order, and the model's
    statistics (as the local engine reports them). ``sessions_of(left, right, levels)``
    turns the EM sample's pairs into the EM sessions (``linker.pipeline.em_sessions``)."""
    joined = _with_record_columns(pairs, records, comparisons)
    if model.kind == "trained" and model.path is not None:
        scores, stats = _score_trained(joined, records, comparisons, model.path)
    else:
        scores, stats = _score_unsupervised(
            joined, records, comparisons, settings, model.path, sessions_of
        )
    stats["reason"] = model.reason
    return scores, stats


def _with_record_columns(
    pairs: DataFrame, records: pd.DataFrame, comparisons: list[Comparison]
) -> DataFrame:
    """``low, high, l0.., r0..``: each pair with the compared columns of its two records.

    Columns travel as ``l<i>``/``r<i>`` so that any prepared column name is a safe Spark name.
    """
    from pyspark.sql import functions as F

    columns = compared_columns(comparisons, records.columns)
    frame = records[columns].set_axis([f"c{i}" for i in range(len(columns))], axis=1)
    frame.insert(0, "position", np.arange(len(records), dtype=np.int64))
    table = pairs.sparkSession.createDataFrame(frame, _schema_of(frame))
    if len(records) <= BROADCAST_RECORDS:
        table = F.broadcast(table)
    sides = [
        table.select(
            F.col("position").alias(end),
            *[F.col(f"c{i}").alias(f"{side}{i}") for i in range(len(columns))],
        )
        for end, side in (("low", "l"), ("high", "r"))
    ]
    return pairs.join(sides[0], "low").join(sides[1], "high")


def _schema_of(frame: pd.DataFrame) -> str:
    """An explicit Spark schema: a column that is empty everywhere must still be a string."""

    def spark_type(column: pd.Series) -> str:
        if pd.api.types.is_bool_dtype(column):
            return "boolean"
        if pd.api.types.is_integer_dtype(column):
            return "long"
        if pd.api.types.is_float_dtype(column):
            return "double"
        return "string"

    return ", ".join(f"{name} {spark_type(frame[name])}" for name in frame.columns)


def _chunk_features(
    batch: pd.DataFrame, columns: list[str], comparisons: list[Comparison]
) -> pd.DataFrame:
    """The feature frame of a chunk of joined pairs, by the local engine's ``compare_pairs``.

    The chunk's left records then its right records make a small records frame, and pair
    ``i`` compares its rows ``i`` and ``k + i``.
    """
    k = len(batch)
    small = pd.DataFrame(
        {
            name: np.concatenate([batch[f"l{i}"].to_numpy(), batch[f"r{i}"].to_numpy()])
            for i, name in enumerate(columns)
        }
    )
    return compare_pairs(small, np.arange(k), np.arange(k, 2 * k), comparisons)


def _pair_probability(batch: pd.DataFrame, probability: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "low": batch["low"].to_numpy(),
            "high": batch["high"].to_numpy(),
            "match_probability": probability,
        }
    )


def _levels_of_chunks(
    batches: Iterator[pd.DataFrame], columns: list[str], comparisons: list[Comparison]
) -> Iterator[pd.DataFrame]:
    """mapInPandas: ``low, high, v0..`` with the level of each comparison."""
    for batch in batches:
        levels = levels_of(_chunk_features(batch, columns, comparisons), comparisons)
        frame = pd.DataFrame(levels, columns=[f"v{j}" for j in range(len(comparisons))])
        frame.insert(0, "high", batch["high"].to_numpy())
        frame.insert(0, "low", batch["low"].to_numpy())
        yield frame


def _score_levels(
    batches: Iterator[pd.DataFrame], manifest: Broadcast[Any], frequencies: Broadcast[Any]
) -> Iterator[pd.DataFrame]:
    """mapInPandas: Fellegi-Sunter probabilities from the ``v<j>`` level columns and the
    term frequencies of each pair's left (``low``) record."""
    model = fellegi_sunter_from_manifest(manifest.value)
    for batch in batches:
        levels = batch.drop(columns=["low", "high"]).to_numpy(dtype=np.int8)
        tf = _left_frequencies(frequencies, batch)
        yield _pair_probability(batch, model.predict_proba_levels(levels, tf))


def _left_frequencies(frequencies: Broadcast[Any], batch: pd.DataFrame) -> np.ndarray | None:
    table = frequencies.value
    return None if table is None else np.asarray(table[batch["low"].to_numpy(np.int64)])


def _broadcast_frequencies(
    context: Any, model: FellegiSunter, records: pd.DataFrame
) -> Broadcast[Any]:
    """Every record's term frequencies (records x tables), for the tasks to index by pair."""
    table = None if not model.tf_ else model.pair_frequencies(records, np.arange(len(records)))
    return context.broadcast(table)


def _score_chunks_fellegi_sunter(
    batches: Iterator[pd.DataFrame],
    columns: list[str],
    comparisons: list[Comparison],
    manifest: Broadcast[Any],
    frequencies: Broadcast[Any],
) -> Iterator[pd.DataFrame]:
    """mapInPandas: compare, level and score each chunk with a fitted manifest."""
    model = fellegi_sunter_from_manifest(manifest.value)
    for batch in batches:
        levels = levels_of(_chunk_features(batch, columns, comparisons), comparisons)
        tf = _left_frequencies(frequencies, batch)
        yield _pair_probability(batch, model.predict_proba_levels(levels, tf))


def _score_chunks_classifier(
    batches: Iterator[pd.DataFrame],
    columns: list[str],
    comparisons: list[Comparison],
    files: Broadcast[Any],
) -> Iterator[pd.DataFrame]:
    """mapInPandas: compare each chunk and score it with the trained classifier.

    One OpenMP thread per task: Spark already runs a task per core, and gradient boosting's
    own threads on top of that would oversubscribe the cores (same scores either way).
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    model = _classifier_from_files(files.value)
    for batch in batches:
        features = _chunk_features(batch, columns, comparisons)
        with threadpool_limits(limits=1):
            probability = model.predict_proba(features)
        yield _pair_probability(batch, probability)


def _classifier_files(path: Path) -> dict[str, bytes]:
    """The manifest and the model files that loading reads, to broadcast as bytes:
    executors need not see the driver's disk, and they load them the way the driver does."""
    manifest_path = manifest_file(path)
    names = loaded_files(read_manifest(manifest_path))
    try:
        return {
            MANIFEST: manifest_path.read_bytes(),
            **{name: (manifest_path.parent / name).read_bytes() for name in names},
        }
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc}") from exc


def _classifier_from_files(files: dict[str, bytes]) -> PairClassifier:
    with tempfile.TemporaryDirectory(prefix="linker-model-") as directory:
        for name, content in files.items():
            (Path(directory) / name).write_bytes(content)
        return PairClassifier.load(Path(directory) / MANIFEST)


def _score_trained(
    joined: DataFrame, records: pd.DataFrame, comparisons: list[Comparison], path: Path
) -> tuple[Scores, dict[str, Any]]:
    model = PairClassifier.load(path)  # on the driver first: a bad file fails before Spark work
    files = joined.sparkSession.sparkContext.broadcast(_classifier_files(path))
    score = partial(
        _score_chunks_classifier,
        columns=compared_columns(comparisons, records.columns),
        comparisons=comparisons,
        files=files,
    )
    stats = {"kind": "trained", "path": str(path), "metrics": model.metrics_}
    return _collect(joined.mapInPandas(score, PAIR_SCHEMA)), stats


def _score_unsupervised(
    joined: DataFrame,
    records: pd.DataFrame,
    comparisons: list[Comparison],
    settings: Settings,
    path: Path | None,
    sessions_of: SessionsOf,
) -> tuple[Scores, dict[str, Any]]:
    """Fellegi-Sunter: a fitted manifest is applied in one pass; otherwise the levels are
    computed and kept, their patterns counted, the model fitted once on the driver, and the
    kept levels scored with it."""
    columns = compared_columns(comparisons, records.columns)
    context = joined.sparkSession.sparkContext
    if path is not None:
        no_levels = np.empty((0, len(comparisons)), dtype=np.int8)
        model, stats = fit_unsupervised(no_levels, records, comparisons, None, settings, path)
        manifest = context.broadcast(model.to_manifest())
        score = partial(
            _score_chunks_fellegi_sunter,
            columns=columns,
            comparisons=comparisons,
            manifest=manifest,
            frequencies=_broadcast_frequencies(context, model, records),
        )
        return _collect(joined.mapInPandas(score, PAIR_SCHEMA)), stats
    level_columns = [f"v{j}" for j in range(len(comparisons))]
    schema = ", ".join(["low long", "high long", *[f"{c} tinyint" for c in level_columns]])
    levels = joined.mapInPandas(
        partial(_levels_of_chunks, columns=columns, comparisons=comparisons), schema
    ).persist()
    try:
        candidate_levels = _level_patterns(levels, level_columns)
        if len(candidate_levels) == 0:
            empty = np.empty(0, dtype=np.int64)
            note = {"kind": "unsupervised", "note": "no candidate pairs: nothing to fit"}
            return (empty, empty, np.empty(0)), note
        sample = _em_sample(levels, level_columns, len(records))
        sessions = sessions_of(
            sample["low"].to_numpy(np.int64),
            sample["high"].to_numpy(np.int64),
            sample[level_columns].to_numpy(np.int8),
        )
        model, stats = fit_unsupervised(
            candidate_levels, records, comparisons, None, settings, None, sessions=sessions
        )
        del candidate_levels
        manifest = context.broadcast(model.to_manifest())
        frequencies = _broadcast_frequencies(context, model, records)
        score = partial(_score_levels, manifest=manifest, frequencies=frequencies)
        return _collect(levels.mapInPandas(score, PAIR_SCHEMA)), stats
    finally:
        levels.unpersist()


def _em_sample(levels: DataFrame, level_columns: list[str], n_records: int) -> pd.DataFrame:
    """On the driver, sorted by pair, the candidates that ``linker.pipeline.em_sample``
    chooses: all up to ``EM_SAMPLE_PAIRS``, else those with the smallest hashes."""
    from pyspark.sql import functions as F

    if levels.count() > EM_SAMPLE_PAIRS:
        schema = ", ".join(["low long", "high long", *[f"{c} tinyint" for c in level_columns]])
        hashed = levels.mapInPandas(
            partial(_with_pair_hash, n_records=n_records), f"{schema}, hash long"
        )
        levels = hashed.orderBy(F.col("hash")).limit(EM_SAMPLE_PAIRS).drop("hash")
    return levels.toPandas().sort_values(["low", "high"]).reset_index(drop=True)


def _with_pair_hash(batches: Iterator[pd.DataFrame], n_records: int) -> Iterator[pd.DataFrame]:
    for batch in batches:
        low = batch["low"].to_numpy(np.int64)
        high = batch["high"].to_numpy(np.int64)
        yield batch.assign(hash=pair_hash(low, high, n_records))


def _level_patterns(levels: DataFrame, level_columns: list[str]) -> np.ndarray:
    """The candidates' level matrix for EM, rebuilt on the driver from Spark's pattern counts.

    EM visits the distinct patterns in order of first appearance among the candidates sorted
    by pair; the patterns are put in that order here too, so the fit is the local engine's to
    the last bit, whatever the partitioning. The matrix takes pairs x comparisons bytes: EM
    needs only the counts, but ``FellegiSunter.fit`` takes one row per pair.
    """
    from pyspark.sql import functions as F

    counted = (
        levels.groupBy(*level_columns)
        .agg(F.count(F.lit(1)).alias("count"), F.min(F.struct("low", "high")).alias("first"))
        .select(*level_columns, "count", "first.low", "first.high")
        .toPandas()
    )
    if counted.empty:
        return np.empty((0, len(level_columns)), dtype=np.int8)
    counted = counted.sort_values(["low", "high"])
    patterns = counted[level_columns].to_numpy(dtype=np.int8)
    return np.repeat(patterns, counted["count"].to_numpy(dtype=np.int64), axis=0)


def _collect(scored: DataFrame) -> Scores:
    """The scored pairs on the driver, in the local engine's order (by low, then high)."""
    frame = scored.toPandas()
    low = frame["low"].to_numpy(dtype=np.int64)
    high = frame["high"].to_numpy(dtype=np.int64)
    order = np.lexsort((high, low))
    probability = frame["match_probability"].to_numpy(dtype=np.float64)
    return low[order], high[order], probability[order]
