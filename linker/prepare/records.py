"""Raw rows to the records frame: canonical, normalised columns plus comparison keys.

``prepare_records`` is the stage's one entry point. For each mapped canonical field it writes
normalised columns (``given_name``, ``given_name_ph``, ``dob``, ``phones``...); each
unmapped column becomes a generic column ``x_<name>`` of a guessed kind (text, code, number,
date). Row-level problems become rejects; the row is kept and the bad value is missing. A value kept
in a second reading (a phone number outside the default region, kept as its digits) gets a
note instead. List cells split on the separators of their field (``linker.prepare.lists``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from linker.io import LIST_SEPARATOR, REJECT_COLUMNS
from linker.prepare.banking import canonical_iban
from linker.prepare.business import BUSINESS_FIELDS, add_business_columns
from linker.prepare.columns import column_key
from linker.prepare.companies import add_company_weights
from linker.prepare.countries import COUNTRY_FIELDS, normalise_countries
from linker.prepare.dates import date_code, parse_dates, parse_one
from linker.prepare.identifiers import (
    Fallback,
    canonical_document,
    canonical_email,
    canonical_phone,
    canonical_sex,
    canonicalise_items,
    canonicalise_list,
    phone_fallback,
)
from linker.prepare.lists import LIST_RULES, split_items
from linker.prepare.names import add_name_columns, add_rarity_columns, without_placeholders
from linker.prepare.text import (
    map_distinct,
    normalise_one,
    normalise_text,
    phonetic_key,
    sorted_tokens,
)
from linker.specs import flat_from_dict, flat_to_dict

NAME_FIELDS = ("given_name", "family_name", "father_name", "mother_name")
TEXT_FIELDS = ("birth_place", "address", "city", "name_native")
GENERIC_KINDS = ("text", "code", "number", "date")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+[.,]\d*|\d*[.,]\d+)$")


@dataclass
class PreparedRecords:
    """The records frame of one or more stacked sources, and what was prepared how."""

    frame: pd.DataFrame
    fields: list[str]
    generic: dict[str, str]
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    # Values kept in a second reading (a phone kept as its digits): rejects' columns, the
    # reason saying how the value was read.
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))


@dataclass(frozen=True)
class PrepareOptions:
    date_order: str | None = None
    region: str = "FR"
    # The derived name columns (skeleton chain, consonants, rarities) feed the trained model
    # only; an unsupervised run skips them and saves their time and memory.
    name_features: bool = True

    def to_dict(self) -> dict[str, Any]:
        return flat_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrepareOptions:
        options: PrepareOptions = flat_from_dict(cls, data, "prepare options")
        return options


def guess_generic_kind(values: pd.Series) -> str:
    """text, code (integer-like identifiers), number (decimals) or date, from a sample."""
    sample = pd.Series(pd.unique(values.dropna().astype(str)))
    if sample.empty:
        return "text"
    sample = sample.sample(min(len(sample), 2000), random_state=0)
    share = partial(_share, sample)
    if share(lambda v: _looks_like_date(v)) >= 0.9:
        return "date"
    if share(lambda v: bool(_INTEGER.match(v.strip()))) >= 0.95:
        return "code"
    if share(lambda v: bool(_INTEGER.match(v.strip()) or _DECIMAL.match(v.strip()))) >= 0.95:
        return "number"
    return "text"


def _share(sample: pd.Series, test: Callable[[str], bool]) -> float:
    return float(sample.map(test).mean())


def _looks_like_date(value: str) -> bool:
    text = value.strip()
    if not re.search(r"\d{4}", text) or len(text) < 6:
        return False
    parsed = parse_one(text, "DMY")
    return parsed.precision in ("day", "month")


def prepare_records(
    raw: pd.DataFrame,
    *,
    source: str,
    id_column: str,
    mapping: dict[str, str],
    generic: dict[str, str],
    options: PrepareOptions,
    rows: pd.Series | None = None,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> PreparedRecords:
    """Prepare one source's raw string frame.

    ``mapping`` gives the canonical field of each mapped column; ``generic`` the kind of each
    column to compare generically (see ``guess_generic_kind``). ``rows`` are the file row
    numbers used in rejects (default: 1-based positions). ``progress(items, description,
    total)`` may wrap the loop over columns (a progress bar).
    """
    raw = raw.reset_index(drop=True)
    row_numbers = (
        rows.reset_index(drop=True) if rows is not None else pd.Series(np.arange(1, len(raw) + 1))
    )
    out = pd.DataFrame({"record_id": raw[id_column].astype(str), "source": source})
    rejects: list[pd.DataFrame] = []

    notes: list[pd.DataFrame] = []

    def reject(column: str, values: pd.Series, reasons: pd.Series, kept: bool = False) -> None:
        bad = reasons.notna() & values.notna()
        if bad.any():
            (notes if kept else rejects).append(
                pd.DataFrame(
                    {
                        "file": source,
                        "row": row_numbers[bad].to_numpy(),
                        "column": column,
                        "value": values[bad].to_numpy(),
                        "reason": reasons[bad].to_numpy(),
                    }
                )
            )

    note = partial(reject, kept=True)  # a value kept in a second reading, and why
    columns = list(mapping.items())
    for column, canonical in progress(columns, "prepare", len(columns)) if progress else columns:
        values = raw[column]
        if canonical in BUSINESS_FIELDS:
            continue  # read together by add_business_columns below
        if canonical in NAME_FIELDS:
            out[canonical] = without_placeholders(normalise_text(values))
            out[f"{canonical}_ph"] = phonetic_key(out[canonical])
        elif canonical in TEXT_FIELDS:
            out[canonical] = normalise_text(values)
        elif canonical in COUNTRY_FIELDS:
            out[canonical] = normalise_countries(values)
        elif canonical == "full_name":
            out["full_name"] = sorted_tokens(normalise_text(values))
            out["full_name_ph"] = phonetic_key(out["full_name"])
        elif canonical == "aliases":
            out["aliases"] = map_distinct(values, _normalise_aliases)
        elif canonical == "postcode":
            out["postcode"] = map_distinct(values, lambda v: re.sub(r"\s+", "", str(v)).upper())
        elif canonical == "dob":
            dates = parse_dates(values, options.date_order)
            out["dob"] = date_code(dates)
            reject(column, values, dates["reason"])
        elif canonical == "sex":
            forms, reasons = canonicalise_list(values, canonical_sex)
            out["sex"] = forms
            reject(column, values, reasons)
        else:
            canonical_of: Callable[[str], str] = canonical_document
            fallback: Fallback | None = None
            if canonical == "phones":
                canonical_of = partial(canonical_phone, region=options.region)
                fallback = partial(phone_fallback, region=options.region)
            elif canonical == "emails":
                canonical_of = canonical_email
            elif canonical == "ibans":
                canonical_of = canonical_iban
            items = canonicalise_items(values, canonical_of, LIST_RULES.get(canonical), fallback)
            out[canonical] = items.forms
            reject(column, values, items.reasons)
            note(column, values, items.notes)

    if "given_name" in out and "family_name" in out:
        # Both names in alphabetical order: a first/last swap gives the same key.
        out["names_sorted_ph"] = _words_of_both(out["given_name_ph"], out["family_name_ph"])

    if options.name_features:
        add_name_columns(out, raw, mapping)
    add_business_columns(out, raw, mapping, reject)

    for column, kind in generic.items():
        name = f"x_{column_key(column)}"
        values = raw[column]
        if kind == "date":
            dates = parse_dates(values, options.date_order)
            out[name] = date_code(dates)
            reject(column, values, dates["reason"])
        elif kind == "code":
            out[name] = map_distinct(values, lambda v: re.sub(r"\s+", "", str(v)).upper())
        elif kind == "number":
            numbers = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
            out[name] = numbers
            reasons = pd.Series(None, index=values.index, dtype=object)
            reasons[numbers.isna()] = "not a number"
            reject(column, values, reasons)
        else:
            out[name] = normalise_text(values)
            if _is_short_text(out[name]):
                out[f"{name}_ph"] = phonetic_key(out[name])

    fields = sorted({c for c in mapping.values()})
    rejected, noted = (
        pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=REJECT_COLUMNS)
        for found in (rejects, notes)
    )
    return PreparedRecords(
        frame=out,
        fields=fields,
        generic={f"x_{column_key(c)}": k for c, k in generic.items()},
        mapping={source: dict(mapping)},
        rejects=rejected,
        notes=noted,
    )


def _normalise_aliases(cell: object) -> str | None:
    items = split_items(str(cell), LIST_RULES["aliases"])
    kept = sorted({normalise_one(item) for item in items} - {""})
    return LIST_SEPARATOR.join(kept) or None


def _words_of_both(first: pd.Series, second: pd.Series) -> pd.Series:
    """The words of two columns together in alphabetical order, None when neither has any;
    worked out once per distinct pair of values."""
    codes_first, values_first = pd.factorize(first)
    codes_second, values_second = pd.factorize(second)
    # Codes shifted by one: a missing value (code -1) reads the empty string put first.
    texts_first = np.concatenate([[""], np.asarray(values_first, dtype=object)])
    texts_second = np.concatenate([[""], np.asarray(values_second, dtype=object)])
    width = len(texts_second)
    pairs, distinct = pd.factorize((codes_first + 1).astype(np.int64) * width + codes_second + 1)
    words = [
        " ".join(sorted(f"{a} {b}".split())) or None
        for a, b in zip(texts_first[distinct // width], texts_second[distinct % width], strict=True)
    ]
    return pd.Series(np.array(words, dtype=object)[pairs], index=first.index, dtype=object)


def _is_short_text(values: pd.Series) -> bool:
    """Name-like: mostly one or two alphabetic words, so a phonetic key makes sense."""
    present = values.dropna()
    if present.empty:
        return False
    sample = present.sample(min(len(present), 2000), random_state=0)
    words = sample.str.count(" ") + 1
    alphabetic = sample.str.replace(" ", "", regex=False).str.isalpha()
    return bool((words <= 2).mean() >= 0.8 and alphabetic.mean() >= 0.8)


def stack_records(parts: list[PreparedRecords]) -> PreparedRecords:
    """Stack prepared sources into one records frame (linking = deduplicating the stack);
    rarities are measured over the whole stack."""
    frame = add_rarity_columns(pd.concat([p.frame for p in parts], ignore_index=True))
    frame = add_company_weights(frame)
    fields = sorted({f for p in parts for f in p.fields})
    generic: dict[str, str] = {}
    for part in parts:
        generic.update(part.generic)
    mapping = {source: m for p in parts for source, m in p.mapping.items()}
    rejects, notes = (
        pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=REJECT_COLUMNS)
        for found in (
            [p.rejects for p in parts if len(p.rejects)],
            [p.notes for p in parts if len(p.notes)],
        )
    )
    return PreparedRecords(frame, fields, generic, mapping, rejects, notes)
