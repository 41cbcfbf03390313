"""Flask app factory: config in layers (defaults, ``LINKER_*`` environment, the caller's).

``create_app()`` is what ``linker serve`` runs, and what a WSGI server imports in production
(``gunicorn 'api.app:create_app()'``). Nothing heavy happens here: models load on first use.
The store is given (``store=``) or opened on first use from ``DATABASE_URL``
(``LINKER_DATABASE_URL``; ``api.store``). ``ready_checks`` replace the default readiness
checks (the store's: database reachable, migrations current) and ``resources`` the ``/v1``
blueprints (default ``api.resources.RESOURCES``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.openapi import OpenAPI

from api.errors import register_error_handlers, validation_problem
from api.health import ReadyCheck, register_health
from api.json_body import JsonProvider, JsonRequest
from api.openapi import INFO, docs_blueprint, finish_spec
from api.problems import ValidationProblem
from api.resources import RESOURCES
from api.store import attach_store, store_checks
from api.v1 import build_v1
from linker.store import Store

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,  # bytes of one request body; more is a 413
    "CURSOR_KEY": "",  # keys the paging cursors' check (api.paging); set it in production
    "DATABASE_URL": None,  # the store (api.store); None: the library's default database
    "AGENCY": "local",  # the agency of the sources created until authentication says whose
}


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    ready_checks: Mapping[str, ReadyCheck] | None = None,
    resources: Iterable[APIBlueprint] | None = None,
    store: Store | None = None,
) -> OpenAPI:
    """Build the app: probes, docs, the ``/v1`` resources, problem+json for every error."""
    app = OpenAPI(
        __name__,
        static_folder=None,  # the docs page serves its own files; nothing else is static
        info=INFO,
        doc_ui=False,  # our own /docs and /v1/openapi.json (api.openapi)
        validation_error_status=422,
        validation_error_model=ValidationProblem,
        validation_error_callback=validation_problem,
    )
    app.request_class = JsonRequest
    app.json_provider_class = JsonProvider
    app.json = JsonProvider(app)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env(prefix="LINKER")
    app.config.update(config or {})
    # Responses are checked against their declared models in tests (a mismatch is a 500).
    app.validate_response = bool(app.config.get("TESTING"))

    register_error_handlers(app)
    attach_store(app, store)
    register_health(app, store_checks(app) if ready_checks is None else dict(ready_checks))
    app.register_blueprint(docs_blueprint(app))
    app.register_api(build_v1(RESOURCES if resources is None else resources))
    finish_spec(app)
    return app
