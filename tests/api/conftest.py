"""The API test app: the real factory plus a ``demo`` resource that exercises the frame.

``demo`` exercises the frame alone: an envelope body, a paged listing, a library error and a
bug, registered only in the test app. ``store_app`` is the real app with the store's
resources on a fresh store, once on SQLite and once on PostgreSQL (the store tests'
``engine_factory``: each PostgreSQL run in a schema of its own). Every app built through
``make_app`` must end its test with no unhandled error counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from flask_openapi3.openapi import OpenAPI

import linker
from api import create_app
from api.envelope import Envelope
from api.errors import api_state
from api.paging import Page, PageQuery, page_of, read_cursor
from api.problems import problem_responses
from api.resources import RESOURCES
from linker.store import Store
from tests.store.conftest import FakeClock, engine_factory  # noqa: F401  (a fixture)

DEFAULT_CHECKS = "default"  # make_app(ready_checks=DEFAULT_CHECKS): the factory's own checks

demo = APIBlueprint("demo", __name__, url_prefix="/demo", abp_tags=[Tag(name="demo")])
ITEMS = [{"n": n} for n in range(1, 121)]  # a listing of 120, keyed by n
SECRET = "Jean DUPONT 1961-04-12"


@demo.post("/records", responses={200: None})
def put_record(body: Envelope) -> dict[str, Any]:
    return {"entity_type": body.entity_type, "fields": body.fields, "extra": body.extra}


@demo.get("/items", responses={200: Page[dict[str, int]], **problem_responses(400)})
def list_items(query: PageQuery) -> dict[str, Any]:
    after = read_cursor(query.cursor, "demo-items")
    start = 0 if after is None else int(after[0] or 0)
    rows = [item for item in ITEMS if item["n"] > start][: query.limit + 1]
    return page_of(rows, query.limit, lambda item: [item["n"]], "demo-items").model_dump()


@demo.get("/other-items", responses={200: Page[dict[str, int]], **problem_responses(400)})
def list_other(query: PageQuery) -> dict[str, Any]:
    read_cursor(query.cursor, "demo-other")
    return {"items": [], "next_cursor": None}


@demo.get("/library-error", responses=problem_responses(422))
def library_error() -> dict[str, Any]:
    raise linker.InputError("not a date", row=3, column="dob")


@demo.get("/boom")
def boom() -> dict[str, Any]:
    raise RuntimeError(f"failed on {SECRET}")  # the message quotes a record, as bugs may


MakeApp = Callable[..., OpenAPI]


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """Build test apps; each must count no unhandled error by the end of the test."""
    apps: list[OpenAPI] = []

    def build(
        config: Mapping[str, Any] | None = None,
        *,
        ready_checks: Mapping[str, Callable[[], None]] | str | None = None,
        resources: tuple[APIBlueprint, ...] = (demo,),
        store: Store | None = None,
    ) -> OpenAPI:
        checks = None if ready_checks == DEFAULT_CHECKS else ready_checks or {}
        app = create_app(
            {"TESTING": True, **(config or {})},
            ready_checks=checks,  # type: ignore[arg-type]
            resources=resources,
            store=store,
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        assert api_state(app).unhandled_errors == 0, "an API request raised an unhandled error"


@pytest.fixture
def app(make_app: MakeApp) -> OpenAPI:
    return make_app()


@pytest.fixture
def client(app: OpenAPI) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api_store(engine_factory: Callable[[], Any], api_clock: FakeClock) -> Iterator[Store]:  # noqa: F811
    """An upgraded, empty store on a fake clock, on each backend in turn."""
    store = Store(engine_factory(), clock=api_clock)
    store.upgrade()
    yield store
    store.close()


@pytest.fixture
def store_app(make_app: MakeApp, api_store: Store) -> OpenAPI:
    """The real app (the store's resources, its default readiness checks) on ``api_store``."""
    return make_app(resources=RESOURCES, store=api_store, ready_checks=DEFAULT_CHECKS)


@pytest.fixture
def store_client(store_app: OpenAPI) -> FlaskClient:
    return store_app.test_client()


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert body["instance"] == response.request.path
    return body


@pytest.fixture
def assert_problem() -> Callable[[Any, int], dict[str, Any]]:
    """``assert_problem(response, status)``: the problem's body, after checking its shape."""
    return _assert_problem
