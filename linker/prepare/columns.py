"""Mapping a source's column names onto the canonical person fields.

The mapping is guessed from common English and French names (``prenom`` -> ``given_name``),
and the caller may override any of it (``--map src=canonical``). Columns mapped to nothing are
kept and compared generically, unless ignored.
"""

from __future__ import annotations

import re
import unicodedata

from linker.errors import ConfigError, InputError

PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name": (
        "given_name",
        "given_names",
        "first_name",
        "firstname",
        "forename",
        "forenames",
        "prenom",
        "prenoms",
        "fname",
        "givenname",
    ),
    "family_name": (
        "family_name",
        "surname",
        "last_name",
        "lastname",
        "nom",
        "nom_famille",
        "nom_de_famille",
        "lname",
        "familyname",
        "nom_naissance",
    ),
    "full_name": ("full_name", "name", "fullname", "nom_complet", "holder_name", "nom_prenom"),
    "aliases": ("aliases", "alias", "aka", "alias_names", "surnoms"),
    "sex": ("sex", "gender", "sexe", "genre"),
    "dob": (
        "dob",
        "date_of_birth",
        "birth_date",
        "birthdate",
        "date_naissance",
        "date_de_naissance",
        "datenaissance",
        "born",
        "ddn",
    ),
    "birth_place": ("birth_place", "place_of_birth", "lieu_naissance", "lieu_de_naissance"),
    "nationality": ("nationality", "nationalite", "citizenship"),
    "father_name": ("father_name", "father", "nom_pere", "pere", "prenom_pere"),
    "mother_name": ("mother_name", "mother", "nom_mere", "mere", "prenom_mere"),
    "address": ("address", "address_1", "address1", "street", "adresse", "adresse_1", "rue"),
    "postcode": ("postcode", "zip", "zipcode", "zip_code", "postal_code", "code_postal", "cp"),
    "city": ("city", "suburb", "town", "ville", "commune", "locality"),
    "country": ("country", "pays", "country_code"),
    "phones": ("phones", "phone", "telephone", "tel", "mobile", "phone_number", "portable"),
    "emails": ("emails", "email", "e_mail", "mail", "courriel"),
    "documents": ("documents", "document", "passport", "passport_number", "id_number"),
    "ibans": ("ibans", "iban", "account", "rib"),
    "name_native": ("name_native", "native_name", "nom_natif"),
}

_CANONICAL_BY_NAME = {alias: field for field, names in PERSON_FIELDS.items() for alias in names}


def column_key(name: str) -> str:
    """Lower-case ASCII with underscores: ``Date de naissance`` -> ``date_de_naissance``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")


def parse_map_option(text: str | None) -> dict[str, str]:
    """``"src=canonical,src2=canonical2"`` to a dict; ``canonical`` may be ``ignore``."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for item in text.split(","):
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ConfigError(f"--map item {item!r} is not of the form column=field")
        target = target.strip()
        if target not in PERSON_FIELDS and target != "ignore":
            known = ", ".join(PERSON_FIELDS)
            raise ConfigError(f"--map {item!r}: unknown field {target!r}; known fields: {known}")
        mapping[source.strip()] = target
    return mapping


def check_column_names(names: list[str], inputs: dict[str, list[str]]) -> None:
    """Every column named in ``--map`` or ``--ignore`` exists in at least one input."""
    for name in names:
        if not any(name in columns for columns in inputs.values()):
            columns = next(iter(inputs.values()))
            raise InputError(
                f"no column {name!r} to map or ignore in any input; columns are {columns}",
                file=", ".join(inputs),
                column=name,
            )


def map_columns(
    columns: list[str],
    *,
    id_column: str,
    overrides: dict[str, str],
    ignore: set[str],
) -> dict[str, str]:
    """Canonical field for each column: guessed, then overridden; unmapped columns are absent.

    Each canonical field takes at most one column: the first guessed one wins, and a later
    column that would map to a taken field stays generic.
    """
    # Names may belong to another input of the same run; each input uses its own.
    overrides = {c: f for c, f in overrides.items() if c in columns}
    ignore = (ignore | {c for c, f in overrides.items() if f == "ignore"}) & set(columns)
    mapping: dict[str, str] = {}
    taken = {field for field in overrides.values() if field != "ignore"}
    for column in columns:
        if column == id_column or column in ignore:
            continue
        if column in overrides:
            if overrides[column] != "ignore":
                mapping[column] = overrides[column]
            continue
        field = _CANONICAL_BY_NAME.get(column_key(column))
        if field and field not in taken:
            mapping[column] = field
            taken.add(field)
    return mapping
