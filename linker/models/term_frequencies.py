"""Term-frequency adjustment of the unsupervised model: agreeing on a rare name is worth more
than agreeing on a common one.

For a pair whose values agree exactly on the members ``S`` of a comparison group, the group's
Bayes factor ``m / u`` uses the u of the level; but the chance that two random records agree
on *this* value ``v`` is ``f(v)^2`` against ``sum f^2`` for any value, so the weight is moved by
``log2(sum f^2 / f(v))`` (Splink's adjustment): negative for "jean", positive for a rare name.
Frequencies are those of the value tuple of ``S`` among the records where ``S`` is present,
computed per run and kept with the model (its most frequent tuples; a tuple not kept counts as
seen once), so a stored model adjusts new records the same way.

Eligible members: text comparisons of one column with itself, an exact top level, and at least
``MIN_DISTINCT`` distinct values (not sex, not a country code); identifiers are not adjusted.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linker.compare.features import Comparison
from linker.date_codes import PLACEHOLDER_MMDD
from linker.io import LIST_SEPARATOR

COMPARATORS = frozenset({"jaro_winkler", "name_jaro_winkler", "token_sort", "exact", "levenshtein"})
MIN_DISTINCT = 10
KEPT_VALUES = 5_000  # most frequent tuples kept per member set
MAX_BITS = 12.0  # an adjustment never moves a weight by more than this
_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class TermFrequencies:
    """Frequencies of the value tuples of a set of members of one group."""

    group: int
    members: tuple[int, ...]  # comparison positions
    table: dict[str, float]
    default: float  # the frequency of a tuple not in ``table``
    agreement: float  # sum of f^2: the chance that two random records agree exactly

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "members": list(self.members),
            "table": self.table,
            "default": self.default,
            "agreement": self.agreement,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TermFrequencies:
        return cls(
            int(data["group"]),
            tuple(int(m) for m in data["members"]),
            {str(k): float(v) for k, v in data["table"].items()},
            float(data["default"]),
            float(data["agreement"]),
        )


def eligible(comparison: Comparison) -> bool:
    return (
        comparison.comparator in COMPARATORS
        and comparison.right in (None, comparison.left)
        and not comparison.identifier
        and comparison.output is None
        and comparison.levels[0] >= 1.0
    )


def _keys(records: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each record's tuple of values of ``columns`` as one string (None if any is missing)."""
    parts = [records[c].astype("string") for c in columns]
    key = parts[0]
    for part in parts[1:]:
        key = key + _SEPARATOR + part
    return key


def fit_term_frequencies(
    comparisons: list[Comparison], groups: list[tuple[str, list[int]]], records: pd.DataFrame
) -> list[TermFrequencies]:
    """The frequency tables of every non-empty set of eligible members of every group."""
    found = []
    for group, (_, members) in enumerate(groups):
        usable = [
            m
            for m in members
            if eligible(comparisons[m])
            and comparisons[m].left in records
            and records[comparisons[m].left].nunique() >= MIN_DISTINCT
        ]
        for size in range(1, len(usable) + 1):
            for subset in itertools.combinations(usable, size):
                counts = _keys(records, [comparisons[m].left for m in subset]).value_counts()
                if counts.empty:
                    continue
                frequency = counts / counts.sum()
                kept = frequency.iloc[:KEPT_VALUES]
                found.append(
                    TermFrequencies(
                        group,
                        subset,
                        {str(k): float(v) for k, v in kept.items()},
                        float(1.0 / counts.sum()),
                        float((frequency**2).sum()),
                    )
                )
    return found


def record_frequencies(
    tables: list[TermFrequencies], records: pd.DataFrame, comparisons: list[Comparison]
) -> np.ndarray:
    """Per record (rows) and table (columns), the frequency of the record's tuple (NaN where
    a member is missing)."""
    out = np.full((len(records), len(tables)), np.nan)
    for j, table in enumerate(tables):
        keys = _keys(records, [comparisons[m].left for m in table.members])
        present = keys.notna().to_numpy()
        looked_up = keys[present].map(table.table).astype("float64").fillna(table.default)
        out[present, j] = looked_up.to_numpy()
    return out


def adjustments(
    tables: list[TermFrequencies],
    comparisons: list[Comparison],
    n_groups: int,
    levels: np.ndarray,
    frequencies: np.ndarray,
) -> np.ndarray:
    """Per pair and group, the adjustment in bits: for the set of eligible members agreeing
    at their top level, ``log2(agreement / f)`` of the left record's tuple (``frequencies``:
    pairs x tables, from ``record_frequencies``)."""
    out = np.zeros((len(levels), n_groups))
    if not tables or len(levels) == 0:
        return out
    by_group: dict[int, list[int]] = {}
    for j, table in enumerate(tables):
        by_group.setdefault(table.group, []).append(j)
    for group, indexes in by_group.items():
        members = sorted({m for j in indexes for m in tables[j].members})
        at_top = np.column_stack([levels[:, m] == len(comparisons[m].levels) for m in members])
        for j in indexes:
            wanted = np.array([m in tables[j].members for m in members])
            chosen = (at_top == wanted).all(axis=1)
            f = frequencies[chosen, j]
            bits = np.log2(tables[j].agreement / np.where(np.isnan(f), tables[j].agreement, f))
            out[chosen, group] = np.clip(bits, -MAX_BITS, MAX_BITS)
    return out


# Comparators whose top level (1.0) means equal values: the share of random pairs agreeing
# there is counted from the values themselves (``exact_agreement``).
_EQUALITY_TOP = frozenset(
    {"exact", "jaro_winkler", "name_jaro_winkler", "levenshtein", "date", "shared_item"}
)


def exact_agreement(
    records: pd.DataFrame, comparisons: Sequence[Comparison], *, link_only: bool = False
) -> tuple[float, float] | None:
    """(pairs agreeing at the top level of every one of ``comparisons``, pairs with all their
    values present) among every pair of ``records`` (across sources when ``link_only``),
    counted from the value frequencies: the random pairs' share of exact agreement with no
    sampling error. Each comparison reads one column and its top level is equality (a date:
    two equal day-precise codes that are no placeholder; a list, alone: a shared item, each
    counted; a name read in either order: equal in its own order). None otherwise."""
    if not comparisons or not all(_equality_top(c, records) for c in comparisons):
        return None
    columns = [c.left for c in comparisons]
    if len(comparisons) > 1 and any(c.comparator == "shared_item" for c in comparisons):
        return None
    present = records[columns].notna().all(axis=1).to_numpy()
    keys = _keys(records[present], columns)
    if comparisons[0].comparator == "shared_item":  # alone: checked above
        keys = keys.astype(str).str.split(LIST_SEPARATOR).explode()
        keys = keys[keys.ne("")]
        once = ~pd.MultiIndex.from_arrays([keys.index, keys.to_numpy()]).duplicated()
        keys = keys[once]  # an item once per record
    for c in comparisons:
        if c.comparator == "date":
            codes = records.loc[keys.index, c.left].astype("int64")
            precise = (codes % 100 > 0) & ((codes // 100) % 100 > 0)
            keys = keys[(precise & ~(codes % 10000).isin(PLACEHOLDER_MMDD)).to_numpy()]
    if not link_only:
        n, counts = float(present.sum()), keys.value_counts().to_numpy(dtype=np.float64)
        return float((counts * (counts - 1)).sum() / 2), n * (n - 1) / 2
    sources = records["source"].to_numpy()
    first = sources == sources[0]
    side = pd.Series(first, index=records.index)[keys.index].to_numpy()
    left, right = keys[side].value_counts(), keys[~side].value_counts()
    agreeing = float((left * right.reindex(left.index, fill_value=0)).sum())
    return agreeing, float(present[first].sum()) * float(present[~first].sum())


def _equality_top(comparison: Comparison, records: pd.DataFrame) -> bool:
    return (
        comparison.comparator in _EQUALITY_TOP
        and comparison.right in (None, comparison.left)
        and comparison.levels[0] >= 1.0
        and comparison.left in records
    )
