"""Gradient-boosted trees as plain arrays: scored and explained in numpy.

A fitted binary ``HistGradientBoostingClassifier`` is a baseline plus a sequence of trees,
each a table of nodes (feature, threshold, where a missing value goes, children, leaf value,
sample count). ``TreeArrays`` keeps exactly those tables and walks them for a whole feature
matrix at once, level by level, so that scoring and explaining a trained model need neither
scikit-learn nor skops at run time (importing them costs seconds). The tables are saved as a
numpy ``.npz`` file, read back without pickle.

``raw_output`` adds the trees' leaf values to the baseline in the estimator's order, so it
gives the estimator's ``decision_function`` bit for bit (a test holds it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

# The node fields read here, with the dtype they are saved in.
NODE_FIELDS = (
    ("value", np.float64),
    ("count", np.uint32),
    ("feature_idx", np.int64),
    ("num_threshold", np.float64),
    ("missing_go_to_left", np.uint8),
    ("left", np.int64),
    ("right", np.int64),
    ("is_leaf", np.uint8),
    ("depth", np.int64),
)
_NODE_DTYPE = np.dtype(list(NODE_FIELDS))


def _expected_values(nodes: np.ndarray) -> np.ndarray:
    """The mean output under each node of one tree, from its leaves and sample counts."""
    expected = nodes["value"].astype(np.float64).copy()
    for index in np.argsort(-nodes["depth"], kind="stable"):  # children before parents
        node = nodes[index]
        if not node["is_leaf"]:
            left, right = node["left"], node["right"]
            counts = nodes["count"][left], nodes["count"][right]
            total = max(counts[0] + counts[1], 1)
            expected[index] = (counts[0] * expected[left] + counts[1] * expected[right]) / total
    return expected


@dataclass(frozen=True)
class TreeArrays:
    """The baseline and the node tables of a binary gradient-boosting classifier."""

    baseline: float
    trees: tuple[np.ndarray, ...]

    @classmethod
    def from_estimator(cls, estimator: Any) -> TreeArrays:
        """The trees of a fitted binary ``HistGradientBoostingClassifier``."""
        if any(len(step) != 1 for step in estimator._predictors):
            raise ValueError("only binary classifiers (one tree per iteration) are supported")
        trees = []
        for (predictor,) in estimator._predictors:
            nodes = np.zeros(len(predictor.nodes), dtype=_NODE_DTYPE)
            for name, _ in NODE_FIELDS:
                nodes[name] = predictor.nodes[name]
            trees.append(nodes)
        return cls(float(np.ravel(estimator._baseline_prediction)[0]), tuple(trees))

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {f"tree_{i:04d}": nodes for i, nodes in enumerate(self.trees)}
        arrays["baseline"] = np.array([self.baseline])
        with path.open("wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path: Path) -> TreeArrays:
        """Read a saved file; no pickle, and every table must have the node fields."""
        with np.load(path, allow_pickle=False) as saved:
            names = sorted(n for n in saved.files if n.startswith("tree_"))
            trees = tuple(saved[n] for n in names)
            baseline = float(saved["baseline"][0])
        if any(nodes.dtype != _NODE_DTYPE for nodes in trees):
            raise ValueError(f"{path}: node tables of an unexpected layout")
        return cls(baseline, trees)

    def raw_output(self, x: np.ndarray) -> np.ndarray:
        """The sum of the trees' outputs per row (the estimator's ``decision_function``)."""
        raw = np.full(len(x), self.baseline)
        for nodes in self.trees:
            leaf = np.zeros(len(x), dtype=np.int64)
            for rows, _, child in _splits(nodes, x):
                leaf[rows] = child
            raw += nodes["value"][leaf]
        return raw

    @cached_property
    def _expected(self) -> tuple[np.ndarray, ...]:
        """Each tree's expected output under each node, worked out on first use, once."""
        return tuple(_expected_values(nodes) for nodes in self.trees)

    def contributions(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(base, contributions)`` of the raw output: walking each tree from the root, every
        split adds the change of the expected output to the feature it splits on (Saabas'
        attribution); ``base + contributions.sum(axis=1)`` is the raw output."""
        contributions = np.zeros_like(x)
        base = self.baseline
        for nodes, expected in zip(self.trees, self._expected, strict=True):
            base += expected[0]
            for rows, parent, child in _splits(nodes, x):
                feature = nodes["feature_idx"][parent]
                np.add.at(contributions, (rows, feature), expected[child] - expected[parent])
        return float(base), contributions


def _splits(
    nodes: np.ndarray, x: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One tree walked by all rows of ``x`` at once: per level, the rows still at a split,
    that split node and the child each goes to (a missing value goes where the tree says)."""
    rows = np.arange(len(x))
    position = np.zeros(len(x), dtype=np.int64)
    while len(rows):
        at = position[rows]
        inner = ~nodes["is_leaf"][at].astype(bool)
        rows, at = rows[inner], at[inner]
        if not len(rows):
            return
        value = x[rows, nodes["feature_idx"][at]]
        go_left = np.where(
            np.isnan(value),
            nodes["missing_go_to_left"][at].astype(bool),
            value <= nodes["num_threshold"][at],
        )
        child = np.where(go_left, nodes["left"][at], nodes["right"][at]).astype(np.int64)
        yield rows, at, child
        position[rows] = child
