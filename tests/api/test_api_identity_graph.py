"""``GET /v1/identities/{id}/why`` and ``/network``, on SQLite and PostgreSQL.

``why`` is checked on identities a real linkage run made (its stored pairs) and on ones made
by hand (no pairs); ``network`` on a small world of persons, accounts and a company whose
relations are known hop by hop.
"""

from __future__ import annotations

from typing import Any

import pytest

from linker.linkage import resolve_identities
from linker.store import RecordIn, Relation, Source, Store
from linker.synth.people import generate_people


@pytest.fixture
def linked(api_store: Store) -> Store:
    """150 generated persons in source ``tax``, linked by a full linkage run."""
    records, _truth = generate_people(150, seed=5)
    rows = [
        RecordIn(str(row.pop("record_id")), {k: v for k, v in row.items() if v is not None})
        for row in records.to_dict(orient="records")
    ]
    with api_store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.upsert_records("tax", rows)
    resolve_identities(api_store, "person", full=True)
    return api_store


def _all(client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/identities?limit=500").get_json()["items"]
    return items


def test_why_gives_the_stored_pairs_of_a_linked_identity(linked, store_client) -> None:
    with linked.read() as reader:
        version = reader.active_model_version("person")
    assert version is not None
    multi = [x for x in _all(store_client) if len(x["members"]) >= 2]
    assert multi, "the run linked no duplicates"
    held = 0
    for identity in multi:
        body = store_client.get(f"/v1/identities/{identity['id']}/why").get_json()
        members = {(m["source"], m["record_id"]) for m in identity["members"]}
        assert body["model_version"] == version.id and body["pairs"]
        for pair in body["pairs"]:
            ends = {(pair[e]["source"], pair[e]["record_id"]) for e in ("left", "right")}
            assert ends <= members and len(ends) == 2
            assert pair["band"] in ("match", "review") and pair["model_version"] == version.id
            assert 0.0 <= pair["score"] <= 1.0 and pair["explanation"] is None
        scores = [pair["score"] for pair in body["pairs"]]
        assert scores == sorted(scores, reverse=True)
        grouped = {(m["source"], m["record_id"]) for g in body["groups"] for m in g}
        assert grouped == members
        held += body["held_together"]
        assert body["held_together"] == (len(body["groups"]) == 1)
        assert (body["note"] is None) == body["held_together"]
    assert held == len(multi)  # a run's clusters are held together by its stored matches


def test_why_after_a_manual_merge_shows_the_members_no_pair_joins(linked, store_client) -> None:
    multi = [x["id"] for x in _all(store_client) if len(x["members"]) >= 2][:2]
    merged = store_client.post("/v1/identities/merge", json={"identity_ids": multi}).get_json()
    body = store_client.get(f"/v1/identities/{merged['identity_ids'][0]}/why").get_json()
    assert not body["held_together"] and len(body["groups"]) >= 2
    assert "manual merge" in body["note"]
    absorbed = store_client.get(f"/v1/identities/{merged['identity_ids'][1]}/why")
    assert absorbed.status_code == 308
    assert absorbed.headers["Location"] == f"/v1/identities/{merged['identity_ids'][0]}/why"


def test_why_without_stored_pairs_says_so(api_store, store_client) -> None:
    with api_store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.upsert_records("tax", [RecordIn("T1", {}), RecordIn("T2", {})])
        uow.create_identity("a", "person", [("tax", "T1"), ("tax", "T2")], None)
    body = store_client.get("/v1/identities/a/why").get_json()
    assert body["model_version"] is None and body["pairs"] == []
    assert len(body["groups"]) == 2 and not body["held_together"]
    assert "no linkage model version" in body["note"]


@pytest.fixture
def world(api_store: Store) -> Store:
    """Persons p (P1, P2), q (P3), r (P4); accounts a1 (A1), a2 (A2); company c (C1).

    P1 holds A1, P2 directs C1, P3 holds A1, A1 transfers to A2, P4 holds A2, and P1 holds
    A9, a record in no identity. So from p: a1 and c at 1 hop, q and a2 at 2, r at 3.
    """
    with api_store.unit_of_work() as uow:
        for name, entity in (("pers", "person"), ("bank", "account"), ("reg", "company")):
            uow.put_source(Source(name, agency="agency", entity_type=entity))
        uow.upsert_records("pers", [RecordIn(f"P{n}", {}) for n in range(1, 5)])
        uow.upsert_records("bank", [RecordIn(r, {}) for r in ("A1", "A2", "A9")])
        uow.upsert_records("reg", [RecordIn("C1", {})])
        for identity, entity, members in (
            ("p", "person", [("pers", "P1"), ("pers", "P2")]),
            ("q", "person", [("pers", "P3")]),
            ("r", "person", [("pers", "P4")]),
            ("a1", "account", [("bank", "A1")]),
            ("a2", "account", [("bank", "A2")]),
            ("c", "company", [("reg", "C1")]),
        ):
            uow.create_identity(identity, entity, members, None)
        uow.put_relations(
            "pers",
            [
                Relation("R1", "holds_account", ("pers", "P1"), ("bank", "A1")),
                Relation("R2", "directs_company", ("pers", "P2"), ("reg", "C1")),
                Relation("R3", "holds_account", ("pers", "P3"), ("bank", "A1")),
                Relation("R5", "holds_account", ("pers", "P4"), ("bank", "A2")),
                Relation("R6", "holds_account", ("pers", "P1"), ("bank", "A9")),
            ],
        )
        uow.put_relations(
            "bank", [Relation("T1", "transfer", ("bank", "A1"), ("bank", "A2"), amount=950.0)]
        )
    return api_store


def _hops(body: dict[str, Any]) -> dict[str, int]:
    return {node["id"]: node["hops"] for node in body["nodes"]}


def test_network_depth_one_is_the_direct_relations(world, store_client) -> None:
    body = store_client.get("/v1/identities/p/network").get_json()
    assert body["depth"] == 1 and body["nodes"][0]["id"] == "p"
    assert _hops(body) == {"p": 0, "a1": 1, "c": 1}
    edges = {
        (e["relation_id"], e["from_identity"], e["to_identity"], e["type"]) for e in body["edges"]
    }
    assert edges == {("R1", "p", "a1", "holds_account"), ("R2", "p", "c", "directs_company")}
    assert body["unresolved_relations"] == 1 and body["truncated"] is False
    assert body["nodes"][0]["members"] == [
        {"source": "pers", "record_id": "P1"},
        {"source": "pers", "record_id": "P2"},
    ]


def test_network_depth_two_and_three(world, store_client) -> None:
    two = store_client.get("/v1/identities/p/network?depth=2").get_json()
    assert _hops(two) == {"p": 0, "a1": 1, "c": 1, "a2": 2, "q": 2}
    transfer = next(e for e in two["edges"] if e["relation_id"] == "T1")
    assert (transfer["from_identity"], transfer["to_identity"]) == ("a1", "a2")
    assert transfer["amount"] == 950.0 and transfer["source"] == "bank"
    assert {e["relation_id"] for e in two["edges"]} == {"R1", "R2", "R3", "T1"}
    three = store_client.get("/v1/identities/p/network?depth=3").get_json()
    assert _hops(three) == {"p": 0, "a1": 1, "c": 1, "a2": 2, "q": 2, "r": 3}
    assert [n["hops"] for n in three["nodes"]] == sorted(n["hops"] for n in three["nodes"])


def test_network_follows_a_merge_and_checks_depth(world, store_client, assert_problem) -> None:
    store_client.post("/v1/identities/merge", json={"identity_ids": ["p", "r"]})
    moved = store_client.get("/v1/identities/r/network?depth=2")
    assert moved.status_code == 308
    assert moved.headers["Location"] == "/v1/identities/p/network?depth=2"
    # r's records are p's now: A2 is one hop away
    assert _hops(store_client.get("/v1/identities/p/network").get_json())["a2"] == 1
    for depth in ("0", "4", "deep"):
        assert_problem(store_client.get(f"/v1/identities/p/network?depth={depth}"), 422)
    assert_problem(store_client.get("/v1/identities/zz/network"), 404)


def test_network_on_a_generated_world(api_store, store_client, tmp_path) -> None:
    """A world loaded as ``linker load`` loads it (sources, records, relations) and linked:
    a person holding an account reaches it in one hop, and two hops reach at least as far."""
    from linker.synth.world import generate_world
    from linker.world_load import load_world

    generate_world(40, 3, tmp_path / "world")
    load_world(api_store, tmp_path / "world")
    for entity in ("person", "company", "account"):
        resolve_identities(api_store, entity, full=True)
    with api_store.read() as reader:
        persons = reader.identities("person", limit=1000)
        owner = reader.identities_of_records([m for x in persons for m in x.members])
        relations = reader.relations_of(sorted(owner), types=("holds_account",))
        accounts = reader.identities_of_records([r.to_record for _, r in relations])
    assert relations, "the world has no account holder"
    _source, relation = relations[0]
    person, account = owner[relation.from_record], accounts[relation.to_record]
    one = store_client.get(f"/v1/identities/{person}/network").get_json()
    assert _hops(one)[account] == 1
    kinds = {n["entity_type"] for n in one["nodes"]}
    assert "account" in kinds
    two = store_client.get(f"/v1/identities/{person}/network?depth=2").get_json()
    assert set(_hops(one)) <= set(_hops(two))
    assert all(_hops(two)[x] == hops for x, hops in _hops(one).items())
    assert {e["relation_id"] for e in one["edges"]} <= {e["relation_id"] for e in two["edges"]}
