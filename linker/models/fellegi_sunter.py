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
clear non-match (their Bayes factor below ``identifier_floor`` at even odds) keeps that verdict
whatever identifiers it shares: in a smuggling network many people share a phone or an account.

Estimation accounts for blocking, as Splink documents it: ``u`` from random record pairs only,
``m`` from one EM session per blocking rule with the groups its keys imply held out, weights
made monotone in the levels, and ``lambda_`` the probability that two random records match
(``fit``). Priors on u and m let a file of two records still merge its two identical ones.
Every score is explained by its per-group ``log2(m / u)`` weights, which add up to the pair's
log2 Bayes factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.isotonic import isotonic_regression

from linker.compare.features import Comparison, EncodedColumn
from linker.errors import ConfigError, ModelError
from linker.models.term_frequencies import (
    TermFrequencies,
    adjustments,
    exact_agreement,
    fit_term_frequencies,
    record_frequencies,
)

_U_PRIOR_PAIRS = 50.0  # pseudo random pairs behind u's prior
_M_PRIOR_PAIRS = 5.0  # pseudo matches behind m's prior in every EM session
# A group whose top level is this many times likelier among a session's non-matches than among
# random pairs depends on that session's keys (an e-mail written from the names).
_DEPENDENT_LIFT = 100.0
_DEPENDENT_PAIRS = 50.0
_RULE_RECALL = 0.7  # assumed share of matches agreeing exactly on every field they fill
_JOINT_ROUNDS = 500  # of the joint lambda-u fixed point
_DEGENERATE = 1e-6  # an EM session whose match share is this close to 0 or 1 is refused
# Below this without identifiers (at even odds), identifiers cannot make a match: a Bayes
# factor of the other comparisons under 1/250, about -8 bits.
IDENTIFIER_FLOOR = 0.004


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


@dataclass(frozen=True)
class Session:
    """One EM session: the level matrix of one blocking rule's pairs, and the groups that
    rule's keys imply (held out: they agree by construction among its pairs)."""

    name: str
    levels: np.ndarray
    held_out: frozenset[str]


@dataclass(frozen=True)
class Dependence:
    """Among non-matches agreeing at the top level of every group in ``given``, group
    ``group`` is distributed as ``u`` (not as the random pairs' u): where two people with one
    name share an e-mail written from it, the e-mail says little once the names agree.

    Learnt from the EM session whose keys are ``given``: its non-matches share those keys."""

    given: tuple[str, ...]
    group: str
    u: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {"given": list(self.given), "group": self.group, "u": self.u.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dependence:
        return cls(
            tuple(data["given"]), str(data["group"]), np.asarray(data["u"], dtype=np.float64)
        )


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
        identifier_floor: float = IDENTIFIER_FLOOR,
    ) -> None:
        self.comparisons = comparisons
        self.tf_: list[TermFrequencies] = []
        self.dependences_: list[Dependence] = []
        self.max_iter = max_iter
        self.tol = tol
        self.initial_lambda = initial_lambda
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

    def fit(
        self,
        levels: np.ndarray,
        random_levels: np.ndarray,
        *,
        sessions: list[Session] | None = None,
        total_pairs: int | None = None,
        records: pd.DataFrame | None = None,
        link_only: bool = False,
        encoded: Mapping[str, EncodedColumn] | None = None,
    ) -> FellegiSunter:
        """Learn ``u_`` from random pairs, ``m_`` by EM sessions, ``lambda_`` over all pairs.

        - ``u`` is the level distribution among ``random_levels`` (random record pairs, almost
          all non-matches), shrunk towards a prior when they are few; with ``records``, the
          top level of a one-comparison group whose top is equality (a name, a date, a city)
          is counted over every pair of them instead (``exact_agreement``: a 100,000-pair
          sample holds a handful of equal dates of birth among 10,000 records); it is never
          re-estimated among candidates, whose agreement on their blocking keys would make
          the "non-match" class mean "pairs from the biggest block".
        - ``m`` comes from one EM session per blocking rule (``sessions``): over the pairs of
          that rule, with the groups its keys imply held out (they agree by construction
          there, so they cannot tell matches apart). Within a session u is fitted too, from
          the random pairs' u as a prior: its non-matches share the rule's keys, and where a
          field depends on those (an e-mail written from the names) they share it too, which
          a fixed u would read as matching (the session on e-mails called 99.97% of its pairs
          matches). A group whose top level is ``_DEPENDENT_LIFT`` times likelier among the
          session's non-matches than among random pairs is a ``Dependence``: where a pair
          agrees on the session's keys, that group weighs by the session's u (``dependences_``,
          at most one per pair, the one that lowers its weight most). Each group's m is the median
          over the sessions that fitted it (``_session_median``); a group no session fitted
          keeps its prior m. Every session's m is a posterior mode under that prior, so a
          session of a few pairs moves it little: two identical records in a two-record file
          still merge.
        - Weights are made monotone in each comparison's level (pool adjacent violators); a
          group whose agreement would still not weigh more than its disagreement is left out
          (m = u: weight 0), with a warning in ``warnings_``.
        - ``lambda_``, the probability that two random records match, is the fixed point of
          "expected matches among ``levels`` (every candidate) / ``total_pairs``": pairs that
          no rule made candidates count as non-matches.

        - With ``records``, term-frequency tables of their text values (``tf_``:
          ``linker.models.term_frequencies``) adjust the weights of exact agreements.

        Without ``sessions``, one session over every candidate with nothing held out; without
        ``total_pairs``, the candidates are the population (``lambda_`` is their match share).
        """
        self.tf_ = (
            []
            if records is None
            else fit_term_frequencies(self.comparisons, self.groups, records, encoded)
        )
        if levels.shape[0] == 0:
            raise ModelError("no candidate pairs to train the unsupervised model on")
        sizes = self.sizes
        random_joint = self.joint_levels(random_levels)
        self.u_random_ = [
            self._shrunk(random_joint[:, k], self._prior_u(k), _U_PRIOR_PAIRS)
            for k in range(len(sizes))
        ]
        if records is not None:
            self._count_exact_agreement(records, random_levels, link_only, encoded)
        self.u_ = list(self.u_random_)
        prior_m = [self._initial_m(k) for k in range(len(sizes))]
        if sessions is None:
            sessions = [Session("all candidates", levels, frozenset())]
        fitted: list[list[np.ndarray]] = [[] for _ in sizes]
        self.sessions_: list[dict[str, Any]] = []
        self.warnings_: list[str] = []
        self.dependences_ = []
        for session in sessions:
            report, m, dependences = self._fitted_session(session, prior_m)
            self.sessions_.append(report)
            for k, m_k in m.items():
                fitted[k].append(m_k)
            self.dependences_ += dependences
        self.m_ = [
            _session_median(found) if found else prior_m[k] for k, found in enumerate(fitted)
        ]
        self._make_monotone(prior_m)
        self.n_iter_ = max((r["iterations"] for r in self.sessions_), default=0)
        self.rule_share_ = self._rule_share(levels, total_pairs) if total_pairs else 0.0
        if total_pairs:  # random pairs hold matches too, and a small file's are many
            self.lambda_ = self._joint_match_share(levels, total_pairs)
            self._make_monotone(prior_m)
        self.lambda_ = self._match_share(levels, total_pairs or len(levels))
        return self

    def _count_exact_agreement(
        self,
        records: pd.DataFrame,
        random_levels: np.ndarray,
        link_only: bool,
        encoded: Mapping[str, EncodedColumn] | None,
    ) -> None:
        """Replace the sampled share of each group's top level (every member agreeing at its
        top) by its count over every pair of ``records`` where ``exact_agreement`` applies;
        the other levels keep their sampled shape. In a joint group the count is of the pairs
        with every member present, scaled by the sampled share of those among the pairs
        where the group is present."""
        for k, (_, members) in enumerate(self.groups):
            counted = exact_agreement(
                records,
                [self.comparisons[m] for m in members],
                link_only=link_only,
                encoded=encoded,
            )
            if counted is None or counted[1] <= 0:
                continue
            agreeing, pairs = counted
            present = np.asarray(random_levels[:, members] >= 0, dtype=bool)
            in_group = np.asarray(present.any(axis=1), dtype=bool)
            everyone = np.asarray(present.all(axis=1), dtype=bool)
            complete = float(everyone[in_group].mean()) if in_group.any() else 1.0
            radices = self._radices(members)
            top, _ = _corner_levels(radices, joint=len(members) > 1)
            u = self.u_random_[k].copy()
            counted_share = min(1.0, agreeing / pairs * complete)
            share = (counted_share * pairs + _U_PRIOR_PAIRS * self._prior_u(k)[top]) / (
                pairs + _U_PRIOR_PAIRS
            )
            rest = u.sum() - u[top]
            if rest > 0:
                u *= (1.0 - share) / rest
            u[top] = share
            self.u_random_[k] = u / u.sum()

    def _joint_match_share(self, levels: np.ndarray, total_pairs: int) -> float:
        """``lambda_`` and ``u_`` together, started from above: u is the random pairs'
        distribution less lambda of matches, lambda the expected matches under that u.

        Alternating whole fixed points instead collapses: u still holding the matches makes
        their agreement look common, lambda falls towards 0, and then nothing is subtracted.
        """
        distinct, _, counts = _patterns(levels)
        joint = self.joint_levels(distinct)
        share = self._start_share(levels, total_pairs)
        for _ in range(_JOINT_ROUNDS):
            self.lambda_ = share
            self.u_ = [self._non_match_share(k) for k in range(len(self.groups))]
            weights = self._group_weights(joint).sum(axis=1)
            new_share = self._next_share(weights, counts, share, total_pairs)
            if abs(new_share - share) <= 1e-6 * share:
                return new_share
            share = new_share
        return share

    def _start_share(self, levels: np.ndarray, total_pairs: int) -> float:
        """Above lambda: half the candidates' share of all pairs, or the rule's share."""
        share = max(float(len(levels)) / max(total_pairs, 1), self.rule_share_, 1e-12)
        return min(0.5, share * 0.5)

    def _next_share(
        self, weights: np.ndarray, counts: np.ndarray, share: float, total_pairs: int
    ) -> float:
        """(expected matches among the candidates + 1) / (total_pairs + 2), never below the
        rule's share: non-candidates count as non-matches."""
        expected = float((_probability(weights + np.log2(share / (1 - share))) * counts).sum())
        share = max((expected + 1.0) / (total_pairs + 2.0), self.rule_share_)
        return min(share, 1 - _DEGENERATE)

    def _non_match_share(self, group: int) -> np.ndarray:
        """u among non-matches: the random pairs' distribution less their matches' share
        (``lambda_`` of them, distributed as m), floored at a thousandth of the prior."""
        random, m = self.u_random_[group], self.m_[group]
        u = np.maximum(random - self.lambda_ * m, 1e-3 * random) / (1 - self.lambda_)
        return np.asarray(u / u.sum(), dtype=np.float64)

    def _fitted_session(
        self, session: Session, prior_m: list[np.ndarray]
    ) -> tuple[dict[str, Any], dict[int, np.ndarray], list[Dependence]]:
        """A session's report, m and dependences: fitted with its own u where that shows a
        group depending on its keys, else with the random pairs' u (its own u, free, lets
        its non-matches take in matches far from the rest: m of a wholly different date of
        birth fell to 1e-7 on a dense file of 1,000 records)."""
        report, m, u = self._em_session(session, prior_m, own_u=True)
        dependences = self._dependences(session, m, u, report)
        if not dependences:
            report, m, _ = self._em_session(session, prior_m, own_u=False)
        report["dependent"] = [d.group for d in dependences]
        return report, m, dependences

    def _em_session(
        self, session: Session, prior_m: list[np.ndarray], *, own_u: bool
    ) -> tuple[dict[str, Any], dict[int, np.ndarray], dict[int, np.ndarray]]:
        """EM over one session's pairs: a report, and the m and u of the groups it may fit
        (with ``own_u``, u fitted too from the random pairs' u as a prior; else fixed). A
        session with fewer than two groups to fit, or whose fit is degenerate, gives none."""
        names = [name for name, _ in self.groups]
        free = [k for k, name in enumerate(names) if name not in session.held_out]
        report: dict[str, Any] = {
            "rule": session.name,
            "pairs": len(session.levels),
            "held_out": sorted(session.held_out & set(names)),
            "fitted": [names[k] for k in free],
            "iterations": 0,
            "converged": False,
            "lambda": None,
            "used": False,
        }
        if len(free) < 2 or len(session.levels) == 0:
            report["note"] = (
                "skipped: fewer than two groups to fit" if len(free) < 2 else ("skipped: no pairs")
            )
            return report, {}, {}
        distinct, _, counts = _patterns(session.levels)
        patterns = self.joint_levels(distinct)[:, free]
        u = [self.u_[k] for k in free]
        m = [prior_m[k] for k in free]
        weight_prior = [_M_PRIOR_PAIRS * prior_m[k] for k in free]
        u_prior = [_U_PRIOR_PAIRS * self.u_[k] for k in free]
        share = self.initial_lambda
        for iteration in range(1, self.max_iter + 1):
            log2_ratio = np.zeros(len(patterns))
            for j, (m_j, u_j) in enumerate(zip(m, u, strict=True)):
                present = patterns[:, j] >= 0
                log2_ratio[present] += np.log2(m_j / u_j)[patterns[present, j]]
            posterior = _probability(log2_ratio + np.log2(share / (1 - share)))
            matches = posterior * counts
            new_m = [
                self._map_estimate(patterns[:, j], matches, weight_prior[j])
                for j in range(len(free))
            ]
            if own_u:
                non_matches = counts - matches
                u = [
                    self._map_estimate(patterns[:, j], non_matches, u_prior[j])
                    for j in range(len(free))
                ]
            new_share = float((matches.sum() + 1.0) / (counts.sum() + 2.0))
            change = max(
                [abs(new_share - share)]
                + [float(np.max(np.abs(a - b))) for a, b in zip(new_m, m, strict=True)]
            )
            m, share = new_m, new_share
            report["iterations"] = iteration
            if change < self.tol:
                report["converged"] = True
                break
        report["lambda"] = share
        if not report["converged"]:
            self.warnings_.append(
                f"EM session {session.name!r} did not converge in {self.max_iter} iterations"
            )
        if not _DEGENERATE < share < 1 - _DEGENERATE:
            report["note"] = f"refused: degenerate fit (lambda {share:.3g})"
            self.warnings_.append(f"EM session {session.name!r} refused: {report['note']}")
            return report, {}, {}
        report["used"] = True
        return report, dict(zip(free, m, strict=True)), dict(zip(free, u, strict=True))

    def _dependences(
        self,
        session: Session,
        fitted_m: dict[int, np.ndarray],
        fitted_u: dict[int, np.ndarray],
        report: dict[str, Any],
    ) -> list[Dependence]:
        """The groups whose top level the session's non-matches share ``_DEPENDENT_LIFT``
        times more often than random pairs, ``_DEPENDENT_PAIRS`` of them at least (where
        almost every pair matches, the few non-matches take in matches' agreement), while
        on every other group fitted (one at least) they are nearer random pairs than the
        session's matches (log2 u at the top level): else that class is not the
        non-matches but matches of another kind (on Febrl, the pairs sharing a social
        security number whose address changed: their dates and names agree too)."""
        names = [name for name, _ in self.groups]
        given = tuple(name for name in names if name in session.held_out)
        if not given or report["lambda"] is None:
            return []
        non_matches = report["pairs"] * (1.0 - report["lambda"])
        dependent, random_like = [], []
        for k, u in fitted_u.items():
            top = self._top_level(k)
            random = self.u_[k][top]
            agreeing = u[top] * (non_matches + _U_PRIOR_PAIRS) - _U_PRIOR_PAIRS * random
            if agreeing >= _DEPENDENT_PAIRS and u[top] >= _DEPENDENT_LIFT * random:
                dependent.append(Dependence(given, names[k], u))
            else:
                random_like.append(u[top] * u[top] <= random * fitted_m[k][top])
        return dependent if random_like and all(random_like) else []

    def _top_level(self, group: int) -> int:
        members = self.groups[group][1]
        return _corner_levels(self._radices(members), joint=len(members) > 1)[0]

    def _rule_share(self, levels: np.ndarray, total_pairs: int) -> float:
        """The share of all pairs that a high-precision rule calls matches, over its assumed
        recall (``_RULE_RECALL``, as Splink's tutorials): candidates agreeing exactly on every
        comparison both records fill, two at least. A floor under lambda: where the name is
        all there is, the data alone cannot tell lambda (u absorbs any share of matches)."""
        direct = [p for p, c in enumerate(self.comparisons) if not c.crossed]
        if not direct or total_pairs <= 0:
            return 0.0
        tops = np.array([len(self.comparisons[p].levels) for p in direct])
        chosen = levels[:, direct]
        present = chosen >= 0
        exact = np.all((chosen == tops) | ~present, axis=1) & (present.sum(axis=1) >= 2)
        return float(exact.sum()) / total_pairs / _RULE_RECALL

    def _match_share(self, levels: np.ndarray, total_pairs: int) -> float:
        """The fixed point of ``_next_share`` with u fixed."""
        distinct, _, counts = _patterns(levels)
        weights = self._group_weights(self.joint_levels(distinct)).sum(axis=1)
        share = self._start_share(levels, total_pairs)
        for _ in range(_JOINT_ROUNDS):
            new_share = self._next_share(weights, counts, share, total_pairs)
            if abs(new_share - share) <= 1e-9 * max(share, 1e-12) + 1e-15:
                return new_share
            share = new_share
        return share

    def _make_monotone(self, prior_m: list[np.ndarray]) -> None:
        """Weights non-decreasing in each member's level; a group still not favouring
        agreement over disagreement is left out (m = u)."""
        for k, (name, members) in enumerate(self.groups):
            weights = np.log2(self.m_[k] / self.u_[k])
            mass = self.m_[k] + self.u_[k]
            radices = self._radices(members)
            monotone = _isotonic_grid(weights, mass, radices, joint=len(members) > 1)
            m = self.u_[k] * np.exp2(monotone)
            self.m_[k] = m / m.sum()
            top, bottom = _corner_levels(radices, joint=len(members) > 1)
            repaired = np.log2(self.m_[k] / self.u_[k])
            if repaired[top] <= repaired[bottom]:
                self.warnings_.append(
                    f"{name}: agreement does not weigh more than disagreement here; "
                    "left out of the scores"
                )
                self.m_[k] = self.u_[k].copy()  # weight 0 at every level

    def _radices(self, members: list[int]) -> list[int]:
        """Each member's number of states in its group: its levels, and missing in a joint
        group (a one-comparison group's missing pairs are no level)."""
        return [len(self.comparisons[m].levels) + (1 if len(members) == 1 else 2) for m in members]

    def _initial_m(self, group: int) -> np.ndarray:
        """Matches mostly agree: mass rises geometrically with the members' total level. A
        group of crossed comparisons starts neutral (m = u's prior): its agreement is a clue
        only once a session has learnt it."""
        _, members = self.groups[group]
        if all(self.comparisons[m].crossed for m in members):
            return self._prior_u(group)
        grid = np.indices(self._radices(members)).reshape(len(members), -1)
        if len(members) == 1:
            weights: np.ndarray = 2.0 ** (3 * grid.sum(axis=0))
            return np.asarray(weights / weights.sum(), dtype=np.float64)
        # A joint group: a member's missing state (0) is no evidence either way. Each pattern
        # of missing members is as common among matches as among random pairs (u); within a
        # pattern, mass rises with the present members' levels, as steeply from disagreement
        # to agreement whichever members are present (a full name alone says what the given
        # and family names together do).
        grid = grid[:, 1:]  # drop the all-missing combination
        present = grid > 0
        scale = len(members) / present.sum(axis=0)
        weights = 2.0 ** (3 * scale * np.where(present, grid - 1, 0).sum(axis=0))
        pattern = np.ravel_multi_index(present, [2] * len(members))
        within = weights / np.bincount(pattern, weights=weights)[pattern]
        prior = within * np.bincount(pattern, weights=self.u_random_[group])[pattern]
        return np.asarray(prior / prior.sum(), dtype=np.float64)

    def _prior_u(self, group: int) -> np.ndarray:
        """Random pairs rarely agree: each level above the bottom is a tenth as likely as the
        one below (a member's missing state as likely as its bottom level, in joint groups).

        The members of a joint group are read together because they depend on one another
        (an address fixes its postcode and city), so a combination is as likely as its least
        likely member, not as their product: the product put u(same address, postcode and
        city) at 6e-15 where random pairs were too few to say otherwise, and a shared
        household address outweighed different names, dates and phones (synth100k pair
        precision 0.965; with the minimum 0.994)."""
        _, members = self.groups[group]
        axes = []
        for member in members:
            top = len(self.comparisons[member].levels)
            agreement = 0.1 ** np.arange(top + 1, dtype=np.float64)
            axes.append(agreement if len(members) == 1 else np.r_[1.0, agreement])
        prior = axes[0]
        for axis in axes[1:]:
            prior = np.minimum.outer(prior, axis)
        flat = prior.ravel()[(0 if len(members) == 1 else 1) :]
        return np.asarray(flat / flat.sum(), dtype=np.float64)

    def _shrunk(self, levels: np.ndarray, prior: np.ndarray, prior_pairs: float) -> np.ndarray:
        """The level distribution of ``levels``, shrunk towards ``prior`` by ``prior_pairs``
        pseudo pairs (negligible for 100,000 random pairs, decisive for three)."""
        present = levels[levels >= 0]
        counts = np.bincount(present, minlength=len(prior)).astype(np.float64)
        counts += prior_pairs * prior
        return np.asarray(counts / counts.sum(), dtype=np.float64)

    @staticmethod
    def _map_estimate(levels: np.ndarray, weights: np.ndarray, pseudo: np.ndarray) -> np.ndarray:
        present = levels >= 0
        counts = np.bincount(levels[present], weights=weights[present], minlength=len(pseudo))
        counts = counts + pseudo
        return np.asarray(counts / counts.sum(), dtype=np.float64)

    def _group_weights(self, joint: np.ndarray) -> np.ndarray:
        out = np.zeros(joint.shape, dtype=np.float64)
        for k, (m, u) in enumerate(zip(self.m_, self.u_, strict=True)):
            table = np.log2(m / u)
            column = joint[:, k]
            present = column >= 0
            out[present, k] = table[column[present]]
        if self.dependences_:
            self._discount_dependent(joint, out)
        return out

    def _discount_dependent(self, joint: np.ndarray, weights: np.ndarray) -> None:
        """Where a pair agrees on a dependence's ``given`` groups, its dependent group's
        positive weight becomes ``log2(m / u)`` under the dependence's u (between 0 and the
        weight it had); at most one dependence per pair, the one lowering it most."""
        index = {name: k for k, (name, _) in enumerate(self.groups)}
        best = np.zeros(len(joint))
        chosen_group = np.full(len(joint), -1)
        chosen_weight = np.zeros(len(joint))
        for dependence in self.dependences_:
            k = index[dependence.group]
            given = np.ones(len(joint), dtype=bool)
            for name in dependence.given:
                given &= joint[:, index[name]] == self._top_level(index[name])
            given &= joint[:, k] >= 0
            if not given.any():
                continue
            level = joint[given, k]
            before = weights[given, k]
            after = np.where(
                before > 0,
                np.clip(np.log2(self.m_[k] / dependence.u)[level], 0.0, before),
                before,
            )
            lowered = before - after
            rows = np.flatnonzero(given)
            better = lowered > best[rows]
            rows = rows[better]
            best[rows] = lowered[better]
            chosen_group[rows] = k
            chosen_weight[rows] = after[better]
        rows = np.flatnonzero(chosen_group >= 0)
        weights[rows, chosen_group[rows]] = chosen_weight[rows]

    def log2_weights(self, levels: np.ndarray) -> np.ndarray:
        """Per pair and group, ``log2(m / u)`` of its level (0 where missing)."""
        self._check_fitted()
        return self._group_weights(self.joint_levels(levels))

    def _posterior(self, joint: np.ndarray) -> np.ndarray:
        prior = np.log2(self.lambda_ / (1 - self.lambda_))
        return _probability(self._group_weights(joint).sum(axis=1) + prior)

    def predict_proba_levels(
        self, levels: np.ndarray, frequencies: np.ndarray | None = None
    ) -> np.ndarray:
        """Match probability of each pair from its level matrix (identifiers never alone)
        and, for the term-frequency adjustment, its left record's ``frequencies``
        (``pair_frequencies``; without them, no adjustment)."""
        self._check_fitted()
        distinct, inverse, _ = _patterns(levels)
        weights = self._group_weights(self.joint_levels(distinct))
        identifier = self._identifier_groups()
        total, others = weights.sum(axis=1)[inverse], weights[:, ~identifier].sum(axis=1)[inverse]
        if frequencies is not None and self.tf_:
            adjusted = self._tf_adjustments(levels, frequencies)
            total, others = total + adjusted.sum(axis=1), others + adjusted.sum(axis=1)
        prior = self._prior()
        ignored = _probability(others) < self.identifier_floor
        return np.asarray(_probability(np.where(ignored, others, total) + prior), dtype=np.float64)

    def pair_frequencies(
        self,
        records: pd.DataFrame,
        left: np.ndarray,
        encoded: Mapping[str, EncodedColumn] | None = None,
    ) -> np.ndarray | None:
        """The term frequencies of each pair's left record (None: the model has no tables;
        ``encoded``: the run's ``encode_records`` of ``records``, if made)."""
        if not self.tf_:
            return None
        return np.asarray(record_frequencies(self.tf_, records, self.comparisons, encoded)[left])

    def _tf_adjustments(self, levels: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
        return adjustments(self.tf_, self.comparisons, len(self.groups), levels, frequencies)

    def explain(
        self, levels: np.ndarray, frequencies: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """``(base, contributions)`` in natural-log units: per pair, ``base +
        contributions.sum(axis=1)`` is the logit of ``predict_proba_levels``. The base is the
        prior log-odds ``ln(lambda / (1 - lambda))``; ``contributions[:, k]`` is group ``k``'s
        log Bayes factor ``ln(m / u)`` of its (joint) level, term-frequency adjusted: 0 where
        the group is missing, and 0 for identifier groups where ``identifiers_ignored``."""
        self._check_fitted()
        weights = self._group_weights(self.joint_levels(levels))
        if frequencies is not None and self.tf_:
            weights += self._tf_adjustments(levels, frequencies)
        weights[np.ix_(self._ignored(weights), self._identifier_groups())] = 0.0
        return float(self._prior() * np.log(2.0)), weights * np.log(2.0)

    def identifiers_ignored(
        self, levels: np.ndarray, frequencies: np.ndarray | None = None
    ) -> np.ndarray:
        """Per pair, whether its identifiers are left out of its score: its other groups
        alone call it a clear non-match (below ``identifier_floor`` at even odds)."""
        self._check_fitted()
        weights = self._group_weights(self.joint_levels(levels))
        if frequencies is not None and self.tf_:
            weights += self._tf_adjustments(levels, frequencies)
        return self._ignored(weights)

    def _ignored(self, weights: np.ndarray) -> np.ndarray:
        # On the Bayes factor alone (even odds), not on the probability: the prior of two
        # random records, tiny in a big file, must not turn every pair into a clear non-match.
        without = weights[:, ~self._identifier_groups()].sum(axis=1)
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
            "term_frequencies": [t.to_dict() for t in self.tf_],
            "dependences": [d.to_dict() for d in self.dependences_],
            "groups": [
                {"name": name, "m": m.tolist(), "u": u.tolist()}
                for (name, _), m, u in zip(self.groups, self.m_, self.u_, strict=True)
            ],
        }


def _session_median(estimates: list[np.ndarray]) -> np.ndarray:
    """The sessions' m of one group combined level by level through the median (renormalised):
    a session whose blocks hold one community (same family name and city) can call almost all
    its pairs matches, and its m is then the non-matches' distribution (m of a date of birth
    that disagrees at 0.6-0.8 against about 0.01 from the other sessions); a mean would take
    it in."""
    median = np.median(np.vstack(estimates), axis=0)
    return np.asarray(median / median.sum(), dtype=np.float64)


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
        model.tf_ = [TermFrequencies.from_dict(t) for t in manifest.get("term_frequencies", [])]
        model.dependences_ = [Dependence.from_dict(d) for d in manifest.get("dependences", [])]
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise ModelError(f"not a Fellegi-Sunter manifest: {exc}") from exc
    if [len(m) for m in model.m_] != model.sizes:
        raise ModelError("Fellegi-Sunter manifest: group sizes do not match its comparisons")
    return model


def _isotonic_grid(
    weights: np.ndarray, mass: np.ndarray, radices: list[int], *, joint: bool
) -> np.ndarray:
    """``weights`` of a group's levels made non-decreasing along each member's levels (its
    missing state, first in a joint group, is not ordered), by pool adjacent violators
    weighted by ``mass``; a joint group's axes in turn until every axis is monotone."""
    offset = 1 if joint else 0  # a joint group's flat level 0 is the code after all-missing
    grid = np.full(int(np.prod(radices)), np.nan)
    masses = np.zeros_like(grid)
    grid[offset:] = weights
    masses[offset:] = mass
    grid, masses = grid.reshape(radices), masses.reshape(radices)
    for _ in range(50 if len(radices) > 1 else 1):  # alternating projections: until monotone
        if len(radices) > 1 and _is_monotone(grid, offset):
            break
        for axis in range(len(radices)):
            moved = np.moveaxis(grid, axis, -1)
            moved_mass = np.moveaxis(masses, axis, -1)
            for index in np.ndindex(moved.shape[:-1]):
                fiber = moved[index][offset:]
                if np.isnan(fiber).any():
                    continue
                moved[index][offset:] = isotonic_regression(
                    fiber, sample_weight=moved_mass[index][offset:], increasing=True
                )
    # What the sweeps left (they converge slowly on big grids): a running maximum along each
    # axis in turn makes every axis monotone, and keeps the axes already made so.
    for axis in range(len(radices)):
        moved = np.moveaxis(grid, axis, -1)
        present = moved[..., offset:]
        filled = np.where(np.isnan(present), -np.inf, present)
        moved[..., offset:] = np.where(
            np.isnan(present), np.nan, np.maximum.accumulate(filled, axis=-1)
        )
    return np.asarray(grid.ravel()[offset:], dtype=np.float64)


def _is_monotone(grid: np.ndarray, offset: int) -> bool:
    for axis in range(grid.ndim):
        steps = np.diff(np.moveaxis(grid, axis, -1)[..., offset:], axis=-1)
        if np.any(steps[~np.isnan(steps)] < -1e-12):
            return False
    return True


def _corner_levels(radices: list[int], *, joint: bool) -> tuple[int, int]:
    """Flat levels of a group where every member agrees at its top level, and where every
    member is at its bottom (present) level."""
    if not joint:
        return radices[0] - 1, 0
    top = bottom = 0
    for radix in radices:
        top, bottom = top * radix + (radix - 1), bottom * radix + 1
    return top - 1, bottom - 1
