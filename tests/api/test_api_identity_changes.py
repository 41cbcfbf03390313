"""Manual split, merge and undo (``POST /v1/identities/...``), on SQLite and PostgreSQL.

Identities are made through the store so that each test knows exactly who holds which
record; the changes go through the API and are checked in the answer, in ``GET`` and in the
change feed.
"""

from __future__ import annotations

from typing import Any

import pytest

from linker.store import RecordIn, Source, Store

RECORDS = [f"T{n}" for n in range(1, 9)]


@pytest.fixture
def stored(api_store: Store) -> Store:
    """Source ``tax`` (persons) with T1..T8: a (T1..T5), b (T6), c (T7), d (T8), created in
    that order; source ``acc`` (accounts) with A1 in x."""
    with api_store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.put_source(Source("acc", agency="bank", entity_type="account"))
        uow.upsert_records("tax", [RecordIn(r, {"n": r}) for r in RECORDS])
        uow.upsert_records("acc", [RecordIn("A1", {"iban": "x"})])
        uow.create_identity("a", "person", [("tax", f"T{n}") for n in range(1, 6)], None)
        uow.create_identity("b", "person", [("tax", "T6")], None)
        uow.create_identity("c", "person", [("tax", "T7")], None)
        uow.create_identity("d", "person", [("tax", "T8")], None)
        uow.create_identity("x", "account", [("acc", "A1")], None)
    return api_store


def _refs(*ids: str) -> list[dict[str, str]]:
    return [{"source": "tax", "record_id": r} for r in ids]


def _members(client: Any, identity_id: str) -> list[str]:
    body = client.get(f"/v1/identities/{identity_id}").get_json()
    return [m["record_id"] for m in body["members"]]


def _feed(client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/identity-events?limit=500").get_json()["items"]
    return items


def test_split_keeps_the_id_on_the_larger_part(stored, store_client) -> None:
    # T1, T2 named; T3..T5 are the rest: the larger part, which keeps "a".
    response = store_client.post("/v1/identities/a/split", json={"parts": [_refs("T1", "T2")]})
    assert response.status_code == 200, response.get_json()
    change = response.get_json()
    assert change["kind"] == "split" and change["identity_ids"][0] == "a"
    new_id = change["identity_ids"][1]
    assert len(change["identity_ids"]) == 2 and new_id not in "abcdx"
    assert _members(store_client, "a") == ["T3", "T4", "T5"]
    assert _members(store_client, new_id) == ["T1", "T2"]
    event = _feed(store_client)[-1]
    assert event["seq"] == change["seq"] and event["kind"] == "split"
    assert event["model_version"] is None and event["details"]["manual"] is True
    assert event["details"]["moved"] == {new_id: [["tax", "T1"], ["tax", "T2"]]}


def test_split_by_three_groups_and_the_larger_listed_part_keeps_the_id(
    stored, store_client
) -> None:
    body = {"parts": [_refs("T1"), _refs("T2", "T3", "T4"), _refs("T5")]}
    change = store_client.post("/v1/identities/a/split", json=body).get_json()
    kept, *others = change["identity_ids"]
    assert kept == "a" and len(others) == 2
    assert _members(store_client, "a") == ["T2", "T3", "T4"]
    assert sorted(m for x in others for m in _members(store_client, x)) == ["T1", "T5"]
    states = {x["id"]: x["status"] for x in change["identities"]}
    assert set(states.values()) == {"active"} and set(states) == {"a", *others}


def test_merge_survivor_has_more_members_and_the_others_answer_308(stored, store_client) -> None:
    response = store_client.post("/v1/identities/merge", json={"identity_ids": ["b", "a", "c"]})
    assert response.status_code == 200, response.get_json()
    change = response.get_json()
    assert change["kind"] == "merge" and change["identity_ids"] == ["a", "b", "c"]
    assert _members(store_client, "a") == [f"T{n}" for n in range(1, 8)]
    for absorbed in ("b", "c"):
        moved = store_client.get(f"/v1/identities/{absorbed}")
        assert moved.status_code == 308 and moved.headers["Location"] == "/v1/identities/a"
    assert {x["id"]: x["status"] for x in change["identities"]} == {
        "a": "active",
        "b": "merged",
        "c": "merged",
    }


def test_merge_tie_goes_to_the_older(stored, store_client) -> None:
    change = store_client.post("/v1/identities/merge", json={"identity_ids": ["d", "b"]})
    assert change.get_json()["identity_ids"] == ["b", "d"]  # b was created before d


def test_undo_a_split_merges_the_parts_back(stored, store_client) -> None:
    split = store_client.post("/v1/identities/a/split", json={"parts": [_refs("T1")]}).get_json()
    new_id = split["identity_ids"][1]
    response = store_client.post("/v1/identities/undo", json={"seq": split["seq"]})
    assert response.status_code == 200, response.get_json()
    undo = response.get_json()
    assert undo["kind"] == "undo" and undo["identity_ids"] == ["a", new_id]
    assert _members(store_client, "a") == ["T1", "T2", "T3", "T4", "T5"]
    moved = store_client.get(f"/v1/identities/{new_id}")
    assert moved.status_code == 308 and moved.headers["Location"] == "/v1/identities/a"
    event = _feed(store_client)[-1]
    assert event["kind"] == "undo" and event["details"]["undoes"] == split["seq"]


def test_undo_a_merge_gives_the_records_back_and_the_old_id_leads_there(
    stored, store_client
) -> None:
    merge = store_client.post("/v1/identities/merge", json={"identity_ids": ["a", "b"]}).get_json()
    undo = store_client.post("/v1/identities/undo", json={"seq": merge["seq"]}).get_json()
    assert undo["kind"] == "undo"
    assert _members(store_client, "a") == ["T1", "T2", "T3", "T4", "T5"]
    moved = store_client.get("/v1/identities/b")
    assert moved.status_code == 308
    restored = moved.headers["Location"].rsplit("/", 1)[1]
    assert restored != "a" and _members(store_client, restored) == ["T6"]
    assert restored in undo["identity_ids"] and "b" in undo["identity_ids"]


def test_undo_twice_or_after_a_change_is_a_409(stored, store_client, assert_problem) -> None:
    split = store_client.post("/v1/identities/a/split", json={"parts": [_refs("T1")]}).get_json()
    assert store_client.post("/v1/identities/undo", json={"seq": split["seq"]}).status_code == 200
    again = store_client.post("/v1/identities/undo", json={"seq": split["seq"]})
    assert "changed since" in assert_problem(again, 409)["detail"]
    # a later change to the same identities makes an older change impossible to undo
    merge = store_client.post("/v1/identities/merge", json={"identity_ids": ["a", "b"]}).get_json()
    store_client.post("/v1/identities/a/split", json={"parts": [_refs("T2")]})
    assert_problem(store_client.post("/v1/identities/undo", json={"seq": merge["seq"]}), 409)


def test_undo_refuses_what_is_not_a_manual_change(stored, store_client, assert_problem) -> None:
    # seq 1 is the create of "a" (not manual); an undo event cannot be undone either
    assert (
        "not a manual"
        in assert_problem(store_client.post("/v1/identities/undo", json={"seq": 1}), 409)["detail"]
    )
    split = store_client.post("/v1/identities/a/split", json={"parts": [_refs("T1")]}).get_json()
    undo = store_client.post("/v1/identities/undo", json={"seq": split["seq"]}).get_json()
    assert_problem(store_client.post("/v1/identities/undo", json={"seq": undo["seq"]}), 409)
    assert_problem(store_client.post("/v1/identities/undo", json={"seq": 999}), 404)


def test_a_merged_id_redirects_its_split_with_308(stored, store_client) -> None:
    store_client.post("/v1/identities/merge", json={"identity_ids": ["a", "b"]})
    response = store_client.post("/v1/identities/b/split", json={"parts": [_refs("T6")]})
    assert response.status_code == 308
    assert response.headers["Location"] == "/v1/identities/a/split"


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("a/split", {"parts": []}, ["body", "parts"]),
        ("a/split", {"parts": [[]]}, ["body", "parts", 0]),
        ("a/split", {"parts": [_refs("T6")]}, ["body", "parts", 0, 0]),  # not a member
        ("a/split", {"parts": [_refs("T1"), _refs("T2", "T1")]}, ["body", "parts", 1, 1]),
        ("a/split", {"parts": [_refs("T1", "T2", "T3", "T4", "T5")]}, ["body", "parts"]),
        ("a/split", {"parts": [[{"source": "tax"}]]}, ["body", "parts", 0, 0, "record_id"]),
        ("a/split", {"parts": [_refs("T1")], "why": "x"}, ["body", "why"]),
        ("merge", {"identity_ids": ["a"]}, ["body", "identity_ids"]),
        ("merge", {"identity_ids": ["a", "a"]}, ["body", "identity_ids", 1]),
        ("merge", {"identity_ids": ["a", "zz"]}, ["body", "identity_ids", 1]),
        ("merge", {"identity_ids": ["a", "x"]}, ["body", "identity_ids", 1]),  # an account
        ("merge", {"identity_ids": ["a", 7]}, ["body", "identity_ids", 1]),
        ("undo", {"seq": 0}, ["body", "seq"]),
        ("undo", {"seq": "1"}, ["body", "seq"]),
    ],
)
def test_bad_bodies_are_422_problems_that_say_where(
    stored, store_client, assert_problem, path, body, loc
) -> None:
    before = len(_feed(store_client))
    problem = assert_problem(store_client.post(f"/v1/identities/{path}", json=body), 422)
    assert problem["errors"][0]["loc"] == loc
    assert len(_feed(store_client)) == before  # nothing written


def test_merging_a_merged_identity_names_it(stored, store_client, assert_problem) -> None:
    store_client.post("/v1/identities/merge", json={"identity_ids": ["a", "b"]})
    problem = assert_problem(
        store_client.post("/v1/identities/merge", json={"identity_ids": ["c", "b"]}), 422
    )
    assert "merged into 'a'" in problem["detail"]


def test_split_of_an_unknown_identity_is_404(stored, store_client, assert_problem) -> None:
    assert_problem(store_client.post("/v1/identities/zz/split", json={"parts": [_refs("T1")]}), 404)


def test_get_on_merge_is_not_an_identity(stored, store_client) -> None:
    # "merge" and "undo" are operations, not identity ids: a GET is a 404 or 405 problem
    response = store_client.get("/v1/identities/merge")
    assert response.status_code in (404, 405)
    assert response.mimetype == "application/problem+json"


def test_a_change_written_meanwhile_makes_a_manual_change_fail_whole(stored: Store) -> None:
    """The change is decided from reads made before the event lock; an event committed by
    someone else in between (simulated: the change believes it saw none) rolls it back."""
    from linker.identity_edits import EditConflict, merge_manually

    with (
        pytest.raises(EditConflict, match="changed while this change was being made"),
        stored.unit_of_work() as uow,
    ):
        uow.last_event_seq = lambda: 0  # type: ignore[method-assign]
        merge_manually(uow, ["a", "b"])
    with stored.read() as reader:
        assert reader.identity("b").status == "active"  # nothing was written
        assert reader.last_event_seq() == 5


def test_manual_changes_make_ids_with_the_key_of_linkage_runs() -> None:
    from linker import identity_edits, linkage

    assert identity_edits.IDENTITY_KEY_VARIABLE == linkage.IDENTITY_KEY_VARIABLE
