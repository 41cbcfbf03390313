"""Companies and bank accounts: legal forms, registration numbers, IBANs (full and masked),
document numbers, their comparators, and runs of the ``linker`` command with ``--entity``.

Identifiers here are made up but valid (Luhn keys, RIB keys, IBAN check digits), some taken
from the generator's own code so that schwifty and python-stdnum check an independent
implementation.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linker import cli
from linker.compare.codes import (
    best_token_sort,
    holder_unless_full_codes,
    legal_form_agreement,
    masked_code,
    masked_code_holder,
    weighted_overlap,
)
from linker.compare.entities import entity_comparisons
from linker.errors import ConfigError
from linker.evaluate_world import evaluate_world
from linker.prepare import PrepareOptions, prepare_records, stack_records
from linker.prepare.banking import canonical_bic, canonical_iban, partial_key
from linker.prepare.columns import map_columns, parse_map_option
from linker.prepare.companies import (
    ANY_FAMILY,
    legal_form_code,
    split_legal_form,
    token_weights,
    without_hubs,
)
from linker.prepare.identifiers import canonical_document, canonical_email, mrz_check_digit
from linker.prepare.registration import canonical_registration, canonical_vat
from linker.prepare.text import normalise_one
from linker.settings import Settings
from linker.synth.world import generate_world

IBAN = "FR7630004175558058079466708"  # BNP Paribas bank code, valid RIB key
NAN = float("nan")


def _iban_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


# --------------------------------------------------------------------------- legal forms


@pytest.mark.parametrize(
    ("name", "core", "form"),
    [
        ("TRANSPORTS TESFAYE SAS", "transports tesfaye", "SAS"),
        ("S.A.R.L. Trading Le", "trading le", "SARL"),
        ("SASU LOGISTIQUE THOMAS", "logistique thomas", "SASU"),
        ("Logistique Thomas S.A.S.U.", "logistique thomas", "SASU"),
        ("E.U.R.L. Kebab Hassan", "kebab hassan", "EURL"),
        ("KEBAB HASSAN SNC", "kebab hassan", "SNC"),
        ("SCI Les Lilas", "les lilas", "SCI"),
        ("SCOP Nettoyage Plus", "nettoyage plus", "SCOP"),
        ("SELARL Dr Benali", "dr benali", "SELARL"),
        ("GIE Transit Nord", "transit nord", "GIE"),
        ("EI AKBARI TAXIPHONE", "akbari taxiphone", "EI"),
        ("EIRL Dupont", "dupont", "EIRL"),
        ("Ets Martin", "martin", "ETS"),
        ("Sté Nouvelle Transports", "nouvelle transports", "STE"),
        ("Sté Nouvelle Transports SARL", "nouvelle transports", "SARL"),  # the specific one
        ("SC ATLAS IMPEX SRL", "atlas impex", "SRL"),
        ("Atlas Trading Ltd", "atlas trading", "LTD"),
        ("Kaboul Cargo LLP", "kaboul cargo", "LLP"),
        ("Euro Phone PLC", "euro phone", "PLC"),
        ("Orient Food GmbH", "orient food", "GMBH"),
        ("Orient Food UG (haftungsbeschränkt)", "orient food", "UG"),
        ("Orient Food AG", "orient food", "AG"),
        ("Kebab Haus GmbH & Co. KG", "kebab haus", "KG"),
        ("Sahara Import S.r.l.", "sahara import", "SRL"),
        ("Sahara Import S.p.A.", "sahara import", "SPA"),
        ("Atlas Viajes S.L.", "atlas viajes", "SL"),
        ("Shqiponja Sh.p.k.", "shqiponja", "SHPK"),
        ("Bosphore Tekstil Ltd. Şti.", "bosphore tekstil", "LTD_STI"),
        ("Bosphore Tekstil A.Ş.", "bosphore tekstil", "AS_TR"),
        ("Atlas Sp. z o.o.", "atlas", "SP_ZOO"),
        ("ООО Ромашка", "romashka", "OOO"),
        ("Golden Star FZE", "golden star", "FZE"),
        ("Golden Star FZCO", "golden star", "FZCO"),
        ("Golden Star LLC", "golden star", "LLC"),
        # Words that are forms only at an end of the name.
        ("AS SALAM VOYAGES", "as salam voyages", None),
        ("TAXIPHONE SA MARIE", "taxiphone sa marie", None),
        ("SARL", "sarl", "SARL"),  # nothing but a form: the name stays
    ],
)
def test_legal_forms_are_found_anywhere_dotted_or_not(
    name: str, core: str, form: str | None
) -> None:
    assert split_legal_form(normalise_one(name)) == (core, form)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("SAS", "SAS", 1.0),
        ("SAS", "SASU", 0.5),
        ("SARL", "EURL", 0.5),
        ("EI", "EIRL", 0.5),
        ("ETS", "SARL", 0.5),  # a generic prefix fits any form
        ("SARL", "SAS", 0.0),
        ("SNC", "SCI", 0.0),
        ("SARL", None, NAN),
    ],
)
def test_legal_form_agreement(left: str, right: str | None, expected: float) -> None:
    codes = np.array([legal_form_code(left)], dtype=object)
    other = np.array([legal_form_code(right)], dtype=object)
    result = legal_form_agreement(codes, other)[0]
    assert (math.isnan(expected) and math.isnan(result)) or result == expected


def test_the_any_family_is_the_same_in_prepare_and_compare() -> None:
    from linker.compare.codes import ANY_FAMILY as compared

    assert compared == ANY_FAMILY


def test_generic_business_words_weigh_less_than_names() -> None:
    names = pd.Series(
        ["transports tesfaye", "transports ahmadi", "transports noorzai", "kebab hassan", None]
    )
    weights = token_weights(names)
    assert weights["transports"] < weights["tesfaye"] == weights["hassan"]


def test_domiciliation_hubs_lose_their_address() -> None:
    hub, office = "17 rue de verdun c o domiciliation", "3 rue de la paix"
    address = pd.Series([hub] * 7 + [office] * 2 + [None])
    names = pd.Series([f"KMPN{i}" for i in range(7)] + ["KBB HSN", "ORNT FT", "X"])
    assert without_hubs(address, names).tolist() == [None] * 7 + [office] * 2 + [None]


@pytest.mark.parametrize(
    ("left", "right", "low", "high"),
    [
        ("hassan:4.0 kebab:1.5", "hassan:4.0 kebab:1.5", 1.0, 1.0),
        ("hassan:4.0 kebab:1.5", "ahmadi:4.0 kebab:1.5", 0.2, 0.3),  # only the generic word
        ("hassan:4.0 kebab:1.5", "hassan:4.0", 1.0, 1.0),  # one name inside the other
        ("hassan:4.0", "ahmadi:4.0", 0.0, 0.0),
    ],
)
def test_weighted_overlap(left: str, right: str, low: float, high: float) -> None:
    score = weighted_overlap(np.array([left], dtype=object), np.array([right], dtype=object))
    assert low <= score[0] <= high


def test_best_token_sort_takes_the_best_name_pair() -> None:
    left = np.array(["transports tesfaye|nord market", "kebab hassan", None], dtype=object)
    right = np.array(["nord market", "golden palace", "x"], dtype=object)
    scores = best_token_sort(left, right)
    assert scores[0] == 1.0
    assert scores[1] < 0.5
    assert math.isnan(scores[2])


# --------------------------------------------------------------------------- registration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("739618338", "739618338"),
        ("739 618 338", "739618338"),
        ("908 047 491 00018", "908047491"),  # a SIRET: its SIREN
        ("90804749100026", "908047491"),  # another establishment, same company
        ("FR14908047491", "908047491"),  # a VAT number in the registration column
        ("35600000000048", "356000000"),  # La Poste's SIRET (no Luhn key)
        ("HRB 12345", "HRB12345"),  # another country's number, as written
    ],
)
def test_registration_numbers_compare_as_a_siren(value: str, expected: str) -> None:
    assert canonical_registration(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR14908047491", "908047491"),
        ("FR 14 908 047 491", "908047491"),
        ("DE136695976", "DE136695976"),
    ],
)
def test_vat_numbers(value: str, expected: str) -> None:
    assert canonical_vat(value) == expected


@pytest.mark.parametrize(
    ("canonical", "value", "reason"),
    [
        (canonical_registration, "739618339", "not a valid SIREN"),
        (canonical_registration, "90804749100019", "not a valid SIRET"),
        (canonical_registration, "739-618-338 #2", "letters and digits"),
        (canonical_vat, "FR15908047491", "not a valid VAT"),
        (canonical_vat, "DE136695970", "not a valid VAT"),
        (canonical_vat, "908047491", "country code"),
    ],
)
def test_bad_registration_numbers_are_rejected(canonical: object, value: str, reason: str) -> None:
    assert callable(canonical)
    with pytest.raises(ValueError, match=reason):
        canonical(value)


def test_siret_and_vat_of_generated_companies_give_their_siren() -> None:
    from linker.synth.world.identifiers import fr_vat, siren, siret

    rng = np.random.default_rng(3)
    for _ in range(50):
        number = siren(rng)
        assert canonical_registration(number) == number
        assert canonical_registration(siret(number, 2)) == number
        assert canonical_vat(fr_vat(number)) == number


# --------------------------------------------------------------------------- IBAN and BIC


def test_full_ibans_are_validated_by_schwifty() -> None:
    assert canonical_iban("FR76 3000 4175 5580 5807 9466 708") == IBAN
    assert canonical_iban("gb29 nwbk 6016 1331 9268 19") == "GB29NWBK60161331926819"
    with pytest.raises(ValueError, match="not a valid IBAN"):
        canonical_iban(IBAN[:-1] + "9")  # checksum
    # The IBAN checksum is right but the French RIB key is not: validate_bban catches it.
    bban = IBAN[4:-2] + "00"
    with pytest.raises(ValueError, match="not a valid IBAN"):
        canonical_iban("FR" + _iban_check("FR", bban) + bban)


def test_generated_ibans_are_valid_and_their_masks_kept_as_patterns() -> None:
    from linker.synth.world.identifiers import fr_iban, mask_iban

    rng = np.random.default_rng(5)
    for _ in range(50):
        iban = fr_iban("30004", rng)
        assert canonical_iban(iban) == iban
        pattern = canonical_iban(mask_iban(iban, rng))
        assert len(pattern) == len(iban) and "X" in pattern
        assert masked_code(np.array([pattern]), np.array([iban]))[0] == 0.9
        assert partial_key(pattern) == partial_key(iban)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR76 3000 4XXX XXXX XXXX XXX8 810", "FR7630004XXXXXXXXXXXXXX8810"),
        ("FR76 3000 4*** **** **** ***8 810", "FR7630004XXXXXXXXXXXXXX8810"),
        ("FR76 3000 4••• •••• •••• •••8 810", "FR7630004XXXXXXXXXXXXXX8810"),
        ("FR7630004XXXX8810", "FR7630004XXXXXXXXXXXXXX8810"),  # one shortened run: stretched
        ("FR76 3000 4... 8810", "FR7630004XXXXXXXXXXXXXX8810"),
        ("fr76 xxxx xxxx xxxx xxxx 9466 708", "FR76" + "X" * 16 + "9466708"),
    ],
)
def test_masked_ibans_become_patterns(value: str, expected: str) -> None:
    assert canonical_iban(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("XX12 3000 4XXX 8810", "without IBANs"),
        ("FR76 XXXX XXXX XXXX XXXX XXXX X10", "too few visible"),
        ("FR76 3000 4XXX 1234 XXX8 810", "characters, 27 expected"),  # two runs, too short
        ("3000 4XXX 8810", "not an IBAN"),
    ],
)
def test_impossible_masked_ibans_are_rejected(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        canonical_iban(value)


def test_bic_keeps_the_bank_and_drops_the_branch() -> None:
    assert canonical_bic("bnpa fr pp xxx") == "BNPAFRPP"
    assert canonical_bic("QNTOFRP1") == "QNTOFRP1"
    with pytest.raises(ValueError, match="not a valid BIC"):
        canonical_bic("QNTOFRP")


MASKED = "FR7630004XXXXXXXXXXXXXX8810"
MASKED_OTHER_END = "FR7630004XXXXXXXXXXXXXX8811"
PARTLY_HIDDEN = "FR76" + "X" * 16 + IBAN[-7:]


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (IBAN, IBAN, 1.0),  # two full IBANs, the same
        (IBAN, "GB29NWBK60161331926819", 0.0),
        (IBAN, IBAN[:-1] + "9", 0.0),  # two full IBANs, different
        (MASKED, "FR7630004175558058079468810", 0.9),  # every visible character agrees
        (MASKED_OTHER_END, "FR7630004175558058079468810", 0.0),  # a visible digit differs
        (PARTLY_HIDDEN, IBAN, 0.9),
        (MASKED, "FR7630004XXXXXXXXXXXXXXX810", 0.8),  # two masks agreeing where both show
        ("FR7630004XXXXXXXXXXXXXXXXXX", "FR76XXXXXXXXXXXXXXXXXXX8810", 0.5),  # little in common
        (f"{IBAN}|GB29NWBK60161331926819", f"DE89370400440532013000|{IBAN}", 1.0),  # lists
        (IBAN, None, NAN),
    ],
)
def test_masked_code_compares_visible_characters(
    left: str, right: str | None, expected: float
) -> None:
    score = masked_code(np.array([left], dtype=object), np.array([right], dtype=object))[0]
    assert (math.isnan(expected) and math.isnan(score)) or score == pytest.approx(expected)


@pytest.mark.parametrize(
    ("left", "right", "masked", "holder"),
    [
        # A masked IBAN agreeing with a full one: the holder decides.
        (f"{MASKED} hawrami mohammad", f"{IBAN[:-4]}8810 hawrami mohammad", 0.9, 1.0),
        (f"{MASKED} hawrami mohammad", f"{IBAN[:-4]}8810 hawrami mohamad", 0.9, 0.97),
        (f"{MASKED} hawrami mohammad", f"{IBAN[:-4]}8810 ahmadi farid", 0.0, 0.4),
        (f"{MASKED}", f"{IBAN[:-4]}8810 ahmadi farid", 0.7, NAN),  # holder unknown
        # Two full IBANs decide alone: joint and mule accounts have several holders.
        (f"{IBAN} hawrami mohammad", f"{IBAN} ahmadi farid", 1.0, NAN),
        (f"{IBAN} hawrami mohammad", f"{IBAN[:-1]}9 hawrami mohammad", 0.0, NAN),
        # No IBAN on one side: only the holder can speak.
        ("- hawrami mohammad", f"{IBAN} hawrami mohammad", NAN, 1.0),
    ],
)
def test_a_masked_iban_is_judged_with_its_holder(
    left: str, right: str, masked: float, holder: float
) -> None:
    pair = np.array([left], dtype=object), np.array([right], dtype=object)
    got_masked, got_holder = masked_code_holder(*pair)[0], holder_unless_full_codes(*pair)[0]
    for got, want in ((got_masked, masked), (got_holder, holder)):
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, abs=0.05)


# --------------------------------------------------------------------------- documents, emails


@pytest.mark.parametrize(
    ("text", "digit"),
    [("L898902C3", 6), ("740812", 2), ("120415", 9), ("D23145890", 7), ("L898902C<", 3)],
)
def test_mrz_check_digit(text: str, digit: int) -> None:
    assert mrz_check_digit(text) == digit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y893382841", "Y893382841"),  # a plain number is kept whole
        ("y89 338 284 1", "Y893382841"),
        ("DO79823333O", "D0798233330"),  # O for 0
        ("I5592S9B50", "1559259850"),  # I/1, S/5, B/8
        ("L898902C<3", "L898902C"),  # the MRZ field and its check digit
        ("L898902C36UTO7408122F1204159ZE184226B<<<<<10", "L898902C3"),  # TD3 line 2
        ("I<UTOD231458907<<<<<<<<<<<<<<<", "D23145890"),  # TD1 line 1
    ],
)
def test_document_numbers_fold_and_read_mrz(value: str, expected: str) -> None:
    assert canonical_document(value) == expected


def test_a_document_failing_its_mrz_check_digit_is_rejected() -> None:
    with pytest.raises(ValueError, match="MRZ check digit"):
        canonical_document("L898902C<4")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("John.Doe+x@GMail.com", "johndoe@gmail.com"),
        ("j.o.h.n.doe@googlemail.com", "johndoe@gmail.com"),
        ("Jean Dupont <Jean.Dupont@Orange.fr>", "jean.dupont@orange.fr"),
        ("mailto:contact@rapid-market.fr", "contact@rapid-market.fr"),
        ("first.last+tag@outlook.com", "first.last+tag@outlook.com"),  # only gmail folds
    ],
)
def test_emails(value: str, expected: str) -> None:
    assert canonical_email(value) == expected


# --------------------------------------------------------------------------- columns


def test_company_and_account_columns_are_guessed_in_english_and_french() -> None:
    company = map_columns(
        [
            "id",
            "Raison sociale",
            "Nom commercial",
            "Forme juridique",
            "SIRET",
            "N° TVA",
            "Adresse",
            "Code postal",
            "Ville",
            "Téléphone",
            "Dirigeants",
        ],
        id_column="id",
        overrides={},
        ignore=set(),
        entity="company",
    )
    assert company == {
        "Raison sociale": "name",
        "Nom commercial": "trade_name",
        "Forme juridique": "legal_form",
        "SIRET": "registration_id",
        "N° TVA": "vat_id",
        "Adresse": "address",
        "Code postal": "postcode",
        "Ville": "city",
        "Téléphone": "phones",
        "Dirigeants": "directors",
    }
    account = map_columns(
        ["id", "Titulaire", "IBAN", "BIC", "Numéro de compte", "Banque", "Pays"],
        id_column="id",
        overrides={},
        ignore=set(),
        entity="account",
    )
    assert account == {
        "Titulaire": "holder_name",
        "IBAN": "iban",
        "BIC": "bic",
        "Numéro de compte": "account_number",
        "Banque": "bank_name",
        "Pays": "country",
    }


def test_map_option_and_settings_check_the_entity_type() -> None:
    assert parse_map_option("owner=holder_name", "account") == {"owner": "holder_name"}
    with pytest.raises(ConfigError, match="unknown field 'given_name' of account records"):
        parse_map_option("owner=given_name", "account")
    with pytest.raises(ConfigError, match="unknown entity type 'ship'"):
        Settings(entity="ship")


def _prepare(rows: list[dict[str, str]], mapping: dict[str, str]) -> pd.DataFrame:
    raw = pd.DataFrame(rows, dtype=object)
    part = prepare_records(
        raw,
        source="s",
        id_column="id",
        mapping=mapping,
        generic={},
        options=PrepareOptions(),
    )
    stacked = stack_records([part])
    return stacked.frame.assign(_rejects=len(part.rejects))


SIRET = "73961833800019"


def test_company_records_are_prepared_with_forms_sirens_and_weights() -> None:
    rows = [
        {"id": "1", "name": "KEBAB HASSAN S.A.R.L.", "trade": "Orient Food", "siret": SIRET},
        {"id": "2", "name": "EURL Kebab Hassan", "trade": "", "siret": "739618338"},
        {"id": "3", "name": "KEBAB AHMADI", "trade": "", "siret": "739618339"},  # bad Luhn
    ]
    mapping = {"name": "name", "trade": "trade_name", "siret": "registration_id"}
    frame = _prepare(rows, mapping)
    assert frame["name_core"].tolist() == ["kebab hassan", "kebab hassan", "kebab ahmadi"]
    assert frame["names"].iloc[0] == "kebab hassan|orient food"
    assert frame["legal_form"].iloc[:2].tolist() == ["SARL SARL", "SARL EURL"]
    assert frame["registration"].iloc[:2].tolist() == ["739618338", "739618338"]
    assert pd.isna(frame["registration"].iloc[2]) and frame["_rejects"].iloc[0] == 1
    weights = dict(t.split(":") for t in frame["name_weighted"].iloc[0].split())
    assert float(weights["kebab"]) < float(weights["hassan"])
    assert frame["name_rare"].iloc[2] == "ahmadi"
    comparisons = entity_comparisons("company", [], {}, frame.columns)
    assert {c.name for c in comparisons} >= {
        "names_best_tsort",
        "name_weighted_idf_overlap",
        "legal_form_agreement",
        "registration_shared",
    }


def test_account_records_are_prepared_with_patterns_and_holders() -> None:
    rows = [
        {"id": "1", "iban": "FR76 3000 4175 5580 5807 9466 708", "holder": "Mohammad HAWRAMI"},
        {"id": "2", "iban": "FR76 3000 4XXX XXXX XXXX XXX6 708", "holder": ""},
        {"id": "3", "iban": "FR76 3000 4175 5580 5807 9466 709", "holder": "Ali"},  # invalid
    ]
    frame = _prepare(rows, {"iban": "iban", "holder": "holder_name"})
    assert frame["iban"].iloc[:2].tolist() == [IBAN, "FR7630004XXXXXXXXXXXXXX6708"]
    assert pd.isna(frame["iban"].iloc[2]) and frame["_rejects"].iloc[0] == 1
    assert frame["iban_key"].iloc[0] == frame["iban_key"].iloc[1] == "FR7630004.708"
    assert frame["iban_holder"].tolist() == [
        f"{IBAN} hawrami mohammad",
        "FR7630004XXXXXXXXXXXXXX6708",
        "- ali",
    ]
    assert frame["holder_name_ph"].iloc[0] == "HRM MHMT"


# --------------------------------------------------------------------------- the command


COMPANY_HEADER = ["record_id", "raison_sociale", "siren", "adresse", "ville", "telephone"]


def _companies() -> list[list[str]]:
    """Fifteen companies written twice (registered name with its form and SIREN, then as heard,
    the SIREN known for half), five of them domiciled at one address, where two more
    companies share a phone."""
    from linker.synth.world.identifiers import siren

    rng = np.random.default_rng(8)
    sectors = ["TRANSPORTS", "KEBAB", "TAXIPHONE", "NETTOYAGE", "BTP"]
    owners = ["TESFAYE", "NOORZAI", "HAWRAMI", "BENNANI", "NGUYEN", "YILMAZ", "POPESCU", "KHAN"]
    forms = [("SARL", "S.A.R.L."), ("SAS", "S.A.S."), ("EURL", "E.U.R.L."), ("SNC", "SNC")]
    domiciliation = ("17 rue de Verdun c/o domiciliation", "Aubervilliers")
    rows = []
    for i in range(15):
        name = f"{sectors[i % 5]} {owners[i % 8]} {i}"
        form, dotted = forms[i % 4]
        number = siren(rng)
        phone = f"01 {40 + i} 00 00 {10 + i}"
        street, city = domiciliation if i % 3 == 0 else (f"{i + 1} rue de la Paix", "Paris")
        rows.append([f"A{i:02d}", f"{form} {name}", number, street.upper(), city.upper(), phone])
        known = number if i % 2 == 0 else ""
        rows.append([f"B{i:02d}", f"{name.title()} {dotted}", known, street, city, phone])
    shared_phone = "01 99 00 00 01"
    rows.append(["D01", "SAS ATLAS VOYAGES", siren(rng), *domiciliation, shared_phone])
    rows.append(["D02", "EURL GOLDEN PHONE", siren(rng), *domiciliation, shared_phone])
    return rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_dedupe_companies_of_a_plain_file(tmp_path: Path) -> None:
    source = _write(tmp_path / "companies.csv", COMPANY_HEADER, _companies())
    out = tmp_path / "clusters.csv"
    code = cli.main(
        [
            *("dedupe", str(source), "--entity", "company", "--out", str(out)),
            *("--quiet", "--model", "unsupervised"),
        ]
    )
    assert code == 0
    cluster = pd.read_csv(out, dtype=str).set_index("record_id")["cluster_id"]
    for i in range(15):
        assert cluster[f"A{i:02d}"] == cluster[f"B{i:02d}"]
    # One address and one phone do not make two companies one.
    assert cluster["D01"] != cluster["D02"]
    assert cluster.nunique() == 17


def test_link_accounts_of_two_plain_files_with_masked_ibans(tmp_path: Path) -> None:
    from linker.synth.world.identifiers import fr_iban, group_iban, mask_iban

    rng = np.random.default_rng(4)
    holders = ["Mohammad Hawrami", "Semere Tesfaye", "Lan Ngo", "Ali Rahimi", "Andrei Popescu"]
    left, right = [], []
    for i in range(40):
        iban = fr_iban("30004", rng)
        holder = f"{holders[i % 5]} {i}"
        left.append([f"L{i:02d}", iban, "BNPAFRPP", holder.upper()])
        shown = mask_iban(iban, rng) if i % 3 == 0 else group_iban(iban)
        right.append([f"R{i:02d}", shown, "", holder])
    right.append(["R99", "FR76 3000 4175 5580 5807 9466 709", "", "Nobody"])  # invalid
    header = ["record_id", "iban", "bic", "titulaire"]
    files = [_write(tmp_path / f"{n}.csv", header, rows) for n, rows in (("l", left), ("r", right))]
    out, rejects = tmp_path / "pairs.csv", tmp_path / "rejects.csv"
    code = cli.main(
        [
            *("link", *map(str, files), "--entity", "account", "--out", str(out)),
            *("--quiet", "--rejects", str(rejects), "--model", "unsupervised"),
        ]
    )
    assert code == 0
    pairs = pd.read_csv(out, dtype=str)
    assert sorted(zip(pairs["left_id"], pairs["right_id"], strict=True)) == [
        (f"L{i:02d}", f"R{i:02d}") for i in range(40)
    ]
    problems = pd.read_csv(rejects, dtype=str)
    assert problems["column"].tolist() == ["iban"]
    assert "not a valid IBAN" in problems["reason"].iloc[0]


def test_an_unknown_entity_is_refused_by_the_command(tmp_path: Path) -> None:
    source = _write(tmp_path / "c.csv", COMPANY_HEADER, _companies())
    with pytest.raises(SystemExit):
        cli.main(["dedupe", str(source), "--entity", "ship", "--out", str(tmp_path / "x.csv")])


# --------------------------------------------------------------------------- a small world


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("world")
    generate_world(600, 5, world)
    return world


# Measured on this world (600 identities, seed 5): 1.0 for both; the floors leave a margin.
FLOORS = {"company": 0.95, "account": 0.98}


@pytest.mark.parametrize("entity", ["company", "account"])
def test_world_companies_and_accounts_are_resolved(small_world: Path, entity: str) -> None:
    out, scores = small_world / f"{entity}.csv", small_world / f"{entity}_scores.csv"
    code = cli.main(
        [
            *("dedupe", str(small_world), "--entity", entity, "--out", str(out)),
            *("--quiet", "--scores", str(scores), "--model", "unsupervised"),
        ]
    )
    assert code == 0
    report = evaluate_world(
        small_world,
        pd.read_csv(out, dtype=str),
        entity=entity,
        scores=pd.read_csv(scores, dtype={"left_id": str, "right_id": str}),
    ).entities[entity]
    assert report.cluster.f1 >= FLOORS[entity]
    assert report.blocking_recall is not None and report.blocking_recall >= 0.99
    merged = report.hard_negatives["merged"].sum() if len(report.hard_negatives) else 0
    assert merged == 0  # companies at one domiciliation address stay apart
