"""The evidence that decides ``--model auto``: the *latent-class referee*, a check on the input
itself that needs no labels.

Both models score the run's candidate pairs. Where they take the same decision at the run's
threshold, the choice of model changes nothing; it matters only on the *disputed* pairs, which
one model matches and the other does not. A referee judges those: a latent-class model (two
classes, match and non-match, the fields independent within a class, fitted by EM on the
candidates) over the comparison levels of the input's fields, with the trained model's verdict
as one more witness (sure no, unsure, sure yes). This is how a diagnostic test is assessed
without a gold standard (Hui and Walter, 1980): the fields are the other tests, and the fit
learns from this input how often the trained model's verdict goes with them among matches and
among non-matches, so a model that does not transfer to the file is outvoted by the fields,
and one that sees what the unsupervised comparisons miss (names across scripts, swapped or
merged names) is believed. The referee's posterior credits each model, on every disputed pair,
with the chance that its decision is right. The trained model is kept when its expected right
decisions there exceed the unsupervised model's by at least ``MARGIN_SD`` standard deviations
of that difference (each disputed pair decided at random by the referee's posterior), or when
the two decide every pair alike; else the unsupervised model, which needs no evidence of
transfer, scores the run. The margin is asked because the referee is itself a model, and sure
of itself: a difference of a pair or two among dozens is no evidence. EM starts from the two
models' mean probability, favouring neither.

Limits: the trained model's verdict is computed from the same fields, so it is not the
independent witness the latent-class model assumes, and a verdict of "sure" carries more
weight than it deserves: only the extreme probabilities (``WITNESS_CUTS``) count as sure.
With few fields, or fields that repeat one another (a full name and its copy), the classes
are weakly identified and EM can settle elsewhere from another start. The cuts and the margin
were chosen on the robustness matrix, Febrl and the seed-11 world (no held-out set), where
the choice is still wrong on one file of names and their copies.

Measured and rejected (robustness matrix, Febrl, the seed-11 world): the mean of the two
models' probabilities as the referee, which always sides with the more extreme model (the
unsupervised one on a file of names alone); agreement of shared identifiers with each model's
matches, which reads a changed phone number as a wrong match; a classifier fitted on the pairs
both models call certain, which learns the easy pairs only; the conditional dependence left
between fields under the unsupervised fit, and the closure of matched triangles, which told
no row from another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

CHECK = "latent-class referee"
# The trained model's verdict as a witness: below, between and above these probabilities.
WITNESS_CUTS = (0.02, 0.98)
WITNESS_LEVELS = ("sure no", "unsure", "sure yes")
MARGIN_SD = 3.0  # the trained model's advantage, in standard deviations, that keeps it
# ... and in pairs at least: on a tiny file the referee is sure of itself (sd 0 over one
# disputed pair), and one pair is no evidence of transfer.
MIN_LEAD_PAIRS = 3.0
MAX_ITER = 500
TOL = 1e-6
PSEUDO_COUNT = 0.5  # per level and class: no level has probability 0


@dataclass(frozen=True)
class Evidence:
    """The referee's verdict on one run: how many candidates each model alone matches, each
    model's expected right decisions on those, and what the referee learnt of the trained
    model (how often each verdict comes among the referee's matches and non-matches)."""

    candidates: int
    threshold: float
    trained_only: int  # disputed pairs the trained model matches and the unsupervised does not
    unsupervised_only: int
    trained_right: float  # expected right decisions on the disputed pairs
    unsupervised_right: float
    advantage_sd: float  # standard deviation of trained_right - unsupervised_right
    match_share: float  # the referee's share of matches among the candidates
    witness_given_match: tuple[float, ...] = ()  # P(verdict | match), per WITNESS_LEVELS
    witness_given_non_match: tuple[float, ...] = ()

    @property
    def disputed(self) -> int:
        return self.trained_only + self.unsupervised_only

    @property
    def advantage(self) -> float:
        """The trained model's expected right decisions beyond the unsupervised model's."""
        return self.trained_right - self.unsupervised_right

    @property
    def keeps_trained(self) -> bool:
        """The referee finds the trained model better by ``MARGIN_SD`` standard deviations
        and ``MIN_LEAD_PAIRS`` pairs (with no disputed pair: the two are alike, and the
        trained model stays)."""
        if self.disputed == 0:
            return True
        return self.advantage >= max(MARGIN_SD * self.advantage_sd, MIN_LEAD_PAIRS)

    @property
    def chosen(self) -> str:
        return "trained" if self.keeps_trained else "unsupervised"

    def reason(self) -> str:
        """One sentence with the figures and the choice, as a run prints it."""
        if self.disputed == 0:
            return (
                f"{CHECK}: both models take the same decision on all {self.candidates:,} "
                "candidate pairs; trained kept (no worse)"
            )
        verdict = (
            "trained kept (better)"
            if self.keeps_trained
            else (
                f"unsupervised kept (the trained model not better by {MARGIN_SD:g} sd "
                f"and {MIN_LEAD_PAIRS:g} pairs)"
            )
        )
        return (
            f"{CHECK}: the models disagree on {self.disputed:,} of {self.candidates:,} "
            f"candidate pairs ({self.trained_only:,} matched by the trained model only, "
            f"{self.unsupervised_only:,} by the unsupervised only); expected right there: "
            f"trained {self.trained_right:.1f}, unsupervised {self.unsupervised_right:.1f} "
            f"(difference {self.advantage:+.1f}, sd {self.advantage_sd:.1f}); {verdict}"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures, for the run's statistics."""
        return {
            "check": CHECK,
            "candidates": self.candidates,
            "threshold": self.threshold,
            "disputed": self.disputed,
            "trained_only": self.trained_only,
            "unsupervised_only": self.unsupervised_only,
            "trained_right": round(self.trained_right, 3),
            "unsupervised_right": round(self.unsupervised_right, 3),
            "advantage_sd": round(self.advantage_sd, 3),
            "margin_sd": MARGIN_SD,
            "match_share": round(self.match_share, 6),
            "trained_verdict_given_match": _by_level(self.witness_given_match),
            "trained_verdict_given_non_match": _by_level(self.witness_given_non_match),
            "chosen": self.chosen,
            "reason": self.reason(),
        }


def _by_level(shares: tuple[float, ...]) -> dict[str, float]:
    """The witness's shares per level; none when there was nothing to fit (no candidates)."""
    if not shares:
        return {}
    return {level: round(share, 4) for level, share in zip(WITNESS_LEVELS, shares, strict=True)}


def referee_vote(
    trained: np.ndarray, unsupervised: np.ndarray, field_levels: np.ndarray, threshold: float
) -> Evidence:
    """The referee's verdict over candidate pairs scored ``trained`` and ``unsupervised``
    (match probabilities, in one pair order), whose fields compare at ``field_levels`` (pairs x
    fields, any integer level per field, negative where missing); a pair is matched at
    ``threshold`` or above."""
    trained = np.asarray(trained, dtype=np.float64)
    unsupervised = np.asarray(unsupervised, dtype=np.float64)
    if trained.shape != unsupervised.shape or len(field_levels) != len(trained):
        raise ValueError(
            f"the two models and the field levels describe different pairs: {len(trained)}, "
            f"{len(unsupervised)} and {len(field_levels)} of them"
        )
    if len(trained) == 0:
        return Evidence(0, threshold, 0, 0, 0.0, 0.0, 0.0, 0.0)
    fields = _dense(field_levels)
    columns = np.column_stack([fields, np.digitize(trained, WITNESS_CUTS)])
    sizes = [max(1, int(fields[:, k].max()) + 1) for k in range(fields.shape[1])]
    fit = _latent_classes(columns, [*sizes, len(WITNESS_LEVELS)], (trained + unsupervised) / 2)
    by_trained, by_unsupervised = trained >= threshold, unsupervised >= threshold
    trained_only = by_trained & ~by_unsupervised
    unsupervised_only = by_unsupervised & ~by_trained
    posterior = fit.posterior
    disputed = posterior[trained_only | unsupervised_only]
    # A disputed pair is right for the model that matched it with the referee's chance of a
    # match, and for the other with the chance of a non-match.
    trained_right = posterior[trained_only].sum() + (1 - posterior[unsupervised_only]).sum()
    unsupervised_right = posterior[unsupervised_only].sum() + (1 - posterior[trained_only]).sum()
    return Evidence(
        candidates=len(trained),
        threshold=threshold,
        trained_only=int(trained_only.sum()),
        unsupervised_only=int(unsupervised_only.sum()),
        trained_right=float(trained_right),
        unsupervised_right=float(unsupervised_right),
        # Each disputed pair moves the difference by +1 or -1: variance 4 p (1 - p).
        advantage_sd=float(2 * np.sqrt((disputed * (1 - disputed)).sum())),
        match_share=fit.match_share,
        witness_given_match=tuple(float(v) for v in fit.m[-1]),
        witness_given_non_match=tuple(float(v) for v in fit.u[-1]),
    )


def _dense(levels: np.ndarray) -> np.ndarray:
    """Each column's levels renumbered 0, 1, ... (order kept), -1 where missing."""
    levels = np.asarray(levels)
    out = np.full(levels.shape, -1, dtype=np.int64)
    for k in range(levels.shape[1]):
        present = levels[:, k] >= 0
        out[present, k] = pd.factorize(levels[present, k], sort=True)[0]
    return out


def _distinct_rows(
    columns: np.ndarray, sizes: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of ``columns``, each row's, and how many rows each stands for: rows
    coded as integers column by column, re-densified before a code could overflow (linear
    time, no sort of the rows: a run may have millions of candidates)."""
    codes = np.zeros(len(columns), dtype=np.int64)
    for k, size in enumerate(sizes):
        radix = size + 1  # and -1, missing
        if len(codes) and int(codes.max()) >= (2**62) // radix:
            codes = pd.factorize(codes)[0].astype(np.int64)
        codes = codes * radix + (columns[:, k] + 1)
    inverse, _ = pd.factorize(codes)
    counts = np.bincount(inverse)
    first = np.empty(len(counts), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return columns[first], inverse.astype(np.int64), counts.astype(np.float64)


@dataclass(frozen=True)
class _Fit:
    posterior: np.ndarray  # per pair, P(match | its levels)
    match_share: float
    m: list[np.ndarray]  # per column, P(level | match)
    u: list[np.ndarray]  # per column, P(level | non-match)


def _latent_classes(columns: np.ndarray, sizes: list[int], start: np.ndarray) -> _Fit:
    """Two-class latent-class model of ``columns`` (pairs x columns, levels below ``sizes``,
    -1 missing: left out of that column's likelihood), by EM on the distinct rows, starting
    from the posterior ``start``."""
    patterns, inverse, counts = _distinct_rows(columns, sizes)
    posterior = np.bincount(inverse, weights=start) / counts  # the start, per pattern
    m: list[np.ndarray] = []
    u: list[np.ndarray] = []
    share = 0.5
    for _ in range(MAX_ITER):
        matched = counts * posterior
        share = float(np.clip(matched.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        log_match = np.full(len(patterns), np.log(share))
        log_non_match = np.full(len(patterns), np.log1p(-share))
        m, u = [], []
        for k, size in enumerate(sizes):
            level = patterns[:, k]
            present = level >= 0
            m_k = np.bincount(level[present], matched[present], size) + PSEUDO_COUNT
            u_k = np.bincount(level[present], (counts - matched)[present], size) + PSEUDO_COUNT
            m.append(m_k / m_k.sum())
            u.append(u_k / u_k.sum())
            log_match[present] += np.log(m[-1][level[present]])
            log_non_match[present] += np.log(u[-1][level[present]])
        updated = 1 / (1 + np.exp(np.clip(log_non_match - log_match, -700, 700)))
        converged = np.abs(updated - posterior).max() < TOL
        posterior = updated
        if converged:
            break
    return _Fit(posterior[inverse], share, m, u)
