"""Every error as ``application/problem+json`` (RFC 9457), mapped in one place.

Four sources of errors, one shape (``api.problems``):

- Werkzeug's HTTP errors (404, 405 with its ``Allow`` header, 413, 415...);
- ``ProblemError``, raised by the API's own code for a bad request it recognises (a malformed
  JSON body, a tampered cursor);
- the library's ``LinkerError`` tree, mapped to a status by ``STATUS_OF`` (the library never
  knows HTTP);
- pydantic's validation errors, through flask-openapi3's ``validation_error_callback``
  (``validation_problem``): 422 with one entry per problem, or 415 for a body that is not JSON.

Anything else is a bug: a 500 problem without a traceback in the body, the traceback (frames
only, no exception message, which may quote a record) in the log, and one more on the app's
count of unhandled errors (``api_state(app).unhandled_errors``), which the tests keep at 0.
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from flask import Flask, Response, current_app, json, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

import linker
from api.problems import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    LIBRARY_ERROR,
    PROBLEM_JSON,
)

log = logging.getLogger(__name__)

# Library errors to HTTP status; the library itself never knows status codes. The most
# specific class wins (``UnknownComparatorError`` is a ``ConfigError``).
# An error takes the status of its nearest class here (its own, else a parent's).
STATUS_OF: dict[type[linker.LinkerError], int] = {
    linker.InputError: 422,
    linker.ConfigError: 400,
    linker.ModelError: 409,
    linker.NotFoundError: 404,
    linker.IdempotencyConflictError: 422,
    linker.LeaseLostError: 409,
    linker.StoreError: 503,
}
MAX_LISTED_ERRORS = 50  # a 10 MiB body can hold thousands of errors; the first 50 say enough
EXTENSION_KEY = "linker.api"
# The parts of a request flask-openapi3 validates, by the name of the view's parameter.
REQUEST_PARTS = ("path", "query", "header", "cookie", "form", "body")


@dataclass
class ApiState:
    """What the API keeps on its app: the count of unhandled errors (500s from bugs)."""

    unhandled_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_unhandled(self) -> None:
        with self._lock:
            self.unhandled_errors += 1


def api_state(app: Flask) -> ApiState:
    """The app's ``ApiState`` (created by ``register_error_handlers``)."""
    state: ApiState = app.extensions[EXTENSION_KEY]
    return state


class ProblemError(Exception):
    """A request the API recognises as wrong: answered as this problem.

    ``members`` are RFC 9457 extension members (no value the caller sent: see
    ``api.problems``).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str = "about:blank",
        headers: dict[str, str] | None = None,
        **members: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.type = status, title, detail, type
        self.headers = headers or {}
        self.members = members


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type: str = "about:blank",
    headers: dict[str, str] | None = None,
    **members: Any,
) -> Response:
    """The ``application/problem+json`` response; ``instance`` is the request's path (never
    its query string, which may hold search terms)."""
    body = {"type": type, "title": title, "status": status, "detail": detail, **members}
    body["instance"] = request.path
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.extend(headers or {})
    return response


def _http_detail(error: HTTPException) -> str:
    """Werkzeug's description, made specific where the default says little."""
    custom = error.description != type(error).description
    if error.code == 413 and not custom:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return f"The request body is larger than the limit of {limit} bytes."
    if error.code == 405 and not custom:
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or ()))
        return f"The method {request.method} is not allowed here; allowed: {allowed}."
    return error.description or error.name


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _location(model_name: str) -> str | None:
    """Which part of the request (``body``, ``query``...) the failing model validates, read
    from the view's annotations the way flask-openapi3 itself reads them."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    try:
        hints = get_type_hints(inspect.unwrap(view))
    except Exception:  # a view whose annotations cannot be resolved: no location, still a 422
        return None
    for part in REQUEST_PARTS:
        model = hints.get(part)
        if isinstance(model, type) and model.__name__ == model_name:
            return part
    return None


def validation_problem(error: ValidationError) -> Response:
    """flask-openapi3's ``validation_error_callback``: a 422 problem listing each error by
    location and message, without the input (pydantic's ``input`` and ``ctx`` are dropped).

    A body that is not JSON at all (no ``application/json`` content type) is a 415."""
    part = _location(error.title)
    if part == "body" and not request.is_json:
        return problem(
            415,
            "Unsupported Media Type",
            f"The request body must be application/json (got {request.mimetype or 'none'}).",
        )
    items = error.errors(include_url=False, include_context=False, include_input=False)
    errors = [
        {
            "loc": ([part] if part else []) + list(item["loc"]),
            "msg": item["msg"],
            "type": item["type"],
        }
        for item in items[:MAX_LISTED_ERRORS]
    ]
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "the request"
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return problem(
        422,
        "Unprocessable Content",
        f"{where}: {first['msg']}{more}",
        type=INVALID_REQUEST,
        errors=errors,
    )


def register_error_handlers(app: Flask) -> None:
    """Answer every error raised while handling a request as problem+json."""
    state = app.extensions.setdefault(EXTENSION_KEY, ApiState())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            state.count_unhandled()  # an error handler failed, or Flask wrapped a bug
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        code = error.code or 500
        return problem(code, error.name, _http_detail(error), headers=headers)

    @app.errorhandler(ProblemError)
    def api_problem(error: ProblemError) -> Response:
        return problem(
            error.status,
            error.title,
            error.detail,
            type=error.type,
            headers=error.headers,
            **error.members,
        )

    @app.errorhandler(linker.LinkerError)
    def library_error(error: linker.LinkerError) -> Response:
        status = next((STATUS_OF[t] for t in type(error).__mro__ if t in STATUS_OF), 400)
        name = type(error).__name__
        title = _kebab(name).replace("-", " ").capitalize()
        return problem(status, title, str(error), type=LIBRARY_ERROR.format(name=_kebab(name)))

    @app.errorhandler(Exception)
    def unhandled(error: Exception) -> Response:
        state.count_unhandled()
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error(
            "unhandled %s in %s %s\n%s",
            type(error).__name__,
            request.method,
            request.endpoint,
            frames,
        )
        return problem(
            500,
            "Internal Server Error",
            "The server failed while answering this request; the error was logged.",
            type=INTERNAL_ERROR,
        )
