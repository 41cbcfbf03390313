"""Why a pair scored what it did: per feature, its value and its contribution to the logit.

One JSON format for both models, one object per pair::

    {"logit": 2.31, "base": -4.2, "features": {name: {"value": ..., "contribution": ...}}}

Logits are natural-log odds, ``ln(p / (1 - p))`` of the ``match_probability`` written beside
them, and ``base`` plus the contributions is the logit. For the trained classifier the features
are its feature columns (those that contributed), ``value`` the similarity, and each
contribution the feature's share along the trees' decision paths (``PairClassifier.explain``).
For Fellegi-Sunter they are the comparison groups, every one: ``value`` the similarity (an
object of the members' similarities for a group modelled jointly), ``level`` the group's level
in words, and ``contribution`` its log Bayes factor ``ln(m / u)``; the base is the prior
log-odds (``FellegiSunter.explain``).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from linker.models.classifier import PairClassifier
from linker.models.fellegi_sunter import FellegiSunter, levels_of

IGNORED_IDENTIFIER = " (not counted: identifiers cannot make a match alone)"


def explanation_json(base: float, features: dict[str, dict[str, Any]]) -> str:
    """One pair's explanation; its logit is ``base`` plus the features' contributions."""
    logit = base + sum(feature["contribution"] for feature in features.values())
    return json.dumps({"logit": logit, "base": base, "features": features})


def explain_pairs(
    model: PairClassifier | FellegiSunter,
    features: pd.DataFrame,
    frequencies: np.ndarray | None = None,
) -> list[str]:
    """The explanation (JSON) of each pair of a feature frame, in order (``frequencies``: the
    Fellegi-Sunter model's term frequencies of each pair, ``FellegiSunter.pair_frequencies``)."""
    if isinstance(model, FellegiSunter):
        return _fellegi_sunter(model, features, frequencies)
    return _classifier(model, features)


def _values(features: pd.DataFrame, columns: list[str]) -> list[list[float | None]]:
    """The features' values row by row as Python numbers, missing as None."""
    values = features.reindex(columns=columns).to_numpy(dtype=np.float64)
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    return list(cells.tolist())


def _classifier(model: PairClassifier, features: pd.DataFrame) -> list[str]:
    base, contributions = model.explain(features)
    names = model.feature_names_
    out = []
    for values, row in zip(_values(features, names), contributions.tolist(), strict=True):
        explained = {
            name: {"value": value, "contribution": contribution}
            for name, value, contribution in zip(names, values, row, strict=True)
            if contribution != 0.0
        }
        out.append(explanation_json(float(base), explained))
    return out


def _fellegi_sunter(
    model: FellegiSunter, features: pd.DataFrame, frequencies: np.ndarray | None
) -> list[str]:
    levels = levels_of(features, model.comparisons)
    base, contributions = model.explain(levels, frequencies)
    ignored = model.identifiers_ignored(levels, frequencies).tolist()
    similarities = _values(features, [c.name for c in model.comparisons])
    groups = model.groups
    identifier = [all(model.comparisons[m].identifier for m in members) for _, members in groups]
    texts: dict[tuple[int, int], str] = {}  # level texts, once per level seen

    def level_text(group: int, level: int, unused_identifier: bool) -> str:
        if level < 0:
            return "missing"
        if (group, level) not in texts:
            texts[group, level] = model.describe_level(group, level)
        return texts[group, level] + (IGNORED_IDENTIFIER if unused_identifier else "")

    out = []
    joints, rows = model.joint_levels(levels).tolist(), contributions.tolist()
    for similarity, joint, contribution, identifiers_out in zip(
        similarities, joints, rows, ignored, strict=True
    ):
        explained: dict[str, dict[str, Any]] = {}
        for k, (name, members) in enumerate(groups):
            value: Any = similarity[members[0]]
            if len(members) > 1:
                value = {model.comparisons[m].name: similarity[m] for m in members}
            explained[name] = {
                "value": value,
                "level": level_text(k, joint[k], identifier[k] and identifiers_out),
                "contribution": contribution[k],
            }
        out.append(explanation_json(base, explained))
    return out
