"""Names in layers: the skeleton folds spellings of one name and keeps different names apart;
the chain alignment tells a truncated chain from a father/son shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linker.compare.codes import best_token_sort
from linker.compare.names import NAME_ALIGNMENT_OUTPUTS, name_alignment
from linker.prepare.names import (
    add_name_columns,
    consonants,
    is_placeholder,
    name_chain,
    skeleton,
    skeleton_chain,
    value_rarity,
)
from linker.prepare.text import normalise_one


@pytest.mark.parametrize(
    "spellings",
    [
        ["Mohammed", "Muhammad", "Mohamed", "MOHAMAD", "Mouhammad"],
        ["Abdulrahman", "Abdel Rahman", "Abd al-Rahman", "Abderrahmane", "Abdurrahman"],
        ["Alaeddine", "Ala ud-Din", "Ala Eddine", "Alauddin"],
        ["Gebremedhin", "Gebre Medhin", "G/Medhin"],
        ["Hussein", "Hossein", "Husein", "Hussain"],
        ["Khalil", "Halil", "Xelil"],
        ["Youssef Ben Ali", "Youssef Benali", "Youssef Ali"],
        ["Tesfaye", "Tesfay", "Tesfai"],
        ["Qasim", "Kassim", "Kasim"],
        ["Mathieu Le Roy", "Matthieu Leroy", "Mathieu LE ROY"],  # articles joined, not dropped
        ["Jean de la Fontaine", "Jean Delafontaine", "Jean De La Fontaine"],
        ["Mostafa Bel Kacem", "Mustapha Belkacem"],  # Maghreb bel-
        ["Brahim Ait Ouali", "Brahim Aitouali"],  # Kabyle ait-
        ["Zakaria Abu Bakr", "Zakaria Aboubakr"],
        ["Gheorghe Ciobanu", "Gheorghe Tchobanu"],  # Romanian ci- heard as tch
        ["Ikram ul Haq Chaudhry", "Ikram ul Haq Ch."],  # the clan name abbreviated
    ],
)
def test_spellings_of_one_name_share_a_skeleton(spellings: list[str]) -> None:
    assert len({skeleton(s) for s in spellings}) == 1, [skeleton(s) for s in spellings]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hassan", "Hussein"),
        ("Abdul Rahman", "Abdul Rahim"),
        ("Karim", "Kamal"),
        ("Ali", "Alia"),
        ("Brahim Ait Ouali", "Brahim Ali"),  # ait- kept with its name, not dropped
        ("Matthieu Leroy", "Matthieu Roy"),
    ],
)
def test_different_names_keep_different_skeletons(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b)


def test_placeholders_are_missing_names() -> None:
    for value in ("X", "FNU", "Inconnu", "SNP", "x x"):
        assert is_placeholder(value) or skeleton(value) is None
    assert skeleton("X") is None


def test_script_clean_up_before_transliteration() -> None:
    assert normalise_one("مُحَمَّد") == normalise_one("محمد")  # harakat
    assert normalise_one("علی") == normalise_one("علي")  # Persian and Arabic yeh
    assert normalise_one("الحموي") == normalise_one("حموي")  # the attached article
    assert normalise_one("İbrahim") == "ibrahim"
    assert normalise_one("\u200fAhmad\u200c") == "ahmad"  # bidi mark, ZWNJ
    assert consonants(skeleton("Yasser Al-Hamwi") or "") == consonants(
        skeleton("ياسر الحموي") or ""
    )


def test_chain_orders_french_family_names_last_and_falls_back_to_parts() -> None:
    raw = pd.DataFrame(
        {
            "full": ["HASSAN Mohamed El", None, "J-P Moreau", "M. Bilal BUTT"],
            "given": [None, "Omar", None, None],
            "family": [None, "Saleh", None, None],
        }
    )
    chain = name_chain(raw, {"full_name": "full", "given_name": "given", "family_name": "family"})
    # initials in capitals (J-P, M.) are a given name, not a family name written the French way
    assert list(chain) == ["muhamad hasan", "umar sala", "j p murau", "m bilal but"]


@pytest.mark.parametrize(
    "orders",
    [
        ["Nguyen Van Minh", "Minh Van Nguyen", "Van Minh NGUYEN", "NGUYEN VAN MINH"],
        ["Trần Văn Hùng", "Van Hung TRAN", "Tran Van Hung"],
        ["Lê Văn Thành", "LE Van Thanh", "Thanh LE"],  # Le: a family name here, not an article
    ],
)
def test_vietnamese_family_names_go_last_in_any_order(orders: list[str]) -> None:
    raw = pd.DataFrame({"full": orders})
    chain = name_chain(raw, {"full_name": "full"}).map(skeleton_chain)
    assert chain.nunique() == 1, list(chain)


@pytest.mark.parametrize(
    ("value", "tokens"),
    [
        ("Nguyen Van Tuan", "tuan nguyan"),  # ASCII: skeletons only
        ("Nguyễn Văn Tuấn", "tuan=tuan nguyan=nguyen"),  # own orthography: letters kept
        ("Ayşe KILIÇ", "ais=ayse kilik=kilic"),
        ("İBRAHİM DOĞAN", "ibrahim=ibrahim dugan=dogan"),
        ("محمد علي", "mhmd li"),  # Arabic script: no letters kept (its vowels are unwritten)
    ],
)
def test_names_in_their_own_orthography_keep_their_letters(value: str, tokens: str) -> None:
    chain = name_chain(pd.DataFrame({"full": [value]}), {"full_name": "full"})
    assert chain[0] == tokens


def _token_features(a: str, b: str) -> dict[str, float]:
    chains = [name_chain(pd.DataFrame({"full": [v]}), {"full_name": "full"})[0] for v in (a, b)]
    values = name_alignment(np.array(chains[:1], dtype=object), np.array(chains[1:], dtype=object))
    return dict(zip(NAME_ALIGNMENT_OUTPUTS, values[0], strict=True))


@pytest.mark.parametrize(
    ("name", "variant", "other"),
    [
        ("Nguyễn Văn Tuấn", "Nguyen Van Tuan", "Nguyễn Văn Toàn"),  # o/u folded in a skeleton
        ("Vũ Văn Long", "VU Van Long", "Võ Văn Long"),
        ("Hüseyin Koçak", "Huseyin Kocak", "Hüseyin Koçer"),
    ],
)
def test_two_names_in_their_orthography_are_compared_on_their_letters(
    name: str, variant: str, other: str
) -> None:
    """Diacritics dropped leave a spelling of the name; two names both written with their
    diacritics that differ are two names, although their skeletons may be one."""
    assert _token_features(name, variant)["exact_cover"] == 1.0
    assert _token_features(name, other)["exact_cover"] < 1.0
    assert _token_features(name, other)["weakest"] < 0.9


def _features(a: str, b: str) -> dict[str, float]:
    values = name_alignment(
        np.array([skeleton(a)], dtype=object), np.array([skeleton(b)], dtype=object)
    )[0]
    return dict(zip(NAME_ALIGNMENT_OUTPUTS, values, strict=True))


def test_alignment_tells_truncation_from_a_chain_shift() -> None:
    truncated = _features("Tesfay Gebremedhin Haile", "Tesfay Gebremedhin")
    shifted = _features("Tesfay Gebremedhin Haile", "Gebremedhin Haile Woldu")
    assert truncated["cover_max"] == 1.0 and truncated["positional"] == 1.0
    assert shifted["shifted"] == 1.0 and shifted["positional"] < 0.7
    assert shifted["first"] < truncated["first"]


@pytest.mark.parametrize(
    ("name", "variant", "other"),
    [
        ("Abdulrahman Karimi", "Abderrahmane Karimi", "Abdulrahim Karimi"),
        ("Gebremedhin Tesfay", "Gebre Medhin Tesfay", "Gebremeskel Tesfay"),
        ("Mohammadreza Karimi", "Mohamadreza Karimi", "Mohammadhadi Karimi"),
    ],
)
def test_names_sharing_a_common_head_are_compared_on_what_follows(
    name: str, variant: str, other: str
) -> None:
    """abd-, gebre-, habte-, wolde-, mohammad-: the shared head says nothing."""
    assert _features(name, variant)["exact_cover"] == 1.0
    assert _features(name, other)["weakest"] < 0.9


def test_alignment_of_a_swap_and_of_a_near_name() -> None:
    swapped = _features("Ahmadi Karim", "Karim Ahmadi")
    assert swapped["cover_min"] == 1.0 and swapped["swapped"] == 1.0
    near = _features("Abdul Rahman Karimi", "Abdul Rahim Karimi")
    variant = _features("Abdul Rahman Karimi", "Abderrahmane Karimi")
    assert variant["exact_cover"] == 1.0 and near["exact_cover"] < 1.0
    assert near["weakest"] < variant["weakest"]


def test_missing_names_give_missing_features() -> None:
    values = name_alignment(np.array([None, "ali"], dtype=object), np.array(["ali", None]))
    assert np.isnan(values).all()


def test_rarity_is_lower_for_common_values() -> None:
    rarity = value_rarity(pd.Series(["a", "a", "a", "b", None]))
    assert rarity[3] > rarity[0] and np.isnan(rarity[4])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sheikh Ishag Haroun", "ishag harun"),  # a title opening the name is dropped
        ("Haji Ahmad Noorzai", "ahmad nurzai"),
        ("Mohamed Ould Cheikh", "muhamad shai"),  # a family name Cheikh stays
        ("Haji", "haji"),  # nothing else: kept
    ],
)
def test_titles_are_dropped_only_before_a_name(name: str, expected: str) -> None:
    assert skeleton(name) == expected


@pytest.mark.parametrize(
    ("latin", "native"),
    [("Morteza Ghasemi", "مرتضی قاسمی"), ("Mohammad Hassan Rahimi", "محمد حسن رحیمی")],
)
def test_consonants_fold_the_letters_one_arabic_letter_becomes(latin: str, native: str) -> None:
    assert consonants(skeleton(latin) or "") == consonants(skeleton(native) or "")


def test_joined_alignment_sees_through_splits_and_merges() -> None:
    split = _features("Samiullah Rahmatullah", "Sami Ullah Rahmat Ullah")
    different = _features("Samiullah Rahmatullah", "Sami Rahmat")
    assert split["joined"] == 1.0 and split["cover_min"] == 1.0  # the splits rejoined
    assert different["joined"] < 0.9


def test_unmatched_tail_tells_a_dropped_grandfather_from_a_different_given_name() -> None:
    dropped = _features("Merhawi Tekle Habtemariam", "Merhawi Tekle")
    other_given = _features("Merhawi Tekle Habtemariam", "Dawit Tekle Habtemariam")
    assert dropped["unmatched_tail"] == 1.0
    assert other_given["unmatched_tail"] == 0.0
    assert np.isnan(_features("Ali Omar", "Omar Ali")["unmatched_tail"])


def test_a_nickname_record_keeps_its_legal_given_name_among_its_forms() -> None:
    """Police write Abu Omar (a kunya) for Khaled and keep Khaled as an alias: the best pair
    of given names and aliases finds him in the bank's KHALED."""
    raw = pd.DataFrame(
        {"given": ["Abu Omar", "KHALED", "Walid"], "aliases": ["Khaled", None, None]}
    )
    out = pd.DataFrame(index=raw.index)
    add_name_columns(out, raw, {"given": "given_name", "aliases": "aliases"})
    forms = out["given_forms"].to_numpy()
    assert forms[0] == "abumar|halad"
    best = best_token_sort(forms[[0, 0]], forms[[1, 2]])
    assert best[0] == 1.0 and best[1] < 0.9


@pytest.mark.parametrize(
    ("split", "merged"),
    [
        ("Ahmad Shah Noorzai", "Ahmadshah Nurzai"),
        ("Sami Ullah Rahmat Ullah", "Samiullah Rahmatullah"),  # two splits in one name
        ("Marie-Claire RICHARD", "MARIECLAIRE RICHARD"),
        ("Selam Tesfa Mariam", "Selam Tesfamariam"),
    ],
)
def test_a_split_name_meets_its_merged_form_token_for_token(split: str, merged: str) -> None:
    features = _token_features(split, merged)
    assert features["cover_min"] == features["exact_cover"] == 1.0
    assert features["positional"] == 1.0


def test_a_missing_token_is_not_taken_for_a_split() -> None:
    features = _token_features("Ahmad Shah Noorzai", "Ahmad Noorzai")
    assert features["cover_max"] == 1.0 and features["cover_min"] < 1.0
