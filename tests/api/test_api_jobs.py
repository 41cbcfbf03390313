"""``POST /v1/ingest-jobs``, ``POST /v1/linkage-runs``, ``GET /v1/jobs/{id}[/results]``, on
SQLite and PostgreSQL; jobs are run by the library's worker in the test's process."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from linker.worker import Worker

CSV = b"record_id,given_name,family_name,dob\nA1,Jean,Dupontel,12/04/1961\nA2,Marie,Curie,\n"
SECRET = "Dupontel"


@pytest.fixture
def tax(store_client) -> Any:
    assert store_client.put("/v1/sources/tax", json={"entity_type": "person"}).status_code == 201
    return store_client


def post_csv(client: Any, data: bytes = CSV, key: str | None = None, query: str = "") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/v1/ingest-jobs?source=tax{query}", data=data, content_type="text/csv", headers=headers
    )


def run_jobs(store: Any) -> list[Any]:
    worker, outcomes = Worker(store), []
    while (outcome := worker.run_once()) is not None:
        outcomes.append(outcome)
    return outcomes


def test_csv_body_is_queued_as_a_self_contained_job(tax, api_store) -> None:
    response = post_csv(tax, query="&link=false")
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert job["kind"] == "ingest" and job["state"] == "queued"
    assert job["params"] == {
        "source": "tax",
        "link": False,
        "name": "upload",
        "id_column": "record_id",
        "chunk_rows": 1000,
    }
    assert SECRET not in response.get_data(as_text=True)  # the records stay in the ledger
    assert [o.state for o in run_jobs(api_store)] == ["done"]
    done = tax.get(response.headers["Location"]).get_json()
    assert done["state"] == "done" and done["attempts"] == 1
    assert done["progress"] == {"done": 2, "total": 2, "unit": "records"}
    raw = tax.get("/v1/sources/tax/records/A1").get_json()["raw"]
    assert raw["family_name"] == SECRET and raw["dob"] == "12/04/1961"
    assert tax.get("/v1/sources/tax/records/A2").get_json()["raw"]["dob"] is None


def test_multipart_upload_of_json_lines_with_rejects(tax, api_store) -> None:
    lines = (
        b'{"record_id": "J1", "given_name": "Jean"}\n'
        b"\n"
        b"{not json\n"
        b'["a list"]\n'
        b'{"given_name": "no id"}\n'
    )
    response = tax.post(
        "/v1/ingest-jobs?link=false",
        data={"file": (io.BytesIO(lines), "people.jsonl"), "source": "tax"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["params"]["name"] == "people.jsonl"
    assert [(r["row"], r["reason"][:8]) for r in body["upload_rejects"]] == [(3, "not JSON")]
    run_jobs(api_store)
    job = tax.get(response.headers["Location"]).get_json()
    assert job["state"] == "done"
    assert [error["row"] for error in job["errors"]] == [2, 3]  # record positions in the job
    assert "no id" not in json.dumps(job)  # rejects name rows and columns, never values
    assert tax.get("/v1/sources/tax/records/J1").status_code == 200


def test_the_same_key_and_body_give_the_same_job_another_body_422(tax, assert_problem) -> None:
    first = post_csv(tax, key="upload-42")
    again = post_csv(tax, key="upload-42")
    assert first.status_code == again.status_code == 202
    assert first.get_json()["id"] == again.get_json()["id"]
    other = post_csv(tax, data=CSV + b"A3,Paul,Martin,\n", key="upload-42")
    problem = assert_problem(other, 422)
    assert problem["type"] == "urn:linker:problem:idempotency-conflict-error"
    assert post_csv(tax).get_json()["id"] != first.get_json()["id"]  # no key: a new job


def test_upload_problems(tax, store_client, assert_problem) -> None:
    missing = store_client.post("/v1/ingest-jobs?source=nowhere", data=CSV, content_type="text/csv")
    assert_problem(missing, 404)
    no_source = store_client.post("/v1/ingest-jobs", data=CSV, content_type="text/csv")
    assert "which source" in assert_problem(no_source, 422)["detail"]
    unknown = tax.post("/v1/ingest-jobs?source=tax", data=CSV, content_type="image/png")
    assert_problem(unknown, 415)
    assert_problem(post_csv(tax, data=b"  \n"), 422)
    not_table = assert_problem(post_csv(tax, data=b"Dupontel\n"), 422)
    assert SECRET not in not_table["detail"] and "upload" in not_table["detail"]
    assert "/tmp" not in not_table["detail"]  # no server path
    no_file = tax.post(
        "/v1/ingest-jobs", data={"source": "tax"}, content_type="multipart/form-data"
    )
    assert "'file'" in assert_problem(no_file, 422)["detail"]
    bad_query = tax.post("/v1/ingest-jobs?source=tax&format=xls", data=CSV)
    assert assert_problem(bad_query, 422)["errors"][0]["loc"] == ["query", "format"]


def test_json_lines_numbers_beyond_json_are_rejects(tax, assert_problem) -> None:
    lines = b'{"record_id": "N1", "score": NaN}\n{"record_id": "N2", "score": 1e999}\n'
    problem = assert_problem(
        tax.post("/v1/ingest-jobs?source=tax", data=lines, content_type="application/x-ndjson"),
        422,
    )
    assert problem["type"] == "urn:linker:problem:invalid-upload"
    assert "2 rows set aside; row 1: not JSON: NaN is not a JSON number" in problem["detail"]
    ok = tax.post(
        "/v1/ingest-jobs?source=tax",
        data=lines + b'{"record_id": "N3", "score": 1.5}\n',
        content_type="application/x-ndjson",
    )
    assert ok.status_code == 202
    assert [r["row"] for r in ok.get_json()["upload_rejects"]] == [1, 2]


def test_format_from_query_overrides_the_content_type(tax) -> None:
    response = tax.post(
        "/v1/ingest-jobs?source=tax&format=csv", data=CSV, content_type="application/octet-stream"
    )
    assert response.status_code == 202


def test_linkage_run_is_queued(tax, assert_problem) -> None:
    response = tax.post("/v1/linkage-runs", json={"entity_type": "person", "mode": "full"})
    assert response.status_code == 202
    job = response.get_json()
    assert job["kind"] == "linkage-run" and job["params"]["full"] is True
    assert job["progress"] == {"done": 0, "total": 1, "unit": "runs"}
    assert response.headers["Location"] == f"/v1/jobs/{job['id']}"
    keyed = [
        tax.post(
            "/v1/linkage-runs", json={"entity_type": "person"}, headers={"Idempotency-Key": "k"}
        )
        for _ in range(2)
    ]
    assert keyed[0].get_json()["id"] == keyed[1].get_json()["id"]
    conflict = tax.post(
        "/v1/linkage-runs",
        json={"entity_type": "person", "mode": "full"},
        headers={"Idempotency-Key": "k"},
    )
    assert_problem(conflict, 422)
    for body in ({"entity_type": "person", "mode": "partial"}, {"mode": "full"}):
        assert_problem(tax.post("/v1/linkage-runs", json=body), 422)


def test_job_results_are_paged_by_chunk(tax, api_store, assert_problem) -> None:
    rows = b"".join(f"B{n},Given{n},Family{n},\n".encode() for n in range(5))
    data = b"record_id,given_name,family_name,dob\n" + rows
    job = post_csv(tax, data=data, query="&link=false&chunk_rows=2").get_json()
    run_jobs(api_store)
    chunks, cursor = [], None
    while True:
        page = tax.get(
            f"/v1/jobs/{job['id']}/results?limit=2" + (f"&cursor={cursor}" if cursor else "")
        ).get_json()
        chunks += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [c["chunk"] for c in chunks] == [0, 1, 2, 3]
    assert chunks[0]["result"]["rows"] == 5
    assert sum(c["result"].get("inserted", 0) for c in chunks) == 5
    other = tax.get(f"/v1/jobs/{job['id']}/results?limit=2").get_json()["next_cursor"]
    assert_problem(tax.get(f"/v1/identities?cursor={other}"), 400)  # another listing's cursor
    assert_problem(tax.get("/v1/jobs/job_nope"), 404)
    assert_problem(tax.get("/v1/jobs/job_nope/results"), 404)
    assert_problem(tax.get(f"/v1/jobs/{job['id']}/results?limit=501"), 422)


def test_the_uploaded_file_name_is_only_a_label(tax, api_store) -> None:
    response = tax.post(
        "/v1/ingest-jobs?link=false",
        data={"file": (io.BytesIO(CSV), "../../etc/x\x00y.csv"), "source": "tax"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    assert "/" not in response.get_json()["params"]["name"]
    run_jobs(api_store)
    assert tax.get("/v1/sources/tax/records/A1").status_code == 200
