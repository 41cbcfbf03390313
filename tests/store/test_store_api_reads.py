"""Reads the API pages with: one relation by its id, a job's results after a chunk."""

from __future__ import annotations

import pytest

from linker.store import NotFoundError, Relation, Source, Store


def test_one_relation_by_source_and_id(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.put_source(Source("bank", agency="fiu", entity_type="account"))
        uow.put_relations("bank", [Relation("T1", "transfer", ("bank", "A"), ("bank", "B"), 5.0)])
    with store.read() as reader:
        relation = reader.relation("bank", "T1")
        assert (relation.from_record, relation.to_record, relation.amount) == (
            ("bank", "A"),
            ("bank", "B"),
            5.0,
        )
        with pytest.raises(NotFoundError, match="no relation 'T2'"):
            reader.relation("bank", "T2")


def test_job_results_page_after_a_chunk(store: Store) -> None:
    with store.unit_of_work() as uow:
        job = uow.submit_job("ingest", {"n": 1}).job
        claimed = uow.claim_job("w", 30)
        assert claimed is not None and claimed.id == job.id
        for chunk in range(5):
            uow.write_result(job.id, "w", chunk, {"chunk": chunk})
    with store.read() as reader:
        assert list(reader.job_results(job.id)) == [0, 1, 2, 3, 4]
        assert list(reader.job_results(job.id, after=1, limit=2)) == [2, 3]
        assert list(reader.job_results(job.id, after=4)) == []
