"""Pairs given explicitly instead of found by blocking: labelled training pairs and
``linker compare-pairs`` input.

Pairs of people, companies or accounts: the fields, preparation and comparisons are those of
the entity type. A pair file holds ``left_<field>`` and ``right_<field>`` columns (a CSV for
reviewers' tools) or ``left``/``right`` objects (the JSON Lines of ``training_data/``). Both
sides are turned into one records frame, prepared exactly as a dedupe input would be, and
compared position by position, so a pair scores the same here as when blocking finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linker.compare import Comparison, compare_pairs, entity_comparisons
from linker.errors import InputError
from linker.models import PairClassifier
from linker.models.dropped_fields import with_a_field_dropped
from linker.models.fellegi_sunter import FellegiSunter, levels_of
from linker.prepare import PreparedRecords, PrepareOptions
from linker.prepare.names import CHAIN_FIELDS
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources

SIDES = ("left", "right")
RARITY_SUFFIX = "_rarity_min"


@dataclass
class ExplicitPairs:
    """Records of both sides (``record_id`` and raw fields) and the pairs as positions."""

    records: pd.DataFrame
    left: np.ndarray
    right: np.ndarray


@dataclass
class LabelledPairs:
    pairs: ExplicitPairs
    labels: np.ndarray
    weights: np.ndarray


def from_side_columns(frame: pd.DataFrame, file: str) -> ExplicitPairs:
    """``left_<field>``/``right_<field>`` columns to records; other columns are kept out of
    the comparison (an ``is_match`` or ``note`` column is not a field)."""
    fields = sorted(
        {c.split("_", 1)[1] for c in frame.columns if c.startswith(("left_", "right_"))}
    )
    if not fields:
        raise InputError("no left_<field> or right_<field> column", file=file)
    sides = []
    for side in SIDES:
        part = pd.DataFrame(
            {f: frame.get(f"{side}_{f}", pd.Series(None, index=frame.index)) for f in fields}
        )
        part.insert(0, "record_id", [f"{side}:{i}" for i in range(len(frame))])
        sides.append(part)
    n = len(frame)
    records = pd.concat(sides, ignore_index=True)
    return ExplicitPairs(records, np.arange(n), np.arange(n, 2 * n))


def read_labelled_pairs(path: Path) -> LabelledPairs:
    """Training pairs (JSON Lines, gzip allowed): each distinct record once, pairs as
    positions, with labels and weights."""
    try:
        rows = pd.read_json(path, lines=True, dtype=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read labelled pairs: {exc}", file=str(path)) from exc
    for column in ("left", "right", "label"):
        if column not in rows:
            raise InputError(f"missing key {column!r} in every line", file=str(path))
    by_id: dict[str, dict[str, str]] = {}
    for side in SIDES:
        for record in rows[side]:
            by_id.setdefault(str(record["record_id"]), record)
    records = pd.DataFrame(list(by_id.values()), dtype=object)
    position = {rid: i for i, rid in enumerate(by_id)}
    left = np.array([position[str(r["record_id"])] for r in rows["left"]])
    right = np.array([position[str(r["record_id"])] for r in rows["right"]])
    weights = rows["weight"].to_numpy(float) if "weight" in rows else np.ones(len(rows))
    labels = rows["label"].to_numpy(int)
    return LabelledPairs(ExplicitPairs(records, left, right), labels, weights)


def prepare_pairs(
    pairs: ExplicitPairs, options: PrepareOptions, entity: str = "person"
) -> PreparedRecords:
    """Prepare the records of explicit pairs as one source, columns guessed as for dedupe
    (the fields of ``entity``: person, company or account)."""
    raw = pairs.records.map(lambda v: None if pd.isna(v) or v == "" else str(v))
    table = SourceTable("pairs", raw, pd.Series(np.arange(2, len(raw) + 2)))
    plan = plan_columns([table], "record_id", {}, set(), entity)
    return prepare_sources([table], plan, "record_id", options)


def pair_features(
    pairs: ExplicitPairs,
    options: PrepareOptions,
    *,
    population: bool = True,
    entity: str = "person",
) -> tuple[pd.DataFrame, list[Comparison]]:
    """Every feature (trained-model set) of each explicit pair of ``entity`` records, in
    pair order.

    ``population``: whether the records of the pairs stand for a population, so that how
    rare a name or a date is among them means something (training records drawn from a
    world); when not (names alone, an analyst's list), the rarity features are missing."""
    prepared = prepare_pairs(pairs, options, entity)
    comparisons = entity_comparisons(
        entity, prepared.fields, prepared.generic, prepared.frame.columns
    )
    features = compare_pairs(prepared.frame, pairs.left, pairs.right, comparisons)
    if not population:
        rarity = [str(c) for c in features.columns if str(c).endswith(RARITY_SUFFIX)]
        features[rarity] = np.nan
    return features, comparisons


def prior_model(comparisons: list[Comparison], features: pd.DataFrame) -> FellegiSunter:
    """A Fellegi-Sunter model over ``comparisons`` with its prior weights only, at even odds:
    for pairs of an entity that has no trained model. A list of pairs is no population to
    learn weights from; the priors say that matches mostly agree and random pairs rarely do
    (each level a tenth as likely as the one below), so every comparison weighs by its level.
    """
    comparisons = [c for c in comparisons if not c.supervised_only]
    levels = levels_of(features, comparisons)
    random_levels = np.empty((0, levels.shape[1]), dtype=levels.dtype)
    model = FellegiSunter(comparisons).fit(levels, random_levels, sessions=[])
    model.lambda_ = 0.5  # each listed pair was put forward as a candidate: even odds
    return model


def is_names_only(pairs: ExplicitPairs) -> bool:
    """Whether the pairs give nothing but names (``training_data``'s name pairs, or an
    analyst's list)."""
    return set(pairs.records.columns) - {"record_id"} <= set(CHAIN_FIELDS)


def train_from_pairs(
    paths: list[Path], options: PrepareOptions
) -> tuple[PairClassifier, pd.DataFrame, list[str]]:
    """A classifier trained on the labelled pairs of every file in ``paths`` (the record
    pairs of a world, and pairs of names alone), each pair also shown with one of its
    non-name fields missing (``linker.models.dropped_fields``); also returns the features
    and the fields the records held."""
    features, labels, weights, fields = [], [], [], set()
    for path in paths:
        labelled = read_labelled_pairs(path)
        fields |= set(labelled.pairs.records.columns) - {"record_id"}
        population = not is_names_only(labelled.pairs)
        found, comparisons = pair_features(labelled.pairs, options, population=population)
        # Each pair also with one of its fields missing: missing is no evidence.
        found, found_labels, found_weights = with_a_field_dropped(
            found, comparisons, labelled.labels, labelled.weights
        )
        features.append(found)
        labels.append(found_labels)
        weights.append(found_weights)
    combined = pd.concat(features, ignore_index=True)
    model = PairClassifier().fit(combined, np.concatenate(labels), np.concatenate(weights))
    return model, combined, sorted(fields)
