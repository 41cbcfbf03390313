"""A full name against given + family names, and a name against the other record's aliases.

Person files write a name either as one ``full_name`` or as ``given_name`` + ``family_name``;
a file of both, or a link of a file of each, must compare and block a full name with split
names (either side, either order, the family name in capitals first or last, ``Family,
Given``), with the unsupervised model that files we did not write get. The made-up full name
of a record with split names must not make two such records count their names twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linker.blocking import BlockingRule, KeyCodes
from linker.compare import compare_pairs, person_comparisons
from linker.prepare import PrepareOptions
from linker.prepare.names import split_full_name
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.runs import run
from linker.settings import Settings

# Twenty people, each with a date of birth of their own.
PEOPLE = [
    ("Camille", "Lefebvre"), ("Hugo", "Moreau"), ("Lucie", "Garnier"), ("Louis", "Chevalier"),
    ("Manon", "Rousseau"), ("Arthur", "Blanchard"), ("Chloe", "Fontaine"), ("Jules", "Mercier"),
    ("Emma", "Girard"), ("Nathan", "Bonnet"), ("Ines", "Lambert"), ("Paul", "Faure"),
    ("Sarah", "Roussel"), ("Adam", "Perrin"), ("Lea", "Marchand"), ("Theo", "Dumont"),
    ("Clara", "Brunet"), ("Victor", "Colin"), ("Alice", "Renaud"), ("Samuel", "Aubert"),
]  # fmt: skip
TARGET_DOB = "14/03/1982"
OTHER_DOB = "27/09/1979"
FULL_FORMS = ("Jean DUPONT", "DUPONT Jean", "Dupont, Jean", "Jean Dupont", "Dupont Jean")


def _dob(i: int) -> str:
    return f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1950 + i}"


def _split(i: int, given: str, family: str, dob: str) -> dict[str, str]:
    return {"record_id": f"s{i:02d}", "given_name": given, "family_name": family, "dob": dob}


def _full(i: int, full: str, dob: str) -> dict[str, str]:
    return {"record_id": f"f{i:02d}", "full_name": full, "dob": dob}


def _table(name: str, rows: list[dict[str, str]]) -> SourceTable:
    columns = ["record_id", "given_name", "family_name", "full_name", "dob"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object).fillna("")
    frame = frame[[c for c in columns if frame[c].ne("").any()]]
    return SourceTable(name, frame, pd.Series(np.arange(2, len(frame) + 2)))


def _people(full_share: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Every person written in split names, and every ``full_share``-th one again as a full
    name: (split rows, full-name rows)."""
    split = [_split(i, g, f, _dob(i)) for i, (g, f) in enumerate(PEOPLE)]
    full = [_full(i, f"{g} {f}", _dob(i)) for i, (g, f) in enumerate(PEOPLE) if i % full_share == 0]
    return split, full


def _target(full_form: str, full_first: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Jean Dupont in both layouts: (split names, full name), the full-name record first in
    id order when ``full_first`` (the left side of the pair) or second."""
    split = _split(90, "Jean", "Dupont", TARGET_DOB)
    full = _full(91, full_form, TARGET_DOB)
    if full_first:
        full["record_id"], split["record_id"] = "a_full", "b_split"
    else:
        split["record_id"], full["record_id"] = "a_split", "b_full"
    return split, full


@pytest.mark.parametrize("full_form", FULL_FORMS)
@pytest.mark.parametrize("full_first", [True, False])
def test_dedupe_links_a_full_name_to_given_and_family_names(
    full_form: str, full_first: bool
) -> None:
    split, full = _people(full_share=2)
    jean_split, jean_full = _target(full_form, full_first)
    # Two people of one date of birth, one written each way: only their names tell this
    # pair from Jean's.
    decoys = [_split(92, "Karim", "Benali", OTHER_DOB), _full(93, "Bilal Sheikh", OTHER_DOB)]
    rows = [*split, *full, jean_split, jean_full, *decoys]
    result = run([_table("people.csv", rows)], Settings(model="unsupervised"))
    clusters = result.result.set_index("record_id")["cluster_id"]
    assert clusters[jean_split["record_id"]] == clusters[jean_full["record_id"]], full_form
    assert clusters["s92"] != clusters["f93"]
    # The people written both ways merge too, and different people do not.
    merged = clusters.groupby(clusters).size()
    assert (merged <= 2).all()
    assert clusters["s00"] == clusters["f00"]


@pytest.mark.parametrize("full_form", FULL_FORMS)
@pytest.mark.parametrize("full_file_first", [True, False])
def test_link_pairs_a_file_of_full_names_with_one_of_split_names(
    full_form: str, full_file_first: bool
) -> None:
    split, full = _people(full_share=1)
    jean_split, jean_full = _target(full_form, full_first=True)
    # Two other people of Jean's date of birth, one in each file.
    split_rows = [*split, jean_split, _split(92, "Yacine", "Haddad", TARGET_DOB)]
    full_rows = [*full, jean_full, _full(93, "Karim Benali", TARGET_DOB)]
    tables = [_table("split.csv", split_rows), _table("full.csv", full_rows)]
    if not full_file_first:
        tables.reverse()
    result = run(tables, Settings(job="link", model="unsupervised"))
    pairs = {
        frozenset(p) for p in zip(result.result["left_id"], result.result["right_id"], strict=True)
    }
    assert frozenset({"b_split", "a_full"}) in pairs
    # Each person of one file meets itself in the other; the namesakes by date do not.
    assert {frozenset({f"s{i:02d}", f"f{i:02d}"}) for i in range(len(PEOPLE))} <= pairs
    decoys = {frozenset(p) for p in (("b_split", "f93"), ("s92", "a_full"), ("s92", "f93"))}
    assert not decoys & pairs


def _prepared(rows: list[dict[str, str]]) -> pd.DataFrame:
    tables = [_table("people.csv", rows)]
    plan = plan_columns(tables, "record_id", {}, set(), "person")
    options = PrepareOptions(name_features=False)
    return prepare_sources(tables, plan, "record_id", options).frame


@pytest.mark.parametrize("full_form", FULL_FORMS)
def test_a_full_name_and_split_names_share_a_blocking_key(full_form: str) -> None:
    frame = _prepared([_split(1, "Jean", "Dupont", "01/01/1990"), _full(2, full_form, "")])
    agree = KeyCodes(frame).agree(BlockingRule(("full_name_ph",)), np.array([0]), np.array([1]))
    assert agree.tolist() == [True]


def test_the_run_makes_the_mixed_pair_a_candidate() -> None:
    split, full = _people(full_share=2)
    rows = [*split, *full, _split(90, "Jean", "Dupont", "02/02/1992"), _full(91, "DUPONT Jean", "")]
    result = run([_table("people.csv", rows)], Settings(model="unsupervised"))
    scores = result.scores()
    pairs = {frozenset(p) for p in zip(scores["left_id"], scores["right_id"], strict=True)}
    assert frozenset({"s90", "f91"}) in pairs


def test_two_made_up_full_names_are_not_compared() -> None:
    """Records with split names both: their names are compared by given and family name
    alone (the made-up full name would say it again); a written full name meets them."""
    frame = _prepared(
        [
            _split(1, "Jean", "Dupont", ""),
            _split(2, "Jean", "Dupont", ""),
            _full(3, "Jean DUPONT", ""),
        ]
    )
    assert frame["full_name"].tolist() == ["dupont jean"] * 3
    comparisons = person_comparisons(["family_name", "full_name", "given_name"], {})
    features = compare_pairs(frame, np.array([0, 0, 2]), np.array([1, 2, 2]), comparisons)
    assert np.isnan(features["full_name_tsort"][0])
    assert features["full_name_tsort"][1:].tolist() == [1.0, 1.0]
    assert features["given_name_jw"][0] == 1.0


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Jean DUPONT", ("Jean", "DUPONT")),
        ("DUPONT Jean", ("Jean", "DUPONT")),
        ("Dupont, Jean", ("Jean", "Dupont")),
        ("Jean-Pierre DE LA FONTAINE", ("Jean-Pierre", "DE LA FONTAINE")),
        ("J-P MARTIN", ("J-P", "MARTIN")),
        ("Jean Dupont", None),  # no mark: the order is a guess
        ("JEAN DUPONT", None),
        ("Nsyb A1 Khdyr", None),  # A1 for Al: a typo, not capitals
        ("Dupont, Jean, Paris", None),
    ],
)
def test_a_full_name_splits_where_it_marks_the_family_name(
    full: str, parts: tuple[str, str] | None
) -> None:
    assert split_full_name(full) == parts


def test_a_marked_full_name_gives_given_and_family_names_in_a_file_of_both() -> None:
    rows = [
        _split(1, "Jean", "Dupont", ""),
        _full(2, "DUPONT Jean", ""),
        _full(3, "Jean Dupont", ""),
    ]
    frame = _prepared(rows).set_index("record_id")
    assert (frame.loc["f02", "given_name"], frame.loc["f02", "family_name"]) == ("jean", "dupont")
    # Its split-name keys are those of the split record; an unmarked full name gets none.
    assert frame.loc["f02", "names_sorted_ph"] == frame.loc["s01", "names_sorted_ph"]
    assert (
        frame.loc[["f03"], ["given_name", "family_name", "names_sorted_ph"]].isna().all(axis=None)
    )


def test_a_name_matches_an_alias_of_the_other_record() -> None:
    """Khaled Haddad, known as Abu Omar, and a record that gives only "Abu Omar": the alias
    is compared with the other's name, and blocked with it."""
    split, full = _people(full_share=2)
    rows: list[dict[str, str]] = [*split, *full]
    rows.append({**_split(90, "Khaled", "Haddad", TARGET_DOB), "aliases": "Abu Omar; Abou Amr"})
    rows.append(_full(91, "Abu Omar", TARGET_DOB))
    # The same layouts and a shared date of birth, without the alias: not one man.
    rows.append({**_split(92, "Yacine", "Haddad", OTHER_DOB), "aliases": "Abou Yahya"})
    rows.append(_full(93, "Omar Farouk", OTHER_DOB))
    columns = ["record_id", "given_name", "family_name", "full_name", "aliases", "dob"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object).fillna("")
    table = SourceTable("people.csv", frame, pd.Series(np.arange(2, len(frame) + 2)))
    result = run([table], Settings(model="unsupervised"))
    clusters = result.result.set_index("record_id")["cluster_id"]
    assert clusters["s90"] == clusters["f91"]
    assert clusters["s92"] != clusters["f93"]


def test_a_name_and_the_same_name_as_an_alias_share_a_blocking_key() -> None:
    rows = [
        {**_split(1, "Khaled", "Haddad", ""), "aliases": "Omar ABU | Abou Amr"},
        _full(2, "Abu Omar", ""),
        _full(3, "Omar Farouk", ""),
    ]
    columns = ["record_id", "given_name", "family_name", "full_name", "aliases", "dob"]
    frame = pd.DataFrame(rows, columns=columns, dtype=object).fillna("")
    tables = [SourceTable("people.csv", frame, pd.Series(np.arange(2, len(frame) + 2)))]
    plan = plan_columns(tables, "record_id", {}, set(), "person")
    prepared = prepare_sources(tables, plan, "record_id", PrepareOptions(name_features=False))
    codes = KeyCodes(prepared.frame)
    agree = codes.agree(BlockingRule(("name_forms_ph",)), np.array([0, 0]), np.array([1, 2]))
    assert agree.tolist() == [True, False]
