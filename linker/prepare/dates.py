"""Dates written in the usual ways, parsed into parts with a precision.

Accepted: ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY/MM/DD``, ``DD/MM/YYYY`` (``/``, ``-``, ``.`` or
space), ``MM/YYYY``, ``YYYY``, two-digit years, and ISO timestamps. Day-first or month-first is
chosen by ``order`` (DMY, MDY, YMD) or, when ``None``, guessed from the values (a first part
above 12 proves DMY, a second part above 12 proves MDY; DMY when nothing proves either).

Vague forms keep the precision they have: an unknown day or month written ``00``, ``XX`` or
``??`` (``XX/XX/1990``, ``00/03/1990``) and a leading word saying the date is approximate or
introducing it (``vers``, ``environ``, ``ca.``, ``c.``, ``circa``, ``about``, ``around``,
``born``, ``né(e) en``, ``né(e) le``) are read around: ``vers 1995`` is the year 1995,
``ca. 03/1990`` the month.

Each value becomes ``year``, ``month``, ``day`` (NaN where unknown) and ``precision`` ("day",
"month", "year"). ``01/01/YYYY`` and the other ``PLACEHOLDER_DAY_MONTHS`` are kept but flagged
as placeholders: they are defaults given when the day is unknown, not a birthday. Unparseable
or impossible values (31/02/1990, 29/02/1900: the Gregorian leap years), years before
``MIN_YEAR`` and dates after today (at their precision: ``2026`` is not in the future during
2026) are missing, with the reason returned for the rejects list.

A two-digit year ``YY`` is read in this century when ``YY`` is at most this year's two digits
plus ``TWO_DIGIT_YEAR_LEAD``, in the previous century otherwise: dates of birth are in the past,
so in 2026 ``26`` is 2026 and ``27`` is 1927.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from linker.date_codes import PLACEHOLDER_DAY_MONTHS, PLACEHOLDER_MMDD

DATE_ORDERS = ("DMY", "MDY", "YMD")
MIN_YEAR = 1000  # historic registers and genealogies: any year from 1000 on can be real
TWO_DIGIT_YEAR_LEAD = 0  # two-digit years this far past this year's still read as this century

_UNKNOWN = r"\d{1,2}|xx?|\?\??"  # a day or month, or a mark that it is unknown
_ISO = re.compile(r"^(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?.*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_THREE_PARTS = re.compile(rf"^({_UNKNOWN})[-/. ]({_UNKNOWN})[-/. ](\d{{2}}|\d{{4}})$")
_MONTH_YEAR = re.compile(rf"^({_UNKNOWN})[-/. ](\d{{4}})$")
_YEAR = re.compile(r"^(\d{4})$")
_VAGUE = re.compile(
    r"^(?:vers|environ|circa|ca\.?|c\.|about|around|approx\.?|born(?:\s+in)?"
    r"|n[ée]e?(?:\s+(?:en|le))?)(?:\s+|(?=\d))"
)


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
        match = _THREE_PARTS.match(_cleaned(texts[position]))
        if match:
            first_big += _part(match.group(1)) > 12
            second_big += _part(match.group(2)) > 12
    return "MDY" if second_big > first_big else "DMY"


def _cleaned(value: str) -> str:
    """The text to match: composed accents, lower case, no leading word such as ``vers``."""
    text = unicodedata.normalize("NFC", value).strip().lower()
    return _VAGUE.sub("", text, count=1).strip()


def _part(text: str) -> int:
    """A day or month as a number, 0 when it is written as unknown (``XX``, ``??``)."""
    return int(text) if text.isdigit() else 0


def _full_year(two_or_four: str, today: datetime.date) -> int:
    """A four-digit year as written; a two-digit one in this century up to this year's two
    digits plus ``TWO_DIGIT_YEAR_LEAD``, else in the previous one (a birth is in the past)."""
    year = int(two_or_four)
    if len(two_or_four) == 2:
        century = today.year // 100 * 100
        year += century if year <= today.year % 100 + TWO_DIGIT_YEAR_LEAD else century - 100
    return year


def _rejected(reason: str) -> ParsedDate:
    return ParsedDate(np.nan, np.nan, np.nan, None, False, reason)


def _build(
    year: int, month: int | None, day: int | None, value: str, today: datetime.date
) -> ParsedDate:
    if year < MIN_YEAR:
        return _rejected(f"year {year} out of range (years from {MIN_YEAR} on)")
    if month is None or month == 0:
        if year > today.year:
            return _rejected(f"{value!r} is in the future")
        return ParsedDate(year, np.nan, np.nan, "year", False, None)
    if not 1 <= month <= 12:
        return _rejected(f"no month {month} in {value!r}")
    if day is None or day == 0:
        if (year, month) > (today.year, today.month):
            return _rejected(f"{value!r} is in the future")
        return ParsedDate(year, month, np.nan, "month", False, None)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return _rejected(f"no day {day} in month {month}")
    if datetime.date(year, month, day) > today:
        return _rejected(f"{value!r} is in the future")
    placeholder = (day, month) in PLACEHOLDER_DAY_MONTHS
    return ParsedDate(year, month, day, "day", placeholder, None)


def parse_one(value: str, order: str, today: datetime.date | None = None) -> ParsedDate:
    """Parse one written date; an unparseable value gives a reason and no parts.

    ``today`` (default: the current date) is the latest date accepted and the year that
    two-digit years are read against.
    """
    today = today or datetime.date.today()
    text = _cleaned(value)
    if not text:
        return _MISSING
    if match := _ISO.match(text) or _COMPACT.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _build(year, month, day, value, today)
    if match := _THREE_PARTS.match(text):
        first, second, year_text = match.groups()
        if order == "MDY":
            month, day = _part(first), _part(second)
        elif order == "YMD":
            return _rejected(f"{value!r} is not year-first")
        else:
            day, month = _part(first), _part(second)
        return _build(_full_year(year_text, today), month, day, value, today)
    if match := _MONTH_YEAR.match(text):
        return _build(int(match.group(2)), _part(match.group(1)), None, value, today)
    if match := _YEAR.match(text):
        return _build(int(match.group(1)), None, None, value, today)
    return _rejected(f"unrecognised date {value!r}")


def parse_dates(
    values: pd.Series, order: str | None = None, today: datetime.date | None = None
) -> pd.DataFrame:
    """Parse a column of written dates (once per distinct value).

    Returns a frame on the same index with ``year``, ``month``, ``day`` (float, NaN when
    unknown), ``precision``, ``placeholder`` (bool), ``iso`` (the date as ``YYYY-MM-DD``,
    ``YYYY-MM`` or ``YYYY``) and ``reason`` (why a present value could not be used).
    ``today`` (default: the current date) is the latest date accepted and the year that
    two-digit years are read against.
    """
    today = today or datetime.date.today()
    codes, distinct = pd.factorize(values)
    texts = [str(v) for v in distinct]
    fixed = _fixed_width(texts)
    chosen = order or _guess_order(texts, fixed)
    table = _parse_distinct(texts, fixed, chosen, today)
    table["iso"] = _iso(table)
    # factorize marks missing values with -1: the last row of the table is the missing date.
    frame = table.take(np.where(codes < 0, len(texts), codes))
    frame.index = values.index
    return frame


def _parse_distinct(
    texts: list[str], fixed: _FixedWidth, order: str, today: datetime.date
) -> pd.DataFrame:
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
        # Gregorian leap years, as calendar.monthrange on the slow path: 1900 is not one.
        leap = (fixed.year % 4 == 0) & ((fixed.year % 100 != 0) | (fixed.year % 400 == 0))
        month_length = _DAYS_IN_MONTH[np.clip(months, 0, 12)] + ((months == 2) & leap)
        valid = (fixed.year >= MIN_YEAR) & (months >= 1) & (months <= 12)
        valid &= (days >= 1) & (days <= month_length)
        valid &= fixed.year * 10000 + months * 100 + days <= _code_of(today)
        rows = fixed.rows[valid]
        year[rows], month[rows], day[rows] = fixed.year[valid], months[valid], days[valid]
        precision[rows] = "day"
        placeholder[rows] = np.isin(months[valid] * 100 + days[valid], PLACEHOLDER_MMDD)
        others[rows] = False
    for position in np.flatnonzero(others):
        parsed = parse_one(texts[position], order, today)
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


def _code_of(day: datetime.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


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
