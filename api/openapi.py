"""The OpenAPI 3.1 document (``/v1/openapi.json``) and its docs page (``/docs``), both public.

flask-openapi3 builds the document from each operation's models and declared responses.
``declare_problems`` then adds the problems the frame itself can answer, so that every
response an operation can give is in the document without each view repeating them:

- every operation: 500 (a bug; logged, counted);
- an operation with a JSON body: 400 (malformed JSON), 413 (too large), 415 (not JSON), 422;
- an operation with parameters: 422;

all as ``application/problem+json`` (flask-openapi3's own 422 entry, a plain JSON list, is
replaced). An operation declares the problems of its own logic itself
(``api.problems.problem_responses``).

The committed snapshot ``api/openapi.json`` is what the app serves (a test diffs them);
regenerate it with ``python -m api.snapshot --write``.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, render_template_string, url_for
from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI
from pydantic.json_schema import models_json_schema

from api.problems import PROBLEM_MODELS, problem_response

API_VERSION = "1.0.0"  # of the HTTP interface, not of the package
INFO = Info(
    title="linker API",
    version=API_VERSION,
    description=(
        "Entity resolution for people, companies and accounts. Every error is "
        "application/problem+json (RFC 9457). See docs/api.md."
    ),
)
SNAPSHOT = Path(__file__).with_name("openapi.json")
SWAGGER_FILES = str(files("flask_openapi3_swagger") / "templates" / "swagger")

# The frame's own problems, by what an operation takes (see the module docstring).
EVERY_OPERATION = {500: "Internal error: a bug, logged on the server"}
WITH_BODY = {
    400: "Malformed JSON body",
    413: "Body larger than the service's limit",
    415: "Body not application/json",
    422: "Invalid request: each problem listed by location",
}
WITH_PARAMETERS = {422: "Invalid request: each problem listed by location"}

DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>linker API</title>
  <link rel="stylesheet" href="{{ static('css/swagger-ui.css') }}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{{ static('js/swagger-ui-bundle.js') }}"></script>
<script>
  window.onload = () => {
    window.ui = SwaggerUIBundle({url: {{ spec_url|tojson }}, dom_id: "#swagger-ui",
                                 deepLinking: true});
  };
</script>
</body>
</html>
"""


def _problem_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "validation") for model in PROBLEM_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = top["$defs"]
    return schemas


def declare_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the frame's problem responses to every operation of ``spec`` (in place)."""
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(_problem_schemas())
    if components.get("securitySchemes", {}) is None:  # flask-openapi3 writes null: invalid
        del components["securitySchemes"]
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            default_422 = responses.get("422", {}).get("content", {})
            if "application/json" in default_422:  # flask-openapi3's, not a problem
                del responses["422"]
            frame = dict(EVERY_OPERATION)
            if "requestBody" in operation:
                frame |= WITH_BODY
            if operation.get("parameters"):
                frame |= WITH_PARAMETERS
            for status, description in frame.items():
                responses.setdefault(str(status), problem_response(status, description))
            operation["responses"] = dict(sorted(responses.items()))
    return spec


def finish_spec(app: OpenAPI) -> None:
    """Build the document once every route is registered (flask-openapi3 caches it)."""
    declare_problems(app.api_doc)


def docs_blueprint(app: OpenAPI) -> Blueprint:
    """``/v1/openapi.json`` and the Swagger UI page ``/docs`` (files served from the
    flask-openapi3-swagger package: no CDN)."""
    docs = Blueprint("docs", __name__, static_folder=SWAGGER_FILES, static_url_path="/docs/static")

    @docs.get("/v1/openapi.json")
    def openapi_json() -> Response:
        return jsonify(app.api_doc)

    @docs.get("/docs")
    def page() -> str:
        return render_template_string(
            DOCS_PAGE,
            spec_url=url_for("docs.openapi_json"),
            static=lambda name: url_for("docs.static", filename=name),
        )

    return docs


def spec_text(spec: dict[str, Any]) -> str:
    """The document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
