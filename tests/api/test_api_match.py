"""``POST /v1/match``, ``POST /v1/screenings`` and ``POST /v1/screening-jobs`` (with its CSV
download), on SQLite and PostgreSQL, against a small generated world resolved under one
linkage model version (``tests/matching_world.py``); jobs are run by the library's worker."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from linker.store import Store
from linker.worker import Worker
from tests.matching_world import fitted, load, multi_record_identity, record_fields

CANONICAL = (
    "given_name",
    "family_name",
    "full_name",
    "sex",
    "dob",
    "nationality",
    "phones",
    "documents",
    "ibans",
    "address",
    "postcode",
    "city",
    "country",
    "birth_place",
)


@pytest.fixture
def world(store_client: Any, api_store: Store) -> Any:
    load(api_store)
    return store_client


def envelope(fields: dict[str, str]) -> dict[str, Any]:
    return {"entity_type": "person", "fields": {k: v for k, v in fields.items() if k in CANONICAL}}


def run_jobs(store: Store) -> list[Any]:
    worker, outcomes = Worker(store), []
    while (outcome := worker.run_once()) is not None:
        outcomes.append(outcome)
    return outcomes


def test_match_finds_the_records_identity_first(world: Any, api_store: Store) -> None:
    source, record_id, identity = multi_record_identity(api_store)
    fields = record_fields(api_store, source, record_id)
    response = world.post("/v1/match", json=envelope(fields))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["model_version"] == fitted()[0]
    first = body["candidates"][0]
    assert first["identity_id"] == identity and first["band"] == "match"
    assert {"source": source, "record_id": record_id} in first["members"]
    assert first["explanation"]["features"]
    assert len(body["candidates"]) <= 5

    one = world.post("/v1/match?limit=1", json=envelope(fields)).get_json()["candidates"]
    assert [c["identity_id"] for c in one] == [identity]


def test_match_of_a_typo_and_of_nobody(world: Any, api_store: Store) -> None:
    source, record_id, identity = multi_record_identity(api_store)
    fields = record_fields(api_store, source, record_id)
    given = fields.get("given_name") or fields["full_name"].split()[0]
    typo = given[0] + given[2] + given[1] + given[3:]  # two letters swapped
    fields["full_name"] = fields["full_name"].replace(given, typo)
    fields.pop("given_name", None)
    candidates = world.post("/v1/match", json=envelope(fields)).get_json()["candidates"]
    assert candidates[0]["identity_id"] == identity

    nobody = envelope({"full_name": "ZEBULON QWERTYUIOP", "dob": "29/02/1904"})
    candidates = world.post("/v1/match", json=nobody).get_json()["candidates"]
    assert all(c["band"] == "no_match" for c in candidates)


def test_match_requests_are_checked(world: Any, assert_problem: Any) -> None:
    body = envelope({"full_name": "JEAN DUPONT"})
    problem = assert_problem(world.post("/v1/match?limit=51", json=body), 422)
    assert problem["errors"][0]["loc"] == ["query", "limit"]
    unknown = {"entity_type": "person", "fields": {"full_name": "X", "nickname": "Y"}}
    problem = assert_problem(world.post("/v1/match", json=unknown), 422)
    assert problem["errors"][0]["loc"] == ["body", "fields", "nickname"]


def test_no_linkage_model_version_is_a_409(store_client: Any, assert_problem: Any) -> None:
    body = envelope({"full_name": "JEAN DUPONT"})
    problem = assert_problem(store_client.post("/v1/match", json=body), 409)
    assert "run a linkage first" in problem["detail"]
    names = {"names": [{"key": "a", "full_name": "JEAN DUPONT"}]}
    problem = assert_problem(store_client.post("/v1/screenings", json=names), 409)
    assert "run a linkage first" in problem["detail"]


def test_screening_of_three_names(world: Any, api_store: Store) -> None:
    with api_store.read() as reader:
        known = [x for x in reader.identities("person") if len(x.members) > 1][:2]
    names = []
    for n, identity in enumerate(known):
        fields = record_fields(api_store, *identity.members[0])
        entry = {"key": f"k{n}", "full_name": fields["full_name"]}
        entry.update({f: fields[f] for f in ("dob", "nationality") if f in fields})
        names.append(entry)
    names.append({"key": "nobody", "full_name": "ZEBULON QWERTYUIOP", "dob": "29/02/1904"})
    response = world.post("/v1/screenings", json={"names": names})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["model_version"] == fitted()[0]
    assert set(body["results"]) == {"k0", "k1", "nobody"}
    for n, identity in enumerate(known):
        assert body["results"][f"k{n}"][0]["identity_id"] == identity.id
    assert all(c["band"] == "no_match" for c in body["results"]["nobody"])


def test_screening_limits_and_duplicate_keys(world: Any, assert_problem: Any) -> None:
    many = {"names": [{"key": str(n), "full_name": "JEAN DUPONT"} for n in range(101)]}
    problem = assert_problem(world.post("/v1/screenings", json=many), 422)
    assert "POST /v1/screening-jobs" in problem["detail"]
    twice = {"names": [{"key": "a", "full_name": "X"}, {"key": "a", "full_name": "Y"}]}
    problem = assert_problem(world.post("/v1/screenings", json=twice), 422)
    assert "'a'" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "names", 1, "key"]
    assert_problem(world.post("/v1/screenings", json={"names": []}), 422)


def test_a_screening_job_end_to_end(world: Any, api_store: Store, assert_problem: Any) -> None:
    source, record_id, identity = multi_record_identity(api_store)
    fields = record_fields(api_store, source, record_id)
    upload = io.StringIO()
    writer = csv.writer(upload)
    writer.writerow(["key", "full_name", "dob"])
    writer.writerow(["=cmd()", fields["full_name"], fields.get("dob", "")])
    writer.writerow(["plain", "ZEBULON QWERTYUIOP", "29/02/1904"])
    response = world.post(
        "/v1/screening-jobs?limit=2", data=upload.getvalue().encode(), content_type="text/csv"
    )
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert response.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert job["kind"] == "screening" and job["progress"]["total"] == 2
    assert fields["full_name"] not in response.get_data(as_text=True)  # names stay in the ledger
    csv_path = f"/v1/screening-jobs/{job['id']}/results.csv"
    assert_problem(world.get(csv_path), 409)  # not done yet

    assert [o.state for o in run_jobs(api_store)] == ["done"]
    assert world.get(f"/v1/jobs/{job['id']}").get_json()["state"] == "done"
    page = world.get(f"/v1/jobs/{job['id']}/results").get_json()
    results = page["items"][0]["result"]["results"]
    assert results["=cmd()"][0]["identity_id"] == identity
    assert len(results["=cmd()"]) <= 2

    download = world.get(csv_path)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0][:3] == ["key", "rank", "identity_id"]
    first = rows[1]
    assert first[0] == "'=cmd()" and first[2] == identity and first[4] == "match"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert {row[0] for row in rows[1:]} == {"'=cmd()", "plain"}


def test_screening_job_uploads_are_checked(world: Any, assert_problem: Any) -> None:
    bad = b"key,name\na,JEAN\n"
    problem = assert_problem(
        world.post("/v1/screening-jobs", data=bad, content_type="text/csv"), 422
    )
    assert "full_name" in problem["detail"] and "name" in problem["detail"]
    twice = b"key,full_name\na,JEAN\na,MARIE\n"
    problem = assert_problem(
        world.post("/v1/screening-jobs", data=twice, content_type="text/csv"), 422
    )
    assert "'a' appears twice" in problem["detail"]
    assert_problem(world.post("/v1/screening-jobs", data=b"x", content_type="text/plain"), 415)
    assert_problem(world.get("/v1/screening-jobs/job_nope/results.csv"), 404)
    run = world.post("/v1/linkage-runs", json={"entity_type": "person"}).get_json()
    problem = assert_problem(world.get(f"/v1/screening-jobs/{run['id']}/results.csv"), 404)
    assert "not a screening job" in problem["detail"]
