"""Cells holding several values written the way other people write lists (``, ``, `` / ``,
``;``), and phone numbers that fit no numbering plan of the default region."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from linker.compare.comparators import shared_item
from linker.prepare.records import PreparedRecords, PrepareOptions, prepare_records
from linker.prepare.sources import SourceTable, plan_columns
from linker.runs import run
from linker.settings import Settings


def _prepared(field: str, cells: list[str], region: str = "FR") -> PreparedRecords:
    raw = pd.DataFrame({"record_id": [str(i) for i in range(len(cells))], field: cells})
    return prepare_records(
        raw,
        source="t",
        id_column="record_id",
        mapping={field: field},
        generic={},
        options=PrepareOptions(region=region),
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("+33 6 12 34 56 78, 06 98 76 54 32", "+33612345678|+33698765432"),
        ("06 12 34 56 78 / 07 98 76 54 32", "+33612345678|+33798765432"),
        ("06 12 34 56 78 ; 07 98 76 54 32", "+33612345678|+33798765432"),
        ("0612345678;0798765432", "+33612345678|+33798765432"),
        ("0612345678/0798765432", "+33612345678|+33798765432"),
        ("0612345678|0798765432, 0144556677", "+33612345678|+33798765432|+33144556677"),
        # Separators inside one number are not list separators.
        ("06/12/34/56/78", "+33612345678"),
        ("06 12 34 / 56 78", "+33612345678"),
    ],
)
def test_phone_lists_split_on_commas_semicolons_and_slashes(cell: str, expected: str) -> None:
    prepared = _prepared("phones", [cell])
    assert prepared.frame["phones"].tolist() == [expected]
    assert prepared.rejects.empty


@pytest.mark.parametrize(
    ("field", "cell", "expected"),
    [
        ("emails", "a.b@x.fr, c@y.fr", "a.b@x.fr|c@y.fr"),
        ("emails", "a.b@x.fr; c@y.fr", "a.b@x.fr|c@y.fr"),
        # A comma inside one address's display name: one address.
        ("emails", "Dupont, Jean <jd@x.fr>", "jd@x.fr"),
        ("documents", "12AB34567, 98CD76543", "12A834567|98CD76543"),
        ("documents", "12AB34567 / 98CD76543", "12A834567|98CD76543"),
        (
            "ibans",
            "FR76 3000 6000 0112 3456 7890 189, DE89 3704 0044 0532 0130 00",
            "FR7630006000011234567890189|DE89370400440532013000",
        ),
        ("aliases", "Abu Ahmed; Hamoudi", "abu ahmed|hamoudi"),
        ("aliases", "Abu Ahmed / Hamoudi", "abu ahmed|hamoudi"),
        # "FAMILY, Given" is one name written surname first: a comma never splits aliases.
        ("aliases", "DUPONT, Jean", "dupont jean"),
    ],
)
def test_other_lists_split_where_a_separator_can_be_one(
    field: str, cell: str, expected: str
) -> None:
    prepared = _prepared(field, [cell])
    assert prepared.frame[field].tolist() == [expected]
    assert prepared.rejects.empty


def test_the_mapping_printout_says_which_columns_are_lists_and_which_separators_it_saw() -> None:
    frame = pd.DataFrame(
        {
            "record_id": ["1", "2", "3"],
            "telephone": [
                "06 12 34 56 78, 07 98 76 54 32",
                "0612345678",
                "0612345678 / 0144556677",
            ],
            "email": ["a@x.fr", "b@y.fr", "c@z.fr"],
        },
        dtype=object,
    )
    table = SourceTable("police", frame, pd.Series(np.arange(2, 5)))
    lines = plan_columns([table], "record_id", {}, set()).describe()
    phones = [line for line in lines if "telephone" in line and "list" in line]
    assert phones, lines
    seen = phones[0].split("seen")[-1]
    assert "',' in 1 cell" in seen and "' / ' in 1 cell" in seen
    assert "'|'" not in seen  # not in this column's cells
    emails = [line for line in lines if "email" in line and "list" in line]
    assert emails and "seen none" in emails[0], lines


@pytest.mark.parametrize(
    ("cell", "region", "key"),
    [
        ("555-0142", "FR", "5550142"),  # a US local number
        ("0791 234 5678", "FR", "07912345678"),  # a UK national number
        ("(030) 1234 5678 9", "FR", "030123456789"),
    ],
)
def test_a_number_outside_the_region_is_kept_as_digits_with_a_note(
    cell: str, region: str, key: str
) -> None:
    prepared = _prepared("phones", [cell, "06 12 34 56 78"], region)
    assert prepared.frame["phones"].tolist() == [key, "+33612345678"]
    assert prepared.rejects.empty
    assert prepared.notes["row"].tolist() == [1]
    assert "digits" in prepared.notes["reason"].iloc[0]


@pytest.mark.parametrize("cell", ["12", "call me", "+", "06 12 34 56 78 90 12 34 56"])
def test_what_cannot_be_a_number_is_still_rejected(cell: str) -> None:
    prepared = _prepared("phones", [cell])
    assert prepared.frame["phones"].isna().all()
    assert len(prepared.rejects) == 1


def test_a_digits_key_agrees_with_the_same_digits_only() -> None:
    prepared = _prepared("phones", ["555-0142", "555 0142", "555-0199|06 12 34 56 78"])
    phones = prepared.frame["phones"].to_numpy(dtype=object)
    scores = shared_item(phones[[0, 0]], phones[[1, 2]])
    assert scores.tolist() == [1.0, 0.0]


def test_two_records_sharing_a_foreign_national_number_are_compared_on_it() -> None:
    frame = pd.DataFrame(
        [
            ["1", "Jean", "Dupont", "555-0142"],
            ["2", "Jean", "Dupond", "555 0142"],
            ["3", "Marie", "Curie", "06 12 34 56 78"],
            ["4", "Paul", "Martin", "07 98 76 54 32"],
        ],
        columns=["record_id", "given_name", "family_name", "phones"],
        dtype=object,
    )
    table = SourceTable("t", frame, pd.Series(np.arange(2, 6)))
    result = run([table], Settings(model="unsupervised"))
    assert result.rejects.empty
    scores = result.scores(explain=True)
    pair = scores[(scores["left_id"] == "1") & (scores["right_id"] == "2")]
    assert len(pair) == 1
    explanation = json.loads(pair["explanation"].iloc[0])
    assert "phones" in json.dumps(explanation)
    phone_values = [
        v for k, v in _flat(explanation) if "phones" in k and isinstance(v, (int, float))
    ]
    assert 1.0 in phone_values, explanation
    assert result.stats()["notes"] == 2


def _flat(value: object, key: str = "") -> list[tuple[str, object]]:
    """(path, leaf) of every leaf of a JSON value."""
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flat(v, f"{key}.{k}")]
    if isinstance(value, list):
        return [kv for i, v in enumerate(value) for kv in _flat(v, f"{key}.{i}")]
    return [(key, value)]
