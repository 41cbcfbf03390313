"""The store's resources in the OpenAPI document: valid, every error a problem, and each
operation declaring what it answers beyond the frame's own problems."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from api.resources import RESOURCES


@pytest.fixture
def spec(make_app) -> dict[str, Any]:
    document: dict[str, Any] = (
        make_app(resources=RESOURCES).test_client().get("/v1/openapi.json").get_json()
    )
    return document


def test_the_document_with_every_resource_is_valid_openapi(spec) -> None:
    validate(spec)


def test_every_store_operation_declares_503_and_problems_only(spec) -> None:
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith("/v1/") and path != "/v1/health" and path != "/v1/openapi.json"
        for method, op in item.items()
    ]
    assert len(operations) == 23
    for path, method, operation in operations:
        responses = operation["responses"]
        assert "503" in responses, (path, method)
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/v1/sources/{source}", "put", {"200", "201", "409"}),
        ("/v1/sources/{source}/records/{record_id}", "put", {"200", "201", "404"}),
        ("/v1/sources/{source}/records/{record_id}", "get", {"200", "404", "410"}),
        ("/v1/sources/{source}/records/{record_id}", "delete", {"204", "404"}),
        ("/v1/identities/{identity_id}", "get", {"200", "308", "404", "410"}),
        ("/v1/identities/{identity_id}/why", "get", {"200", "308", "404", "410"}),
        ("/v1/identities/{identity_id}/network", "get", {"200", "308", "404", "410", "422"}),
        ("/v1/identities/{identity_id}/split", "post", {"200", "308", "404", "409", "422"}),
        ("/v1/identities/merge", "post", {"200", "409", "422"}),
        ("/v1/identities/undo", "post", {"200", "404", "409", "422"}),
        ("/v1/ingest-jobs", "post", {"202", "404", "413", "415", "422"}),
        ("/v1/linkage-runs", "post", {"202", "422"}),
        ("/v1/jobs/{job_id}/results", "get", {"200", "400", "404"}),
    ],
)
def test_operation_declares_its_answers(spec, path, method, statuses) -> None:
    assert statuses <= set(spec["paths"][path][method]["responses"])


def test_created_and_accepted_answers_declare_location(spec) -> None:
    paths = spec["paths"]
    for path, method, status in [
        ("/v1/sources/{source}", "put", "201"),
        ("/v1/sources/{source}/records/{record_id}", "put", "201"),
        ("/v1/ingest-jobs", "post", "202"),
        ("/v1/linkage-runs", "post", "202"),
        ("/v1/identities/{identity_id}", "get", "308"),
    ]:
        assert "Location" in paths[path][method]["responses"][status]["headers"], (path, status)
    upload = paths["/v1/ingest-jobs"]["post"]
    assert {"multipart/form-data", "text/csv", "application/x-ndjson"} <= set(
        upload["requestBody"]["content"]
    )
    assert [p["name"] for p in upload["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]


def test_wrong_method_on_a_resource_is_405_problem(store_client, assert_problem) -> None:
    response = store_client.post("/v1/sources/tax/records/T1", json={})
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT", "DELETE"}
