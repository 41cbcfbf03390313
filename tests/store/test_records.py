"""Records are upserted idempotently, a batch is all or nothing, block keys find candidates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from linker.errors import InputError
from linker.store import NotFoundError, RecordIn, Source, Store, UnitOfWork, content_hash
from linker.store.schema import block_keys, records

from .conftest import FakeClock

TAX = Source(
    "tax",
    agency="tax-office",
    entity_type="person",
    default_region="FR",
    date_order="DMY",
    column_mapping={"nom": "family_name"},
)


def _batch(n: int, prefix: str = "T") -> list[RecordIn]:
    return [
        RecordIn(
            f"{prefix}{i:04d}",
            {"nom": f"Dupont {i}", "dob": f"{1 + i % 28:02d}/03/1970"},
            {"family_name": f"dupont {i}"},
        )
        for i in range(1, n + 1)
    ]


def _count(store: Store) -> int:
    with store.read() as reader:
        return int(
            reader.connection.execute(select(func.count()).select_from(records)).scalar_one()
        )


@pytest.fixture
def tax(store: Store) -> Store:
    with store.unit_of_work() as uow:
        assert uow.put_source(TAX) is True
    return store


def test_a_source_round_trips_and_updates_in_place(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        assert uow.put_source(Source("tax", agency="tax-office", entity_type="person")) is False
    with tax.read() as reader:
        assert reader.source("tax") == Source("tax", "tax-office", "person")
        assert [source.name for source in reader.sources()] == ["tax"]


def test_the_same_batch_twice_changes_nothing_the_second_time(tax: Store, clock: FakeClock) -> None:
    with tax.unit_of_work() as uow:
        first = uow.upsert_records("tax", _batch(120), chunk_rows=50)
    assert len(first.inserted) == 120 and not first.updated and not first.unchanged
    with tax.read() as reader:
        before = reader.records("tax")
    clock.advance(60)
    with tax.unit_of_work() as uow:
        second = uow.upsert_records("tax", _batch(120), chunk_rows=50)
    assert second.unchanged == first.inserted
    assert second.inserted == () and second.updated == ()
    with tax.read() as reader:
        assert reader.records("tax") == before  # not even updated_at moved
    assert _count(tax) == 120
    with tax.read() as reader:
        assert reader.last_event_seq() == 0  # storing records is not an identity change


def test_changed_records_are_updated_and_reported(tax: Store, clock: FakeClock) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", _batch(3))
    clock.advance(60)
    rows = _batch(4)
    rows[1] = RecordIn("T0002", {"nom": "Dupond 2", "dob": "03/03/1970"})
    # The same content with keys in another order is the same record.
    rows[2] = RecordIn("T0003", dict(reversed(list(rows[2].raw.items()))))
    with tax.unit_of_work() as uow:
        report = uow.upsert_records("tax", rows)
    assert (report.inserted, report.updated, report.unchanged) == (
        ("T0004",),
        ("T0002",),
        ("T0001", "T0003"),
    )
    assert report.changed == ("T0004", "T0002")
    with tax.read() as reader:
        changed = reader.record("tax", "T0002")
    assert changed.raw == {"nom": "Dupond 2", "dob": "03/03/1970"}
    assert changed.version == 2 and changed.updated_at == clock.now
    assert changed.content_hash == content_hash({"dob": "03/03/1970", "nom": "Dupond 2"})
    assert changed.prepared is None  # the new content has not been prepared yet


def test_a_bad_row_fifty_leaves_nothing_of_the_batch(tax: Store) -> None:
    rows = _batch(100)
    rows[49] = RecordIn("", {"nom": "no id"})
    message = r"row 50: record_id must be a non-empty string"
    with pytest.raises(InputError, match=message), tax.unit_of_work() as uow:
        uow.upsert_records("tax", rows, chunk_rows=10)  # rows 1-40 were already written
    assert _count(tax) == 0


def test_a_stream_failing_at_row_fifty_leaves_nothing(tax: Store) -> None:
    written_before_failure = []

    def stream(uow: UnitOfWork) -> Iterator[RecordIn]:
        for number, row in enumerate(_batch(100), start=1):
            if number == 50:
                written_before_failure.append(len(uow.records("tax")))
                raise OSError("the bulk file was cut at row 50")
            yield row

    with pytest.raises(OSError, match="row 50"), tax.unit_of_work() as uow:
        uow.upsert_records("tax", stream(uow), chunk_rows=10)
    assert written_before_failure == [40]  # four chunks were in the transaction...
    assert _count(tax) == 0  # ...and none of them is left


def test_a_database_error_after_the_batch_undoes_the_batch(tax: Store) -> None:
    with pytest.raises(NotFoundError), tax.unit_of_work() as uow:
        uow.upsert_records("tax", _batch(60))
        uow.activate_model_version("no-such-version")
    assert _count(tax) == 0


def test_an_id_twice_in_one_batch_names_both_rows(tax: Store) -> None:
    rows = [*_batch(5), RecordIn("T0002", {"nom": "again"})]
    message = r"'T0002' appears twice in the batch \(rows 2 and 6\)"
    with pytest.raises(InputError, match=message), tax.unit_of_work() as uow:
        uow.upsert_records("tax", rows)
    assert _count(tax) == 0


def test_an_unknown_source_lists_the_stored_ones(tax: Store) -> None:
    message = r"unknown source 'police'; stored: tax"
    with pytest.raises(NotFoundError, match=message), tax.unit_of_work() as uow:
        uow.upsert_records("police", _batch(1))


def test_bad_sources_are_refused_where_they_are_made() -> None:
    with pytest.raises(InputError, match="the agency is empty"):
        Source("x", agency=" ", entity_type="person")
    with pytest.raises(InputError, match="unknown entity type 'vehicle'; known: person"):
        Source("x", agency="a", entity_type="vehicle")


def test_missing_prepared_values_are_stored_as_null(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", [RecordIn("T1", {"nom": "X"}, {"dob": float("nan"), "n": [1.0]})])
    with tax.read() as reader:
        assert reader.record("tax", "T1").prepared == {"dob": None, "n": [1.0]}


def test_block_keys_find_the_records_sharing_a_key(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", _batch(3))
        uow.replace_block_keys(
            "tax",
            {
                "T0001": [("dob", "1970-03-02"), ("name", "DPNT")],
                "T0002": [("name", "DPNT")],
                "T0003": [("dob", "1970-03-04")],
            },
        )
    with tax.read() as reader:
        assert reader.records_by_block_keys([("name", "DPNT")]) == [
            ("tax", "T0001"),
            ("tax", "T0002"),
        ]
        assert reader.records_by_block_keys([("dob", "1970-03-04"), ("dob", "1999")]) == [
            ("tax", "T0003")
        ]
        # A key value under another key name is another key.
        assert reader.records_by_block_keys([("dob", "DPNT")]) == []
    with tax.unit_of_work() as uow:
        uow.replace_block_keys("tax", {"T0001": [("name", "DPN")]})
    with tax.read() as reader:
        assert reader.records_by_block_keys([("name", "DPNT"), ("dob", "1970-03-02")]) == [
            ("tax", "T0002")
        ]


def test_an_erased_record_loses_its_content_and_keys(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", _batch(2))
        uow.replace_block_keys("tax", {"T0001": [("name", "DPNT")]})
        uow.erase_record("tax", "T0001")
    with tax.read() as reader:
        erased = reader.record("tax", "T0001")
        assert erased.raw == {} and erased.prepared is None and erased.erased_at is not None
        assert reader.records_by_block_keys([("name", "DPNT")]) == []
        assert [r.record_id for r in reader.records("tax")] == ["T0002"]
        assert len(reader.records("tax", include_erased=True)) == 2
    with tax.unit_of_work() as uow:  # sent again: stored again
        assert uow.upsert_records("tax", _batch(1)).updated == ("T0001",)
    with tax.read() as reader:
        assert reader.record("tax", "T0001").erased_at is None


def test_records_page_in_id_order_and_load_by_ref(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", list(reversed(_batch(5))))
    with tax.read() as reader:
        page = reader.records("tax", after="T0002", limit=2)
        assert [r.record_id for r in page] == ["T0003", "T0004"]
        refs = [("tax", "T0005"), ("tax", "nope"), ("tax", "T0001")]
        assert [r.record_id for r in reader.records_by_ref(refs)] == ["T0005", "T0001"]
        with pytest.raises(NotFoundError, match="source 'tax' has no record 'nope'"):
            reader.record("tax", "nope")


def test_prepared_columns_can_be_refreshed_without_a_content_change(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", _batch(2))
        uow.set_prepared("tax", {"T0001": {"family_name": "DUPONT"}})
    with tax.read() as reader:
        assert reader.record("tax", "T0001").prepared == {"family_name": "DUPONT"}
        assert reader.record("tax", "T0001").version == 1
    with pytest.raises(NotFoundError, match="has no records"), tax.unit_of_work() as uow:
        uow.set_prepared("tax", {"T9999": {}})


def test_block_key_rows_go_with_their_records(tax: Store) -> None:
    with tax.unit_of_work() as uow:
        uow.upsert_records("tax", _batch(1))
        assert uow.replace_block_keys("tax", {"T0001": [("a", "1"), ("a", "1"), ("b", "2")]}) == 2
    with tax.read() as reader:
        keys = reader.connection.execute(select(func.count()).select_from(block_keys)).scalar_one()
    assert keys == 2


def test_a_stored_record_is_read_by_position() -> None:
    """``_record`` builds a StoredRecord from a row of ``select(records)`` by position: the
    orders must agree."""
    from dataclasses import fields

    from linker.store.records import StoredRecord
    from linker.store.schema import records

    assert [c.name for c in records.columns] == [f.name for f in fields(StoredRecord)]
