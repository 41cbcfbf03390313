"""Counting each corruption decision, so that tests can compare observed and configured rates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Tally:
    """Trials and hits per rate name; ``draw`` makes one seeded Bernoulli decision."""

    trials: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)

    def draw(self, rng: np.random.Generator, name: str, rate: float) -> bool:
        """True with probability ``rate``; counted under ``name``."""
        hit = bool(rng.random() < rate)
        self.trials[name] += 1
        self.hits[name] += hit
        return hit

    def observed(self, name: str) -> float:
        """The share of ``name``'s trials that were hits (NaN without trials)."""
        trials = self.trials[name]
        return self.hits[name] / trials if trials else float("nan")
