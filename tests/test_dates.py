"""Dates of birth from files we did not write: historic years, vague and partial forms, future
dates, two-digit years, placeholders, and the numpy fast path held to the slow parser."""

from __future__ import annotations

import calendar
import datetime
import math

import numpy as np
import pandas as pd
import pytest

from linker.cannot_link import PersonFacts, cannot_link_evidence
from linker.compare.comparators import date_agreement
from linker.prepare.dates import date_code, parse_dates, parse_one
from linker.prepare.sources import SourceTable
from linker.runs import run
from linker.settings import Settings

TODAY = datetime.date(2026, 12, 3)


def parsed(written: str, order: str = "DMY", today: datetime.date = TODAY) -> pd.Series:
    return parse_dates(pd.Series([written]), order, today=today).iloc[0]


@pytest.mark.parametrize(
    ("written", "iso", "precision", "placeholder"),
    [
        ("12/03/1702", "1702-03-12", "day", False),  # fixed width: the numpy path
        ("1702-03-12", "1702-03-12", "day", False),
        ("1702", "1702", "year", False),
        ("03/1650", "1650-03", "month", False),
        ("01/01/1000", "1000-01-01", "day", True),
        ("vers 1995", "1995", "year", False),
        ("Vers 1995", "1995", "year", False),
        ("ca. 1990", "1990", "year", False),
        ("ca 1990", "1990", "year", False),
        ("c. 1990", "1990", "year", False),
        ("c.1990", "1990", "year", False),
        ("circa 1788", "1788", "year", False),
        ("about 1990", "1990", "year", False),
        ("born 1990", "1990", "year", False),
        ("né en 1990", "1990", "year", False),
        ("née en 1990", "1990", "year", False),
        ("né le 12/03/1702", "1702-03-12", "day", False),
        ("ne\u0301e en 1990", "1990", "year", False),  # decomposed accent
        ("XX/XX/1990", "1990", "year", False),
        ("xx/xx/1990", "1990", "year", False),
        ("??/??/1990", "1990", "year", False),
        ("00/00/1990", "1990", "year", False),
        ("XX/03/1990", "1990-03", "month", False),
        ("00/03/1990", "1990-03", "month", False),
        ("03/1990", "1990-03", "month", False),
        ("XX/1990", "1990", "year", False),
        ("1990", "1990", "year", False),
        ("vers 03/1990", "1990-03", "month", False),
        ("15/06/1980", "1980-06-15", "day", True),
        ("01/07/1980", "1980-07-01", "day", True),
        ("2026", "2026", "year", False),  # this year: not in the future
        ("12/2026", "2026-12", "month", False),
        ("03/12/2026", "2026-12-03", "day", False),  # today
    ],
)
def test_dates_are_kept_at_their_precision(
    written: str, iso: str, precision: str, placeholder: bool
) -> None:
    date = parsed(written)
    assert (date["iso"], date["precision"], date["placeholder"]) == (iso, precision, placeholder)
    assert date["reason"] is None


@pytest.mark.parametrize(
    ("written", "reason_part"),
    [
        ("2027", "'2027' is in the future"),
        ("01/2027", "'01/2027' is in the future"),
        ("04/12/2026", "'04/12/2026' is in the future"),  # tomorrow, fixed width
        ("2026-12-04", "'2026-12-04' is in the future"),
        ("01/01/2100", "in the future"),
        ("0999", "year 999 out of range"),
        ("12/03/0999", "year 999 out of range"),
        ("29/02/1900", "no day 29 in month 2"),  # divisible by 4, not a leap year
        ("31/04/1990", "no day 31 in month 4"),
        ("13/13/1990", "no month 13"),
        ("vers", "unrecognised"),
        ("soon", "unrecognised"),
    ],
)
def test_impossible_and_future_dates_give_a_reason(written: str, reason_part: str) -> None:
    date = parsed(written)
    assert reason_part in date["reason"]
    assert math.isnan(date["year"])


def test_the_future_starts_tomorrow_by_default() -> None:
    today = datetime.date.today()
    tomorrow = today + datetime.timedelta(days=1)
    written = pd.Series([f"{today:%d/%m/%Y}", f"{tomorrow:%d/%m/%Y}", str(today.year + 1)])
    dates = parse_dates(written, "DMY")
    assert dates["iso"].iloc[0] == today.isoformat()
    assert dates["reason"].iloc[1:].str.contains("in the future").all()


@pytest.mark.parametrize(
    ("today", "written", "iso"),
    [
        # The pivot is this year's two digits (TWO_DIGIT_YEAR_LEAD = 0): up to it this
        # century, above it the previous one.
        (TODAY, "01/02/26", "2026-02-01"),
        (TODAY, "01/02/27", "1927-02-01"),
        (TODAY, "25.12.85", "1985-12-25"),
        (TODAY, "01/02/00", "2000-02-01"),
        (TODAY, "01/02/99", "1999-02-01"),
        (datetime.date(2031, 1, 1), "01/02/27", "2027-02-01"),
        (datetime.date(2031, 1, 1), "01/02/32", "1932-02-01"),
        (datetime.date(2101, 6, 1), "01/02/99", "2099-02-01"),
        (datetime.date(2101, 6, 1), "01/02/01", "2101-02-01"),
        (datetime.date(2101, 6, 1), "01/02/02", "2002-02-01"),
    ],
)
def test_two_digit_years_turn_on_this_years_two_digits(
    today: datetime.date, written: str, iso: str
) -> None:
    assert parsed(written, today=today)["iso"] == iso


@pytest.mark.parametrize(
    ("written", "order", "iso"),
    [
        ("29/02/2000", "DMY", "2000-02-29"),  # divisible by 400
        ("29/02/1996", "DMY", "1996-02-29"),
        ("29/02/1600", "DMY", "1600-02-29"),
        ("29/02/1704", "DMY", "1704-02-29"),
        ("02/29/1996", "MDY", "1996-02-29"),
        ("29/02/1900", "DMY", None),  # divisible by 100, not by 400
        ("29/02/1800", "DMY", None),
        ("29/02/1700", "DMY", None),
        ("02/29/1900", "MDY", None),
        ("29/02/1997", "DMY", None),
    ],
)
def test_leap_days_follow_the_gregorian_rule(written: str, order: str, iso: str | None) -> None:
    # Ten characters: read by the numpy fast path, not by parse_one.
    date = parsed(written, order)
    assert (date["iso"] if date["reason"] is None else None) == iso


def _random_texts(rng: np.random.Generator, n: int, order: str) -> list[str]:
    """Fixed-width dates over 1000-2100 in ``order`` with days 0-32 and months 0-13, the 29
    February and 31 December of every year divisible by 4, day 30 and 31 of every month,
    two-digit years and a few unpadded forms."""
    days, months = rng.integers(0, 33, n), rng.integers(0, 14, n)
    years = rng.integers(990, 2101, n)
    separators = rng.choice(list("/-. "), n)
    leap_years = range(1000, 2101, 4)  # every year that ``year % 4`` calls a leap year
    days = np.concatenate([days, np.full(len(leap_years), 29), np.full(len(leap_years), 31)])
    months = np.concatenate([months, np.full(len(leap_years), 2), np.full(len(leap_years), 12)])
    years = np.concatenate([years, leap_years, leap_years])
    separators = np.concatenate([separators, np.full(2 * len(leap_years), "/")])
    days = np.concatenate([days, np.tile([30, 31], 12)])
    months = np.concatenate([months, np.repeat(np.arange(1, 13), 2)])
    years = np.concatenate([years, np.full(24, 1999)])
    separators = np.concatenate([separators, np.full(24, ".")])
    first, second = (days, months) if order == "DMY" else (months, days)
    parts = list(zip(first.tolist(), second.tolist(), years.tolist(), separators, strict=True))
    texts = [f"{a:02d}{s}{b:02d}{s}{y:04d}" for a, b, y, s in parts]
    texts += [f"{a}/{b}/{y % 100:02d}" for a, b, y, _ in parts[:300]]  # two-digit years
    texts += [f"{a}.{b}.{y}" for a, b, y, _ in parts[:300]]  # unpadded: the slow path
    return texts


@pytest.mark.parametrize("order", ["DMY", "MDY"])
@pytest.mark.parametrize("today", [TODAY, datetime.date(2100, 12, 31)])
def test_the_numpy_path_gives_what_parse_one_gives(order: str, today: datetime.date) -> None:
    texts = _random_texts(np.random.default_rng(20261203), 6000, order)
    fast = parse_dates(pd.Series(texts), order, today=today)
    slow = pd.DataFrame([parse_one(text, order, today).__dict__ for text in texts])
    columns = ["year", "month", "day", "precision", "placeholder", "reason"]
    pd.testing.assert_frame_equal(fast[columns].reset_index(drop=True), slow[columns])
    # The test is about something: most texts are valid days, leap days among them.
    assert (fast["precision"] == "day").mean() > 0.5
    leap_days = fast[(fast["month"] == 2) & (fast["day"] == 29)]["year"].astype(int)
    assert len(leap_days) > 50 and all(calendar.isleap(year) for year in leap_days)
    assert {1700, 1800, 1900} & set(leap_days) == set()


def agreement(left: str, right: str) -> float:
    codes = date_code(parse_dates(pd.Series([left, right]), "DMY", today=TODAY)).to_numpy()
    return float(date_agreement(codes[:1], codes[1:])[0])


@pytest.mark.parametrize(
    ("left", "right", "expected", "why"),
    [
        ("12/03/1702", "12/03/1702", 1.0, "same historic day"),
        ("15/06/1980", "15/06/1980", 0.9, "same placeholder 15/06, like 01/01"),
        ("01/01/1980", "01/01/1980", 0.9, "same placeholder 01/01"),
        ("31/12/1980", "31/12/1980", 0.9, "same placeholder 31/12"),
        ("01/07/1980", "01/07/1980", 0.9, "same placeholder 01/07"),
        ("1990", "1990", 0.5, "two years alone: the year level, not the exact day"),
        ("vers 1990", "ca. 1990", 0.5, "two vague years"),
        ("XX/XX/1990", "00/00/1990", 0.5, "two unknown days and months"),
        ("12/03/1702", "1702", 0.5, "a full date and its year"),
        ("1702", "12/03/1702", 0.5, "a year and a full date in it"),
        ("né en 1990", "12/03/1990", 0.5, "a vague year and a full date in it"),
        ("03/1990", "03/1990", 0.6, "two months alone: the month level"),
        ("03/1990", "12/03/1990", 0.6, "a month and a full date in it"),
        ("03/1990", "1990", 0.5, "a month and its year"),
        ("1702", "1703", 0.3, "years alone, one apart"),
        ("1702", "12/03/1703", 0.3, "a year and a full date one year later"),
        ("1702", "1750", 0.0, "different years"),
    ],
)
def test_dates_agree_at_their_common_precision(
    left: str, right: str, expected: float, why: str
) -> None:
    assert agreement(left, right) == expected, why


def test_placeholder_days_count_for_nothing_against_distant_years() -> None:
    # Day-precise dates 30 years apart are cannot-link evidence unless one is a placeholder.
    dobs = ["12/03/1950", "15/06/1980", "01/01/1980", "14/06/1980"]
    records = pd.DataFrame({"dob": date_code(parse_dates(pd.Series(dobs), "DMY", today=TODAY))})
    found = cannot_link_evidence(PersonFacts.of(records), np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert found.dob.tolist() == [False, False, True]


HISTORIC = [
    ["1", "Johann", "Keller", "12/03/1702", "Basel"],
    ["2", "Johann", "Keller", "1702", "Basel"],
    ["3", "Jakob", "Meier", "1703", "Basel"],
    ["4", "Hans", "Keller", "vers 1790", "Basel"],
    ["5", "Anna", "Huber", "05/11/1650", "Zurich"],
    ["6", "Maria", "Suter", "ca. 1788", "Bern"],
    ["7", "Elisabeth", "Frei", "XX/XX/1850", "Luzern"],
    ["8", "Heinrich", "Brunner", "né en 1812", "Chur"],
    ["9", "Barbara", "Graf", "03/1777", "Aarau"],
    ["10", "Ulrich", "Zwingli", "01/01/1684", "Glarus"],
]


def test_a_historic_register_merges_on_its_dates() -> None:
    columns = ["record_id", "given_name", "surname", "date_of_birth", "city"]
    frame = pd.DataFrame(HISTORIC, columns=columns, dtype=object)
    table = SourceTable("register", frame, pd.Series(np.arange(2, len(frame) + 2)))
    result = run([table], Settings(model="unsupervised"))
    assert result.rejects.empty, result.rejects
    clusters = result.result.set_index("record_id")["cluster_id"]
    assert clusters["1"] == clusters["2"]
    assert clusters["3"] != clusters["1"]
    assert clusters.drop(["1", "2"]).is_unique
