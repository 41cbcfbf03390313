"""One-record matching (``linker.matching``) and screening (``linker.screening``), on SQLite
and PostgreSQL, against a small generated world resolved under one linkage model version."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from linker.errors import InputError, ModelError
from linker.matching import match_record, match_records
from linker.screening import check_entries, csv_safe, result_rows
from linker.store import Store
from tests.matching_world import (
    ENTITY,
    fitted,
    load,
    multi_record_identity,
    record_fields,
)
from tests.store.conftest import FakeClock, clock, engine_factory  # noqa: F401 (fixtures)


@pytest.fixture
def empty(engine_factory: Callable[[], Engine], clock: FakeClock) -> Store:  # noqa: F811
    store = Store(engine_factory(), clock=clock)
    store.upgrade()
    return store


@pytest.fixture
def loaded(empty: Store) -> Store:
    load(empty)
    return empty


def test_a_stored_records_own_fields_find_its_identity_first(loaded: Store) -> None:
    source, record_id, identity = multi_record_identity(loaded)
    result = match_record(loaded, ENTITY, record_fields(loaded, source, record_id))
    assert result.model_version == fitted()[0]
    first = result.candidates[0]
    assert first.identity_id == identity
    assert first.band == "match" and first.score >= 0.5
    assert (source, record_id) in first.members
    assert first.best in first.members
    # the explanation is the best pair's: its logit gives its score back
    features = first.explanation["features"]
    assert features and all("contribution" in f for f in features.values())
    total = first.explanation["base"] + sum(f["contribution"] for f in features.values())
    assert total == pytest.approx(first.explanation["logit"])
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert len({c.identity_id for c in result.candidates}) == len(result.candidates)
    assert result.compared >= len(first.members) - 1


def test_a_typo_finds_the_identity(loaded: Store) -> None:
    source, record_id, identity = multi_record_identity(loaded)
    fields = record_fields(loaded, source, record_id)
    family = fields["family_name"]
    typo = family[:-2] + family[-1] + family[-2]  # the last two letters swapped
    fields["family_name"] = typo
    fields["full_name"] = fields["full_name"].replace(family, typo)
    result = match_record(loaded, ENTITY, fields)
    assert result.candidates[0].identity_id == identity
    assert result.candidates[0].band in ("match", "review")


def test_an_unknown_person_matches_nobody(loaded: Store) -> None:
    result = match_record(
        loaded,
        ENTITY,
        {"full_name": "ZEBULON QWERTYUIOP", "family_name": "QWERTYUIOP", "dob": "29/02/1904"},
    )
    assert all(c.band == "no_match" for c in result.candidates)


def test_the_limit_is_respected(loaded: Store) -> None:
    source, record_id, identity = multi_record_identity(loaded)
    fields = record_fields(loaded, source, record_id)
    assert len(match_record(loaded, ENTITY, fields, limit=1).candidates) == 1
    three = match_record(loaded, ENTITY, fields, limit=3).candidates
    assert 1 <= len(three) <= 3 and three[0].identity_id == identity
    with pytest.raises(InputError, match="at least 1"):
        match_record(loaded, ENTITY, fields, limit=0)


def test_many_records_at_once_answer_as_each_alone(loaded: Store) -> None:
    queries = []
    expected = []
    with loaded.read() as reader:
        identities = [x for x in reader.identities(ENTITY) if len(x.members) > 1][:3]
    for identity in identities:
        source, record_id = identity.members[0]
        queries.append(record_fields(loaded, source, record_id))
        expected.append(identity.id)
    together = match_records(loaded, ENTITY, queries)
    alone = [match_record(loaded, ENTITY, q) for q in queries]
    assert [r.candidates[0].identity_id for r in together] == expected
    assert [r.candidates[0].identity_id for r in alone] == expected
    for a, b in zip(together, alone, strict=True):
        assert a.candidates[0].band == b.candidates[0].band == "match"


def test_no_active_version_is_a_model_error(empty: Store) -> None:
    with pytest.raises(ModelError, match="no linkage model version of person records"):
        match_record(empty, ENTITY, {"full_name": "JEAN DUPONT"})


def test_an_unknown_field_is_named(loaded: Store) -> None:
    with pytest.raises(InputError, match="nickname"):
        match_record(loaded, ENTITY, {"full_name": "JEAN DUPONT", "nickname": "JD"})


def test_a_key_shared_by_too_many_records_is_left_out(empty: Store) -> None:
    """With a maximum block size of 1, every key shared by two stored records is oversized:
    matching leaves those keys out (the batch path windows such blocks) and says how many."""
    version_id, manifest = fitted()
    small = copy.deepcopy(manifest)
    small["settings"]["blocking"]["max_block_size"] = 1
    load(empty, small)
    source, record_id, identity = multi_record_identity(empty)
    result = match_record(empty, ENTITY, record_fields(empty, source, record_id))
    assert result.oversized_keys > 0
    # what is left: keys that one stored record holds alone (the record itself, at least)
    assert 1 <= result.compared <= 3
    assert result.candidates[0].identity_id == identity
    assert result.model_version == version_id


def test_a_full_name_alone_meets_rules_on_split_names(
    empty: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version fitted on many persons may block only on keys of the split names
    (``names_sorted_ph & dob``: 0% of 100 screened names found a candidate at 200,000
    persons); a screening entry gives a full name: it is read as each split of its words."""
    import linker.matching

    _, manifest = fitted()
    split_only = copy.deepcopy(manifest)
    split_only["settings"]["rules"] = [{"keys": ["names_sorted_ph", "dob"]}]
    load(empty, split_only)
    source, record_id, identity = multi_record_identity(empty)
    fields = record_fields(empty, source, record_id)
    query = {"full_name": f"{fields['given_name']} {fields['family_name']}", "dob": fields["dob"]}
    result = match_record(empty, ENTITY, query)
    assert result.candidates[0].identity_id == identity
    assert result.candidates[0].band == "match"
    monkeypatch.setattr(linker.matching, "READINGS", 0)
    assert match_record(empty, ENTITY, query).compared == 0  # the full name alone: no key


def test_a_full_name_is_read_at_each_word_boundary() -> None:
    from linker.matching import name_readings

    assert name_readings({"full_name": "Nguyen Van An", "dob": "1990"}) == [
        {
            "full_name": "Nguyen Van An",
            "dob": "1990",
            "given_name": "Nguyen",
            "family_name": "Van An",
        },
        {
            "full_name": "Nguyen Van An",
            "dob": "1990",
            "given_name": "Nguyen Van",
            "family_name": "An",
        },
    ]
    assert name_readings({"full_name": "Madonna"}) == []
    assert name_readings({"full_name": "Jean Dupont", "family_name": "Dupont"}) == []


def test_screening_entries_are_checked() -> None:
    assert check_entries([{"key": "a", "full_name": "X", "dob": "1990"}]) == [
        {"key": "a", "full_name": "X", "dob": "1990"}
    ]
    with pytest.raises(InputError, match="'a' appears twice"):
        check_entries([{"key": "a", "full_name": "X"}, {"key": "a", "full_name": "Y"}])
    with pytest.raises(InputError, match="unknown field"):
        check_entries([{"key": "a", "full_name": "X", "alias": "Y"}])
    with pytest.raises(InputError, match="no full_name"):
        check_entries([{"key": "a", "full_name": " "}])


def test_csv_cells_cannot_run_as_formulas() -> None:
    for text in ("=cmd()", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(text) == "'" + text
    assert csv_safe("JEAN") == "JEAN" and csv_safe(None) == ""
    rows = list(
        result_rows(
            {
                0: {
                    "model_version": "person-v1",
                    "results": {
                        "=HYPERLINK()": [],
                        "k": [
                            {
                                "identity_id": "id1",
                                "score": 0.9,
                                "band": "match",
                                "best": {"source": "s", "record_id": "-r1"},
                                "members": [{"source": "s", "record_id": "-r1"}],
                            }
                        ],
                    },
                }
            }
        )
    )
    assert rows[0][0] == "'=HYPERLINK()" and rows[0][2] == ""
    assert rows[1][:5] == ["k", "1", "id1", "0.900000", "match"]
    assert rows[1][6] == "'-r1" and rows[1][7] == "s:-r1"
