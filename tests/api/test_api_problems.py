"""Every 4xx/5xx is application/problem+json, says where the problem is, and repeats nothing
the caller sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel

import linker
from api.errors import api_state

PERSON = {"entity_type": "person", "fields": {"given_name": "Jean", "family_name": "Dupont"}}


def post_json(client, body: object, path: str = "/v1/demo/records"):
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("path", ["/v1/nowhere", "/nowhere", "/v1/demo/records/extra"])
def test_unknown_path_is_404_problem(client, assert_problem, path: str) -> None:
    body = assert_problem(client.get(path), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/v1/demo/records", {"POST", "OPTIONS"}),
        ("post", "/healthz", {"GET", "HEAD", "OPTIONS"}),
        ("put", "/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_wrong_method_is_405_with_allow(client, assert_problem, method, path, allowed) -> None:
    response = getattr(client, method)(path)
    body = assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed
    assert method.upper() in body["detail"]


def test_oversized_body_is_413_problem_naming_the_limit(make_app, assert_problem) -> None:
    client = make_app({"MAX_CONTENT_LENGTH": 200}).test_client()
    big = {**PERSON, "extra": {"note": "x" * 300}}
    body = assert_problem(post_json(client, big), 413)
    assert "200 bytes" in body["detail"]
    assert post_json(client, PERSON).status_code == 200  # under the limit: served


def test_default_limit_is_10_mib(client, assert_problem) -> None:
    huge = {**PERSON, "extra": {"note": "x" * (10 * 1024 * 1024)}}
    assert_problem(post_json(client, huge), 413)


def test_limit_comes_from_the_environment(make_app, monkeypatch, assert_problem) -> None:
    monkeypatch.setenv("LINKER_MAX_CONTENT_LENGTH", "100")
    client = make_app().test_client()
    assert_problem(post_json(client, {**PERSON, "extra": {"note": "x" * 100}}), 413)


def test_caller_config_beats_the_environment(make_app, monkeypatch) -> None:
    monkeypatch.setenv("LINKER_MAX_CONTENT_LENGTH", "100")
    client = make_app({"MAX_CONTENT_LENGTH": 1000}).test_client()
    assert post_json(client, {**PERSON, "extra": {"note": "x" * 300}}).status_code == 200


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"entity_type": "person", "fields": {', "line 1, column 38"),
        (b'{"entity_type": "person",\n "fields": {"given_name": Jean}}', "line 2, column 27"),
        (b"", "line 1, column 1"),
        (b'{"entity_type": "person", "fields": {"given_name": "\xff"}}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_json_is_400_problem_with_its_position(client, assert_problem, data, where):
    response = client.post("/v1/demo/records", data=data, content_type="application/json")
    body = assert_problem(response, 400)
    assert body["type"] == "urn:linker:problem:malformed-json"
    assert where in body["detail"]
    assert "Jean" not in response.get_data(as_text=True)


def test_body_that_is_not_json_is_415(client, assert_problem) -> None:
    response = client.post("/v1/demo/records", data="given_name=Jean", content_type="text/plain")
    assert "text/plain" in assert_problem(response, 415)["detail"]


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({**PERSON, "fields": {"dob": 19610412}}, ["body", "fields", "dob"], "string_type"),
        ({**PERSON, "fields": {"phones": [612345678]}}, ["body", "fields", "phones"], None),
        ({**PERSON, "fields": {"nickname": "Jeannot"}}, ["body", "fields", "nickname"], None),
        ({**PERSON, "agency": "police"}, ["body", "agency"], "extra_forbidden"),
        ({**PERSON, "entity_type": "robot"}, ["body", "entity_type"], "union_tag_invalid"),
        ({"fields": {}}, ["body", "entity_type"], "union_tag_not_found"),
        ({**PERSON, "extra": ["not", "an", "object"]}, ["body", "extra"], "dict_type"),
        ([PERSON], ["body"], "model_attributes_type"),
        # a company has no given_name: each entity type has its own canonical fields
        ({"entity_type": "company", "fields": {"given_name": "x"}}, None, "extra_forbidden"),
    ],
)
def test_invalid_envelope_is_422_naming_the_place(client, assert_problem, body, loc, kind):
    response = post_json(client, body)
    problem = assert_problem(response, 422)
    assert problem["type"] == "urn:linker:problem:invalid-request"
    locations = [error["loc"] for error in problem["errors"]]
    if loc is not None:
        assert any(found[: len(loc)] == loc for found in locations), locations
        assert ".".join(map(str, loc)) in problem["detail"]
    if kind is not None:
        assert kind in {error["type"] for error in problem["errors"]}
    text = response.get_data(as_text=True)
    for sent in ("19610412", "612345678", "Jeannot", "police", "robot"):
        assert sent not in text  # the values sent are never echoed


def test_unknown_field_is_named_and_every_problem_listed(client, assert_problem) -> None:
    body = {**PERSON, "fields": {"nickname": "x", "dob": 1, "given_name": "Jean"}}
    problem = assert_problem(post_json(client, body), 422)
    assert sorted(e["loc"] for e in problem["errors"]) == [
        ["body", "fields", "dob"],
        ["body", "fields", "nickname"],
    ]
    assert "(and 1 more)" in problem["detail"]
    nickname = next(e for e in problem["errors"] if e["loc"][-1] == "nickname")
    assert nickname["msg"].startswith("not a canonical field of a person (known: given_name, ")
    assert nickname["msg"].endswith("put it in extra")


def test_fields_unknown_to_one_entity_type_are_named_for_it(client, assert_problem) -> None:
    body = {"entity_type": "account", "fields": {"iban": "FR76...", "dob": "1961-04-12"}}
    problem = assert_problem(post_json(client, body), 422)
    assert problem["errors"] == [
        {
            "loc": ["body", "fields", "dob"],
            "msg": "not a canonical field of an account (known: iban, bic, account_number, "
            "bank_name, holder_name, country); put it in extra",
            "type": "extra_forbidden",
        }
    ]


def test_library_error_is_mapped_by_status_of(client, assert_problem) -> None:
    problem = assert_problem(client.get("/v1/demo/library-error"), 422)
    assert problem["type"] == "urn:linker:problem:input-error"
    assert problem["title"] == "Input error"
    assert problem["detail"] == "row 3, column 'dob': not a date"


def test_unhandled_error_is_a_500_problem_counted_on_the_app(
    client, app, assert_problem, caplog
) -> None:
    response = client.get("/v1/demo/boom")
    problem = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "RuntimeError" not in text and "DUPONT" not in text
    assert problem["type"] == "urn:linker:problem:internal-error"
    assert api_state(app).unhandled_errors == 1
    # logged with its frames, but not its message (which may quote a record)
    assert "unhandled RuntimeError in GET v1.demo.boom" in caplog.text
    assert "conftest.py" in caplog.text  # the frames are there
    assert "DUPONT" not in caplog.text
    api_state(app).unhandled_errors = 0  # expected here; make_app checks the rest stay at 0


def test_head_of_a_problem_has_no_body(client) -> None:
    response = client.head("/v1/nowhere")
    assert response.status_code == 404 and response.get_data() == b""


STORE_ERRORS = {
    "not-found": (linker.NotFoundError("no identity 'x'"), 404),
    "idempotency": (linker.IdempotencyConflictError("key reused with another body"), 422),
    "lease": (linker.LeaseLostError("job 'j' is held by another worker"), 409),
    "store": (linker.StoreError("database unreachable"), 503),
}


class StoreErrorPath(BaseModel):
    kind: str


store_errors = APIBlueprint("store_errors", __name__, url_prefix="/store-errors")


@store_errors.get("/<kind>")
def raise_store_error(path: StoreErrorPath) -> dict[str, Any]:
    raise STORE_ERRORS[path.kind][0]


@pytest.mark.parametrize("kind", sorted(STORE_ERRORS))
def test_store_errors_are_mapped_by_their_nearest_class(make_app, assert_problem, kind) -> None:
    client = make_app(resources=(store_errors,)).test_client()
    assert_problem(client.get(f"/v1/store-errors/{kind}"), STORE_ERRORS[kind][1])
