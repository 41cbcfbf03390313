"""Mapping a source's column names onto the canonical fields of its entity type.

Each entity type (person, company, account: DESIGN.md section 3) has its own canonical fields.
The mapping is guessed from common English and French names (``prenom`` -> ``given_name``,
``raison_sociale`` -> ``name``, ``titulaire`` -> ``holder_name``), and the caller may override
any of it (a mapping ``src=canonical``). Columns mapped to nothing are kept and compared
generically, unless ignored.
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

_SHARED_FIELDS = {f: PERSON_FIELDS[f] for f in ("address", "postcode", "city", "country")}
_CONTACT_FIELDS = {f: PERSON_FIELDS[f] for f in ("phones", "emails")}

COMPANY_FIELDS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "company_name",
        "registered_name",
        "legal_name",
        "business_name",
        "raison_sociale",
        "denomination",
        "denomination_sociale",
        "nom",
        "nom_entreprise",
        "nom_societe",
        "societe",
        "entreprise",
    ),
    "trade_name": (
        "trade_name",
        "trading_name",
        "trading_as",
        "dba",
        "brand",
        "nom_commercial",
        "enseigne",
    ),
    "legal_form": ("legal_form", "company_type", "forme_juridique", "forme", "statut_juridique"),
    "registration_id": (
        "registration_id",
        "registration_number",
        "registration_no",
        "company_number",
        "company_id",
        "siren",
        "siret",
        "numero_siren",
        "numero_siret",
        "no_siren",
        "no_siret",
        "n_siren",
        "n_siret",
        "rcs",
        "immatriculation",
    ),
    "vat_id": (
        "vat_id",
        "vat",
        "vat_number",
        "vat_no",
        "tva",
        "numero_tva",
        "no_tva",
        "n_tva",
        "tva_intracommunautaire",
        "tva_intracom",
    ),
    **_SHARED_FIELDS,
    **_CONTACT_FIELDS,
    "ibans": ("ibans", "iban", "rib", "accounts", "comptes"),
    "directors": (
        "directors",
        "director",
        "managers",
        "officers",
        "dirigeants",
        "dirigeant",
        "gerant",
        "gerants",
    ),
}

ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "iban": ("iban", "iban_number", "numero_iban", "compte_iban", "rib", "ibans"),
    "bic": ("bic", "swift", "bic_swift", "swift_code", "swift_bic", "code_bic"),
    "account_number": (
        "account_number",
        "account_no",
        "account",
        "numero_compte",
        "numero_de_compte",
        "no_compte",
        "n_compte",
        "num_compte",
        "compte",
    ),
    "bank_name": (
        "bank_name",
        "bank",
        "banque",
        "nom_banque",
        "etablissement",
        "etablissement_bancaire",
    ),
    "holder_name": (
        "holder_name",
        "holder",
        "account_holder",
        "holders",
        "titulaire",
        "nom_titulaire",
        "titulaires",
        "name",
        "nom",
    ),
    "country": PERSON_FIELDS["country"],
}

# Canonical fields of each entity type, with the column names guessed for each.
ENTITY_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "person": PERSON_FIELDS,
    "company": COMPANY_FIELDS,
    "account": ACCOUNT_FIELDS,
}
ENTITY_TYPES: tuple[str, ...] = tuple(ENTITY_FIELDS)

_CANONICAL_BY_NAME = {
    entity: {alias: field for field, names in fields.items() for alias in names}
    for entity, fields in ENTITY_FIELDS.items()
}


def fields_of(entity: str) -> dict[str, tuple[str, ...]]:
    """The canonical fields of ``entity``; ``ConfigError`` naming the known types otherwise."""
    if entity not in ENTITY_FIELDS:
        raise ConfigError(
            f"unknown entity type {entity!r}; expected one of {', '.join(ENTITY_TYPES)}"
        )
    return ENTITY_FIELDS[entity]


def column_key(name: str) -> str:
    """Lower-case ASCII with underscores: ``Date de naissance`` -> ``date_de_naissance``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")


def parse_map_option(text: str | None, entity: str = "person") -> dict[str, str]:
    """``"src=canonical,src2=canonical2"`` to a dict; ``canonical`` (a field of ``entity``)
    may be ``ignore``."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for item in text.split(","):
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ConfigError(
                f"column mapping {item!r} is not of the form column=field", setting="mapping"
            )
        mapping[source.strip()] = target.strip()
    check_mapping(mapping, entity)
    return mapping


def check_mapping(mapping: dict[str, str], entity: str) -> None:
    """Every target of ``mapping`` (column -> field) is a field of ``entity`` or ``ignore``."""
    fields = fields_of(entity)
    for column, target in mapping.items():
        if target not in fields and target != "ignore":
            raise ConfigError(
                f"column mapping {column}={target}: unknown field {target!r} of {entity} "
                f"records; known fields: {', '.join(fields)}",
                setting="mapping",
            )


def check_column_names(names: list[str], inputs: dict[str, list[str]]) -> None:
    """Every column named in a mapping or among the ignored exists in at least one input."""
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
    entity: str = "person",
) -> dict[str, str]:
    """Canonical field of ``entity`` for each column: guessed, then overridden; unmapped
    columns are absent.

    Each canonical field takes at most one column: the first guessed one wins, and a later
    column that would map to a taken field stays generic.
    """
    fields_of(entity)
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
        field = _CANONICAL_BY_NAME[entity].get(column_key(column))
        if field and field not in taken:
            mapping[column] = field
            taken.add(field)
    return mapping
