"""Pairs given explicitly instead of found by blocking: labelled training pairs and
``linker compare-pairs`` input.

A pair file holds ``left_<field>`` and ``right_<field>`` columns (a CSV for reviewers' tools)
or ``left``/``right`` objects (the JSON Lines of ``training_data/``). Both sides are turned
into one records frame, prepared exactly as a dedupe input would be, and compared position by
position, so a pair scores the same here as when blocking finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linker.compare import Comparison, compare_pairs, entity_comparisons
from linker.errors import InputError
from linker.models import PairClassifier
from linker.pipeline import SourceTable, plan_columns, prepare_sources
from linker.prepare import PreparedRecords, PrepareOptions

SIDES = ("left", "right")


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


def prepare_pairs(pairs: ExplicitPairs, options: PrepareOptions) -> PreparedRecords:
    """Prepare the records of explicit pairs as one source, columns guessed as for dedupe."""
    raw = pairs.records.map(lambda v: None if pd.isna(v) or v == "" else str(v))
    table = SourceTable("pairs", raw, pd.Series(np.arange(2, len(raw) + 2)))
    plan = plan_columns([table], "record_id", {}, set())
    return prepare_sources([table], plan, "record_id", options)


def pair_features(
    pairs: ExplicitPairs, options: PrepareOptions
) -> tuple[pd.DataFrame, list[Comparison]]:
    """Every feature (trained-model set) of each explicit pair, in pair order."""
    prepared = prepare_pairs(pairs, options)
    comparisons = entity_comparisons(
        "person", prepared.fields, prepared.generic, prepared.frame.columns
    )
    return compare_pairs(prepared.frame, pairs.left, pairs.right, comparisons), comparisons


def names_only(labelled: LabelledPairs) -> LabelledPairs:
    """The same pairs with nothing but each record's full name (or given + family name):
    what an analyst's list gives. Training on these too teaches the model to decide on names
    alone instead of meeting all-missing features only at scoring time."""
    records = labelled.pairs.records
    empty = pd.Series(None, index=records.index, dtype=object)
    given = records.get("given_name", empty).fillna("")
    family = records.get("family_name", empty).fillna("")
    joined = (given + " " + family).str.strip().replace("", None)
    full = records.get("full_name", empty).where(lambda v: v.notna() & (v != ""), joined)
    reduced = pd.DataFrame({"record_id": "names:" + records["record_id"], "full_name": full})
    pairs = ExplicitPairs(reduced, labelled.pairs.left, labelled.pairs.right)
    return LabelledPairs(pairs, labelled.labels, labelled.weights)


def train_from_pairs(path: Path, options: PrepareOptions) -> tuple[PairClassifier, pd.DataFrame]:
    """A classifier trained on the labelled pairs at ``path``, each pair seen twice: with
    every field, and with names alone (see ``names_only``). Also returns the features."""
    labelled = read_labelled_pairs(path)
    full, _ = pair_features(labelled.pairs, options)
    names, _ = pair_features(names_only(labelled).pairs, options)
    # Two different people with the very same name teach nothing about names: keep them
    # out of the names-only copies (they stay in the full ones, where other fields decide).
    undecidable = (names["name_chain_exact_cover"] == 1) & (names["name_chain_cover_min"] == 1)
    keep = ~(undecidable.to_numpy() & (labelled.labels == 0))
    features = pd.concat([full, names[keep]], ignore_index=True)
    labels = np.r_[labelled.labels, labelled.labels[keep]]
    weights = np.r_[labelled.weights, labelled.weights[keep]]
    return PairClassifier().fit(features, labels, weights), features


def explanations(model: PairClassifier, features: pd.DataFrame) -> list[str]:
    """Per pair, JSON: the logit, the base value and each feature's value and contribution;
    ``base`` plus the contributions is the logit."""
    base, contributions = model.explain(features)
    values = features.reindex(columns=model.feature_names_).to_numpy(dtype=np.float64)
    logits = base + contributions.sum(axis=1)
    out = []
    for row in range(len(values)):
        explained = {
            name: {
                "value": None if np.isnan(values[row, j]) else float(values[row, j]),
                "contribution": float(contributions[row, j]),
            }
            for j, name in enumerate(model.feature_names_)
            if contributions[row, j] != 0.0
        }
        out.append(
            json.dumps({"logit": float(logits[row]), "base": float(base), "features": explained})
        )
    return out
