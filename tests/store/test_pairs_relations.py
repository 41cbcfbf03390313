"""Scored pairs under a model version, and relations between records."""

from __future__ import annotations

from datetime import date

import pytest

from linker.errors import InputError
from linker.store import RecordIn, Relation, ScoredPair, Source, Store


@pytest.fixture
def two_agencies(store: Store) -> Store:
    with store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.put_source(Source("bank", agency="fiu", entity_type="account"))
        uow.upsert_records("tax", [RecordIn(f"T{i}", {"n": i}) for i in range(1, 4)])
        uow.upsert_records("bank", [RecordIn("B1", {"iban": "FR76..."})])
        uow.add_model_version("v1", "person", {})
        uow.add_model_version("v2", "person", {})
    return store


def test_a_pair_is_stored_once_per_version_in_a_fixed_order(two_agencies: Store) -> None:
    t1, t2, t3 = ("tax", "T1"), ("tax", "T2"), ("tax", "T3")
    with two_agencies.unit_of_work() as uow:
        uow.put_pairs("v1", [ScoredPair(t2, t1, 0.97, "match"), ScoredPair(t2, t3, 0.6, "review")])
        uow.put_pairs("v1", [ScoredPair(t1, t2, 0.95, "match")])  # rescored: replaced
        uow.put_pairs("v2", [ScoredPair(t1, t2, 0.2, "non_match")])
    with two_agencies.read() as reader:
        assert reader.pairs_of("v1", [t1]) == [ScoredPair(t1, t2, 0.95, "match")]
        assert reader.pairs_of("v1", [t2]) == [
            ScoredPair(t1, t2, 0.95, "match"),
            ScoredPair(t2, t3, 0.6, "review"),
        ]
        assert reader.pairs_of("v1", [t2], bands=("review",)) == [ScoredPair(t2, t3, 0.6, "review")]
        assert reader.pairs_of("v2", [t2]) == [ScoredPair(t1, t2, 0.2, "non_match")]


@pytest.mark.parametrize(
    ("left", "right", "band", "message"),
    [
        (("tax", "T1"), ("tax", "T1"), "match", "needs two records"),
        (("tax", "T1"), ("tax", "T2"), "maybe", "unknown band 'maybe'"),
    ],
)
def test_bad_pairs_are_refused_where_they_are_made(
    left: tuple[str, str], right: tuple[str, str], band: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ScoredPair(left, right, 0.5, band)


def test_relations_are_found_from_either_end(two_agencies: Store) -> None:
    holds = Relation("R1", "holds_account", ("tax", "T1"), ("bank", "B1"))
    family = Relation("R2", "family", ("tax", "T1"), ("tax", "T2"), attributes={"kind": "sibling"})
    transfer = Relation(
        "R3", "transfer", ("bank", "B1"), ("bank", "B9"), amount=1250.5, date=date(2025, 3, 2)
    )
    with two_agencies.unit_of_work() as uow:
        assert uow.put_relations("tax", [holds, family]) == 2
        assert uow.put_relations("bank", [transfer]) == 1
        uow.put_relations("tax", [holds])  # loaded again: replaced, not doubled
    with two_agencies.read() as reader:
        assert reader.relations_of([("bank", "B1")]) == [("bank", transfer), ("tax", holds)]
        assert reader.relations_of([("tax", "T2")]) == [("tax", family)]
        assert reader.relations_of([("tax", "T1")], types=("family",)) == [("tax", family)]


def test_an_unknown_relation_type_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown type 'owns'; known: holds_account"):
        Relation("R1", "owns", ("tax", "T1"), ("bank", "B1"))
