"""What a column holds, read from its values: dates, phones, emails, IBANs or countries.

A column is of a kind when at least ``VALUE_SHARE`` of a sample of its present values parse
as that kind with the project's own parsers (``linker.prepare.dates``, phonenumbers through
``canonical_phone``, schwifty through ``canonical_iban``, ``canonical_email``,
``linker.prepare.countries``). The sample is chosen from the content (a hash of each value and
its occurrence), so it does not depend on the order of the rows and is the same on every run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from linker.io import LIST_SEPARATOR
from linker.prepare.banking import canonical_iban
from linker.prepare.countries import country_code
from linker.prepare.dates import parse_dates
from linker.prepare.identifiers import canonical_email, canonical_phone

SAMPLE_SIZE = 1000
MIN_VALUES = 5  # fewer present values decide nothing
VALUE_SHARE = 0.8

# Written as a phone number: + or a trunk 0 first, then digits (separators aside). Bare digit
# strings are identifiers far more often than phones written without their leading 0.
_PHONE_SHAPE = re.compile(r"^(\+|0)\d{7,14}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
# Two letters and two check digits (or hidden characters) first: anything else is no IBAN,
# and schwifty (30 MB of bank registry) is loaded only for values that might be one.
_IBAN_START = re.compile(r"^[A-Z]{2}[0-9X*•]{2}")


def value_sample(values: pd.Series, size: int = SAMPLE_SIZE) -> list[str]:
    """Up to ``size`` present values (stripped, not empty), the same whatever the row order:
    those whose hash, with the count of their earlier occurrences, is smallest."""
    present = values.dropna().astype(str).str.strip()
    present = present[present != ""]
    if len(present) <= size:
        return sorted(present)
    occurrence = present.groupby(present).cumcount().astype(str)
    hashes = pd.util.hash_pandas_object(present + "\x1f" + occurrence, index=False).to_numpy()
    chosen = np.argsort(hashes, kind="stable")[:size]
    return sorted(present.to_numpy()[chosen])


def _parses(canonical: Callable[[str], str], value: str) -> bool:
    try:
        canonical(value)
    except ValueError:
        return False
    return True


def _is_email(value: str, region: str) -> bool:
    return _parses(canonical_email, value)


def _is_iban(value: str, region: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    return bool(_IBAN_START.match(compact)) and _parses(canonical_iban, value)


def _is_phone(value: str, region: str) -> bool:
    text = _PHONE_SEPARATORS.sub("", value)
    text = "+" + text[2:] if text.startswith("00") else text
    return bool(_PHONE_SHAPE.match(text)) and _parses(lambda v: canonical_phone(v, region), value)


def _is_country(value: str, region: str) -> bool:
    return country_code(value) is not None


def _dates_share(sample: list[str], region: str) -> float:
    """Dates to the day or month (a bare year is as likely a number), read as one column so
    that the day-first or month-first order is guessed from all of them."""
    parsed = parse_dates(pd.Series(sample, dtype=object))
    precise = parsed["precision"].isin(["day", "month"]) & parsed["reason"].isna()
    return float(precise.mean())


def _share(test: Callable[[str, str], bool], sample: list[str], region: str) -> float:
    """The share of cells whose every ``|``-separated item passes ``test``."""
    verdict = {
        cell: all(test(item.strip(), region) for item in cell.split(LIST_SEPARATOR))
        for cell in set(sample)
    }
    return sum(verdict[cell] for cell in sample) / len(sample)


# kind -> share of a sample (with the phone region) of that kind; the order of detection.
KINDS: dict[str, Callable[[list[str], str], float]] = {
    "emails": partial(_share, _is_email),
    "IBANs": partial(_share, _is_iban),
    "phones": partial(_share, _is_phone),
    "dates": _dates_share,
    "countries": partial(_share, _is_country),
}


def detect_kind(
    values: pd.Series, kinds: tuple[str, ...] = tuple(KINDS), region: str = "FR"
) -> tuple[str, float] | None:
    """The first of ``kinds`` (in ``KINDS`` order) that at least ``VALUE_SHARE`` of the sample
    parses as, with its share; None when none does or the column has fewer than
    ``MIN_VALUES`` present values."""
    sample = value_sample(values)
    if len(sample) < MIN_VALUES:
        return None
    for kind in (k for k in KINDS if k in kinds):
        share = KINDS[kind](sample, region)
        if share >= VALUE_SHARE:
            return kind, share
    return None
