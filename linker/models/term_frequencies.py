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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linker.compare.features import Comparison, EncodedColumn
from linker.date_codes import PLACEHOLDER_MMDD
from linker.io import LIST_SEPARATOR

COMPARATORS = frozenset({"jaro_winkler", "name_jaro_winkler", "token_sort", "exact", "levenshtein"})
MIN_DISTINCT = 10
KEPT_VALUES = 5_000  # most frequent tuples kept per member set
MAX_BITS = 12.0  # an adjustment never moves a weight by more than this
_SEPARATOR = "\x1f"
_MAX_MIXED_CODE = 2.0**62  # beyond it, mixed-radix codes of a tuple could overflow int64


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


class _ColumnCodes:
    """The ``pd.factorize`` codes (-1 missing) and number of distinct values of the columns
    of ``records``, each factorized once however many tuples it is in (or taken from
    ``encoded``, the run's ``encode_records`` of the same records)."""

    def __init__(
        self, records: pd.DataFrame, encoded: Mapping[str, EncodedColumn] | None = None
    ) -> None:
        self.records = records
        self._found: dict[str, tuple[np.ndarray, int]] = {}
        self._uniques: dict[str, Any] = {}
        for column, known in (encoded or {}).items():
            self._found[column] = known.codes, len(known.values)
            self._uniques[column] = known.values

    def __call__(self, column: str) -> tuple[np.ndarray, int]:
        if column not in self._found:
            codes, uniques = pd.factorize(self.records[column])
            self._found[column] = codes, len(uniques)
            self._uniques[column] = uniques
        return self._found[column]

    def of_text(self, column: str) -> dict[str, int]:
        """The code of each distinct value of ``column``, by its ``_keys`` text."""
        self(column)
        texts = pd.Series(self._uniques[column]).astype("string")
        return {str(text): code for code, text in enumerate(texts)}


def _tuple_codes(column_codes: _ColumnCodes, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per record, a code (0, 1, ...) of its tuple of values of ``columns``, -1 if any is
    missing (equal tuples, equal codes), and per code the position of its first record:
    counting by code spares a string per record."""
    size = len(column_codes.records)
    combined = np.zeros(size, dtype=np.int64)
    missing = np.zeros(size, dtype=bool)
    for column in columns:
        codes, distinct = column_codes(column)
        missing |= codes < 0
        combined = combined * (distinct + 1) + codes
        if len(columns) > 1:
            combined = pd.factorize(combined)[0]  # dense again: no overflow
    present = np.flatnonzero(~missing)
    dense = pd.factorize(combined[present])[0]
    combined = np.full(size, -1, dtype=np.int64)
    combined[present] = dense
    first = np.empty(int(dense.max()) + 1 if len(dense) else 0, dtype=np.int64)
    first[dense[::-1]] = present[::-1]  # the last assignment of a repeated index holds
    return combined, first


def _kept_tuples(
    records: pd.DataFrame, columns: list[str], counts: np.ndarray, first: np.ndarray
) -> pd.Series:
    """The ``counts`` of the ``KEPT_VALUES`` most frequent tuples (by code), by their strings:
    ties at the last count kept are broken by the string, so that row order never changes the
    table (a tuple seen once is not kept: the default frequency is that of one record)."""
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 1]
    if len(order) > KEPT_VALUES:
        last = counts[order[KEPT_VALUES - 1]]
        above, tied = order[counts[order] > last], order[counts[order] == last]
        by_text = pd.Series(_tuple_strings(records, columns, first[tied]), index=tied)
        order = np.concatenate([above, by_text.sort_values().index[: KEPT_VALUES - len(above)]])
    return pd.Series(
        counts[order], index=_tuple_strings(records, columns, first[order]), dtype=np.float64
    )


def _tuple_strings(records: pd.DataFrame, columns: list[str], rows: np.ndarray) -> list[str]:
    """The ``_keys`` strings of the records at positions ``rows``."""
    return [str(k) for k in _keys(records.iloc[rows], columns)]


def fit_term_frequencies(
    comparisons: list[Comparison],
    groups: list[tuple[str, list[int]]],
    records: pd.DataFrame,
    encoded: Mapping[str, EncodedColumn] | None = None,
) -> list[TermFrequencies]:
    """The frequency tables of every non-empty set of eligible members of every group
    (``encoded``: the run's ``encode_records`` of ``records``, if made)."""
    found = []
    column_codes = _ColumnCodes(records, encoded)
    for group, (_, members) in enumerate(groups):
        usable = [
            m
            for m in members
            if eligible(comparisons[m])
            and comparisons[m].left in records
            and column_codes(comparisons[m].left)[1] >= MIN_DISTINCT
        ]
        for size in range(1, len(usable) + 1):
            for subset in itertools.combinations(usable, size):
                columns = [comparisons[m].left for m in subset]
                codes, first = _tuple_codes(column_codes, columns)
                total = float((codes >= 0).sum())
                if total == 0:
                    continue
                counts = np.bincount(codes[codes >= 0])
                kept = _kept_tuples(records, columns, counts, first) / total
                found.append(
                    TermFrequencies(
                        group,
                        subset,
                        {str(k): float(v) for k, v in kept.items()},
                        1.0 / total,
                        float(((counts / total) ** 2).sum()),
                    )
                )
    return found


def record_frequencies(
    tables: list[TermFrequencies],
    records: pd.DataFrame,
    comparisons: list[Comparison],
    encoded: Mapping[str, EncodedColumn] | None = None,
) -> np.ndarray:
    """Per record (rows) and table (columns), the frequency of the record's tuple (NaN where
    a member is missing; ``encoded``: the run's ``encode_records`` of ``records``, if made)."""
    out = np.full((len(records), len(tables)), np.nan)
    column_codes = _ColumnCodes(records, encoded)
    for j, table in enumerate(tables):
        columns = [comparisons[m].left for m in table.members]
        out[:, j] = _looked_up(column_codes, columns, table)
    return out


def _looked_up(
    column_codes: _ColumnCodes, columns: list[str], table: TermFrequencies
) -> np.ndarray:
    """Per record, the frequency of its tuple of ``columns`` in ``table`` (NaN where one is
    missing): the table's tuples are turned into per-column codes, not every record's tuple
    into a string, unless the records are fewer than the table's tuples (one query record)."""
    radices = [column_codes(c)[1] + 1 for c in columns]
    fewer = len(column_codes.records) <= len(table.table)
    if fewer or float(np.prod(radices, dtype=np.float64)) >= _MAX_MIXED_CODE:
        codes, first = _tuple_codes(column_codes, columns)
        names = _tuple_strings(column_codes.records, columns, first)
        looked_up = np.array([*(table.table.get(k, table.default) for k in names), np.nan])
        return np.asarray(looked_up[codes])  # code -1 (a member missing) takes the NaN
    size = len(column_codes.records)
    mixed, missing = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=bool)
    for column, radix in zip(columns, radices, strict=True):
        codes = column_codes(column)[0]
        mixed, missing = mixed * radix + codes, missing | (codes < 0)
    texts = [column_codes.of_text(c) for c in columns]
    keys, frequencies = [], []
    for key, frequency in table.table.items():
        parts = key.split(_SEPARATOR)
        if len(parts) == len(columns) and all(p in t for p, t in zip(parts, texts, strict=True)):
            code = 0
            for part, known, radix in zip(parts, texts, radices, strict=True):
                code = code * radix + known[part]
            keys.append(code)
            frequencies.append(frequency)
    found = pd.Index(keys, dtype=np.int64).get_indexer(pd.Index(mixed))
    out = np.where(found >= 0, np.array([*frequencies, np.nan])[found], table.default)
    return np.where(missing, np.nan, out)


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
        # per pair, the set of members at their top level as bits
        at_top = np.zeros(len(levels), dtype=np.int64)
        for bit, m in enumerate(members):
            at_top |= (levels[:, m] == len(comparisons[m].levels)).astype(np.int64) << bit
        for j in indexes:
            wanted = sum(1 << members.index(m) for m in tables[j].members)
            chosen = np.flatnonzero(at_top == wanted)
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
    records: pd.DataFrame,
    comparisons: Sequence[Comparison],
    *,
    link_only: bool = False,
    encoded: Mapping[str, EncodedColumn] | None = None,
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
    if comparisons[0].comparator == "shared_item":  # alone: checked above
        rows, codes = _item_codes(records[columns[0]], present)
    else:
        codes = _tuple_codes(_ColumnCodes(records, encoded), columns)[0]
        rows = np.flatnonzero(codes >= 0)
        codes = codes[rows]
    for c in comparisons:
        if c.comparator == "date":
            dates = records[c.left].iloc[rows].to_numpy(dtype="int64")
            precise = (dates % 100 > 0) & ((dates // 100) % 100 > 0)
            kept = precise & ~np.isin(dates % 10000, list(PLACEHOLDER_MMDD))
            rows, codes = rows[kept], codes[kept]
    if not link_only:
        n, counts = float(present.sum()), np.bincount(codes).astype(np.float64)
        return float((counts * (counts - 1)).sum() / 2), n * (n - 1) / 2
    sources = records["source"].to_numpy()
    first = sources == sources[0]
    side = first[rows]
    size = int(codes.max()) + 1 if len(codes) else 0
    left = np.bincount(codes[side], minlength=size).astype(np.float64)
    right = np.bincount(codes[~side], minlength=size).astype(np.float64)
    return float((left * right).sum()), float(present[first].sum()) * float(present[~first].sum())


def _item_codes(cells: pd.Series, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each item of the ``|``-joined ``cells`` (those ``present``) once per record: the
    record's position and the item's code (equal items, equal codes). Only the distinct cells
    holding several items are split; most hold one."""
    positions = np.flatnonzero(present)
    cell_codes, distinct = pd.factorize(cells.to_numpy()[positions])
    distinct = np.asarray(distinct, dtype=object)
    several = np.fromiter((LIST_SEPARATOR in str(c) for c in distinct), bool, len(distinct))
    single = np.flatnonzero(~several & (distinct != ""))
    split = [sorted(set(str(c).split(LIST_SEPARATOR)) - {""}) for c in distinct[several]]
    counts = np.zeros(len(distinct), dtype=np.int64)
    counts[single] = 1
    counts[several] = np.fromiter(map(len, split), np.int64, len(split))
    # the flat items: the single cells, then the items of the others, each at its start
    flat = np.concatenate([distinct[single], np.array([i for s in split for i in s], object)])
    starts = np.zeros(len(distinct), dtype=np.int64)
    starts[single] = np.arange(len(single))
    starts[several] = len(single) + np.cumsum(counts[several]) - counts[several]
    item_codes = pd.factorize(flat)[0]
    per_record = counts[cell_codes]
    # the k-th item of a record is the flat item starts[its cell] + k
    within = np.arange(per_record.sum()) - np.repeat(np.cumsum(per_record) - per_record, per_record)
    taken = np.repeat(starts[cell_codes], per_record) + within
    return np.repeat(positions, per_record), item_codes[taken]


def _equality_top(comparison: Comparison, records: pd.DataFrame) -> bool:
    return (
        comparison.comparator in _EQUALITY_TOP
        and comparison.right in (None, comparison.left)
        and comparison.levels[0] >= 1.0
        and comparison.left in records
    )
