"""Training rows with a field missing, so that missing never counts as evidence.

A trained model learns from records where a field is filled on almost every pair; on a file
where that field is never filled (its column is named otherwise, or the source does not hold
it) every pair takes the model's missing-value branch, which nothing in training taught to be
neutral: measured on an independently written world, that branch added +3.1 logits to every
pair. Each training pair is therefore also shown with one of its non-name fields missing, at
the same label and weight: the model learns what a pair is worth without that field, and the
missing branch becomes the average of the present ones instead of a learnt bias.

A field missing on one record or on both gives the same features (a comparison with a side
missing is NaN), so dropping it is done on the feature rows: the features a field feeds are
set to NaN. Name fields are never dropped: a record without a name is not a pair to score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linker.compare import Comparison

# Prepared columns that hold a name or are derived from one: never dropped.
NAME_COLUMNS = frozenset(
    {
        "given_name",
        "family_name",
        "full_name",
        "father_name",
        "aliases",
        "name_native",
        "name_tokens",
        "name_chain",
        "name_consonants",
        "name_script",
        "name_rarity",
        "given_forms",
        "father_skel",
        "chain_second",
    }
)
# Derived prepared columns and the field they come from.
_FIELD_OF = {"dob_rarity": "dob"}


def field_features(comparisons: list[Comparison]) -> dict[str, list[str]]:
    """The feature columns each droppable field feeds (``dob``: its date comparison, its
    rarity and its year gap), in the order of ``comparisons``."""
    fields: dict[str, list[str]] = {}
    for comparison in comparisons:
        read = {comparison.left, comparison.right or comparison.left}
        names = {_FIELD_OF.get(column, column) for column in read}
        if names & NAME_COLUMNS or len(names) != 1:
            continue
        fields.setdefault(names.pop(), []).append(comparison.name)
    return fields


def with_a_field_dropped(
    features: pd.DataFrame,
    comparisons: list[Comparison],
    labels: np.ndarray,
    weights: np.ndarray,
    seed: int = 0,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``features`` followed by a copy of each row with one of the fields it holds (chosen
    at random, seeded) missing; labels and weights repeated. A row holding no droppable
    field is not copied."""
    fields = [
        [column for column in columns if column in features]
        for columns in field_features(comparisons).values()
    ]
    fields = [columns for columns in fields if columns]
    if not fields:
        return features, labels, weights
    values = features.to_numpy(dtype=np.float64, copy=True)
    position = {column: i for i, column in enumerate(features.columns)}
    held = np.column_stack(
        [~np.isnan(values[:, [position[c] for c in columns]]).all(axis=1) for columns in fields]
    )
    rows = np.flatnonzero(held.any(axis=1))
    rng = np.random.default_rng(seed)
    # A random held field per row: the first held one after a random rotation.
    start = rng.integers(0, len(fields), size=len(rows))
    order = (start[:, None] + np.arange(len(fields))[None, :]) % len(fields)
    first = np.argmax(held[rows[:, None], order], axis=1)
    chosen = order[np.arange(len(rows)), first]
    copies = values[rows]
    for k, columns in enumerate(fields):
        copies[np.ix_(chosen == k, [position[c] for c in columns])] = np.nan
    augmented = pd.DataFrame(np.vstack([values, copies]), columns=features.columns)
    return (
        augmented,
        np.concatenate([labels, labels[rows]]),
        np.concatenate([weights, weights[rows]]),
    )
