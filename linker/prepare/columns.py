"""Mapping a source's column names onto the canonical fields of its entity type.

Each entity type (person, company, account: DESIGN.md section 3) has its own canonical fields.
The mapping is guessed from common English and French names (``prenom`` -> ``given_name``,
``raison_sociale`` -> ``name``, ``titulaire`` -> ``holder_name``), and the caller may override
any of it (a mapping ``src=canonical``). Headers are compared folded (``name_key``: case,
accents, separators, camel case, filler words, the ways of writing "number"). A column whose
name says nothing is mapped by its values when they are dates, phones, emails, IBANs or
countries (``guess_mapping``, ``linker.prepare.value_kinds``). Columns mapped to nothing are
kept and compared generically, unless ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from linker.errors import ConfigError, InputError
from linker.prepare.countries import COUNTRY_FIELDS, describe_countries
from linker.prepare.lists import describe_list_column
from linker.prepare.value_kinds import detect_kind

PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name": (
        "given_name",
        "given_names",
        "first_name",
        "first_names",
        "firstname",
        "forename",
        "forenames",
        "christian_name",
        "prenom",
        "prenoms",
        "prenom_usuel",
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
        "nom_usage",
        "nom_d_usage",
        "nom_patronymique",
        "patronyme",
        "lname",
        "familyname",
        "nom_naissance",
    ),
    "full_name": (
        "full_name",
        "name",
        "fullname",
        "complete_name",
        "person_name",
        "nom_complet",
        "holder_name",
        "nom_prenom",
        "nom_prenoms",
        "nom_et_prenom",
        "nom_et_prenoms",
        "prenom_nom",
        "identite",
    ),
    "aliases": (
        "aliases",
        "alias",
        "aka",
        "also_known_as",
        "alias_names",
        "surnom",
        "surnoms",
        "pseudo",
        "pseudonyme",
        "nom_d_emprunt",
    ),
    "sex": ("sex", "gender", "sexe", "genre"),
    "dob": (
        "dob",
        "date_of_birth",
        "birth_date",
        "birthdate",
        "birthday",
        "date_naissance",
        "date_de_naissance",
        "datenaissance",
        "date_naiss",
        "dt_naissance",
        "naissance",
        "ne_le",
        "nee_le",
        "born",
        "ddn",
    ),
    "birth_place": (
        "birth_place",
        "birthplace",
        "place_of_birth",
        "pob",
        "city_of_birth",
        "birth_city",
        "lieu_naissance",
        "lieu_de_naissance",
        "lieu_naiss",
        "ville_naissance",
        "commune_naissance",
        "ne_a",
        "nee_a",
    ),
    "nationality": (
        "nationality",
        "nationalities",
        "nationality_code",
        "nationalite",
        "nationalites",
        "code_nationalite",
        "citizenship",
    ),
    "father_name": (
        "father_name",
        "fathers_name",
        "father_s_name",
        "father",
        "nom_pere",
        "pere",
        "prenom_pere",
        "filiation_pere",
    ),
    "mother_name": (
        "mother_name",
        "mothers_name",
        "mother_s_name",
        "mother",
        "nom_mere",
        "mere",
        "prenom_mere",
        "filiation_mere",
    ),
    "address": (
        "address",
        "address_1",
        "address1",
        "address_line_1",
        "street",
        "street_address",
        "adresse",
        "adresse_1",
        "adresse_postale",
        "adresse_domicile",
        "domicile",
        "rue",
    ),
    "postcode": (
        "postcode",
        "post_code",
        "zip",
        "zipcode",
        "zip_code",
        "postal_code",
        "code_postal",
        "cp",
    ),
    "city": ("city", "suburb", "town", "ville", "commune", "locality", "localite"),
    "country": (
        "country",
        "pays",
        "country_code",
        "code_pays",
        "country_of_residence",
        "pays_residence",
    ),
    "phones": (
        "phones",
        "phone",
        "phone_number",
        "phone_numbers",
        "telephone",
        "telephones",
        "numero_telephone",
        "tel",
        "numero_tel",
        "mobile",
        "mobile_phone",
        "cell",
        "cellphone",
        "gsm",
        "portable",
        "telephone_portable",
        "tel_portable",
    ),
    "emails": (
        "emails",
        "email",
        "email_address",
        "e_mail",
        "mail",
        "courriel",
        "mel",
        "adresse_email",
        "adresse_e_mail",
        "adresse_mail",
        "adresse_electronique",
    ),
    "documents": (
        "documents",
        "document",
        "document_number",
        "document_id",
        "identity_document",
        "travel_document",
        "passport",
        "passport_number",
        "passeport",
        "numero_passeport",
        "id_number",
        "id_card",
        "id_card_number",
        "identity_card",
        "numero_piece",
        "piece_identite",
        "numero_piece_identite",
        "carte_identite",
        "numero_carte_identite",
        "cni",
        "numero_cni",
        "titre_sejour",
        "numero_titre_sejour",
    ),
    "ibans": ("ibans", "iban", "account", "rib", "compte_bancaire"),
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

# The fields a column of unknown name may fill when its values are of one kind
# (``linker.prepare.value_kinds``), first free field first.
FIELDS_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "person": {
        "emails": ("emails",),
        "IBANs": ("ibans",),
        "phones": ("phones",),
        "dates": ("dob",),
        "countries": ("nationality", "country"),
    },
    "company": {
        "emails": ("emails",),
        "IBANs": ("ibans",),
        "phones": ("phones",),
        "countries": ("country",),
    },
    "account": {"IBANs": ("iban",), "countries": ("country",)},
}

# Words that change nothing in a header: "date de naissance" is "date naissance", and every
# way of writing "number" is one word: "passport_no", "N° passeport", "numero_passeport".
_FILLER_WORDS = frozenset({"d", "de", "des", "du", "l", "la", "le", "of", "the"})
_NUMBER_WORDS = frozenset({"n", "nb", "nbr", "no", "nr", "nro", "num", "number", "numero"})
_CAMEL = re.compile(r"(?<=[a-z0-9\u00e0-\u00ff])(?=[A-Z])")


def column_key(name: str) -> str:
    """Lower-case ASCII with underscores: ``Date de naissance`` -> ``date_de_naissance``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")


def name_key(name: str) -> str:
    """The form a header is looked up by: ``column_key`` of the name with camel case split,
    filler words dropped and number words folded (``DateDeNaissance`` -> ``date_naissance``,
    ``N° passeport`` -> ``no_passeport``)."""
    words = column_key(_CAMEL.sub("_", name)).split("_")
    return "_".join("no" if w in _NUMBER_WORDS else w for w in words if w not in _FILLER_WORDS)


_CANONICAL_BY_NAME = {
    entity: {name_key(alias): canonical for canonical, names in fields.items() for alias in names}
    for entity, fields in ENTITY_FIELDS.items()
}


def fields_of(entity: str) -> dict[str, tuple[str, ...]]:
    """The canonical fields of ``entity``; ``ConfigError`` naming the known types otherwise."""
    if entity not in ENTITY_FIELDS:
        raise ConfigError(
            f"unknown entity type {entity!r}; expected one of {', '.join(ENTITY_TYPES)}"
        )
    return ENTITY_FIELDS[entity]


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


@dataclass(frozen=True)
class GuessedMapping:
    """The canonical field of each mapped column and why (``"name"``, ``"override"``,
    ``"values: 96% dates"``), with notes on what was seen and not used (a second column for a
    taken field) and on how nationalities and countries normalise."""

    fields: dict[str, str]
    reasons: dict[str, str]
    notes: list[str] = field(default_factory=list)


def map_columns(
    columns: list[str],
    *,
    id_column: str,
    overrides: dict[str, str],
    ignore: set[str],
    entity: str = "person",
) -> dict[str, str]:
    """Canonical field of ``entity`` for each column, from its name: guessed, then
    overridden; unmapped columns are absent.

    Each canonical field takes at most one column: the first guessed one wins, and a later
    column that would map to a taken field stays generic.
    """
    return _map_by_name(columns, id_column, overrides, ignore, entity).fields


def guess_mapping(
    frame: pd.DataFrame,
    *,
    id_column: str,
    overrides: dict[str, str],
    ignore: set[str],
    entity: str = "person",
    region: str = "FR",
) -> GuessedMapping:
    """``map_columns`` on the frame's headers, then the columns whose name says nothing
    mapped by what their values are (``linker.prepare.value_kinds``): a column of dates is a
    person's ``dob``, one of phones fills ``phones``... A column mapped by name or override is
    never remapped; a field already taken is not given a second column, and a note says so.
    ``region`` reads phone numbers written without their country code.
    """
    columns = [str(c) for c in frame.columns]
    named = _map_by_name(columns, id_column, overrides, ignore, entity)
    fields, reasons, notes = dict(named.fields), dict(named.reasons), list(named.notes)
    owner = {f: c for c, f in fields.items()}
    kinds = FIELDS_BY_KIND[entity]
    for column in columns:
        if column == id_column or column in ignore or column in overrides or column in fields:
            continue
        if name_key(column) in _CANONICAL_BY_NAME[entity]:
            continue  # named after a field another column took: noted by _map_by_name
        found = detect_kind(frame[column], tuple(kinds), region)
        if found is None:
            continue
        kind, share = found
        why = f"values: {share:.0%} {kind}"
        free = [f for f in kinds[kind] if f not in owner]
        if free:
            fields[column], reasons[column] = free[0], why
            owner[free[0]] = column
        else:
            taken = ", ".join(f"{f} already mapped from {owner[f]}" for f in kinds[kind])
            notes.append(f"{column} not mapped ({why}): {taken}")
    ordered = {c: fields[c] for c in columns if c in fields}
    for column, canonical in ordered.items():
        if canonical in COUNTRY_FIELDS:
            notes.append(describe_countries(canonical, frame[column]))
        if (as_list := describe_list_column(column, canonical, frame[column])) is not None:
            notes.append(as_list)
    return GuessedMapping(ordered, {c: reasons[c] for c in ordered}, notes)


def _map_by_name(
    columns: list[str], id_column: str, overrides: dict[str, str], ignore: set[str], entity: str
) -> GuessedMapping:
    fields_of(entity)
    # Names may belong to another input of the same run; each input uses its own.
    overrides = {c: f for c, f in overrides.items() if c in columns}
    ignore = (ignore | {c for c, f in overrides.items() if f == "ignore"}) & set(columns)
    mapping: dict[str, str] = {}
    reasons: dict[str, str] = {}
    notes: list[str] = []
    owner = {f: c for c, f in overrides.items() if f != "ignore"}
    for column in columns:
        if column == id_column or column in ignore:
            continue
        if column in overrides:
            if overrides[column] != "ignore":
                mapping[column], reasons[column] = overrides[column], "override"
            continue
        guessed = _CANONICAL_BY_NAME[entity].get(name_key(column))
        if guessed and guessed not in owner:
            mapping[column], reasons[column] = guessed, "name"
            owner[guessed] = column
        elif guessed:
            notes.append(
                f"{column} not mapped (name): {guessed} already mapped from {owner[guessed]}"
            )
    return GuessedMapping(mapping, reasons, notes)
