"""Nationalities and countries to ISO 3166 alpha-2 codes (``linker.prepare.countries``): the
table below is written by hand from the ISO list and French and English usage, not from the
module's own tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linker.prepare.countries import (
    country_code,
    describe_countries,
    normalise_countries,
    normalise_country,
)
from linker.prepare.records import PrepareOptions, prepare_records

# code, alpha-3, English name, French name, English adjective, French masculine, feminine
NATIONALITIES = [
    ("AF", "AFG", "Afghanistan", "Afghanistan", "Afghan", "afghan", "afghane"),
    ("SY", "SYR", "Syria", "Syrie", "Syrian", "syrien", "syrienne"),
    ("IQ", "IRQ", "Iraq", "Irak", "Iraqi", "irakien", "irakienne"),
    ("IR", "IRN", "Iran", "Iran", "Iranian", "iranien", "iranienne"),
    ("ER", "ERI", "Eritrea", "Érythrée", "Eritrean", "érythréen", "érythréenne"),
    ("SD", "SDN", "Sudan", "Soudan", "Sudanese", "soudanais", "soudanaise"),
    ("SO", "SOM", "Somalia", "Somalie", "Somali", "somalien", "somalienne"),
    ("ET", "ETH", "Ethiopia", "Éthiopie", "Ethiopian", "éthiopien", "éthiopienne"),
    ("NG", "NGA", "Nigeria", "Nigéria", "Nigerian", "nigérian", "nigériane"),
    ("GN", "GIN", "Guinea", "Guinée", "Guinean", "guinéen", "guinéenne"),
    ("ML", "MLI", "Mali", "Mali", "Malian", "malien", "malienne"),
    ("SN", "SEN", "Senegal", "Sénégal", "Senegalese", "sénégalais", "sénégalaise"),
    ("CI", "CIV", "Ivory Coast", "Côte d'Ivoire", "Ivorian", "ivoirien", "ivoirienne"),
    ("CM", "CMR", "Cameroon", "Cameroun", "Cameroonian", "camerounais", "camerounaise"),
    ("MA", "MAR", "Morocco", "Maroc", "Moroccan", "marocain", "marocaine"),
    ("DZ", "DZA", "Algeria", "Algérie", "Algerian", "algérien", "algérienne"),
    ("TN", "TUN", "Tunisia", "Tunisie", "Tunisian", "tunisien", "tunisienne"),
    ("LY", "LBY", "Libya", "Libye", "Libyan", "libyen", "libyenne"),
    ("EG", "EGY", "Egypt", "Égypte", "Egyptian", "égyptien", "égyptienne"),
    ("TR", "TUR", "Turkey", "Turquie", "Turkish", "turc", "turque"),
    ("PK", "PAK", "Pakistan", "Pakistan", "Pakistani", "pakistanais", "pakistanaise"),
    ("BD", "BGD", "Bangladesh", "Bangladesh", "Bangladeshi", "bangladais", "bangladaise"),
    ("IN", "IND", "India", "Inde", "Indian", "indien", "indienne"),
    ("LK", "LKA", "Sri Lanka", "Sri Lanka", "Sri Lankan", "sri-lankais", "sri-lankaise"),
    ("VN", "VNM", "Vietnam", "Viêt Nam", "Vietnamese", "vietnamien", "vietnamienne"),
    ("CN", "CHN", "China", "Chine", "Chinese", "chinois", "chinoise"),
    ("AL", "ALB", "Albania", "Albanie", "Albanian", "albanais", "albanaise"),
    ("XK", "XKX", "Kosovo", "Kosovo", "Kosovar", "kosovar", "kosovare"),
    ("RS", "SRB", "Serbia", "Serbie", "Serbian", "serbe", "serbe"),
    ("RO", "ROU", "Romania", "Roumanie", "Romanian", "roumain", "roumaine"),
    ("BG", "BGR", "Bulgaria", "Bulgarie", "Bulgarian", "bulgare", "bulgare"),
    ("UA", "UKR", "Ukraine", "Ukraine", "Ukrainian", "ukrainien", "ukrainienne"),
    ("RU", "RUS", "Russia", "Russie", "Russian", "russe", "russe"),
    ("GE", "GEO", "Georgia", "Géorgie", "Georgian", "géorgien", "géorgienne"),
    ("AM", "ARM", "Armenia", "Arménie", "Armenian", "arménien", "arménienne"),
    ("FR", "FRA", "France", "France", "French", "français", "française"),
    ("BE", "BEL", "Belgium", "Belgique", "Belgian", "belge", "belge"),
    ("DE", "DEU", "Germany", "Allemagne", "German", "allemand", "allemande"),
    ("IT", "ITA", "Italy", "Italie", "Italian", "italien", "italienne"),
    ("ES", "ESP", "Spain", "Espagne", "Spanish", "espagnol", "espagnole"),
    ("GB", "GBR", "United Kingdom", "Royaume-Uni", "British", "britannique", "britannique"),
    ("NL", "NLD", "Netherlands", "Pays-Bas", "Dutch", "néerlandais", "néerlandaise"),
]


@pytest.mark.parametrize("row", NATIONALITIES, ids=[row[0] for row in NATIONALITIES])
def test_every_written_form_of_a_nationality_is_its_code(row: tuple[str, ...]) -> None:
    code, *forms = row
    assert {form: country_code(form) for form in [code, *forms]} == dict.fromkeys(
        [code, *forms], code
    )


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("afghane", "AF"),
        ("AFGHANE", "AF"),
        ("Afghane", "AF"),
        ("afg", "AF"),
        ("af", "AF"),
        ("FRANÇAISE", "FR"),
        ("francaise", "FR"),
        ("  French ", "FR"),
        ("Cote d'Ivoire", "CI"),
        ("COTE D IVOIRE", "CI"),
        ("Syrienne, République arabe", "SY"),  # the French ISO name, as pycountry writes it
        ("Iran, Islamic Republic of", "IR"),
        ("nigérienne", "NE"),  # Niger's, not Nigeria's
        ("UK", "GB"),
        ("Türkiye", "TR"),
    ],
)
def test_case_accents_and_spacing_are_folded(written: str, code: str) -> None:
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["Korea", "Corée", "Paris", "apatride", "XX", ""])
def test_what_names_no_single_country_has_no_code(written: str) -> None:
    assert country_code(written) is None


@pytest.mark.parametrize(
    ("cell", "normalised"),
    [
        ("afghane", "AF"),
        ("Apatride", "apatride"),  # unknown: folded as written, no error
        ("Réfugié statutaire", "refugie statutaire"),
        ("FR|afghane", "AF|FR"),  # several nationalities: each, in one order
        ("   ", None),
    ],
)
def test_normalise_country(cell: str, normalised: str | None) -> None:
    assert normalise_country(cell) == normalised


def test_normalise_countries_keeps_missing_values_missing() -> None:
    values = pd.Series(["AFG", None, "afghane", "Afghanistan", np.nan], dtype=object)
    assert normalise_countries(values).tolist() == ["AF", None, "AF", "AF", None]


def test_describe_countries_counts_present_values() -> None:
    values = pd.Series(["AFG", "afghane", "Maroc", "apatride", None, "", "AF|FR"], dtype=object)
    assert describe_countries("nationality", values) == (
        "nationality: 4 values normalised to ISO 3166, 1 unknown"
    )
    many = pd.Series(["AFG"] * 1203 + ["?"] * 14, dtype=object)
    assert describe_countries("nationality", many) == (
        "nationality: 1,203 values normalised to ISO 3166, 14 unknown"
    )


@pytest.mark.parametrize("canonical", ["nationality", "country"])
def test_prepared_records_hold_codes(canonical: str) -> None:
    raw = pd.DataFrame(
        {"id": ["1", "2", "3", "4"], "col": ["afghane", "AFG", "Marocaine", "Atlantide"]},
        dtype=object,
    )
    prepared = prepare_records(
        raw,
        source="t",
        id_column="id",
        mapping={"col": canonical},
        generic={},
        options=PrepareOptions(name_features=False),
    )
    assert prepared.frame[canonical].tolist() == ["AF", "AF", "MA", "atlantide"]
