"""Liveness touches nothing; readiness runs the checks it was given and names the failures."""

from __future__ import annotations

from api.health import NotReady


def test_healthz_needs_no_dependency(make_app) -> None:
    def broken() -> None:
        raise NotReady("database unreachable")

    response = make_app(ready_checks={"database": broken}).test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_ok_lists_each_check(make_app) -> None:
    calls: list[str] = []
    checks = {"database": lambda: calls.append("db"), "model": lambda: calls.append("model")}
    response = make_app(ready_checks=checks).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "model": "ok"}}
    assert calls == ["db", "model"]


def test_readyz_without_checks_is_ready(client) -> None:
    assert client.get("/readyz").get_json() == {"status": "ready", "checks": {}}


def test_readyz_failing_is_503_problem_naming_each_failing_check(make_app, assert_problem):
    def migrations() -> None:
        raise NotReady("revision 0002, latest 0003")

    def model() -> None:
        raise FileNotFoundError("/secret/path/model.json")

    checks = {"database": lambda: None, "migrations": migrations, "model": model}
    response = make_app(ready_checks=checks).test_client().get("/readyz")
    problem = assert_problem(response, 503)
    assert problem["type"] == "urn:linker:problem:not-ready"
    assert problem["checks"] == {"database": "ok", "migrations": "failing", "model": "failing"}
    assert "migrations (revision 0002, latest 0003)" in problem["detail"]
    assert "model (FileNotFoundError)" in problem["detail"]
    assert "/secret/path" not in response.get_data(as_text=True)  # only NotReady is shown


def test_v1_health_is_kept(client) -> None:
    body = client.get("/v1/health").get_json()
    assert body["status"] == "ok" and isinstance(body["pid"], int)
