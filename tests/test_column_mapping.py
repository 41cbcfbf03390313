"""Columns mapped by name (English and French headers, however written) and, when the name
says nothing, by what their values are; the plan says which and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linker.compare import compare_pairs
from linker.prepare.columns import ENTITY_FIELDS, guess_mapping, map_columns, name_key
from linker.prepare.sources import SourceTable, plan_columns
from linker.prepare.value_kinds import detect_kind, value_sample
from linker.runs import run
from linker.settings import Settings

# Headers as sources write them, one or more per family, each with the field it names.
HEADERS = [
    ("document_number", "documents"),
    ("Document No", "documents"),
    ("passport_no", "documents"),
    ("PassportNumber", "documents"),
    ("numero_passeport", "documents"),
    ("N° passeport", "documents"),
    ("numero_piece", "documents"),
    ("num_piece", "documents"),
    ("Numéro de pièce d'identité", "documents"),
    ("id_card", "documents"),
    ("CNI", "documents"),
    ("nationality_code", "nationality"),
    ("Code nationalité", "nationality"),
    ("nationalites", "nationality"),
    ("birthplace", "birth_place"),
    ("BirthPlace", "birth_place"),
    ("Ville de naissance", "birth_place"),
    ("lieu_naiss", "birth_place"),
    ("DateDeNaissance", "dob"),
    ("Date naiss.", "dob"),
    ("Né le", "dob"),
    ("Prénom usuel", "given_name"),
    ("First names", "given_name"),
    ("Nom d'usage", "family_name"),
    ("patronyme", "family_name"),
    ("Nom et prénom", "full_name"),
    ("NomComplet", "full_name"),
    ("pseudo", "aliases"),
    ("N° téléphone", "phones"),
    ("No tel", "phones"),
    ("GSM", "phones"),
    ("Adresse e-mail", "emails"),
    ("Adresse électronique", "emails"),
    ("Adresse postale", "address"),
    ("Post code", "postcode"),
    ("Localité", "city"),
    ("Code pays", "country"),
    ("Nom du père", "father_name"),
    ("Father's name", "father_name"),
    ("Compte bancaire", "ibans"),
]


@pytest.mark.parametrize(("header", "canonical"), HEADERS)
def test_each_synonym_maps_to_its_field(header: str, canonical: str) -> None:
    mapping = map_columns(["id", header], id_column="id", overrides={}, ignore=set())
    assert mapping == {header: canonical}


@pytest.mark.parametrize("entity", list(ENTITY_FIELDS))
def test_no_two_fields_of_an_entity_share_a_header(entity: str) -> None:
    fields = ENTITY_FIELDS[entity]
    owners: dict[str, set[str]] = {}
    for canonical, names in fields.items():
        for name in names:
            owners.setdefault(name_key(name), set()).add(canonical)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


ROWS = 8
VALUES = {
    "dates": ["12/03/1980", "01/02/1975", "1990-05-06", "19601231", "03/04/1999"] * 2,
    "phones": ["06 12 34 56 78", "+33 7 80 87 83 01", "0033 6 12 34 56 79", "07.80.87.83.02"] * 2,
    "emails": ["jean.dupont@gmail.com", "a.b@free.fr", "Contact <x@orange.fr>", "y@sfr.fr"] * 2,
    "IBANs": [
        "FR76 3000 6000 0112 3456 7890 189",
        "DE89370400440532013000",
        "GB29 NWBK 6016 1331 9268 19",
        "FR7630004XXXXXXXXXXXXXX8810",
    ]
    * 2,
    "countries": ["AFG", "afghane", "Maroc", "FR", "syrien", "Érythrée", "Iraqi", "TUR"],
}


def _frame(**columns: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"id": [str(i) for i in range(ROWS)]} | {c: v[:ROWS] for c, v in columns.items()},
        dtype=object,
    )


@pytest.mark.parametrize(
    ("kind", "canonical"),
    [
        ("dates", "dob"),
        ("phones", "phones"),
        ("emails", "emails"),
        ("IBANs", "ibans"),
        ("countries", "nationality"),
    ],
)
def test_a_column_of_unknown_name_is_mapped_by_its_values(kind: str, canonical: str) -> None:
    guessed = guess_mapping(_frame(col7=VALUES[kind]), id_column="id", overrides={}, ignore=set())
    assert guessed.fields == {"col7": canonical}
    assert guessed.reasons == {"col7": f"values: 100% {kind}"}


@pytest.mark.parametrize(
    "values",
    [
        ["le chat dort", "rien à signaler", "vu à Calais", "RAS", "2 enfants", "?", "ok", "x"],
        ["5304218", "4066625", "1200345", "9983311", "0012", "31", "77", "908"],  # ids
        ["552100554", "732829320", "443061841", "383474814"] * 2,  # SIREN: digits, not phones
        ["1987", "1990", "2001", "1975", "1968", "1999", "2003", "1950"],  # years or numbers
        ["M", "F", "F", "M", "M", "F", "M", "F"],
    ],
    ids=["free text", "codes", "siren", "years", "sex letters"],
)
def test_a_column_of_other_values_is_not_mapped(values: list[str]) -> None:
    guessed = guess_mapping(_frame(col7=values), id_column="id", overrides={}, ignore=set())
    assert guessed.fields == {}


def test_a_share_below_the_threshold_maps_nothing() -> None:
    mostly_text = [*VALUES["dates"][:5], "inconnu", "vers 1980 ?", "n/a"]  # 5 of 8: 62%
    assert detect_kind(pd.Series(mostly_text)) is None
    mostly_dates = [*VALUES["dates"][:7], "inconnu"]  # 7 of 8: 88%
    assert detect_kind(pd.Series(mostly_dates)) == ("dates", 0.875)


def test_too_few_values_decide_nothing() -> None:
    assert detect_kind(pd.Series(["12/03/1980", "01/02/1975", None, None])) is None


def test_a_column_mapped_by_name_is_never_remapped_by_its_values() -> None:
    frame = _frame(ville=VALUES["dates"], notes=VALUES["phones"])
    guessed = guess_mapping(frame, id_column="id", overrides={"notes": "aliases"}, ignore=set())
    assert guessed.fields == {"ville": "city", "notes": "aliases"}
    assert guessed.reasons == {"ville": "name", "notes": "override"}


def test_a_field_taken_is_not_given_a_second_column_and_the_notes_say_so() -> None:
    frame = _frame(tel=VALUES["phones"], col8=VALUES["phones"], col9=VALUES["dates"])
    frame["col10"] = VALUES["dates"][:ROWS]
    frame["telephone"] = VALUES["phones"][:ROWS]
    guessed = guess_mapping(frame, id_column="id", overrides={}, ignore=set())
    assert guessed.fields == {"tel": "phones", "col9": "dob"}
    assert guessed.notes == [
        "telephone not mapped (name): phones already mapped from tel",
        "col8 not mapped (values: 100% phones): phones already mapped from tel",
        "col10 not mapped (values: 100% dates): dob already mapped from col9",
        "tel -> phones read as a list, split on '|' ';' ' / ' ',' '/'; seen none",
    ]


def test_two_country_columns_of_a_person_fill_nationality_then_country() -> None:
    frame = _frame(col7=VALUES["countries"], col8=["FR"] * ROWS)
    guessed = guess_mapping(frame, id_column="id", overrides={}, ignore=set())
    assert guessed.fields == {"col7": "nationality", "col8": "country"}


def test_an_account_column_of_ibans_is_its_iban() -> None:
    guessed = guess_mapping(
        _frame(col7=VALUES["IBANs"]), id_column="id", overrides={}, ignore=set(), entity="account"
    )
    assert guessed.fields == {"col7": "iban"}


def test_the_sample_is_chosen_by_content_not_by_row_order() -> None:
    values = pd.Series([f"value {i % 1500}" for i in range(5000)], dtype=object)
    shuffled = values.sample(frac=1.0, random_state=3).reset_index(drop=True)
    sample = value_sample(values, size=400)
    assert len(sample) == 400
    assert sample == value_sample(shuffled, size=400)
    assert value_sample(pd.Series([" a ", "", None, "b"], dtype=object)) == ["a", "b"]


def _table(frame: pd.DataFrame, name: str = "t") -> SourceTable:
    return SourceTable(name, frame, pd.Series(np.arange(2, len(frame) + 2)))


def test_the_plan_prints_each_mapping_with_its_reason() -> None:
    dates = [*VALUES["dates"][:7], "inconnu"]
    frame = _frame(document_number=["AB123456"] * ROWS, col7=dates, nationalite=VALUES["countries"])
    frame.loc[0, "nationalite"] = "Atlantide"
    plan = plan_columns([_table(frame)], "id", {}, set())
    lines = plan.describe()
    assert lines[0] == (
        "t: mapped document_number -> documents (name), col7 -> dob (values: 88% dates), "
        "nationalite -> nationality (name)"
    )
    assert "t: nationality: 7 values normalised to ISO 3166, 1 unknown" in lines
    assert plan.as_dict()["reasons"] == {
        "t": {"document_number": "name", "col7": "values: 88% dates", "nationalite": "name"}
    }


def test_afghane_and_afg_agree_at_the_top_level_of_nationality() -> None:
    columns = ["record_id", "given_name", "surname", "date_of_birth", "city", "nationalite"]
    rows = [
        ["1", "Ahmad", "Karimi", "12/03/1990", "Calais", "afghane"],
        ["2", "Ahmad", "Karimi", "12/03/1990", "Calais", "AFG"],
        ["3", "Marie", "Curie", "07/11/1967", "Paris", "française"],
    ]
    table = _table(pd.DataFrame(rows, columns=columns, dtype=object))
    result = run([table], Settings(model="unsupervised"))
    records = result.outcome.records.frame.set_index("record_id")
    assert records.loc[["1", "2", "3"], "nationality"].tolist() == ["AF", "AF", "FR"]
    comparison = next(c for c in result.outcome.comparisons if c.left == "nationality")
    frame = result.outcome.records.frame
    position = {rid: i for i, rid in enumerate(frame["record_id"])}
    left, right = np.array([position["1"]]), np.array([position["2"]])
    similarity = compare_pairs(frame, left, right, [comparison])[comparison.name].to_numpy()
    assert comparison.level(similarity).tolist() == [len(comparison.levels)]
