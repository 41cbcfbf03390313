"""The OpenAPI document: valid 3.1, equal to the committed snapshot, every response declared."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from api import create_app
from api.envelope import RECORD_MODELS
from api.openapi import SNAPSHOT
from linker.prepare.columns import ENTITY_FIELDS

REGENERATE = ".venv/bin/python -m api.snapshot --write"


def test_snapshot_equals_what_the_app_serves() -> None:
    served = create_app().test_client().get("/v1/openapi.json").get_json()
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert served == committed, f"api/openapi.json is out of date: run `{REGENERATE}`"


@pytest.mark.parametrize("with_demo", [False, True])
def test_document_is_valid_openapi_3_1(make_app, with_demo: bool) -> None:
    app = make_app() if with_demo else make_app(resources=())
    spec = app.test_client().get("/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1.")
    validate(spec)  # raises on an invalid document


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_every_error_response_is_a_declared_problem(client) -> None:
    spec = client.get("/v1/openapi.json").get_json()
    assert "/v1/demo/records" in spec["paths"]
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        assert "500" in responses, (path, method)
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)


def test_frame_problems_follow_what_an_operation_takes(client) -> None:
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    with_body = paths["/v1/demo/records"]["post"]["responses"]
    assert {"200", "400", "413", "415", "422", "500"} <= set(with_body)
    ref = with_body["422"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert ref.endswith("/ValidationProblem")
    paged = paths["/v1/demo/items"]["get"]["responses"]
    assert set(paged) == {"200", "400", "422", "500"}
    assert set(paths["/healthz"]["get"]["responses"]) == {"200", "500"}
    assert set(paths["/readyz"]["get"]["responses"]) == {"200", "500", "503"}


@pytest.mark.parametrize("entity", sorted(ENTITY_FIELDS))
def test_envelope_fields_are_the_library_canonical_fields(client, entity: str) -> None:
    schemas = client.get("/v1/openapi.json").get_json()["components"]["schemas"]
    fields = schemas[f"{entity.capitalize()}Fields"]
    assert set(fields["properties"]) == set(ENTITY_FIELDS[entity])
    assert fields["additionalProperties"] is False
    assert set(RECORD_MODELS) == set(ENTITY_FIELDS)


def test_docs_page_and_its_files_are_served(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '"/v1/openapi.json"' in html
    for asset in ("/docs/static/js/swagger-ui-bundle.js", "/docs/static/css/swagger-ui.css"):
        assert asset in html
        response = client.get(asset)
        assert response.status_code == 200 and len(response.get_data()) > 10_000
        response.close()
