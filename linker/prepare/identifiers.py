"""Phones, emails, documents and sex: canonical forms through libraries, per distinct value.

Each ``canonical_*`` function returns the canonical form of one value, or raises ``ValueError``
with the reason; ``canonicalise_items`` applies one of them to the items of list cells
(``linker.prepare.lists``) and collects the reasons for the rejects list. A phone number that
fits no numbering plan of the default region is kept as its digits (``phone_digits``), with a
note rather than a reject: two records sharing it still agree on it.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers

from linker.io import LIST_SEPARATOR
from linker.prepare.lists import ListRule, split_items

MIN_DIGITS_KEY, MAX_DIGITS_KEY = 6, 15  # a phone kept as digits: E.164 numbers have at most 15
_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_BRACKETED = re.compile(r"<([^<>]+)>")
_SEX = {
    "m": "M",
    "male": "M",
    "man": "M",
    "h": "M",
    "homme": "M",
    "masculin": "M",
    "1": "M",
    "f": "F",
    "female": "F",
    "woman": "F",
    "femme": "F",
    "feminin": "F",
    "féminin": "F",
    "2": "F",
}


def canonical_phone(value: str, region: str) -> str:
    """E.164 form: ``06 12 34 56 78`` and ``0033 6 12...`` are one number in region FR.

    Numbers of the default region in their plain national or international form take a fast
    path built from phonenumbers' own metadata for that region (prefix, country code, possible
    lengths); everything else is parsed by phonenumbers itself.
    """
    text = _stripped_phone(value)
    return _home_number(text, region) or _parse_phone(text, region)


def _stripped_phone(value: str) -> str:
    text = value if value.isdigit() else _PHONE_SEPARATORS.sub("", value.strip())
    return "+" + text[2:] if text.startswith("00") else text


@functools.lru_cache(maxsize=64)
def _home_numbering(region: str) -> tuple[str, str, frozenset[int]] | None:
    """(country code, national prefix, possible lengths) when the region's rules are simple."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or not metadata.national_prefix:
        return None
    if metadata.national_prefix_for_parsing not in (None, metadata.national_prefix):
        return None
    if metadata.national_prefix_transform_rule is not None:
        return None
    general = metadata.general_desc
    lengths = frozenset(general.possible_length or ()) if general is not None else frozenset()
    return str(metadata.country_code), metadata.national_prefix, lengths


def _home_number(text: str, region: str) -> str | None:
    numbering = _home_numbering(region)
    if numbering is None:
        return None
    country, prefix, lengths = numbering
    if text.startswith("+" + country):
        national = text[1 + len(country) :]
    elif text.startswith(prefix):
        national = text[len(prefix) :]
    else:
        return None
    simple = national.isdigit() and national.isascii() and not national.startswith(prefix)
    return f"+{country}{national}" if simple and len(national) in lengths else None


@functools.lru_cache(maxsize=1_000_000)
def _parse_phone(text: str, region: str) -> str:
    # Cached on the separator-free form: "06 12.." and "06.12.." are parsed once.
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number ({exc})") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def canonical_email(value: str) -> str:
    """Lower case; for gmail, dots and +tags of the local part dropped. The address is taken
    out of ``Name <address>`` and ``mailto:address``."""
    text = value.strip().lower()
    if "<" in text and (bracketed := _BRACKETED.search(text)) is not None:
        text = bracketed.group(1).strip()
    text = text.removeprefix("mailto:").rstrip(".")
    if not _EMAIL.match(text):
        raise ValueError("not an email address")
    local, _, domain = text.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def canonical_document(value: str) -> str:
    """Upper case without separators; O/0, I/1, S/5, B/8 folded to digits for comparison.

    A document number read from a machine-readable zone carries its ICAO 9303 check digit:
    an MRZ line (the second line of a passport, the first of an ID card) or the number field
    padded with ``<`` and followed by the digit (``L898902C<3``). Its number is taken out and
    the digit verified (a mismatch is a reject: the number was misread). A plain number has
    no way to tell its last digit from a check digit, so it is kept whole.
    """
    text = re.sub(r"[\s\-./]", "", value).upper()
    mrz = next((m for pattern in _MRZ_NUMBERS if (m := pattern.match(text))), None)
    if mrz is not None:
        number, check = mrz.group("number"), mrz.group("check")
        if not has_check_digit(number + check):
            raise ValueError(f"MRZ check digit {check} does not match the number {number!r}")
        text = number
    text = re.sub(r"[^0-9A-Z]", "", text)
    if not text:
        raise ValueError("no letters or digits")
    return text.translate(_DOCUMENT_FOLDS)


_DOCUMENT_FOLDS = str.maketrans("OISB", "0158")
_MRZ_VALUES = {c: v for v, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}
_NUMBER = r"(?P<number>[0-9A-Z<]{9})(?P<check>[0-9])"
_MRZ_NUMBERS = (
    # TD3 (passport) line 2: number, check, nationality, birth date, sex, expiry...
    re.compile(rf"^{_NUMBER}[A-Z<]{{3}}[0-9]{{7}}[MFX<][0-9]{{7}}[0-9A-Z<]{{14}}[0-9<][0-9]$"),
    # TD1 (ID card) line 1: document code, issuing state, number, check, optional data.
    re.compile(rf"^[A-Z][0-9A-Z<][A-Z<]{{3}}{_NUMBER}[0-9A-Z<]{{15}}$"),
    # The number field alone, padded with fillers, and its check digit.
    re.compile(rf"^(?=[0-9A-Z]*<){_NUMBER}$"),
)


def mrz_check_digit(text: str) -> int:
    """ICAO 9303 check digit of an MRZ field: weights 7, 3, 1 repeated, A-Z = 10-35,
    the filler ``<`` = 0, sum modulo 10. ``ValueError`` for another character."""
    try:
        return sum(_MRZ_VALUES[c] * (7, 3, 1)[i % 3] for i, c in enumerate(text.upper())) % 10
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} cannot be in an MRZ field") from exc


def has_check_digit(number: str) -> bool:
    """True when the last character of ``number`` is the MRZ check digit of the rest."""
    body, last = number[:-1], number[-1:]
    return bool(body) and last.isdigit() and mrz_check_digit(body) == int(last)


def canonical_sex(value: str) -> str:
    key = value.strip().lower()
    if key not in _SEX:
        raise ValueError("unknown sex (expected M/F, male/female, homme/femme, 1/2)")
    return _SEX[key]


def phone_digits(value: str) -> str:
    """The digits of a number that fits no numbering plan of the default region (a US local
    ``555-0142`` in a French file, a foreign national number written without its country
    code): a key compared as it is, digit for digit. ``ValueError`` for a value that holds
    anything but digits, separators and a leading ``+``, or too few or too many digits."""
    text = _stripped_phone(value).removeprefix("+")
    if not text.isdecimal():
        raise ValueError("holds characters that are not digits")
    if not MIN_DIGITS_KEY <= len(text) <= MAX_DIGITS_KEY:
        raise ValueError(f"{len(text)} digits (a number has {MIN_DIGITS_KEY}-{MAX_DIGITS_KEY})")
    return "".join(str(unicodedata.decimal(c)) for c in text)


Canonical = Callable[[str], str]
# A second reading of a value the canonical form refused, kept with a note: (value, why the
# canonical form refused it) -> (form, note); ValueError when it cannot be read either.
Fallback = Callable[[str, ValueError], tuple[str, str]]


def phone_fallback(value: str, error: ValueError, region: str) -> tuple[str, str]:
    """``phone_digits`` of a number ``canonical_phone`` refused, with the note saying why."""
    digits = phone_digits(value)
    return digits, f"kept as the digits {digits} ({error} in region {region})"


@dataclass(frozen=True)
class CanonicalItems:
    """Canonical ``|``-joined items of each cell; per cell, the reason its rejected items
    were rejected and the note on items kept in a second reading (None where there are none)."""

    forms: pd.Series
    reasons: pd.Series
    notes: pd.Series


def _second_reading(
    item: str, error: ValueError, fallback: Fallback | None
) -> tuple[str, str] | None:
    if fallback is None:
        return None
    try:
        return fallback(item, error)
    except ValueError:
        return None


def _canonical_cell(
    cell: str, canonical: Canonical, rule: ListRule | None, fallback: Fallback | None
) -> tuple[str | None, str | None, str | None]:
    kept: list[str] = []
    reasons: list[str] = []
    notes: list[str] = []
    for item in split_items(str(cell), rule):
        try:
            form = canonical(item)
        except ValueError as exc:
            second = _second_reading(item, exc, fallback)
            if second is None:
                reasons.append(f"{item!r}: {exc}")
                continue
            form, note = second
            notes.append(f"{item!r}: {note}")
        if form and form not in kept:
            kept.append(form)
    return (
        LIST_SEPARATOR.join(kept) or None,
        "; ".join(reasons) or None,
        "; ".join(notes) or None,
    )


def canonicalise_items(
    values: pd.Series,
    canonical: Canonical,
    rule: ListRule | None = None,
    fallback: Fallback | None = None,
) -> CanonicalItems:
    """The canonical items of each cell, split by ``rule`` (``linker.prepare.lists``; on
    ``|`` alone without one). Valid items of a cell are kept even when another item of the
    same cell is rejected; an item ``canonical`` refuses is read by ``fallback`` when given."""
    codes, cells = pd.factorize(values)
    results = [_canonical_cell(cell, canonical, rule, fallback) for cell in cells]
    # One entry per distinct cell, then NaN for the missing ones (code -1 takes the last).
    columns = [
        np.fromiter(itertools.chain(parts, [np.nan]), dtype=object, count=len(cells) + 1)
        for parts in zip(*results, strict=True)
    ] or [np.array([np.nan], dtype=object)] * 3  # no cell present

    def column(k: int) -> pd.Series:
        return pd.Series(columns[k][codes], index=values.index, dtype=object, name=values.name)

    return CanonicalItems(column(0), column(1), column(2))


def canonicalise_list(values: pd.Series, canonical: Canonical) -> tuple[pd.Series, pd.Series]:
    """Canonical ``|``-joined items of each ``|``-separated cell, and the reason for each
    rejected cell (``canonicalise_items`` without a list rule or a second reading)."""
    items = canonicalise_items(values, canonical)
    return items.forms, items.reasons
