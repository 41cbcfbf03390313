"""The prepared columns of companies and bank accounts, from their canonical fields.

``add_business_columns`` runs after the per-field preparation of ``prepare_records``, because
several company columns read more than one field (the legal form comes from its own column
or, when that is empty, from the name). It writes:

- companies: ``name_core`` (registered name without its legal form), ``names`` (``|``-list of
  the name and trade-name cores), ``names_key`` (their phonetic keys, for blocking),
  ``legal_form`` (``family form``), ``registration`` (SIRENs from a SIREN, SIRET or VAT
  number; other countries' numbers as written), ``directors``;
- accounts: ``iban`` (compact, or a masked pattern), ``iban_key`` (bank part and last digits,
  shared by a masked IBAN and the full one), ``bic``, ``account_number``, ``bank_name``,
  ``holder_name`` (token-sorted) and ``holder_name_ph``;
- ``ibans_key`` beside a company's prepared ``ibans`` list.

Row-level problems (an invalid IBAN, SIREN or BIC) go through ``reject`` and the value is
missing, as for a malformed phone. Everything is computed once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from linker.io import LIST_SEPARATOR
from linker.prepare.banking import (
    canonical_account_number,
    canonical_bic,
    canonical_iban,
    partial_key,
)
from linker.prepare.companies import (
    canonical_legal_form,
    legal_form_code,
    split_legal_form,
)
from linker.prepare.identifiers import canonicalise_list
from linker.prepare.registration import canonical_registration, canonical_vat
from linker.prepare.text import map_distinct, normalise_one, normalise_text, phonetic_one

NO_CODE = "-"  # no account code beside a holder (compare.codes.NO_CODE)
Reject = Callable[[str, pd.Series, pd.Series], None]

COMPANY_ONLY_FIELDS = frozenset(
    {"name", "trade_name", "legal_form", "registration_id", "vat_id", "directors"}
)
ACCOUNT_ONLY_FIELDS = frozenset({"iban", "bic", "account_number", "bank_name", "holder_name"})
BUSINESS_FIELDS = COMPANY_ONLY_FIELDS | ACCOUNT_ONLY_FIELDS


def add_business_columns(
    out: pd.DataFrame, raw: pd.DataFrame, mapping: dict[str, str], reject: Reject
) -> None:
    """Add the company and account columns (module docstring) that ``mapping`` allows."""
    column_of = {field: column for column, field in mapping.items()}
    if column_of.keys() & COMPANY_ONLY_FIELDS:
        _add_company_columns(out, raw, column_of, reject)
        if "ibans" in out:  # persons' IBANs are compared whole: no use for the partial key
            out["ibans_key"] = map_distinct(out["ibans"], _partial_keys)
    if column_of.keys() & ACCOUNT_ONLY_FIELDS:
        _add_account_columns(out, raw, column_of, reject)


def _distinct_items(cell: str) -> str | None:
    items = dict.fromkeys(item for item in cell.split(LIST_SEPARATOR) if item)
    return LIST_SEPARATOR.join(items) or None


def _partial_keys(cell: object) -> str | None:
    keys = (partial_key(code) for code in str(cell).split(LIST_SEPARATOR))
    return _distinct_items(LIST_SEPARATOR.join(k for k in keys if k))


def _name_key(cell: object) -> str | None:
    """Phonetic key of each name, its words sorted: one key per way the company is named."""
    keys = (phonetic_one(" ".join(sorted(n.split()))) for n in str(cell).split(LIST_SEPARATOR))
    return _distinct_items(LIST_SEPARATOR.join(sorted(set(keys))))


def _list_union(first: pd.Series, second: pd.Series) -> pd.Series:
    both = first.fillna("") + LIST_SEPARATOR + second.fillna("")
    return map_distinct(both, _distinct_items)


def _add_company_columns(
    out: pd.DataFrame, raw: pd.DataFrame, column_of: dict[str, str], reject: Reject
) -> None:
    empty = pd.Series(None, index=out.index, dtype=object)
    detected = empty
    if "name" in column_of:
        split = map_distinct(normalise_text(raw[column_of["name"]]), split_legal_form)
        out["name_core"] = split.str[0].astype(object)
        detected = split.str[1].astype(object)
    trade = empty
    if "trade_name" in column_of:
        split = map_distinct(normalise_text(raw[column_of["trade_name"]]), split_legal_form)
        trade = split.str[0].astype(object)
    names = _list_union(out.get("name_core", empty), trade)
    if names.notna().any():
        out["names"] = names
        out["names_key"] = map_distinct(names, _name_key)
    form = empty
    if "legal_form" in column_of:
        form = map_distinct(normalise_text(raw[column_of["legal_form"]]), canonical_legal_form)
    form = form.where(form.notna(), detected)
    if form.notna().any():
        out["legal_form"] = map_distinct(form, legal_form_code)
    registrations = []
    numbers = (("registration_id", canonical_registration), ("vat_id", canonical_vat))
    for field, canonical in numbers:
        if field in column_of:
            values = raw[column_of[field]]
            forms, reasons = canonicalise_list(values, canonical)
            reject(column_of[field], values, reasons)
            registrations.append(forms)
    if registrations:
        out["registration"] = (
            _list_union(*registrations) if len(registrations) == 2 else registrations[0]
        )
    if "directors" in column_of:
        out["directors"] = map_distinct(raw[column_of["directors"]], _sorted_name_list)


def _sorted_name_list(cell: object) -> str | None:
    names = {" ".join(sorted(normalise_one(n).split())) for n in str(cell).split(LIST_SEPARATOR)}
    return LIST_SEPARATOR.join(sorted(names - {""})) or None


def _add_account_columns(
    out: pd.DataFrame, raw: pd.DataFrame, column_of: dict[str, str], reject: Reject
) -> None:
    for field, canonical in (
        ("iban", canonical_iban),
        ("bic", canonical_bic),
        ("account_number", canonical_account_number),
    ):
        if field in column_of:
            values = raw[column_of[field]]
            forms, reasons = canonicalise_list(values, canonical)
            reject(column_of[field], values, reasons)
            out[field] = forms
    if "iban" in out:
        out["iban_key"] = map_distinct(out["iban"], _partial_keys)
    if "bank_name" in column_of:
        out["bank_name"] = normalise_text(raw[column_of["bank_name"]])
    if "holder_name" in column_of:
        holder = normalise_text(raw[column_of["holder_name"]])
        out["holder_name"] = map_distinct(holder, lambda v: " ".join(sorted(v.split())))
        out["holder_name_ph"] = map_distinct(out["holder_name"], phonetic_one)
    if "iban" in out or "holder_name" in out:
        # An account code with its holder: a masked IBAN is judged with its holder, and the
        # holder speaks when the codes cannot decide (compare.codes.masked_code_holder).
        empty = pd.Series(None, index=out.index, dtype=object)
        code, holder = out.get("iban", empty), out.get("holder_name", empty)
        joined = code.fillna(NO_CODE) + " " + holder.fillna("")
        joined = joined.str.strip().astype(object)
        joined[code.isna() & holder.isna()] = None
        out["iban_holder"] = joined
