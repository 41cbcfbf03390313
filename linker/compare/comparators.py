"""Vectorised comparators: two aligned arrays of values in, one similarity per pair out.

Every comparator takes the left and right values of all pairs at once and returns floats in
[0, 1], NaN where either side is missing. Callers pass each distinct pair of values once
(``compare_pairs`` does), so comparators stay plain functions of two arrays. String metrics
call ``rapidfuzz.process.cpdist`` once per column (it scores a missing value as 0, so missing
values are masked to NaN here).
``COMPARATORS`` is the list of what exists; specs name comparators by these keys.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from itertools import repeat

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from linker.compare.codes import (
    best_token_sort,
    holder_unless_full_codes,
    legal_form_agreement,
    masked_code,
    masked_code_holder,
    weighted_overlap,
)
from linker.date_codes import PLACEHOLDER_MMDD
from linker.io import LIST_SEPARATOR

Comparator = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def _with_missing(compare: Comparator) -> Comparator:
    """A comparator of present values made to give NaN where either side is missing."""

    def compare_any(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        missing = _missing(left) | _missing(right)
        if not missing.any():
            return compare(left, right)
        scores = np.full(len(left), np.nan)
        present = np.flatnonzero(~missing)
        scores[present] = compare(left[present], right[present])
        return scores

    return compare_any


def _string_scores(scorer: Callable[..., float], scale: float = 1.0) -> Comparator:
    def compare(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        if len(left) == 0:
            return np.empty(0, dtype=np.float64)
        scores = process.cpdist(left, right, scorer=scorer, workers=-1, dtype=np.float64)
        result: np.ndarray = np.asarray(scores, dtype=np.float64)
        if scale != 1.0:
            result /= scale
        return result

    return compare


INITIAL_AGREEMENT = 0.8  # an initial against a name it begins: the lowest agreeing name level
_jaro_winkler = _string_scores(JaroWinkler.normalized_similarity)


def _name_jaro_winkler_present(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Jaro-Winkler of two present names, where a name written as its initial ("h") against
    a name it begins ("hong") scores at least ``INITIAL_AGREEMENT``: Jaro-Winkler gives that
    pair 0.78 or less, the same level as two different names."""
    scores = _jaro_winkler(left, right)
    if len(left) == 0:
        return scores
    short = np.flatnonzero(
        (np.fromiter(map(len, left), np.int64, len(left)) == 1)
        | (np.fromiter(map(len, right), np.int64, len(right)) == 1)
    )  # few pairs hold an initial: the first letters are compared for those only
    initial = short[[left[i][:1] == right[i][:1] for i in short]]
    scores[initial] = np.maximum(scores[initial], INITIAL_AGREEMENT)
    return scores


def exact(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1.0 when equal, 0.0 when different."""
    missing = _missing(left) | _missing(right)
    scores: np.ndarray = np.asarray(left == right, dtype=np.float64)
    scores[missing] = np.nan
    return scores


def relative_number(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 - |a - b| / max(|a|, |b|): 1.0 equal, 0.0 opposite or one of them zero."""
    a = np.asarray(left, dtype=np.float64)
    b = np.asarray(right, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = 1.0 - np.abs(a - b) / scale
    scores = np.where(scale == 0, 1.0, np.clip(scores, 0.0, 1.0))
    scores[np.isnan(a) | np.isnan(b)] = np.nan
    return scores


def _near_miss(a_code: np.ndarray, b_code: np.ndarray) -> np.ndarray:
    """Two ``YYYYMMDD`` codes one digit apart, or two adjacent digits swapped (digit by digit,
    eight 1-D passes: no pairs x 8 matrices)."""
    n_differ = np.zeros(len(a_code), dtype=np.int64)
    crossed = np.zeros(len(a_code), dtype=bool)
    prev_a = prev_b = None
    for power in 10 ** np.arange(7, -1, -1, dtype=np.int64):
        digit_a, digit_b = (a_code // power) % 10, (b_code // power) % 10
        differ = digit_a != digit_b
        n_differ += differ
        if prev_a is not None and prev_b is not None:
            crossed |= (prev_a != prev_b) & differ & (prev_a == digit_b) & (digit_a == prev_b)
        prev_a, prev_b = digit_a, digit_b
    near: np.ndarray = (n_differ == 1) | ((n_differ == 2) & crossed)
    return near


def date_agreement(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Graded agreement of two ``YYYYMMDD`` date codes (unknown parts 00).

    1.0 same day; 0.9 same day but a placeholder such as 01/01 (a default, weak evidence:
    ``linker.date_codes.PLACEHOLDER_DAY_MONTHS``); 0.8 day and month swapped, one digit wrong
    or two adjacent digits swapped; 0.6 same year and month; 0.5 same year; 0.3 one year
    apart; 0.0 otherwise. A date is compared at its precision: the day and near-miss levels
    need two day-precise dates and the month level two known months, so two year-only dates
    of one year, or a year-only date and a full date in that year, agree at the year level.
    """
    a = np.asarray(left, dtype=np.float64)
    b = np.asarray(right, dtype=np.float64)
    missing = np.isnan(a) | np.isnan(b)
    a_code = np.where(missing, 0, a).astype(np.int64)
    b_code = np.where(missing, 0, b).astype(np.int64)
    year_a, year_b = a_code // 10000, b_code // 10000
    month_a, month_b = (a_code // 100) % 100, (b_code // 100) % 100
    day_a, day_b = a_code % 100, b_code % 100
    both_days = (day_a > 0) & (day_b > 0) & (month_a > 0) & (month_b > 0)

    swapped = (day_a == month_b) & (month_a == day_b) & (year_a == year_b) & (day_a <= 12)
    placeholder = np.isin(a_code % 10000, PLACEHOLDER_MMDD)

    scores = np.zeros(len(a), dtype=np.float64)
    scores[np.abs(year_a - year_b) == 1] = 0.3
    scores[year_a == year_b] = 0.5
    scores[(year_a == year_b) & (month_a == month_b) & (month_a > 0)] = 0.6
    near = both_days & (_near_miss(a_code, b_code) | swapped)
    scores[near] = 0.8
    same = both_days & (a_code == b_code)
    scores[same & placeholder] = 0.9
    scores[same & ~placeholder] = 1.0
    scores[missing] = np.nan
    return scores


def _shared_item_present(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    # Equal values share every item; only unequal ones holding a list need their items split.
    scores = np.asarray(left == right, dtype=np.float64)
    unequal = np.flatnonzero(scores == 0.0)
    several = unequal[_holds_list(left[unequal]) | _holds_list(right[unequal])]
    if len(several):
        items_l = pd.Series(left[several], index=several).str.split(LIST_SEPARATOR).explode()
        items_r = pd.Series(right[several], index=several).str.split(LIST_SEPARATOR).explode()
        pairs_l = pd.DataFrame({"pair": items_l.index, "item": items_l.to_numpy()})
        pairs_r = pd.DataFrame({"pair": items_r.index, "item": items_r.to_numpy()})
        scores[pairs_l.merge(pairs_r, on=["pair", "item"])["pair"].unique()] = 1.0
    return scores


def shared_item(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1.0 when two ``|``-separated lists share an item, else 0.0 (phones, emails...)."""
    return _with_missing(_shared_item_present)(left, right)


def _holds_list(values: np.ndarray) -> np.ndarray:
    """Which strings hold the separator (most often none: one search over them all)."""
    if LIST_SEPARATOR not in "".join(values):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(map(operator.contains, values, repeat(LIST_SEPARATOR)), bool, len(values))


def min_value(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The smaller of two numbers (a pair is as rare as its commoner side); NaN if missing."""
    return np.minimum(np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64))


def year_gap(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 - |year difference| / 10 of two ``YYYYMMDD`` codes, 0 beyond ten years: age disputes
    move a year by 1-5, an Ethiopian-calendar date by 7-8."""
    a = np.asarray(left, dtype=np.float64) // 10000
    b = np.asarray(right, dtype=np.float64) // 10000
    scores = 1.0 - np.minimum(np.abs(a - b), 10.0) / 10.0
    scores[(a <= 0) | (b <= 0)] = np.nan
    return scores


def sorted_words(value: str) -> str | None:
    """The words of an ASCII value in order, joined by single spaces: what rapidfuzz's
    ``token_sort_ratio`` compares with ``ratio``. None for other values: rapidfuzz splits some
    non-ASCII text (U+00A0, U+0085) otherwise than Python does."""
    return " ".join(sorted(value.split())) if value.isascii() else None


# How ``compare_pairs`` runs a comparator on its distinct pairs of values, which are never
# missing: the comparator without the missing-value checks, and for some a key of each value
# that the comparator then compares (computed once per distinct value of a column; when the
# key gives None for some value, the plain comparator runs). Same scores as COMPARATORS.
PRESENT_COMPARATORS: dict[str, tuple[Callable[[str], str | None] | None, Comparator]] = {
    "jaro_winkler": (None, _jaro_winkler),
    "name_jaro_winkler": (None, _name_jaro_winkler_present),
    "levenshtein": (None, _string_scores(Levenshtein.normalized_similarity)),
    "token_sort": (sorted_words, _string_scores(fuzz.ratio, scale=100.0)),
    "token_set": (None, _string_scores(fuzz.token_set_ratio, scale=100.0)),
    "shared_item": (None, _shared_item_present),
}

COMPARATORS: dict[str, Comparator] = {
    "exact": exact,
    "jaro_winkler": _with_missing(_jaro_winkler),
    "name_jaro_winkler": _with_missing(_name_jaro_winkler_present),
    "levenshtein": _with_missing(_string_scores(Levenshtein.normalized_similarity)),
    "token_sort": _with_missing(_string_scores(fuzz.token_sort_ratio, scale=100.0)),
    "token_set": _with_missing(_string_scores(fuzz.token_set_ratio, scale=100.0)),
    "relative_number": relative_number,
    "date": date_agreement,
    "shared_item": shared_item,
    "min_value": min_value,
    "year_gap": year_gap,
    # companies and accounts (linker.compare.codes)
    "masked_code": masked_code,
    "masked_code_holder": masked_code_holder,
    "holder_unless_full_codes": holder_unless_full_codes,
    "best_token_sort": best_token_sort,
    "weighted_overlap": weighted_overlap,
    "legal_form": legal_form_agreement,
}
