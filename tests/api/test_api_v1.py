"""The /v1 parent blueprint: its hook runs before every resource, and nothing else."""

from __future__ import annotations

import pytest

import api.v1
from api.errors import ProblemError


@pytest.fixture
def locked(monkeypatch) -> None:
    """Authentication that turns everyone away, plugged where the real one will go."""

    def refuse() -> None:
        raise ProblemError(
            401, "Unauthorized", "No API token.", headers={"WWW-Authenticate": "Bearer"}
        )

    monkeypatch.setattr(api.v1, "authenticate", refuse)


def test_hook_runs_before_every_v1_resource(locked, make_app, assert_problem) -> None:
    client = make_app().test_client()
    for response in (
        client.get("/v1/demo/items"),
        client.post("/v1/demo/records", data="{not json", content_type="application/json"),
    ):
        assert_problem(response, 401)  # before the body is even parsed
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/v1/openapi.json", "/docs", "/v1/health"])
def test_probes_and_docs_stay_public(locked, make_app, path: str) -> None:
    assert make_app().test_client().get(path).status_code == 200


def test_resources_are_served_under_v1(client) -> None:
    assert client.get("/v1/demo/items").status_code == 200
    assert client.get("/demo/items").status_code == 404
