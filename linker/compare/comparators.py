"""Vectorised comparators: two aligned arrays of values in, one similarity per pair out.

Every comparator takes the left and right values of all pairs at once and returns floats in
[0, 1], NaN where either side is missing. Callers pass each distinct pair of values once
(``compare_pairs`` does), so comparators stay plain functions of two arrays. String metrics
call ``rapidfuzz.process.cpdist`` once per column (it scores a missing value as 0, so missing
values are masked to NaN here).
``COMPARATORS`` is the list of what exists; specs name comparators by these keys.
"""

from __future__ import annotations

from collections.abc import Callable

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
from linker.io import LIST_SEPARATOR

Comparator = Callable[[np.ndarray, np.ndarray], np.ndarray]
_PLACEHOLDER_DAY_MONTH = (101, 1231, 701)  # MMDD of 01/01, 31/12, 01/07


def _missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def _string_metric(scorer: Callable[..., float], scale: float = 1.0) -> Comparator:
    def compare(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        missing = _missing(left) | _missing(right)
        if len(left) == 0:
            return np.empty(0, dtype=np.float64)
        left_text = np.where(missing, "", left).astype(object)
        right_text = np.where(missing, "", right).astype(object)
        scores = process.cpdist(left_text, right_text, scorer=scorer, workers=-1, dtype=np.float64)
        result: np.ndarray = np.asarray(scores, dtype=np.float64) / scale
        result[missing] = np.nan
        return result

    return compare


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


def _digits(code: np.ndarray) -> np.ndarray:
    """The eight digits of YYYYMMDD codes, one column per digit."""
    powers = 10 ** np.arange(7, -1, -1, dtype=np.int64)
    return (code.astype(np.int64)[:, None] // powers) % 10


def date_agreement(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Graded agreement of two ``YYYYMMDD`` date codes (unknown parts 00).

    1.0 same day; 0.9 same day but a placeholder such as 01/01 (a default, weak evidence);
    0.8 day and month swapped, one digit wrong or two adjacent digits swapped; 0.6 same year
    and month; 0.5 same year; 0.3 one year apart; 0.0 otherwise.
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

    digits_a, digits_b = _digits(a_code), _digits(b_code)
    differ = digits_a != digits_b
    n_differ = differ.sum(axis=1)
    adjacent_swap = (n_differ == 2) & np.any(
        differ[:, :-1]
        & differ[:, 1:]
        & (digits_a[:, :-1] == digits_b[:, 1:])
        & (digits_a[:, 1:] == digits_b[:, :-1]),
        axis=1,
    )
    swapped = (day_a == month_b) & (month_a == day_b) & (year_a == year_b) & (day_a <= 12)
    placeholder = np.isin((a_code % 10000), _PLACEHOLDER_DAY_MONTH)

    scores = np.zeros(len(a), dtype=np.float64)
    scores[np.abs(year_a - year_b) == 1] = 0.3
    scores[year_a == year_b] = 0.5
    scores[(year_a == year_b) & (month_a == month_b) & (month_a > 0)] = 0.6
    near = both_days & ((n_differ == 1) | adjacent_swap | swapped)
    scores[near] = 0.8
    same = both_days & (a_code == b_code)
    scores[same & placeholder] = 0.9
    scores[same & ~placeholder] = 1.0
    scores[missing] = np.nan
    return scores


def shared_item(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1.0 when two ``|``-separated lists share an item, else 0.0 (phones, emails...)."""
    # Codes of distinct values: equality is an integer compare, and looking for several
    # items is done once per distinct value rather than once per pair.
    codes, distinct = pd.factorize(np.concatenate([left, right]))
    code_l, code_r = codes[: len(left)], codes[len(left) :]
    missing = (code_l < 0) | (code_r < 0)
    scores = np.asarray(code_l == code_r, dtype=np.float64)
    listed = np.append(
        pd.Series(distinct, dtype=object).str.contains(LIST_SEPARATOR, regex=False).to_numpy(),
        False,  # code -1 (missing) indexes this last entry
    )
    several = np.flatnonzero((listed[code_l] | listed[code_r]) & ~missing)
    if len(several):
        items_l = pd.Series(left[several], index=several).str.split(LIST_SEPARATOR).explode()
        items_r = pd.Series(right[several], index=several).str.split(LIST_SEPARATOR).explode()
        pairs_l = pd.DataFrame({"pair": items_l.index, "item": items_l.to_numpy()})
        pairs_r = pd.DataFrame({"pair": items_r.index, "item": items_r.to_numpy()})
        scores[several] = 0.0
        scores[pairs_l.merge(pairs_r, on=["pair", "item"])["pair"].unique()] = 1.0
    scores[missing] = np.nan
    return scores


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


COMPARATORS: dict[str, Comparator] = {
    "exact": exact,
    "jaro_winkler": _string_metric(JaroWinkler.normalized_similarity),
    "levenshtein": _string_metric(Levenshtein.normalized_similarity),
    "token_sort": _string_metric(fuzz.token_sort_ratio, scale=100.0),
    "token_set": _string_metric(fuzz.token_set_ratio, scale=100.0),
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
