"""What several resources share: path parameters, record references, headers, job answers.

Ids in paths are the store's: at most ``linker.store.schema.ID`` characters, never empty.
Response models are plain (not strict) pydantic models: they document the answer and, in the
test app, check it (``validate_response``); views fill them from the store's dataclasses and
answer ``model_dump(mode="json")`` (times as ISO 8601 strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from flask import url_for
from pydantic import BaseModel, ConfigDict, Field

from api.models import JsonBody, PathArgs
from api.problems import PROBLEM_JSON, problem_response
from linker.store import Job
from linker.store.schema import ID

# Params of a job that say what it works on: shown in ``GET /v1/jobs/{id}``. The others (an
# upload's records, a file's path) are kept out of answers: they may hold personal data.
SHOWN_PARAMS = (
    "source",
    "entity_type",
    "full",
    "refit",
    "link",
    "name",
    "id_column",
    "chunk_rows",
)
IdText = Field(min_length=1, max_length=ID)


class SourcePath(PathArgs):
    source: str = Field(min_length=1, max_length=ID, description="The source's name")


class RecordRefBody(JsonBody):
    """A record named by its source and its id in that source."""

    source: str = IdText
    record_id: str = IdText


class RecordRef(BaseModel):
    source: str
    record_id: str


def ref(pair: tuple[str, str]) -> RecordRef:
    return RecordRef(source=pair[0], record_id=pair[1])


class IdempotencyHeader(BaseModel):
    """``Idempotency-Key``: the same key with the same body gives the same job."""

    model_config = ConfigDict(extra="ignore")  # every other header of the request

    idempotency_key: str | None = Field(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=ID,
        description=(
            "Sent again with the same body: the job the first request made (202 again). "
            "With another body: 422"
        ),
    )


class Progress(BaseModel):
    done: int = Field(description="Units done so far")
    total: int | None = Field(description="Units in all; null while unknown")
    unit: str = Field(description="What is counted: records, runs...")


class JobView(BaseModel):
    """A job of the ledger: its state, progress, attempts and errors."""

    id: str
    kind: str = Field(description="ingest or linkage-run")
    state: str = Field(description="queued, running, done or failed")
    params: dict[str, Any] = Field(
        description="What the job works on (source, entity type, mode); never uploaded records"
    )
    progress: Progress
    attempts: int = Field(description="Times a worker claimed it (more than 1: a worker died)")
    errors: list[dict[str, Any]] = Field(
        description="Rejected rows (file, row, column, reason) and why the job failed"
    )
    created_at: datetime
    updated_at: datetime
    results: str = Field(description="Path of the job's results (cursor-paged)")


def location_config(description: str, **config: Any) -> ConfigDict:
    """The model config of a response that carries a ``Location`` header (documented through
    flask-openapi3's ``openapi_extra``, a key pydantic's typed config does not list)."""
    header = {"Location": {"description": description, "schema": {"type": "string"}}}
    return cast(ConfigDict, {**config, "openapi_extra": {"headers": header}})


class JobAccepted(JobView):
    """The job queued (202): follow it at ``Location``."""

    model_config = location_config("Where the job is followed: /v1/jobs/{id}")


# Every operation of the store can find the database down (a ``StoreError``).
STORE_DOWN: dict[int, Any] = {
    503: problem_response(503, "The database is unreachable or refused the request")
}
# 422 of a submission: an invalid request (each problem listed) or an Idempotency-Key used
# before with another body (a plain problem).
SUBMIT_422: dict[int, Any] = {
    422: {
        "description": "Invalid request, or Idempotency-Key already used with another body",
        "content": {
            PROBLEM_JSON: {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/ValidationProblem"},
                        {"$ref": "#/components/schemas/Problem"},
                    ]
                }
            }
        },
    }
}


def declare(*parts: Mapping[int, Any]) -> dict[str | int, Any]:
    """An operation's ``responses=``: its successes, then its problems (``problem_responses``,
    ``STORE_DOWN``...), merged in order."""
    merged: dict[str | int, Any] = {}
    for part in parts:
        for status, response in part.items():
            merged[status] = response
    return merged


def job_view(job: Job) -> dict[str, Any]:
    """The answer for ``job`` (``GET /v1/jobs/{id}``, and the 202 of a submission)."""
    return JobView(
        id=job.id,
        kind=job.kind,
        state=job.state,
        params={k: job.params[k] for k in SHOWN_PARAMS if k in job.params},
        progress=Progress(done=job.progress_done, total=job.progress_total, unit=job.progress_unit),
        attempts=job.attempts,
        errors=[dict(error) for error in job.errors],
        created_at=job.created_at,
        updated_at=job.updated_at,
        results=job_path(job.id) + "/results",
    ).model_dump(mode="json")


def job_path(job_id: str) -> str:
    return url_for("v1.jobs.get_job", job_id=job_id)


def accepted(job: Job) -> tuple[dict[str, Any], int, dict[str, str]]:
    """202 with the job and its ``Location``."""
    return job_view(job), 202, {"Location": job_path(job.id)}
