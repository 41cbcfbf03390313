"""The seven input schemas: which columns a file has, what each holds, how a record is written.

Columns carry the names a user would write (``given_name``, ``family_name``,
``date_of_birth``, ``phone``, ...), which linker maps by name; dates are ``DD/MM/YYYY``.
Each column has a *field kind* (``FIELD_KINDS``), which decides both how it is corrupted
(``corrupt.CORRUPTIONS``) and how Splink compares it (``splink_model.splink_settings_for``).

* S1 given_name, family_name, date_of_birth, city, email
* S2 full_name, date_of_birth
* S3 given_name, family_name, date_of_birth
* S4 given_name, family_name, full_name, date_of_birth, phone: 30% of records give the full
  name only (given and family empty), the rest given and family (full name empty); phone is a
  list of the person's 1-3 numbers joined by one of ``SEPARATORS``
* S5 given_name, family_name, date_of_birth, sex, birth_place, nationality, address, city, phone
* S6 historic: given_name, family_name, date_of_birth (1600-1900, a third written as the year
  only), birth_place, occupation
* S7 derived: given_name, family_name, full_name (= given + " " + family) and name_copy (a copy
  of full_name); only the first two are corrupted, the others are computed from them
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.robustness.corrupt import PHONE_SEPARATOR, Context
from benchmarks.robustness.people import ARABIC_SCRIPT, Person

SEPARATORS = ("|", ", ", " / ", " ; ")
ARABIC_SCRIPT_SHARE = 1 / 3  # of an Arabic person's records, written in Arabic script
FULL_NAME_ONLY_SHARE = 0.3  # S4
YEAR_ONLY_SHARE = 1 / 3  # S6

# Field kind -> corruption kind (corrupt.CORRUPTIONS).
CORRUPTION_KIND = {
    "given_name": "given_name",
    "family_name": "family_name",
    "full_name": "full_name",
    "dob": "dob",
    "city": "place",
    "birth_place": "place",
    "email": "email",
    "phones": "phones",
    "sex": "sex",
    "nationality": "text",
    "address": "text",
    "occupation": "text",
}


@dataclass(frozen=True)
class Schema:
    """One input layout: ``columns`` (column -> field kind, in file order) and which of them
    are ``derived`` (computed from the others after corruption, never corrupted)."""

    name: str
    columns: dict[str, str]
    derived: frozenset[str] = frozenset()
    historic: bool = False
    description: str = ""

    @property
    def corrupted(self) -> dict[str, str]:
        """Column -> corruption kind of the columns a duplicate may have corrupted."""
        return {c: CORRUPTION_KIND[k] for c, k in self.columns.items() if c not in self.derived}


_NAMES = {"given_name": "given_name", "family_name": "family_name"}
_DOB = {"date_of_birth": "dob"}
SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        Schema(
            "S1",
            {**_NAMES, **_DOB, "city": "city", "email": "email"},
            description="names, dob, city, email",
        ),
        Schema("S2", {"full_name": "full_name", **_DOB}, description="full name, dob"),
        Schema("S3", {**_NAMES, **_DOB}, description="names, dob"),
        Schema(
            "S4",
            {**_NAMES, "full_name": "full_name", **_DOB, "phone": "phones"},
            description="30% full name only, dob, phone lists",
        ),
        Schema(
            "S5",
            {
                **_NAMES,
                **_DOB,
                "sex": "sex",
                "birth_place": "birth_place",
                "nationality": "nationality",
                "address": "address",
                "city": "city",
                "phone": "phones",
            },
            description="nine fields",
        ),
        Schema(
            "S6",
            {**_NAMES, **_DOB, "birth_place": "birth_place", "occupation": "occupation"},
            historic=True,
            description="historic, 1600-1900, a third year-only",
        ),
        Schema(
            "S7",
            {**_NAMES, "full_name": "full_name", "name_copy": "full_name"},
            derived=frozenset({"full_name", "name_copy"}),
            description="derived full name and its copy",
        ),
    )
}


def base_values(
    schema: Schema, person: Person, rng: np.random.Generator
) -> tuple[dict[str, str], Context]:
    """The clean values of one record of ``person`` in ``schema`` (before any corruption),
    with the context corruption needs. Per record, an Arabic person's names are in Arabic
    script with probability ``ARABIC_SCRIPT_SHARE``; S4 writes the full name only with
    probability ``FULL_NAME_ONLY_SHARE``; S6 writes the year only with ``YEAR_ONLY_SHARE``."""
    given, family = person.given_name, person.family_name
    if person.locale == ARABIC_SCRIPT and rng.random() < ARABIC_SCRIPT_SHARE:
        given, family = person.given_native, person.family_native
    full = f"{given} {family}"
    values: dict[str, str] = {}
    for column, kind in schema.columns.items():
        if kind == "given_name":
            values[column] = given
        elif kind == "family_name":
            values[column] = family
        elif kind == "full_name":
            values[column] = full
        elif kind == "dob":
            values[column] = person.dob
        elif kind == "phones":
            values[column] = PHONE_SEPARATOR.join(person.phones)
        else:
            values[column] = str(getattr(person, kind))
    if schema.name == "S4":
        full_only = rng.random() < FULL_NAME_ONLY_SHARE
        emptied = ("given_name", "family_name") if full_only else ("full_name",)
        for column, kind in schema.columns.items():
            if kind in emptied:
                values[column] = ""
    if schema.historic and rng.random() < YEAR_ONLY_SHARE:
        values["date_of_birth"] = person.dob[-4:]
    return values, Context(person.locale, (given, family))


def render(schema: Schema, values: dict[str, str], rng: np.random.Generator) -> dict[str, str]:
    """A record as written to the file: derived columns computed from the (corrupted) names,
    phone lists joined by a separator drawn from ``SEPARATORS``."""
    row = dict(values)
    given = next((row[c] for c, k in schema.columns.items() if k == "given_name"), "")
    family = next((row[c] for c, k in schema.columns.items() if k == "family_name"), "")
    for column in schema.derived:
        row[column] = f"{given} {family}".strip()
    for column, kind in schema.columns.items():
        if kind == "phones" and row[column]:
            separator = SEPARATORS[int(rng.integers(len(SEPARATORS)))]
            row[column] = row[column].replace(PHONE_SEPARATOR, separator)
    return {column: row[column] for column in schema.columns}
