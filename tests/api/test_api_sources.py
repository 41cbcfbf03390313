"""``PUT/GET /v1/sources/{source}`` and its relations, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

TAX = {"entity_type": "person", "default_region": "fr", "date_order": "DMY"}


def put_source(client: Any, name: str = "tax", body: dict[str, Any] | None = None) -> Any:
    return client.put(f"/v1/sources/{name}", json=TAX if body is None else body)


def test_put_creates_then_replaces_a_source(store_client) -> None:
    created = put_source(store_client)
    assert created.status_code == 201
    assert created.headers["Location"] == "/v1/sources/tax"
    body = created.get_json()
    assert body == {
        "name": "tax",
        "agency": "local",  # the server's, never the caller's
        "entity_type": "person",
        "default_region": "FR",
        "date_order": "DMY",
        "column_mapping": {"extra": "ignore"},
    }
    replaced = put_source(
        store_client, body={"entity_type": "person", "column_mapping": {"nom": "family_name"}}
    )
    assert replaced.status_code == 200 and "Location" not in replaced.headers
    read = store_client.get("/v1/sources/tax").get_json()
    assert read["default_region"] is None and read["date_order"] is None
    assert read["column_mapping"] == {"nom": "family_name", "extra": "ignore"}


def test_the_agency_comes_from_the_server(make_app, api_store) -> None:
    from api.resources import RESOURCES

    client = make_app({"AGENCY": "tax-office"}, resources=RESOURCES, store=api_store).test_client()
    assert put_source(client).get_json()["agency"] == "tax-office"
    other = make_app({"AGENCY": "police"}, resources=RESOURCES, store=api_store).test_client()
    assert put_source(other).get_json()["agency"] == "tax-office"  # kept on update


def test_an_agency_in_the_body_is_refused(store_client, assert_problem) -> None:
    problem = assert_problem(put_source(store_client, body={**TAX, "agency": "police"}), 422)
    assert problem["errors"][0]["loc"] == ["body", "agency"]


def test_the_entity_type_of_a_source_cannot_change(store_client, assert_problem) -> None:
    put_source(store_client)
    problem = assert_problem(put_source(store_client, body={"entity_type": "company"}), 409)
    assert "holds person records" in problem["detail"]


def test_bad_settings_are_422_naming_the_field(store_client, assert_problem) -> None:
    cases = [
        ({"entity_type": "vehicle"}, ["body", "entity_type"]),
        ({"entity_type": "person", "default_region": "ZZ"}, ["body", "default_region"]),
        ({"entity_type": "person", "date_order": "DDD"}, ["body", "date_order"]),
        ({"entity_type": "person", "column_mapping": {"nom": "nickname"}}, ["body"]),
        (
            {"entity_type": "person", "column_mapping": {"nom": 3}},
            ["body", "column_mapping", "nom"],
        ),
    ]
    for body, loc in cases:
        problem = assert_problem(put_source(store_client, body=body), 422)
        assert problem["errors"][0]["loc"] == loc, problem
    problem = assert_problem(
        put_source(store_client, body={"entity_type": "person", "default_region": "ZZ"}), 422
    )
    assert "ZZ" not in problem["detail"]  # the value sent is not repeated


def test_get_unknown_source_is_404(store_client, assert_problem) -> None:
    assert_problem(store_client.get("/v1/sources/nowhere"), 404)


RELATION = {
    "type": "transfer",
    "from": {"source": "bank", "record_id": "A1"},
    "to": {"source": "bank", "record_id": "A2"},
    "amount": 1250.5,
    "date": "2024-03-31",
    "attributes": {"reference": "INV-7"},
}


def test_put_relation_creates_then_replaces(store_client) -> None:
    put_source(store_client, "bank", {"entity_type": "account"})
    created = store_client.put("/v1/sources/bank/relations/T-1", json=RELATION)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"] == "/v1/sources/bank/relations/T-1"
    assert created.get_json() == {"source": "bank", "relation_id": "T-1", **RELATION}
    again = store_client.put("/v1/sources/bank/relations/T-1", json={**RELATION, "amount": 3})
    assert again.status_code == 200 and again.get_json()["amount"] == 3.0
    read = store_client.get("/v1/sources/bank/relations/T-1").get_json()
    assert read["amount"] == 3.0 and read["date"] == "2024-03-31"


def test_relation_problems(store_client, assert_problem) -> None:
    assert_problem(store_client.put("/v1/sources/nowhere/relations/T-1", json=RELATION), 404)
    put_source(store_client, "bank", {"entity_type": "account"})
    assert_problem(store_client.get("/v1/sources/bank/relations/T-9"), 404)
    for body, loc in [
        ({**RELATION, "type": "friend"}, ["body", "type"]),
        ({**RELATION, "date": "31/03/2024"}, ["body", "date"]),
        ({**RELATION, "amount": "12"}, ["body", "amount"]),  # strict: a string is not a number
        ({**RELATION, "from": {"source": "bank"}}, ["body", "from", "record_id"]),
        ({**RELATION, "since": "2020"}, ["body", "since"]),
    ]:
        problem = assert_problem(store_client.put("/v1/sources/bank/relations/T-1", json=body), 422)
        assert problem["errors"][0]["loc"] == loc, problem
