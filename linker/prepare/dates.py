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


def guess_date_order(values: pd.Series) -> str:
    """DMY unless some value can only be month-first."""
    first_big = second_big = 0
    for value in pd.unique(values.dropna()):
        match = _THREE_PARTS.match(str(value).strip())
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
    chosen = order or guess_date_order(values)
    codes, distinct = pd.factorize(values)
    parsed = [parse_one(str(v), chosen) for v in distinct] + [_MISSING]
    table = pd.DataFrame(
        {
            "year": [p.year for p in parsed],
            "month": [p.month for p in parsed],
            "day": [p.day for p in parsed],
            "precision": [p.precision for p in parsed],
            "placeholder": [p.placeholder for p in parsed],
            "reason": [p.reason for p in parsed],
        }
    )
    table["iso"] = _iso(table)
    # factorize marks missing values with -1: the last row of the table is the missing date.
    frame = table.take(np.where(codes < 0, len(parsed) - 1, codes))
    frame.index = values.index
    return frame


def _iso(frame: pd.DataFrame) -> pd.Series:
    year = frame["year"].astype("Int64").astype(str)
    month = frame["month"].astype("Int64").astype(str).str.zfill(2)
    day = frame["day"].astype("Int64").astype(str).str.zfill(2)
    iso = pd.Series(None, index=frame.index, dtype=object)
    iso = iso.mask(frame["precision"] == "year", year)
    iso = iso.mask(frame["precision"] == "month", year + "-" + month)
    iso = iso.mask(frame["precision"] == "day", year + "-" + month + "-" + day)
    return iso


def date_code(parsed: pd.DataFrame) -> pd.Series:
    """A parsed date as one number ``YYYYMMDD``, unknown parts 00 (``19900000``); NaN if missing.

    Comparators work on these numbers with numpy: no string handling per pair.
    """
    code = parsed["year"] * 10000 + parsed["month"].fillna(0) * 100 + parsed["day"].fillna(0)
    return code.astype("float64")
