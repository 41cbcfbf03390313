"""Every error as ``application/problem+json`` (RFC 9457), mapped from one table."""

from __future__ import annotations

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

import linker

# Library errors to HTTP status; the library itself never knows status codes.
STATUS_OF: dict[type[linker.LinkerError], int] = {
    linker.InputError: 422,
    linker.ConfigError: 400,
    linker.ModelError: 409,
}


def problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return problem(error.code or 500, error.name, error.description or error.name)

    @app.errorhandler(linker.LinkerError)
    def library_error(error: linker.LinkerError) -> Response:
        status = next((s for t, s in STATUS_OF.items() if isinstance(error, t)), 400)
        return problem(status, type(error).__name__, str(error))
