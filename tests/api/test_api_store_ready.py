"""The app's store: given, or opened from ``DATABASE_URL``; ``/readyz`` checks it by default."""

from __future__ import annotations

from pathlib import Path

from api.resources import RESOURCES
from linker.store import Store
from tests.api.conftest import DEFAULT_CHECKS


def test_readyz_checks_the_database_and_its_revision(store_client) -> None:
    response = store_client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_readyz_fails_on_a_database_never_upgraded(make_app, tmp_path, assert_problem) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}", check=False)
    app = make_app(store=store, ready_checks=DEFAULT_CHECKS)
    problem = assert_problem(app.test_client().get("/readyz"), 503)
    assert problem["checks"] == {"database": "ok", "migrations": "failing"}
    assert "no schema" in problem["detail"] and "linker db upgrade" in problem["detail"]
    store.close()


def test_readyz_fails_on_an_unreachable_database_without_naming_it(
    make_app, assert_problem
) -> None:
    url = "postgresql+psycopg://reader:s3cret@127.0.0.1:1/nowhere?connect_timeout=2"
    app = make_app({"DATABASE_URL": url}, ready_checks=DEFAULT_CHECKS)
    response = app.test_client().get("/readyz")
    problem = assert_problem(response, 503)
    assert problem["checks"] == {"database": "failing", "migrations": "failing"}
    text = response.get_data(as_text=True)
    assert "s3cret" not in text and "127.0.0.1" not in text and "reader" not in text


def test_an_unreachable_database_is_a_503_problem_for_a_resource(make_app, assert_problem):
    url = "postgresql+psycopg://reader:s3cret@127.0.0.1:1/nowhere?connect_timeout=2"
    client = make_app({"DATABASE_URL": url}, resources=RESOURCES).test_client()
    problem = assert_problem(client.get("/v1/sources/tax"), 503)
    assert problem["type"] == "urn:linker:problem:store-error"
    assert "s3cret" not in str(problem)


def test_the_store_comes_from_the_database_url_setting(make_app, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'configured.db'}"
    Store.open(url, check=False).upgrade()
    client = make_app({"DATABASE_URL": url}, resources=RESOURCES).test_client()
    assert client.put("/v1/sources/tax", json={"entity_type": "person"}).status_code == 201
    with Store.open(url).read() as reader:
        assert reader.source("tax").entity_type == "person"


def test_the_database_url_comes_from_the_environment(make_app, tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    Store.open(url, check=False).upgrade()
    monkeypatch.setenv("LINKER_DATABASE_URL", url)
    client = make_app(resources=RESOURCES, ready_checks=DEFAULT_CHECKS).test_client()
    assert client.get("/readyz").status_code == 200
    assert client.put("/v1/sources/tax", json={"entity_type": "person"}).status_code == 201
