"""Unsupervised Fellegi-Sunter model: match weights learned by EM on the data itself.

Each comparison cuts its similarity into levels. Comparisons that share a ``group`` (address,
postcode and city all change when someone moves; given name, family name and their swap are
read together) are modelled jointly: the group's level is the combination of its members'
levels. For a pair, level ``l`` of group ``k`` has probability ``m[k][l]`` among matches and
``u[k][l]`` among non-matches; groups are assumed independent given the match status, so the
Bayes factor of a pair is the product of ``m / u`` over its groups (missing values contribute
nothing). Modelling correlated fields jointly stops one move from counting as three
disagreements.

Identifiers are links, not merges: a shared phone, email, document or account may lift a pair
whose names and dates leave it in doubt, but a pair that its other comparisons alone call a
clear non-match (below ``identifier_floor``) keeps that verdict whatever identifiers it shares:
in a smuggling network many people share a phone or an account.

``u`` starts from random record pairs (almost all non-matches), as in Splink; EM then learns
``m``, ``u`` and the share of matches ``lambda_`` among the candidate pairs. Every score is
explained by its per-group ``log2(m / u)`` weights, which add up to the pair's log2 Bayes
factor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linker.compare.features import Comparison
from linker.errors import ConfigError, ModelError

_PSEUDO = 1.0  # Laplace smoothing of level counts
IDENTIFIER_FLOOR = 0.001  # below this without identifiers, identifiers cannot make a match


def levels_of(features: pd.DataFrame, comparisons: list[Comparison]) -> np.ndarray:
    """Level matrix (pairs x comparisons, int8, -1 = missing) of a feature frame."""
    columns = [c.level(features[c.name].to_numpy(dtype=np.float64)) for c in comparisons]
    if not columns:
        return np.empty((len(features), 0), dtype=np.int8)
    return np.column_stack(columns).astype(np.int8)


def _patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a level matrix, the row of each pair, and how many pairs share each.

    Rows are encoded as integers column by column (levels are small), re-densified with a
    hash factorisation whenever the next column could overflow: linear time, no row sort.
    """
    n = levels.shape[0]
    if n == 0:
        return levels, np.empty(0, dtype=np.int64), np.empty(0)
    codes = np.zeros(n, dtype=np.int64)
    for column in levels.T:
        radix = int(column.max()) + 2
        if int(codes.max()) >= (2**62) // radix:
            codes = pd.factorize(codes)[0].astype(np.int64)
        codes = codes * radix + (column.astype(np.int64) + 1)
    inverse, _ = pd.factorize(codes)
    counts = np.bincount(inverse)
    first = np.empty(len(counts), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)
    return levels[first], inverse.astype(np.int64), counts.astype(np.float64)


class FellegiSunter:
    """Fellegi-Sunter model over the (grouped) levels of ``comparisons``; ``fit`` runs EM."""

    kind = "unsupervised"

    def __init__(
        self,
        comparisons: list[Comparison],
        *,
        max_iter: int = 100,
        tol: float = 1e-6,
        initial_lambda: float = 0.1,
        fix_u: bool = False,
        identifier_floor: float = IDENTIFIER_FLOOR,
    ) -> None:
        self.comparisons = comparisons
        self.max_iter = max_iter
        self.tol = tol
        self.initial_lambda = initial_lambda
        self.fix_u = fix_u
        self.identifier_floor = identifier_floor

    @property
    def groups(self) -> list[tuple[str, list[int]]]:
        """(name, member comparison positions), in order of first appearance."""
        groups: dict[str, list[int]] = {}
        for position, comparison in enumerate(self.comparisons):
            groups.setdefault(comparison.group or comparison.name, []).append(position)
        return list(groups.items())

    @property
    def sizes(self) -> list[int]:
        """Number of levels of each group (all combinations of its members' levels)."""
        sizes = []
        for _, members in self.groups:
            if len(members) == 1:
                sizes.append(len(self.comparisons[members[0]].levels) + 1)
            else:
                # Each member contributes its levels plus "missing"; all missing is not a level.
                sizes.append(
                    int(np.prod([len(self.comparisons[m].levels) + 2 for m in members])) - 1
                )
        return sizes

    def joint_levels(self, levels: np.ndarray) -> np.ndarray:
        """Comparison levels to group levels (pairs x groups, -1 where all members missing)."""
        columns = []
        for _, members in self.groups:
            if len(members) == 1:
                columns.append(levels[:, members[0]].astype(np.int64))
                continue
            code = np.zeros(len(levels), dtype=np.int64)
            for member in members:
                radix = len(self.comparisons[member].levels) + 2
                code = code * radix + (levels[:, member].astype(np.int64) + 1)
            columns.append(code - 1)  # all members missing -> -1
        if not columns:
            return np.empty((len(levels), 0), dtype=np.int64)
        return np.column_stack(columns)

    def fit(self, levels: np.ndarray, random_levels: np.ndarray) -> FellegiSunter:
        """Learn ``m_``, ``u_`` and ``lambda_`` by EM on the candidate pairs' levels.

        ``u`` starts from random pairs. Candidates agree on their blocking keys far more
        often than random pairs, so with ``fix_u`` false (the default) EM also re-estimates
        ``u`` among the candidates; otherwise the match class would absorb every candidate
        that looks less random than a random pair.
        """
        if levels.shape[0] == 0:
            raise ModelError("no candidate pairs to train the unsupervised model on")
        sizes = self.sizes
        random_joint = self.joint_levels(random_levels)
        self.u_random_ = [
            self._distribution(random_joint[:, k], None, s) for k, s in enumerate(sizes)
        ]
        self.u_ = list(self.u_random_)
        self.m_ = [self._initial_m(k) for k in range(len(sizes))]
        self.lambda_ = self.initial_lambda
        self.n_iter_ = 0
        # EM over the distinct level patterns, weighted by how many pairs share each.
        # (Distinct rows first, then joint levels: the joint matrix of every pair is not needed.)
        distinct, _, counts = _patterns(levels)
        patterns = self.joint_levels(distinct)
        for iteration in range(1, self.max_iter + 1):
            posterior = self._posterior(patterns)
            matches, non_matches = posterior * counts, (1 - posterior) * counts
            new_m = [self._distribution(patterns[:, k], matches, s) for k, s in enumerate(sizes)]
            new_u = (
                self.u_
                if self.fix_u
                else [
                    self._distribution(patterns[:, k], non_matches, s) for k, s in enumerate(sizes)
                ]
            )
            new_lambda = float(np.clip(matches.sum() / counts.sum(), 1e-9, 1 - 1e-9))
            change = max(
                [abs(new_lambda - self.lambda_)]
                + [float(np.max(np.abs(a - b))) for a, b in zip(new_m, self.m_, strict=True)]
                + [float(np.max(np.abs(a - b))) for a, b in zip(new_u, self.u_, strict=True)]
            )
            self.m_, self.u_, self.lambda_, self.n_iter_ = new_m, new_u, new_lambda, iteration
            if change < self.tol:
                break
        return self

    def _initial_m(self, group: int) -> np.ndarray:
        """Matches mostly agree: mass rises geometrically with the members' total level."""
        _, members = self.groups[group]
        grid = np.indices(
            [len(self.comparisons[m].levels) + (1 if len(members) == 1 else 2) for m in members]
        ).reshape(len(members), -1)
        if len(members) > 1:
            grid = grid[:, 1:]  # drop the all-missing combination
        weights: np.ndarray = 2.0 ** (3 * grid.sum(axis=0))
        return np.asarray(weights / weights.sum(), dtype=np.float64)

    @staticmethod
    def _distribution(levels: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
        present = levels >= 0
        counts = np.bincount(
            levels[present], weights=None if weights is None else weights[present], minlength=size
        ).astype(np.float64)
        total_pseudo = _PSEUDO if weights is None else _PSEUDO * 1e-3
        counts += total_pseudo
        return np.asarray(counts / counts.sum(), dtype=np.float64)

    def _group_weights(self, joint: np.ndarray) -> np.ndarray:
        out = np.zeros(joint.shape, dtype=np.float64)
        for k, (m, u) in enumerate(zip(self.m_, self.u_, strict=True)):
            table = np.log2(m / u)
            column = joint[:, k]
            present = column >= 0
            out[present, k] = table[column[present]]
        return out

    def log2_weights(self, levels: np.ndarray) -> np.ndarray:
        """Per pair and group, ``log2(m / u)`` of its level (0 where missing)."""
        self._check_fitted()
        return self._group_weights(self.joint_levels(levels))

    def _posterior(self, joint: np.ndarray) -> np.ndarray:
        prior = np.log2(self.lambda_ / (1 - self.lambda_))
        return _probability(self._group_weights(joint).sum(axis=1) + prior)

    def predict_proba_levels(self, levels: np.ndarray) -> np.ndarray:
        """Match probability of each pair from its level matrix (identifiers never alone)."""
        self._check_fitted()
        distinct, inverse, _ = _patterns(levels)
        patterns = self.joint_levels(distinct)
        weights = self._group_weights(patterns)
        prior = self._prior()
        full = _probability(weights.sum(axis=1) + prior)
        without = _probability(weights[:, ~self._identifier_groups()].sum(axis=1) + prior)
        chosen = np.where(self._ignored(weights), without, full)
        return np.asarray(chosen[inverse], dtype=np.float64)

    def explain(self, levels: np.ndarray) -> tuple[float, np.ndarray]:
        """``(base, contributions)`` in natural-log units: per pair, ``base +
        contributions.sum(axis=1)`` is the logit of ``predict_proba_levels``. The base is the
        prior log-odds ``ln(lambda / (1 - lambda))``; ``contributions[:, k]`` is group ``k``'s
        log Bayes factor ``ln(m / u)`` of its (joint) level: 0 where the group is missing, and
        0 for identifier groups where ``identifiers_ignored``."""
        self._check_fitted()
        weights = self._group_weights(self.joint_levels(levels))
        weights[np.ix_(self._ignored(weights), self._identifier_groups())] = 0.0
        return float(self._prior() * np.log(2.0)), weights * np.log(2.0)

    def identifiers_ignored(self, levels: np.ndarray) -> np.ndarray:
        """Per pair, whether its identifiers are left out of its score: its other groups
        alone call it a clear non-match (below ``identifier_floor``)."""
        self._check_fitted()
        return self._ignored(self._group_weights(self.joint_levels(levels)))

    def _ignored(self, weights: np.ndarray) -> np.ndarray:
        without = weights[:, ~self._identifier_groups()].sum(axis=1) + self._prior()
        return np.asarray(_probability(without) < self.identifier_floor, dtype=bool)

    def _prior(self) -> float:
        return float(np.log2(self.lambda_ / (1 - self.lambda_)))

    def _identifier_groups(self) -> np.ndarray:
        return np.array([self._is_identifier(k) for k in range(len(self.groups))], dtype=bool)

    def _is_identifier(self, group: int) -> bool:
        _, members = self.groups[group]
        return all(self.comparisons[m].identifier for m in members)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Match probability of each pair from its feature frame."""
        return self.predict_proba_levels(levels_of(features, self.comparisons))

    def _check_fitted(self) -> None:
        if not hasattr(self, "m_"):
            raise ModelError("the Fellegi-Sunter model is not fitted; call fit first")

    def describe_level(self, group: int, level: int) -> str:
        """Group ``group``'s (joint) level in words: ``>= 0.92``, ``given_name_jw >= 1.0,
        family_name_jw missing``."""
        _, members = self.groups[group]
        if len(members) == 1:
            return _level_text(self.comparisons[members[0]], level)
        parts = []
        code = level + 1
        for member in reversed(members):
            comparison = self.comparisons[member]
            radix = len(comparison.levels) + 2
            code, shifted = divmod(code, radix)
            text = "missing" if shifted == 0 else _level_text(comparison, shifted - 1)
            parts.append(f"{comparison.name} {text}")
        return ", ".join(reversed(parts))

    def weights_table(self) -> list[dict[str, Any]]:
        """Readable per-group, per-level m, u and match weight (levels seen in the data)."""
        self._check_fitted()
        rows = []
        for k, ((name, _), m, u) in enumerate(zip(self.groups, self.m_, self.u_, strict=True)):
            for level, (mk, uk) in enumerate(zip(m, u, strict=True)):
                if len(m) > 12 and max(mk, uk) < 1e-4:
                    continue  # a combination (almost) never seen: not worth a row
                rows.append(
                    {
                        "comparison": name,
                        "level": level,
                        "similarity": self.describe_level(k, level),
                        "m": float(mk),
                        "u": float(uk),
                        "match_weight": float(np.log2(mk / uk)),
                    }
                )
        return rows

    def to_manifest(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "kind": self.kind,
            "lambda": self.lambda_,
            "iterations": self.n_iter_,
            "identifier_floor": self.identifier_floor,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "groups": [
                {"name": name, "m": m.tolist(), "u": u.tolist()}
                for (name, _), m, u in zip(self.groups, self.m_, self.u_, strict=True)
            ],
        }


def _probability(log2_odds: np.ndarray) -> np.ndarray:
    odds = np.exp2(-np.clip(log2_odds, -1000, 1000))
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def _level_text(comparison: Comparison, level: int) -> str:
    if level == 0:
        return f"below {comparison.levels[-1]}"
    return f">= {comparison.levels[len(comparison.levels) - level]}"


def fellegi_sunter_from_manifest(manifest: dict[str, Any]) -> FellegiSunter:
    """Rebuild a fitted model from ``to_manifest`` output (applied as is, not refitted)."""
    try:
        comparisons = [Comparison.from_dict(c) for c in manifest["comparisons"]]
        model = FellegiSunter(
            comparisons, identifier_floor=float(manifest.get("identifier_floor", IDENTIFIER_FLOOR))
        )
        model.m_ = [np.asarray(g["m"], dtype=np.float64) for g in manifest["groups"]]
        model.u_ = [np.asarray(g["u"], dtype=np.float64) for g in manifest["groups"]]
        model.lambda_ = float(manifest["lambda"])
        model.n_iter_ = int(manifest.get("iterations", 0))
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise ModelError(f"not a Fellegi-Sunter manifest: {exc}") from exc
    if [len(m) for m in model.m_] != model.sizes:
        raise ModelError("Fellegi-Sunter manifest: group sizes do not match its comparisons")
    return model
