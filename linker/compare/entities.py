"""The feature sets of companies and accounts, and the choice of a set by entity type.

Companies are linked by registration number, address, phone and names: the registered name
without its legal form and the trade name, each against both of the other record's
(``names_best_tsort``), with generic business words weighted down (``name_weighted``), and the
legal form as a feature of its own. A company's phones, emails and IBANs are identifiers: two
companies at one domiciliation address may share them, so they support a match but never make
one alone.

An account *is* its IBAN: the IBAN and account number (full or masked) are the evidence, not
identifiers, backed by the holder's name (token-sorted) and the bank.

Comparisons are chosen from the prepared columns present (``columns``); correlated ones share
a Fellegi-Sunter ``group``.
"""

from __future__ import annotations

from collections.abc import Collection

from linker.compare.features import (
    DERIVED_COLUMNS,
    NAME_LEVELS,
    Comparison,
    generic_comparisons,
    person_comparisons,
)
from linker.errors import ConfigError

MASKED_LEVELS = (1.0, 0.85, 0.75, 0.5)  # exact, masked/full, masked/masked, weak agreement
# The same with the holder: exact; masked/full, masked/masked with one holder; the same with
# a holder unknown; weak agreements.
MASKED_HOLDER_LEVELS = (1.0, 0.85, 0.75, 0.55, 0.25)
_LOCATION = {
    "address": [Comparison("address", "token_sort", (1.0, 0.9, 0.7), group="location")],
    "postcode": [Comparison("postcode", "levenshtein", (1.0, 0.75), group="location")],
    "city": [Comparison("city", "jaro_winkler", (1.0, 0.9), group="location")],
}

COMPANY_COMPARISONS: dict[str, list[Comparison]] = {
    "names": [Comparison("names", "best_token_sort", (1.0, 0.9, 0.75), group="name")],
    "name_weighted": [
        Comparison("name_weighted", "weighted_overlap", (0.9, 0.6, 0.3), group="name")
    ],
    "legal_form": [Comparison("legal_form", "legal_form", (1.0, 0.5))],
    "registration": [Comparison("registration", "shared_item", (1.0,))],
    **_LOCATION,
    "country": [Comparison("country", "exact", (1.0,), group="location")],
    "phones": [Comparison("phones", "shared_item", (1.0,), identifier=True)],
    "emails": [Comparison("emails", "shared_item", (1.0,), identifier=True)],
    "ibans": [Comparison("ibans", "masked_code", MASKED_LEVELS, identifier=True)],
    "directors": [Comparison("directors", "best_token_sort", (1.0, 0.9))],
}

ACCOUNT_COMPARISONS: dict[str, list[Comparison]] = {
    "iban_holder": [
        Comparison("iban_holder", "masked_code_holder", MASKED_HOLDER_LEVELS, group="account"),
        # The holder where the codes cannot decide: a masked or missing IBAN.
        Comparison(
            "iban_holder", "holder_unless_full_codes", (1.0, 0.9, 0.75), label="holder_name_tsort"
        ),
    ],
    "account_number": [Comparison("account_number", "masked_code", (1.0, 0.85), group="account")],
    # Every pair's holders, for a trained model (which can learn when they matter).
    "holder_name": [
        Comparison(
            "holder_name",
            "token_sort",
            (1.0, 0.9, 0.75),
            label="holder_name_tsort_all",
            supervised_only=True,
        )
    ],
    "bic": [Comparison("bic", "exact", (1.0,), group="bank")],
    "bank_name": [Comparison("bank_name", "jaro_winkler", NAME_LEVELS[:2], group="bank")],
    "country": [Comparison("country", "exact", (1.0,))],
}


def _present(table: dict[str, list[Comparison]], columns: Collection[str]) -> list[Comparison]:
    """The comparisons of ``table`` whose columns are all prepared."""
    return [
        c
        for comparisons in table.values()
        for c in comparisons
        if c.left in columns and (c.right or c.left) in columns
    ]


def company_comparisons(columns: Collection[str], generic: dict[str, str]) -> list[Comparison]:
    """The company comparisons that the prepared ``columns`` allow, then generic ones."""
    return _present(COMPANY_COMPARISONS, columns) + generic_comparisons(generic)


def account_comparisons(columns: Collection[str], generic: dict[str, str]) -> list[Comparison]:
    """The account comparisons that the prepared ``columns`` allow, then generic ones."""
    return _present(ACCOUNT_COMPARISONS, columns) + generic_comparisons(generic)


def entity_comparisons(
    entity: str, fields: list[str], generic: dict[str, str], columns: Collection[str]
) -> list[Comparison]:
    """The comparisons of a run over records of ``entity`` (person, company or account):
    ``fields`` are the canonical fields mapped, ``columns`` the prepared frame's columns."""
    if entity == "person":
        derived = [c for c in DERIVED_COLUMNS if c in columns]
        return person_comparisons(fields, generic, derived)
    if entity == "company":
        return company_comparisons(columns, generic)
    if entity == "account":
        return account_comparisons(columns, generic)
    raise ConfigError(f"unknown entity type {entity!r}; expected person, company or account")
