"""Name screening: ``POST /v1/screenings`` (up to 100 names, answered at once) and
``POST /v1/screening-jobs`` (a CSV list of any length, screened by a job).

A name is ``{"key", "full_name", "dob"?, "nationality"?, "phones"?, "ibans"?, "documents"?}``:
the caller's key (unique in the list) and what is known of the person. Each name is matched
as a person record against everything stored (``linker.screening``, through the one-record
matching of ``linker.matching``), all the names of a request prepared and scored together.
The answer gives each key its candidates (the shape of ``POST /v1/match``) and the linkage
model version that scored them.

More than 100 names is a 422 that names ``POST /v1/screening-jobs``: upload the list as a CSV
(columns ``key, full_name`` and any of ``dob, nationality, phones, ibans, documents``; lists
with ``|``), as the raw ``text/csv`` body or a multipart part ``file``. The answer is 202 with
``Location: /v1/jobs/{id}``; the job's results are paged at ``GET /v1/jobs/{id}/results`` (one
chunk per 100 names) and downloaded whole as CSV at ``GET
/v1/screening-jobs/{id}/results.csv``, one row per candidate, every cell that a spreadsheet
would run as a formula (starting with ``= + - @``, a tab or a carriage return) prefixed with
``'``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.errors import ProblemError
from api.models import JsonBody, PathArgs, QueryArgs
from api.problems import INVALID_REQUEST, problem_responses
from api.resources.common import (
    STORE_DOWN,
    SUBMIT_422,
    IdempotencyHeader,
    IdText,
    JobAccepted,
    accepted,
    declare,
)
from api.resources.ingest_jobs import read_table_upload
from api.resources.match import MAX_LIMIT, NO_VERSION_409, CandidateView, candidate_view
from api.store import current_store
from linker.screening import (
    BATCH_NAMES,
    CSV_COLUMNS,
    FIELDS,
    SCREENING,
    check_entries,
    result_rows,
    screen,
    screening_params,
    submit_screening,
)
from linker.store.schema import ID

blueprint = APIBlueprint(
    "screenings",
    __name__,
    url_prefix="/screenings",
    abp_tags=[Tag(name="screening", description="Name screening against everything stored")],
)
jobs_blueprint = APIBlueprint(
    "screening_jobs",
    __name__,
    url_prefix="/screening-jobs",
    abp_tags=[Tag(name="screening")],
)

MAX_NAMES = BATCH_NAMES  # names answered in one request; more go to a screening job
MAX_JOB_NAMES = 1_000_000
ListField = list[str] | str | None
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The CSV list: the raw body, or a multipart part 'file'",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
CSV_RESPONSE = {
    200: {
        "description": "One row per candidate (a name without any: one row with its key)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class ScreeningName(JsonBody):
    """One name to screen."""

    key: str = Field(min_length=1, max_length=ID, description="Your key, unique in the list")
    full_name: str = Field(min_length=1, max_length=1000, description="The name as written")
    dob: str | None = Field(None, description="Date of birth, as written")
    nationality: str | None = Field(None, description="Country code or name")
    phones: ListField = Field(None, description="A list, or one string with '|' between")
    ibans: ListField = Field(None, description="A list, or one string with '|' between")
    documents: ListField = Field(None, description="A list, or one string with '|' between")


class ScreeningBody(JsonBody):
    names: list[ScreeningName] = Field(
        min_length=1, description=f"1 to {MAX_NAMES} names (more: POST /v1/screening-jobs)"
    )
    limit: int = Field(5, ge=1, le=MAX_LIMIT, description="Candidates per name")


class ScreeningAnswer(BaseModel):
    model_version: str = Field(description="The linkage model version that scored")
    results: dict[str, list[CandidateView]] = Field(description="Each key's candidates")


class ScreeningJobQuery(QueryArgs):
    limit: int = Field(5, ge=1, le=MAX_LIMIT, description="Candidates per name")


class ScreeningJobPath(PathArgs):
    job_id: str = IdText


def _invalid_names(detail: str, loc: list[str | int], msg: str, kind: str) -> ProblemError:
    return ProblemError(
        422,
        "Unprocessable Content",
        detail,
        type=INVALID_REQUEST,
        errors=[{"loc": loc, "msg": msg, "type": kind}],
    )


def _check_keys(names: list[ScreeningName]) -> None:
    """At most ``MAX_NAMES`` names, each key once: a 422 naming what is wrong otherwise."""
    if len(names) > MAX_NAMES:
        msg = (
            f"at most {MAX_NAMES} names per request, got {len(names)}: "
            "upload a longer list to POST /v1/screening-jobs"
        )
        raise _invalid_names(f"body.names: {msg}", ["body", "names"], msg, "too_long")
    first: dict[str, int] = {}
    for number, name in enumerate(names):
        if name.key in first:
            msg = f"key {name.key!r} also at names[{first[name.key]}]: keys must be unique"
            loc: list[str | int] = ["body", "names", number, "key"]
            raise _invalid_names(f"body.names.{number}.key: {msg}", loc, msg, "duplicate_key")
        first[name.key] = number


@blueprint.post(
    "",
    summary=f"Screen up to {MAX_NAMES} names against everything stored",
    responses=declare({200: ScreeningAnswer}, NO_VERSION_409, STORE_DOWN),
)
def post_screening(body: ScreeningBody) -> dict[str, Any]:
    _check_keys(body.names)
    entries = check_entries([name.model_dump(exclude_none=True) for name in body.names])
    version, found = screen(current_store(), entries, limit=body.limit)
    answer = ScreeningAnswer(
        model_version=version,
        results={key: [candidate_view(c) for c in found[key]] for key in found},
    )
    return answer.model_dump(mode="json")


def _uploaded_csv() -> tuple[bytes, str]:
    """The CSV's bytes and a name for it (for messages): a multipart part ``file`` or the body."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise ProblemError(422, "Unprocessable Content", "no multipart part named 'file'")
        return part.read(), "the uploaded list"
    if request.mimetype not in ("text/csv", "application/csv"):
        raise ProblemError(
            415,
            "Unsupported Media Type",
            f"send the list as text/csv or multipart/form-data (got {request.mimetype or 'none'})",
        )
    return request.get_data(), "the uploaded list"


def _entries_of_csv(data: bytes, name: str) -> list[dict[str, Any]]:
    """The CSV's rows as screening entries; a 422 for a file without ``key`` and
    ``full_name`` columns, with other columns, or with rows the reader set aside."""
    if not data.strip():
        raise ProblemError(422, "Unprocessable Content", f"{name} is empty")
    rows, rejects = read_table_upload(data, name, "csv")
    if rejects:
        first = rejects[0]
        raise ProblemError(
            422,
            "Unprocessable Content",
            f"{name}: row {first.row} cannot be read ({first.reason}); "
            f"{len(rejects)} row(s) in all",
        )
    columns = set(rows[0]) if rows else set()
    missing = sorted({"key", "full_name"} - columns)
    unknown = sorted(columns - {"key", *FIELDS})
    if missing or unknown:
        what = "; ".join(
            part
            for part in (
                missing and f"missing column(s) {', '.join(missing)}",
                unknown and f"unknown column(s) {', '.join(unknown)}",
            )
            if part
        )
        raise ProblemError(
            422,
            "Unprocessable Content",
            f"{name}: {what}; the columns are key, full_name and any of {', '.join(FIELDS)}",
        )
    if len(rows) > MAX_JOB_NAMES:
        raise ProblemError(
            422, "Unprocessable Content", f"{name}: more than {MAX_JOB_NAMES:,} names"
        )
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


@jobs_blueprint.post(
    "",
    summary="Screen a CSV list of names of any length, as a job",
    responses=declare({202: JobAccepted}, problem_responses(415), SUBMIT_422, STORE_DOWN),
    openapi_extensions=UPLOAD_BODY,
)
def post_screening_job(
    query: ScreeningJobQuery, header: IdempotencyHeader
) -> tuple[dict[str, Any], int, dict[str, str]]:
    data, name = _uploaded_csv()
    params = screening_params(_entries_of_csv(data, name), limit=query.limit)
    with current_store().unit_of_work() as uow:
        submitted = submit_screening(uow, params, idempotency_key=header.idempotency_key)
    return accepted(submitted.job)


@jobs_blueprint.get(
    "/<job_id>/results.csv",
    summary="A finished screening job's results as CSV (formulas neutralised)",
    responses=declare(CSV_RESPONSE, problem_responses(404, 409), STORE_DOWN),
)
def get_screening_csv(path: ScreeningJobPath) -> Response:
    with current_store().read() as reader:
        job = reader.job(path.job_id)
        if job.kind != SCREENING:
            raise ProblemError(404, "Not Found", f"job {job.id!r} is not a screening job")
        if job.state != "done":
            raise ProblemError(
                409,
                "Conflict",
                f"screening job {job.id!r} is {job.state}: its results are ready once done",
            )
        results = reader.job_results(job.id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(result_rows(results))
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="screening-{job.id}.csv"'},
    )
