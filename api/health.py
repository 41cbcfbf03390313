"""Liveness and readiness: ``GET /healthz`` and ``GET /readyz``, public, outside ``/v1``.

``/healthz`` answers as long as the process serves requests: it touches no dependency, so a
database outage never gets a healthy worker restarted. ``/readyz`` runs the named checks the
app factory was given (each a callable that returns when all is well and raises otherwise;
by default the store's, ``api.store.store_checks``: database reachable, migrations current)
and answers 200 with each check's state, or a 503 problem naming the checks that failed, so a
load balancer sends no traffic yet.
Checks must be quick (a ``SELECT 1``, a file's mtime): they run on every probe.

``GET /v1/health``, the first endpoint the service had, is kept as a deprecated alias of
``/healthz`` (it adds the default threshold and the worker's pid).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Literal

from flask_openapi3.models.tag import Tag
from flask_openapi3.openapi import OpenAPI
from pydantic import BaseModel, Field

import linker
from api.errors import ProblemError
from api.problems import NOT_READY, ReadinessProblem, problem_response

ReadyCheck = Callable[[], None]
log = logging.getLogger(__name__)
HEALTH = Tag(name="health", description="Liveness and readiness probes (public)")


class NotReady(Exception):
    """Raised by a readiness check; its message is shown in ``/readyz`` (no secrets in it)."""


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, Literal["ok"]] = Field(description="Each readiness check, by name")


class LegacyHealth(BaseModel):
    status: Literal["ok"] = "ok"
    threshold: float = Field(description="The library's default match threshold")
    pid: int = Field(description="The worker process answering")


def run_checks(checks: Mapping[str, ReadyCheck]) -> tuple[dict[str, str], list[str]]:
    """Run every check (not just up to the first failure, so one probe shows all that is
    wrong): each check's state, and a reason for each failure."""
    states: dict[str, str] = {}
    reasons: list[str] = []
    for name, check in checks.items():
        try:
            check()
        except NotReady as failure:
            states[name], reason = "failing", str(failure)
        except Exception as failure:  # a check that crashed is a failing check, not a 500
            states[name], reason = "failing", type(failure).__name__
            log.warning("readiness check %r raised %s", name, type(failure).__name__)
        else:
            states[name] = "ok"
            continue
        reasons.append(f"{name} ({reason})" if reason else name)
    return states, reasons


def register_health(app: OpenAPI, checks: Mapping[str, ReadyCheck]) -> None:
    """Add the probes to ``app``; ``checks`` are run by ``/readyz`` in their order."""

    @app.get("/healthz", tags=[HEALTH], summary="Liveness", responses={200: Liveness})
    def healthz() -> dict[str, str]:
        return Liveness().model_dump()

    @app.get(
        "/readyz",
        tags=[HEALTH],
        summary="Readiness: every check the service was started with",
        responses={
            200: Readiness,
            503: problem_response(503, "A readiness check failed", ReadinessProblem),
        },
    )
    def readyz() -> dict[str, object]:
        states, reasons = run_checks(checks)
        if reasons:
            raise ProblemError(
                503,
                "Service Unavailable",
                "Not ready: failing check " + ", ".join(reasons) + ".",
                type=NOT_READY,
                checks=states,
            )
        return {"status": "ready", "checks": states}

    @app.get(
        "/v1/health",
        tags=[HEALTH],
        summary="Liveness (deprecated: use /healthz)",
        responses={200: LegacyHealth},
        deprecated=True,
    )
    def legacy_health() -> dict[str, object]:
        return LegacyHealth(threshold=linker.DEFAULT_THRESHOLD, pid=os.getpid()).model_dump()
