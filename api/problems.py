"""The shape of every error the API answers: RFC 9457 problem details, and how to declare them.

A problem is ``{"type", "title", "status", "detail", "instance"}`` sent as
``application/problem+json``; a validation problem adds ``errors``, one ``{"loc", "msg",
"type"}`` per problem found, where ``loc`` starts with the part of the request (``body``,
``query``, ``path``, ``header``). No member ever repeats a value the caller sent: a problem
names *where* (a field, a parameter) and *what* is wrong, so a record's personal data never
lands in a response body or a log line through an error.

``type`` is ``about:blank`` when the HTTP status says it all (404, 405, 413...), otherwise one
of the ``urn:linker:problem:*`` names below, documented in ``docs/api.md``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"

# Problem types beyond the plain HTTP statuses (RFC 9457 section 3.1.1: a URI reference).
MALFORMED_JSON = "urn:linker:problem:malformed-json"
INVALID_REQUEST = "urn:linker:problem:invalid-request"
INVALID_CURSOR = "urn:linker:problem:invalid-cursor"
NOT_READY = "urn:linker:problem:not-ready"
INTERNAL_ERROR = "urn:linker:problem:internal-error"
LIBRARY_ERROR = "urn:linker:problem:{name}"  # one per ``linker.errors`` class, kebab-cased


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow")  # extension members (RFC 9457 section 3.2)

    type: str = Field("about:blank", description="URI reference naming the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong with this request, and where")
    instance: str | None = Field(None, description="The path of the request that failed")


class ProblemItem(BaseModel):
    """One validation problem: where it is and what is wrong (never the value sent)."""

    loc: list[str | int] = Field(description="Location: part of the request, then the path in it")
    msg: str = Field(description="What is wrong")
    type: str = Field(description="Machine-readable kind (pydantic's error type)")


class ValidationProblem(Problem):
    """A problem listing each invalid part of the request."""

    errors: list[ProblemItem] = Field(description="Each problem found, at most 50")


class ReadinessProblem(Problem):
    """``/readyz`` answering 503: the state of each readiness check."""

    checks: dict[str, str] = Field(description="Check name to ``ok`` or ``failing``")


# Which schema documents each status in the spec (anything else is a plain ``Problem``).
SCHEMA_OF_STATUS: dict[int, type[Problem]] = {422: ValidationProblem}
PROBLEM_MODELS: tuple[type[Problem] | type[BaseModel], ...] = (
    Problem,
    ProblemItem,
    ValidationProblem,
    ReadinessProblem,
)


def problem_response(
    status: int, description: str | None = None, schema: type[Problem] | None = None
) -> dict[str, Any]:
    """The OpenAPI response object for a problem with this status (for ``responses=``)."""
    name = (schema or SCHEMA_OF_STATUS.get(status, Problem)).__name__
    return {
        "description": description or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def problem_responses(*statuses: int) -> dict[int, Any]:
    """Declare the problems an operation can answer beyond the ones every operation of its
    kind gets (see ``api.openapi.declare_problems``): ``responses={200: Page, **
    problem_responses(400, 404)}``."""
    return {status: problem_response(status) for status in statuses}
