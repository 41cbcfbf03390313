"""The corruption model: how a duplicate record departs from the person it describes.

Every field of a duplicate is corrupted with probability ``FIELD_RATE`` (0.25), by one
corruption drawn uniformly from those applicable to its kind and value (``CORRUPTIONS``):

* ``typo``: insert, delete, substitute or transpose one character (letters of the value's
  script; digits in phone numbers);
* ``phonetic``: one phonetic or OCR confusion of ``CONFUSIONS`` (ph/f, ou/u, c/k, y/i, 0/O,
  1/l, rn/m, 5/S, ...), either way;
* ``missing``: the value is left empty;
* ``swap`` (names): given and family name swapped; record-level, both name fields change
  (a full name is rewritten family first);
* ``initial`` (given name): cut to its initial, ``"J."`` (a full name becomes ``"J. Family"``);
* dates: ``day_month_swap`` (when the day is 12 or less and differs from the month),
  ``digit_off`` (one digit one up or down, still a valid date), ``year_only`` (``"1985"``);
* places: ``neighbour``, a nearby city of the same locale (``people.NEIGHBOURS``);
* e-mail: ``other_provider`` (same local part, another domain of the locale) or
  ``digits_appended`` to the local part.

A corruption that would leave the value unchanged is not applicable. The draws come from the
numpy ``Generator`` given, so the result is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from benchmarks.robustness.people import EMAIL_DOMAINS, NEIGHBOURS

FIELD_RATE = 0.25
PHONE_SEPARATOR = "|"  # between the numbers of a phones value, until it is written

# Field kinds and the corruptions applicable to each.
CORRUPTIONS: dict[str, tuple[str, ...]] = {
    "given_name": ("typo", "phonetic", "missing", "swap", "initial"),
    "family_name": ("typo", "phonetic", "missing", "swap"),
    "full_name": ("typo", "phonetic", "missing", "swap", "initial"),
    "dob": ("day_month_swap", "digit_off", "year_only", "missing"),
    "place": ("neighbour", "typo", "phonetic", "missing"),
    "email": ("other_provider", "digits_appended", "typo", "missing"),
    "phones": ("typo", "missing"),
    "sex": ("missing",),
    "text": ("typo", "phonetic", "missing"),
}
# Phonetic and OCR confusions; each pair applies in both directions.
CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("ou", "u"),
    ("c", "k"),
    ("y", "i"),
    ("0", "o"),
    ("1", "l"),
    ("rn", "m"),
    ("5", "s"),
    ("v", "w"),
    ("s", "z"),
    ("ch", "sh"),
    ("ei", "ai"),
    ("th", "t"),
)
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_DIGITS = "0123456789"
_ARABIC_RE = re.compile(r"[\u0600-\u06ff]")
_DATE_RE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


@dataclass(frozen=True)
class Context:
    """What some corruptions need beside the value: the locale (e-mail providers) and, for a
    full name, its given and family parts."""

    locale: str
    name_parts: tuple[str, str] | None = None


@dataclass
class Corrupted:
    """A corrupted record's values and the corruptions made (``"field:corruption"``)."""

    values: dict[str, str]
    applied: list[str] = field(default_factory=list)


def _pick(rng: np.random.Generator, options: str | list[str] | tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _alphabet(value: str) -> str:
    if _ARABIC_RE.search(value):
        return _ARABIC
    if value and sum(c.isdigit() for c in value) * 2 > len(value):
        return _DIGITS
    return _LATIN


def _like(char: str, model: str) -> str:
    return char.upper() if model.isupper() else char


def typo(value: str, rng: np.random.Generator) -> str | None:
    """One character inserted, deleted, substituted or transposed (None: value too short)."""
    if len(value) < 2:
        return None
    alphabet = _alphabet(value)
    for _ in range(8):
        kind = _pick(rng, ("insert", "delete", "substitute", "transpose"))
        at = int(rng.integers(len(value)))
        if kind == "insert":
            out = value[:at] + _like(_pick(rng, alphabet), value[at]) + value[at:]
        elif kind == "delete":
            out = value[:at] + value[at + 1 :]
        elif kind == "substitute":
            out = value[:at] + _like(_pick(rng, alphabet), value[at]) + value[at + 1 :]
        else:
            at = min(at, len(value) - 2)
            out = value[:at] + value[at + 1] + value[at] + value[at + 2 :]
        if out != value and out.strip():
            return out
    return None


def phonetic(value: str, rng: np.random.Generator) -> str | None:
    """One phonetic or OCR confusion at one of its places (None: none applies)."""
    # Lower case char by char, so that positions stay those of ``value`` ("İ".lower() is 2).
    lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in value)
    options = [(a, b) for pair in CONFUSIONS for a, b in (pair, pair[::-1]) if a in lower]
    if not options:
        return None
    source, target = options[int(rng.integers(len(options)))]
    places = [m.start() for m in re.finditer(re.escape(source), lower)]
    at = places[int(rng.integers(len(places)))]
    if value[at].isupper():
        target = target[:1].upper() + target[1:]
    return value[:at] + target + value[at + len(source) :]


def _valid(text: str) -> bool:
    match = _DATE_RE.match(text)
    if match is None:
        return bool(re.fullmatch(r"\d{4}", text)) and text[0] != "0"
    day, month, year = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return False
    return year >= 1000


def day_month_swap(value: str, rng: np.random.Generator) -> str | None:
    """``DD/MM/YYYY`` written ``MM/DD/YYYY`` (None when that is no other valid date)."""
    match = _DATE_RE.match(value)
    if match is None or int(match[1]) > 12 or match[1] == match[2]:
        return None
    return f"{match[2]}/{match[1]}/{match[3]}"


def digit_off(value: str, rng: np.random.Generator) -> str | None:
    """One digit one up or one down, the result still a valid date (or year)."""
    places = [i for i, c in enumerate(value) if c.isdigit()]
    order = rng.permutation(len(places))
    for i in order:
        at = places[int(i)]
        for step in (1, -1) if rng.random() < 0.5 else (-1, 1):
            digit = str((int(value[at]) + step) % 10)
            out = value[:at] + digit + value[at + 1 :]
            if _valid(out):
                return out
    return None


def year_only(value: str, rng: np.random.Generator) -> str | None:
    """Only the year of a full date."""
    match = _DATE_RE.match(value)
    return None if match is None else match[3]


def neighbour(value: str, rng: np.random.Generator) -> str | None:
    """A nearby city (None when the city has no neighbour in the table)."""
    nearby = NEIGHBOURS.get(value)
    return _pick(rng, nearby) if nearby else None


def digits_appended(value: str, rng: np.random.Generator) -> str | None:
    """An e-mail address with one to four digits appended to its local part."""
    if "@" not in value:
        return None
    local, domain = value.split("@", 1)
    digits = "".join(str(d) for d in rng.integers(0, 10, size=int(rng.integers(1, 5))))
    return f"{local}{digits}@{domain}"


def _other_provider(value: str, rng: np.random.Generator, locale: str) -> str | None:
    if "@" not in value:
        return None
    local, domain = value.split("@", 1)
    others = [d for d in EMAIL_DOMAINS[locale] if d != domain]
    return f"{local}@{_pick(rng, others)}" if others else None


def _initial(value: str, parts: tuple[str, str] | None) -> str | None:
    given = parts[0] if parts else value
    if len(given) < 2 or not given[0].isalpha():
        return None
    cut = f"{given[0].upper()}."
    return f"{cut} {parts[1]}" if parts else cut


def _phones_typo(value: str, rng: np.random.Generator) -> str | None:
    numbers = value.split(PHONE_SEPARATOR)
    at = int(rng.integers(len(numbers)))
    changed = typo(numbers[at], rng)
    if changed is None:
        return None
    numbers[at] = changed
    return PHONE_SEPARATOR.join(numbers)


_SIMPLE: dict[str, Callable[[str, np.random.Generator], str | None]] = {
    "typo": typo,
    "phonetic": phonetic,
    "day_month_swap": day_month_swap,
    "digit_off": digit_off,
    "year_only": year_only,
    "neighbour": neighbour,
    "digits_appended": digits_appended,
}


def corrupt_value(
    kind: str, corruption: str, value: str, rng: np.random.Generator, context: Context
) -> str | None:
    """``value`` after one corruption of a field of ``kind``; None when it does not apply.
    (``swap`` of split names is record-level: see ``corrupt_record``.)"""
    if not value:
        return None
    if corruption == "missing":
        return ""
    if kind == "phones" and corruption == "typo":
        return _phones_typo(value, rng)
    if corruption == "other_provider":
        return _other_provider(value, rng, context.locale)
    if corruption == "initial":
        return _initial(value, context.name_parts if kind == "full_name" else None)
    if corruption == "swap":
        if kind != "full_name" or context.name_parts is None:
            return None
        given, family = context.name_parts
        return f"{family} {given}" if given and family and given != family else None
    out = _SIMPLE[corruption](value, rng)
    return None if out == value else out


def corrupt_record(
    values: Mapping[str, str],
    kinds: Mapping[str, str],
    rng: np.random.Generator,
    context: Context,
    rate: float = FIELD_RATE,
) -> Corrupted:
    """Corrupt each field of ``kinds`` (column -> kind) with probability ``rate``, by one
    corruption drawn among the applicable ones; fields not in ``kinds`` are kept.

    ``swap`` on a given or family name swaps the two columns of kind ``given_name`` and
    ``family_name`` (both must be filled and differ)."""
    out = Corrupted(dict(values))
    by_kind = {kind: column for column, kind in kinds.items()}
    for column, kind in kinds.items():
        if rng.random() >= rate:
            continue
        value = out.values[column]
        candidates: list[tuple[str, str | None]] = []
        for corruption in CORRUPTIONS[kind]:
            if corruption == "swap" and kind in ("given_name", "family_name"):
                given = out.values.get(by_kind.get("given_name", ""), "")
                family = out.values.get(by_kind.get("family_name", ""), "")
                candidates.append(
                    (corruption, "swap" if given and family and given != family else None)
                )
            else:
                candidates.append(
                    (corruption, corrupt_value(kind, corruption, value, rng, context))
                )
        applicable = [(name, new) for name, new in candidates if new is not None]
        if not applicable:
            continue
        name, new = applicable[int(rng.integers(len(applicable)))]
        if name == "swap" and kind in ("given_name", "family_name"):
            g, f = by_kind["given_name"], by_kind["family_name"]
            out.values[g], out.values[f] = out.values[f], out.values[g]
        else:
            out.values[column] = "" if new is None else new
        out.applied.append(f"{column}:{name}")
    return out
