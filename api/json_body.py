"""Reading a JSON request body: a malformed one is a 400 problem that says where it breaks.

Flask's documented hooks are used: the request class's ``on_json_loading_failed`` (called
when a body declared as JSON does not parse) and the app's JSON provider (so that a body
nested too deeply for the parser is a malformed body, not a ``RecursionError`` and a 500).

``parse_json_body`` runs before every ``/v1`` view: the body is parsed once, here, and
flask-openapi3 then validates the cached document. Without it, flask-openapi3 would read a
malformed body as "no body" and answer a confusing 422.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request, request
from flask.json.provider import DefaultJSONProvider

from api.errors import ProblemError
from api.problems import MALFORMED_JSON

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class JsonRequest(Request):
    """A request whose malformed JSON body is a 400 problem with the position of the fault."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not declared as JSON: Flask's own 415
            return super().on_json_loading_failed(e)
        if isinstance(e, json.JSONDecodeError):
            where = f"{e.msg} at line {e.lineno}, column {e.colno}"
        elif isinstance(e, UnicodeDecodeError):
            where = f"not UTF-8 at byte {e.start}"
        else:
            where = str(e)
        raise ProblemError(
            400,
            "Malformed JSON",
            f"The request body is not valid JSON: {where}.",
            type=MALFORMED_JSON,
        )


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, with a document nested deeper than the parser's stack a ``ValueError``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("nested too deeply") from None


def parse_json_body() -> None:
    """Parse a JSON body before the view (``request.get_json`` caches the document)."""
    if request.method in BODY_METHODS and request.is_json:
        request.get_json()
