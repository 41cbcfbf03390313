"""Flask app factory: config in layers (defaults, ``LINKER_*`` environment, test overrides)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

import linker
from api.errors import register_error_handlers

DEFAULTS: dict[str, Any] = {"MAX_CONTENT_LENGTH": 10 * 1024 * 1024}


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app; nothing heavy happens here (models load on first use)."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env(prefix="LINKER")
    app.config.update(overrides or {})
    register_error_handlers(app)

    @app.get("/v1/health")
    def health() -> ResponseReturnValue:
        return jsonify(status="ok", threshold=linker.DEFAULT_THRESHOLD, pid=os.getpid())

    return app
