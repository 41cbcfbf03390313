"""Columns derived from other columns of the same table, found from the values.

A public file often writes one piece of evidence several times: split names, a full name built
from them and a copy of it. Compared each on its own they weigh two or three times in a
Fellegi-Sunter model, which assumes independent comparisons. ``find_derived`` names the
columns to fold (not compare), so each piece of evidence is compared once:

- a **copy**: equal to another column after light normalisation (``normalise_one``: casefold,
  anyascii, punctuation and whitespace) on at least 95% of the rows where both are filled;
- a **concatenation**: its words are the words of two to four other columns, in any order and
  with any separator (``given family``, ``FAMILY, Given``), on at least 95% of the rows where
  all are filled.

A column is folded only when it adds nothing: at most 5% of the rows where it is filled lack
what it is derived from. The test runs on a sample of at most ``SAMPLE_ROWS`` rows chosen by a
hash of the id, so it does not depend on the order of the file's rows, and needs at least
``MIN_ROWS`` rows where all the columns of a relation are filled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from linker.prepare.text import map_distinct, normalise_one

SAMPLE_ROWS = 5000
MIN_ROWS = 3
AGREEMENT = 0.95  # share of the rows where all are filled on which the relation holds
ADDED = 0.05  # share of a folded column's filled rows where its sources are not enough
MAX_PARTS = 4
_SCREEN_ROWS = 200  # rows that screen the candidate parts of a concatenation
_MAX_CANDIDATES = 8


@dataclass(frozen=True)
class _Column:
    """One column of the sample: its words, sorted (None when empty), and their forms."""

    name: str
    words: list[tuple[str, ...] | None]
    filled: np.ndarray  # bool
    joined: np.ndarray  # the words in order without spaces: O'Brien = OBrien
    sorted_words: np.ndarray  # the words sorted, space-separated: Smith John = John Smith

    @property
    def mean_words(self) -> float:
        lengths = [len(w) for w in self.words if w is not None]
        return sum(lengths) / len(lengths) if lengths else 0.0


def sample_rows(frame: pd.DataFrame, id_column: str, size: int = SAMPLE_ROWS) -> np.ndarray:
    """Positions of at most ``size`` rows, those with the smallest hash of the id (of the whole
    row without an id column), in hash order: the same rows whatever the order of the file."""
    keys = frame[id_column] if id_column in frame.columns else frame
    # categorize=False: ids are distinct, factorising them first would only cost time.
    hashes = pd.util.hash_pandas_object(keys, index=False, categorize=False).to_numpy()
    if len(hashes) > size:
        chosen = np.argpartition(hashes, size)[:size]
        return chosen[np.argsort(hashes[chosen], kind="stable")]
    return np.argsort(hashes, kind="stable")


def find_derived(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    id_column: str,
    mapped: set[str],
    protected: set[str],
) -> dict[str, str]:
    """Columns of ``columns`` to fold, each with how it is derived (``copy of full_name``,
    ``= given_name + family_name``), in the order of ``columns``.

    ``mapped`` columns are kept before generic ones; ``protected`` columns (mapped by the
    user) are never folded but may be what another column is derived from. Of two copies the
    protected, then the mapped, then the first is kept; a concatenation of columns is folded
    and its parts kept, except that the parts are folded when the concatenation alone is
    mapped (and they add nothing to it).
    """
    sample = frame.iloc[sample_rows(frame, id_column)]
    prepared = {c: _column(c, sample[c]) for c in columns}
    rank = {c: (c not in protected, c not in mapped, i) for i, c in enumerate(columns)}
    folded: dict[str, str] = {}
    live = sorted(columns, key=rank.__getitem__)
    for i, kept in enumerate(live):
        if kept in folded:
            continue
        for other in live[i + 1 :]:
            if other in folded or other in protected:
                continue
            a, b = prepared[kept], prepared[other]
            if _copies(a, b) and _adds_nothing(b, [a]):
                folded[other] = f"copy of {kept}"
    live = [c for c in columns if c not in folded]
    # Shorter concatenations first: given + middle before given + middle + family.
    for whole in sorted(live, key=lambda c: prepared[c].mean_words):
        if whole in folded:
            continue
        parts = _concatenation(prepared[whole], [prepared[c] for c in live if c not in folded])
        if parts is None:
            continue
        names = [p.name for p in parts]
        formula = " + ".join(names)
        split_generic = not any(p in mapped or p in protected for p in names)
        if (
            whole in mapped
            and split_generic
            and all(_adds_nothing(p, [prepared[whole]]) for p in parts)
        ):
            folded.update(dict.fromkeys(names, f"part of {whole} = {formula}"))
        elif whole not in protected and _adds_nothing(prepared[whole], parts):
            folded[whole] = f"= {formula}"
    return {c: folded[c] for c in columns if c in folded}


def _column(name: str, values: pd.Series) -> _Column:
    normalised = map_distinct(values, lambda v: tuple(normalise_one(str(v)).split()) or None)
    words: list[tuple[str, ...] | None] = normalised.tolist()
    filled = np.array([w is not None for w in words], dtype=bool)
    joined = np.array(["".join(w) if w else None for w in words], dtype=object)
    sorted_words = np.array([" ".join(sorted(w)) if w else None for w in words], dtype=object)
    sorted_tuples = [tuple(sorted(w)) if w else None for w in words]
    return _Column(name, sorted_tuples, filled, joined, sorted_words)


def _copies(a: _Column, b: _Column) -> bool:
    both = a.filled & b.filled
    if both.sum() < MIN_ROWS:
        return False
    same = (a.joined[both] == b.joined[both]) | (a.sorted_words[both] == b.sorted_words[both])
    return bool(same.mean() >= AGREEMENT)


def _adds_nothing(derived: _Column, sources: Sequence[_Column]) -> bool:
    """At most ``ADDED`` of the rows where ``derived`` is filled lack one of ``sources`` and
    are not the words of the filled ones (a lone given name = the full name adds nothing)."""
    rows = np.flatnonzero(derived.filled)
    if not len(rows):
        return True
    lacking = 0
    for row in rows:
        present = [s.words[row] for s in sources if s.filled[row]]
        if len(present) == len(sources):
            continue
        if not present or derived.words[row] != tuple(sorted(w for p in present for w in p or ())):
            lacking += 1
    return lacking <= ADDED * len(rows)


def _concatenation(whole: _Column, others: Sequence[_Column]) -> list[_Column] | None:
    """The fewest columns among ``others`` whose words are those of ``whole``, or None."""
    candidates = [c for c in others if c.name != whole.name and _within(c, whole)]
    candidates = candidates[:_MAX_CANDIDATES]
    for size in range(2, min(MAX_PARTS, len(candidates)) + 1):
        for parts in combinations(candidates, size):
            if _joins(whole, parts):
                return list(parts)
    return None


def _within(part: _Column, whole: _Column) -> bool:
    """The words of ``part`` are among those of ``whole`` on most screened rows, and fewer on
    at least half of them (a copy is not a part). A part may be the whole where the other
    parts are empty: a given name alone where the family name is missing."""
    rows = np.flatnonzero(part.filled & whole.filled)[:_SCREEN_ROWS]
    if len(rows) < MIN_ROWS:
        return False
    inside = sum(set(part.words[r] or ()) <= set(whole.words[r] or ()) for r in rows)
    shorter = sum(len(part.words[r] or ()) < len(whole.words[r] or ()) for r in rows)
    return inside >= AGREEMENT * len(rows) and 2 * shorter >= len(rows)


def _joins(whole: _Column, parts: Sequence[_Column]) -> bool:
    rows = whole.filled.copy()
    for part in parts:
        rows &= part.filled
    indices = np.flatnonzero(rows)
    if len(indices) < MIN_ROWS:
        return False
    equal = sum(
        whole.words[r] == tuple(sorted(w for p in parts for w in p.words[r] or ())) for r in indices
    )
    return equal >= AGREEMENT * len(indices)
