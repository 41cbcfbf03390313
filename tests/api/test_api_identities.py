"""``GET /v1/identities[/{id}]`` and ``GET /v1/identity-events``, on SQLite and PostgreSQL.

Identities are written through the store (as a linkage run writes them) so that each test
decides exactly which merge, split or retirement happened; one test goes the whole way from
an upload through the worker's ingest and linkage run to the identities it made.
"""

from __future__ import annotations

from typing import Any

import pytest

from linker.store import RecordIn, Relation, Source, Store
from linker.synth.people import generate_people
from linker.worker import Worker


@pytest.fixture
def stored(api_store: Store) -> Store:
    """Source ``tax`` with records T1..T6 and identities: a (T1, T2), b (T3), c (T4), d (T5),
    e (T6); b merged into a, d retired; a relation from T1 to T4."""
    with api_store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.add_model_version("person-v1", "person", {})
        uow.upsert_records("tax", [RecordIn(f"T{n}", {"n": n}) for n in range(1, 7)])
        for identity, members in {
            "a": ["T1", "T2"],
            "b": ["T3"],
            "c": ["T4"],
            "d": ["T5"],
            "e": ["T6"],
        }.items():
            uow.create_identity(identity, "person", [("tax", m) for m in members], None)
        uow.merge_identities("a", ["b"], "person-v1")
        uow.retire_identity("d", "person-v1")
        uow.put_relations(
            "tax", [Relation("R1", "family", ("tax", "T1"), ("tax", "T4"), attributes={})]
        )
    return api_store


def test_an_identity_answers_members_and_relations(stored, store_client) -> None:
    body = store_client.get("/v1/identities/a").get_json()
    assert body["status"] == "active" and body["entity_type"] == "person"
    assert body["members"] == [{"source": "tax", "record_id": r} for r in ("T1", "T2", "T3")]
    assert [r["relation_id"] for r in body["relations"]] == ["R1"]
    assert body["relations"][0]["to"] == {"source": "tax", "record_id": "T4"}


def test_a_merged_id_answers_308_to_its_survivor(stored, store_client) -> None:
    response = store_client.get("/v1/identities/b")
    assert response.status_code == 308
    assert response.headers["Location"] == "/v1/identities/a"
    assert response.get_json() == {"id": "b", "status": "merged", "merged_into": "a"}
    followed = store_client.get("/v1/identities/b", follow_redirects=True)
    assert followed.status_code == 200 and followed.get_json()["id"] == "a"


def test_a_chain_of_merges_is_one_hop(stored, store_client) -> None:
    with stored.unit_of_work() as uow:
        uow.merge_identities("c", ["a"], "person-v1")
    assert store_client.get("/v1/identities/b").headers["Location"] == "/v1/identities/c"


def test_retired_is_410_unknown_404(stored, store_client, assert_problem) -> None:
    assert "retired" in assert_problem(store_client.get("/v1/identities/d"), 410)["detail"]
    assert_problem(store_client.get("/v1/identities/zz"), 404)


def test_paging_through_identities(stored, store_client, assert_problem) -> None:
    seen, cursor = [], None
    while True:
        page = store_client.get(
            "/v1/identities?limit=2" + (f"&cursor={cursor}" if cursor else "")
        ).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["a", "c", "e"]  # active only, by id
    merged = store_client.get("/v1/identities?status=merged").get_json()["items"]
    assert [(x["id"], x["merged_into"]) for x in merged] == [("b", "a")]
    assert store_client.get("/v1/identities?entity_type=company").get_json()["items"] == []
    # A cursor of the active listing does not page the merged one.
    active = store_client.get("/v1/identities?limit=1").get_json()["next_cursor"]
    assert_problem(store_client.get(f"/v1/identities?status=merged&cursor={active}"), 400)
    for query in ("limit=0", "limit=501", "status=gone", "entity_type=car", "sort=id"):
        assert_problem(store_client.get(f"/v1/identities?{query}"), 422)


def test_the_change_feed_pages_by_seq(stored, store_client, assert_problem) -> None:
    events, since = [], 0
    while True:
        page = store_client.get(f"/v1/identity-events?since={since}&limit=3").get_json()
        events += page["items"]
        since = page["next_since"]
        if not page["has_more"]:
            break
    assert [(e["seq"], e["kind"]) for e in events] == [
        (1, "create"),
        (2, "create"),
        (3, "create"),
        (4, "create"),
        (5, "create"),
        (6, "merge"),
        (7, "retire"),
    ]
    assert events[5]["identity_ids"] == ["a", "b"] and events[5]["model_version"] == "person-v1"
    empty = store_client.get(f"/v1/identity-events?since={since}").get_json()
    assert empty == {"items": [], "next_since": 7, "has_more": False}
    assert_problem(store_client.get("/v1/identity-events?since=-1"), 422)
    assert_problem(store_client.get("/v1/identity-events?since=abc"), 422)
    assert_problem(store_client.get(f"/v1/identity-events?since={2**64}"), 422)


def test_upload_to_identities_through_the_worker(store_client, api_store) -> None:
    """The whole way: a source, a CSV upload, the ingest job and the linkage run it queues."""
    assert store_client.put("/v1/sources/tax", json={"entity_type": "person"}).status_code == 201
    records, _truth = generate_people(150, seed=5)
    response = store_client.post(
        "/v1/ingest-jobs?source=tax",
        data=records.to_csv(index=False).encode(),
        content_type="text/csv",
    )
    assert response.status_code == 202
    worker = Worker(api_store)
    outcomes: list[Any] = []
    while (outcome := worker.run_once()) is not None:
        outcomes.append(outcome)
    assert [(o.kind, o.state) for o in outcomes] == [("ingest", "done"), ("linkage-run", "done")]
    listed = store_client.get("/v1/identities?limit=500").get_json()["items"]
    members = sorted(m["record_id"] for identity in listed for m in identity["members"])
    assert members == sorted(records["record_id"])  # every record in exactly one identity
    assert len(listed) < len(records)  # duplicates were linked
    record = store_client.get(f"/v1/sources/tax/records/{records['record_id'][0]}").get_json()
    assert record["resolution"] == "resolved" and record["identity_id"] in {x["id"] for x in listed}
    feed = store_client.get("/v1/identity-events?limit=500").get_json()
    assert len(feed["items"]) == len(listed) and {e["kind"] for e in feed["items"]} == {"create"}
