"""Each identity change is one event; seqs are monotonic; merged ids point at the survivor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from linker.errors import InputError
from linker.store import RecordIn, Source, Store, StoreError

from .conftest import FakeClock

A = [("tax", f"T{i}") for i in range(1, 7)]


@pytest.fixture
def people(store: Store) -> Store:
    with store.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.upsert_records("tax", [RecordIn(rid, {"n": rid}) for _, rid in A])
        uow.add_model_version("v1", "person", {"thresholds": {"t_match": 0.9}})
    return store


def test_create_merge_split_retire_each_write_one_event(people: Store, clock: FakeClock) -> None:
    seqs = []
    with people.unit_of_work() as uow:
        seqs.append(uow.create_identity("id-a", "person", A[0:2], "v1"))
        seqs.append(uow.create_identity("id-b", "person", A[2:3], "v1"))
        seqs.append(uow.create_identity("id-c", "person", A[3:6], "v1"))
    clock.advance(1)
    with people.unit_of_work() as uow:
        seqs.append(uow.merge_identities("id-a", ["id-b"], "v1"))
    with people.unit_of_work() as uow:
        seqs.append(uow.split_identity("id-c", {"id-d": [A[5]]}, "v1"))
    with people.unit_of_work() as uow:
        seqs.append(uow.retire_identity("id-d", "v1"))
    with people.read() as reader:
        events = reader.events_since(0)
        assert [e.seq for e in events] == seqs == sorted(seqs)
        assert len(set(seqs)) == 6
        assert [(e.kind, e.identity_ids) for e in events] == [
            ("create", ("id-a",)),
            ("create", ("id-b",)),
            ("create", ("id-c",)),
            ("merge", ("id-a", "id-b")),
            ("split", ("id-c", "id-d")),
            ("retire", ("id-d",)),
        ]
        assert all(e.model_version_id == "v1" for e in events)
        assert events[3].details == {"moved": {"id-b": [["tax", "T3"]]}}
        a, b = reader.identity("id-a"), reader.identity("id-b")
        assert a.members == tuple(A[0:3]) and a.status == "active"
        assert b.status == "merged" and b.merged_into == "id-a" and b.members == ()
        assert reader.surviving_identity("id-b") == "id-a"
        assert reader.identity("id-c").members == tuple(A[3:5])
        assert reader.identity("id-d").status == "retired"
        assert reader.identity("id-d").created_seq == seqs[4]  # created by the split
        assert [i.id for i in reader.identities("person")] == ["id-a", "id-c"]
        assert reader.identities_of_records([A[2], A[5]]) == {A[2]: "id-a"}
        assert reader.last_event_seq() == seqs[-1]


def test_events_page_by_seq(people: Store) -> None:
    with people.unit_of_work() as uow:
        for i, ref in enumerate(A):
            uow.create_identity(f"id-{i}", "person", [ref], None)
    with people.read() as reader:
        first = reader.events_since(0, limit=4)
        rest = reader.events_since(first[-1].seq, limit=4)
    assert len(first) == 4 and len(rest) == 2
    assert [e.identity_ids[0] for e in first + rest] == [f"id-{i}" for i in range(6)]
    assert first[-1].seq < rest[0].seq


def test_merge_chains_are_flattened(people: Store) -> None:
    with people.unit_of_work() as uow:
        for i in range(3):
            uow.create_identity(f"id-{i}", "person", [A[i]], "v1")
        uow.merge_identities("id-1", ["id-0"], "v1")
        uow.merge_identities("id-2", ["id-1"], "v1")
    with people.read() as reader:
        assert reader.surviving_identity("id-0") == "id-2"
        assert reader.identity("id-0").merged_into == "id-2"
        assert reader.identity("id-2").members == tuple(A[0:3])


def test_a_record_belongs_to_one_identity(people: Store) -> None:
    with people.unit_of_work() as uow:
        uow.create_identity("id-a", "person", A[0:2], "v1")
    message = "already belong to an identity"
    with pytest.raises(StoreError, match=message), people.unit_of_work() as uow:
        uow.create_identity("id-b", "person", A[1:3], "v1")
    with people.read() as reader:
        assert reader.last_event_seq() == 1  # the refused create left no event


def test_changes_of_inactive_identities_are_refused(people: Store) -> None:
    with people.unit_of_work() as uow:
        uow.create_identity("id-a", "person", A[0:1], "v1")
        uow.create_identity("id-b", "person", A[1:2], "v1")
        uow.merge_identities("id-a", ["id-b"], "v1")
    with (
        pytest.raises(StoreError, match="'id-b' is merged, not active"),
        people.unit_of_work() as uow,
    ):
        uow.merge_identities("id-b", ["id-a"], "v1")
    with (
        pytest.raises(InputError, match="part 'id-x' has records not in it"),
        people.unit_of_work() as uow,
    ):
        uow.split_identity("id-a", {"id-x": [A[4]]}, "v1")
    with pytest.raises(InputError, match="would leave 'id-a' empty"), people.unit_of_work() as uow:
        uow.split_identity("id-a", {"id-x": A[0:2]}, "v1")
    with people.read() as reader:
        assert reader.last_event_seq() == 3


def test_events_commit_in_seq_order(engine_factory: Callable[[], Engine], clock: FakeClock) -> None:
    # A writer that took a seq but has not committed must hold back the next writer;
    # otherwise a reader paging with events_since could pass the slow writer's seq for good.
    setup = Store(engine_factory(), clock=clock)
    setup.upgrade()
    with setup.unit_of_work() as uow:
        uow.put_source(Source("tax", agency="tax-office", entity_type="person"))
        uow.upsert_records("tax", [RecordIn("T1", {}), RecordIn("T2", {})])
    slow, quick = Store(engine_factory(), clock=clock), Store(engine_factory(), clock=clock)
    event_written = threading.Event()
    committed: list[tuple[str, int]] = []

    def write_slowly() -> None:
        with slow.unit_of_work() as uow:
            seq = uow.create_identity("id-slow", "person", [("tax", "T1")], None)
            event_written.set()
            time.sleep(0.5)
        committed.append(("slow", seq))

    def write_quickly() -> None:
        event_written.wait(timeout=30)
        with quick.unit_of_work() as uow:
            seq = uow.create_identity("id-quick", "person", [("tax", "T2")], None)
        committed.append(("quick", seq))

    threads = [threading.Thread(target=write_slowly), threading.Thread(target=write_quickly)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [name for name, _ in committed] == ["slow", "quick"]
    assert committed[0][1] < committed[1][1]
