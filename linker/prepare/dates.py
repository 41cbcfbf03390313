"""Dates written in the usual ways, parsed into parts with a precision.

Accepted: ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY/MM/DD``, ``DD/MM/YYYY`` (``/``, ``-``, ``.`` or
space), ``MM/YYYY``, ``YYYY``, two-digit years, and ISO timestamps. Day-first or month-first is
chosen by ``order`` (DMY, MDY, YMD) or, when ``None``, guessed from the values (a first part
above 12 proves DMY, a second part above 12 proves MDY; DMY when nothing proves either).

Each value becomes ``year``, ``month``, ``day`` (NaN where unknown) and ``precision`` ("day",
"month", "year"). ``01/01/YYYY`` and the like are kept but flagged as placeholders: they are
defaults given when the day is unknown, not a birthday. Unparseable or impossible values
(31/02/1990) are missing, with the reason returned for the rejects list.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

DATE_ORDERS = ("DMY", "MDY", "YMD")
PLACEHOLDER_DAY_MONTHS = {(1, 1), (31, 12), (1, 7), (15, 6)}
_MIN_YEAR, _MAX_YEAR = 1880, 2100

_ISO = re.compile(r"^(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?.*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_THREE_PARTS = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2}|\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/. ](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class ParsedDate:
    year: float
    month: float
    day: float
    precision: str | None
    placeholder: bool
    reason: str | None


_MISSING = ParsedDate(np.nan, np.nan, np.nan, None, False, None)


class _FixedWidth(NamedTuple):
    """The texts written ``NN/NN/NNNN`` (ASCII digits, any of the separators ``-/. ``): their
    positions among all texts and their three numbers, read with numpy rather than a regex."""

    rows: np.ndarray
    first: np.ndarray
    second: np.ndarray
    year: np.ndarray


_DIGITS_AT = [0, 1, 3, 4, 6, 7, 8, 9]
_SEPARATORS = [ord(c) for c in "-/. "]
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fixed_width(texts: list[str]) -> _FixedWidth:
    rows = np.flatnonzero(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) == 10)
    chars = np.array([texts[i] for i in rows], dtype="<U10").view(np.uint32).reshape(-1, 10)
    digits = chars.astype(np.int64) - ord("0")
    shaped = ((digits[:, _DIGITS_AT] >= 0) & (digits[:, _DIGITS_AT] <= 9)).all(axis=1)
    shaped &= np.isin(chars[:, [2, 5]], _SEPARATORS).all(axis=1)
    digits = digits[shaped]
    return _FixedWidth(
        rows[shaped],
        digits[:, 0] * 10 + digits[:, 1],
        digits[:, 3] * 10 + digits[:, 4],
        digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9],
    )


def guess_date_order(values: pd.Series) -> str:
    """DMY unless some value can only be month-first."""
    texts = [str(value) for value in pd.unique(values.dropna())]
    return _guess_order(texts, _fixed_width(texts))


def _guess_order(texts: list[str], fixed: _FixedWidth) -> str:
    first_big, second_big = int((fixed.first > 12).sum()), int((fixed.second > 12).sum())
    others = np.ones(len(texts), dtype=bool)
    others[fixed.rows] = False
    for position in np.flatnonzero(others):
        match = _THREE_PARTS.match(texts[position].strip())
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            first_big += first > 12
            second_big += second > 12
    return "MDY" if second_big > first_big else "DMY"


def _full_year(two_or_four: str) -> int:
    year = int(two_or_four)
    if len(two_or_four) == 2:
        # A two-digit birth year is in the past: 25 -> 1925 when 2025 would be the future.
        year += 2000 if year <= pd.Timestamp.now().year % 100 else 1900
    return year


def _build(year: int, month: int | None, day: int | None, value: str) -> ParsedDate:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return ParsedDate(np.nan, np.nan, np.nan, None, False, f"year {year} out of range")
    if month is None or month == 0:
        return ParsedDate(year, np.nan, np.nan, "year", False, None)
    if not 1 <= month <= 12:
        return ParsedDate(np.nan, np.nan, np.nan, None, False, f"no month {month} in {value!r}")
    if day is None or day == 0:
        return ParsedDate(year, month, np.nan, "month", False, None)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return ParsedDate(np.nan, np.nan, np.nan, None, False, f"no day {day} in month {month}")
    placeholder = (day, month) in PLACEHOLDER_DAY_MONTHS
    return ParsedDate(year, month, day, "day", placeholder, None)


def parse_one(value: str, order: str) -> ParsedDate:
    """Parse one written date; an unparseable value gives a reason and no parts."""
    text = value.strip().lower()
    if not text:
        return _MISSING
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _build(year, month, day, value)
    if match := _COMPACT.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _build(year, month, day, value)
    if match := _THREE_PARTS.match(text):
        first, second, year_text = match.groups()
        if order == "MDY":
            month, day = int(first), int(second)
        elif order == "YMD":
            return ParsedDate(np.nan, np.nan, np.nan, None, False, f"{value!r} is not year-first")
        else:
            day, month = int(first), int(second)
        return _build(_full_year(year_text), month, day, value)
    if match := _MONTH_YEAR.match(text):
        return _build(int(match.group(2)), int(match.group(1)), None, value)
    if match := _YEAR.match(text):
        return _build(int(match.group(1)), None, None, value)
    return ParsedDate(np.nan, np.nan, np.nan, None, False, f"unrecognised date {value!r}")


def parse_dates(values: pd.Series, order: str | None = None) -> pd.DataFrame:
    """Parse a column of written dates (once per distinct value).

    Returns a frame on the same index with ``year``, ``month``, ``day`` (float, NaN when
    unknown), ``precision``, ``placeholder`` (bool), ``iso`` (the date as ``YYYY-MM-DD``,
    ``YYYY-MM`` or ``YYYY``) and ``reason`` (why a present value could not be used).
    """
    codes, distinct = pd.factorize(values)
    texts = [str(v) for v in distinct]
    fixed = _fixed_width(texts)
    chosen = order or _guess_order(texts, fixed)
    table = _parse_distinct(texts, fixed, chosen)
    table["iso"] = _iso(table)
    # factorize marks missing values with -1: the last row of the table is the missing date.
    frame = table.take(np.where(codes < 0, len(texts), codes))
    frame.index = values.index
    return frame


def _parse_distinct(texts: list[str], fixed: _FixedWidth, order: str) -> pd.DataFrame:
    """The parts of each text, then of a missing date. Valid ``NN/NN/NNNN`` dates (most of
    them) are read with numpy; every other text goes through ``parse_one``."""
    size = len(texts) + 1
    year, month, day = np.full(size, np.nan), np.full(size, np.nan), np.full(size, np.nan)
    precision = np.full(size, None, dtype=object)
    placeholder = np.zeros(size, dtype=bool)
    reason = np.full(size, None, dtype=object)
    others = np.ones(size, dtype=bool)
    others[-1] = False  # the missing date: no parts, no reason
    if order in ("DMY", "MDY"):
        days, months = (
            (fixed.first, fixed.second) if order == "DMY" else (fixed.second, fixed.first)
        )
        leap = (fixed.year % 4 == 0) & ((fixed.year % 100 != 0) | (fixed.year % 400 == 0))
        month_length = _DAYS_IN_MONTH[np.clip(months, 0, 12)] + ((months == 2) & leap)
        valid = (fixed.year >= _MIN_YEAR) & (fixed.year <= _MAX_YEAR) & (months >= 1)
        valid &= (months <= 12) & (days >= 1) & (days <= month_length)
        rows = fixed.rows[valid]
        year[rows], month[rows], day[rows] = fixed.year[valid], months[valid], days[valid]
        precision[rows] = "day"
        placeholder[rows] = np.isin(
            days[valid] * 100 + months[valid], [d * 100 + m for d, m in PLACEHOLDER_DAY_MONTHS]
        )
        others[rows] = False
    for position in np.flatnonzero(others):
        parsed = parse_one(texts[position], order)
        year[position], month[position], day[position] = parsed.year, parsed.month, parsed.day
        precision[position], placeholder[position] = parsed.precision, parsed.placeholder
        reason[position] = parsed.reason
    return pd.DataFrame(
        {
            "year": year,
            "month": month,
            "day": day,
            "precision": precision,
            "placeholder": placeholder,
            "reason": reason,
        }
    )


def _iso(frame: pd.DataFrame) -> pd.Series:
    def iso(year: float, month: float, day: float, precision: str | None) -> str | float:
        if precision == "year":
            return f"{int(year)}"
        if precision == "month":
            return f"{int(year)}-{int(month):02d}"
        return f"{int(year)}-{int(month):02d}-{int(day):02d}" if precision == "day" else np.nan

    columns = [frame[c].tolist() for c in ("year", "month", "day", "precision")]
    texts = [iso(*row) for row in zip(*columns, strict=True)]
    return pd.Series(texts, index=frame.index, dtype=object)


def date_code(parsed: pd.DataFrame) -> pd.Series:
    """A parsed date as one number ``YYYYMMDD``, unknown parts 00 (``19900000``); NaN if missing.

    Comparators work on these numbers with numpy: no string handling per pair.
    """
    code = parsed["year"] * 10000 + parsed["month"].fillna(0) * 100 + parsed["day"].fillna(0)
    return code.astype("float64")
