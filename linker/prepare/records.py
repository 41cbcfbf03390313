"""Raw rows to the records frame: canonical, normalised columns plus comparison keys.

``prepare_records`` is the stage's one entry point. For each mapped canonical field it writes
normalised columns (``given_name``, ``given_name_ph``, ``dob``, ``phones``...); each
unmapped column becomes a generic column ``x_<name>`` of a guessed kind (text, code, number,
date). Row-level problems become rejects; the row is kept and the bad value is missing. A value kept
in a second reading (a phone number outside the default region, kept as its digits) gets a
note instead. List cells split on the separators of their field (``linker.prepare.lists``).

Names come in two layouts, one ``full_name`` or given + family names. A full name that marks
its family name (capitals, a comma) also gives the split names, in a source that has them for
other records. Once the sources are stacked, a record without a full name of its own has one
made from its split names (``fill_full_names``, marked apart by ``full_name_written``), so
that the full name and its phonetic key meet either layout; with aliases, ``name_forms_ph``
lets a name meet the same name written as another record's alias.
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
from linker.prepare.names import (
    FULL_NAME_WRITTEN,
    add_name_columns,
    add_rarity_columns,
    split_full_name,
    without_placeholders,
)
from linker.prepare.text import (
    map_distinct,
    normalise_one,
    normalise_text,
    phonetic_key,
    phonetic_one,
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
            out[FULL_NAME_WRITTEN] = _flag(out["full_name"].notna())
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

    full_columns = [column for column, canonical in mapping.items() if canonical == "full_name"]
    if full_columns and {"given_name", "family_name"} <= set(mapping.values()):
        # Only where the source has split names for other records: elsewhere the full name
        # alone is compared, and new fields would change every pair's comparisons.
        _recover_given_family(out, raw[full_columns[-1]])
    if "given_name" in out and "family_name" in out:
        # Both names in alphabetical order: a first/last swap gives the same key.
        out["names_sorted_ph"] = _sorted_words([out["given_name_ph"], out["family_name_ph"]])

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


def _sorted_words(columns: list[pd.Series]) -> pd.Series:
    """The words of several columns together in alphabetical order, None when none has any;
    worked out once per distinct tuple of values."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    codes: list[np.ndarray] = []
    texts: list[np.ndarray] = []
    for column in columns:
        column_codes, values = pd.factorize(column)
        # Codes shifted by one: a missing value (code -1) reads the empty string put first.
        codes.append(column_codes + 1)
        texts.append(np.concatenate([[""], np.asarray(values, dtype=object)]))
        # Re-densified after each column, so the combined key never overflows.
        key = pd.factorize(key * len(texts[-1]) + codes[-1])[0].astype(np.int64)
    inverse = pd.factorize(key)[0]
    first = np.unique(inverse, return_index=True)[1]  # a row of each distinct tuple
    words = [
        " ".join(sorted(" ".join(t[c[row]] for t, c in zip(texts, codes, strict=True)).split()))
        or None
        for row in first
    ]
    return pd.Series(np.array(words, dtype=object)[inverse], index=columns[0].index, dtype=object)


def _flag(present: pd.Series) -> pd.Series:
    """``"yes"`` where ``present``, missing elsewhere: a marker column that factorises to a
    code only where it holds (a string, as every prepared text column, so that an engine can
    ship it as one)."""
    flags = np.full(len(present), None, dtype=object)
    flags[present.to_numpy(dtype=bool)] = "yes"
    return pd.Series(flags, index=present.index, dtype=object)


def _recover_given_family(out: pd.DataFrame, full: pd.Series) -> None:
    """Given and family names from the full names that mark the family name (capitals, a
    comma: ``split_full_name``), on the records without a given or family name of their own."""
    split = map_distinct(full.reset_index(drop=True), lambda v: split_full_name(str(v)))
    rows = split.notna().to_numpy() & out["given_name"].isna().to_numpy()
    rows &= out["family_name"].isna().to_numpy()
    if not rows.any():
        return
    for position, name in enumerate(("given_name", "family_name")):
        found = pd.Series([parts[position] for parts in split[rows]], dtype=object)
        clean = without_placeholders(normalise_text(found))
        values = out[name].copy()
        values[rows] = clean.to_numpy()
        out[name] = values
        out[f"{name}_ph"] = phonetic_key(values)


def fill_full_names(frame: pd.DataFrame) -> None:
    """Give the records without a full name of their own one made of their given, father's
    and family names (sorted words, as a written full name is), with its phonetic key, when
    the stack has a ``full_name`` column: a full name is then compared and blocked on
    whichever layout each side has. ``FULL_NAME_WRITTEN`` still marks the written ones, so
    that two made-up full names are not compared (their parts already are)."""
    if "full_name" not in frame:
        return
    if FULL_NAME_WRITTEN not in frame:
        frame[FULL_NAME_WRITTEN] = _flag(frame["full_name"].notna())
    parts = [frame[c] for c in ("given_name", "father_name", "family_name") if c in frame]
    missing = frame["full_name"].isna().to_numpy()
    if not parts or not missing.any():
        return
    made = _sorted_words([part[missing] for part in parts])
    full = frame["full_name"].astype(object).to_numpy(copy=True)
    full[missing] = made.to_numpy()
    frame["full_name"] = pd.Series(full, index=frame.index, dtype=object)
    frame["full_name_ph"] = phonetic_key(frame["full_name"])


def add_alias_keys(frame: pd.DataFrame) -> None:
    """``name_forms_ph``: the phonetic keys of a record's full name and of each of its
    aliases, as a list, when the stack has aliases: a blocking key on which a name meets
    the same name written as another record's alias."""
    if "aliases" not in frame or frame["aliases"].isna().all() or "full_name" not in frame:
        return
    both = frame["full_name"].fillna("").astype(str) + LIST_SEPARATOR
    both += frame["aliases"].fillna("").astype(str)
    frame["name_forms_ph"] = map_distinct(both, _name_forms_key)


def _name_forms_key(value: str) -> str | None:
    names = [" ".join(sorted(n.split())) for n in value.split(LIST_SEPARATOR)]
    return LIST_SEPARATOR.join(dict.fromkeys(phonetic_one(n) for n in names if n)) or None


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
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    fields = sorted({f for p in parts for f in p.fields})
    names = {"given_name", "family_name"} & set(fields)
    if "aliases" in fields and "full_name" not in frame and names:
        # The full name is where a name meets the other record's aliases: made for all.
        frame["full_name"] = pd.Series(None, index=frame.index, dtype=object)
        fields = sorted({*fields, "full_name"})
    fill_full_names(frame)
    add_alias_keys(frame)
    frame = add_rarity_columns(frame)
    frame = add_company_weights(frame)
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
