"""Scoring pairs that blocking never made candidates, with a run's own comparisons and model.

Clustering (``linker.cluster``) asks for them: before it joins two groups of records it reads
the pairs between them, and most of those were never compared. A ``PairScorer`` compares them
as ``linker.pipeline.score_pairs`` compares candidates (``compare_pairs``, in chunks, each pair
as ``(low, high)``) and scores them with the fitted model, term frequencies included. A pair
whose records share no compared field has no score: NaN, which clustering leaves out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linker.compare import Comparison, compare_pairs
from linker.compare.features import EncodedColumn, encode_records
from linker.models import FellegiSunter, PairClassifier, levels_of


class PairScorer:
    """``scorer(left, right)``: the match probability of each pair of record positions."""

    def __init__(
        self,
        records: pd.DataFrame,
        comparisons: list[Comparison],
        model: FellegiSunter | PairClassifier,
        chunk_pairs: int = 200_000,
        encoded: dict[str, EncodedColumn] | None = None,
    ) -> None:
        self.records = records
        self.comparisons = comparisons
        self.model = model
        self.chunk_pairs = chunk_pairs
        self.pairs_scored = 0
        # The run's encoding of the records, else made on first use: most runs need none.
        self._encoded = encoded

    def __call__(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        low, high = np.minimum(left, right), np.maximum(left, right)
        if self._encoded is None:
            self._encoded = encode_records(self.records, self.comparisons)
        out = [np.empty(0)]
        for start in range(0, len(low), self.chunk_pairs):
            part = slice(start, start + self.chunk_pairs)
            features = compare_pairs(
                self.records, low[part], high[part], self.comparisons, self._encoded
            )
            if isinstance(self.model, FellegiSunter):
                # Each record's own frequencies: read for the records of these pairs only.
                used, inverse = np.unique(low[part], return_inverse=True)
                probability = self.model.predict_proba_levels(
                    levels_of(features, self.comparisons),
                    self.model.pair_frequencies(self.records.iloc[used], inverse),
                )
            else:
                probability = self.model.predict_proba(features)
            compared = features.notna().to_numpy().any(axis=1)
            out.append(np.where(compared, probability, np.nan))
        self.pairs_scored += len(low)
        return np.concatenate(out)
