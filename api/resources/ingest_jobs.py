"""``POST /v1/ingest-jobs``: a bulk file of one source's records, ingested by a job.

The file comes as ``multipart/form-data`` (part ``file``; the source in the part ``source``
or in ``?source=``) or as the raw body with ``?source=``. Its format is its content type
(``text/csv``; ``application/x-ndjson`` or ``application/jsonl`` for JSON Lines;
``application/vnd.apache.parquet``), else its file name's suffix, else ``?format=``.

The upload is read here, at once, into the job: the job's params hold the records
themselves (``linker.ingest.ingest_params(records=...)``), so the job is self-contained in
the ledger and any worker, on any machine, can run it after this request is gone. A file that
cannot be read as a whole (not UTF-8, no header, a Parquet file that does not open) is a 422
now. Rows that cannot be records are set aside, never stored:

- found while reading the file (a JSON Lines line that is not JSON, a CSV cell over the size
  limit, a CSV row with too many or too few cells, which is kept): in the answer's
  ``upload_rejects``, numbered by the file's line (CSV rows count the header as row 1);
- found by the job (no id, an id on several rows, a line that is not an object): in the
  job's ``errors``, numbered by the record's position among the records sent to the job.

The answer is 202 with the job and ``Location: /v1/jobs/{id}``. ``Idempotency-Key``: the same
key with the same upload (same records, same name and settings) answers the same job; the same
key with another upload is a 422. The job ends by queueing an incremental linkage run of the
source's entity type (``?link=false``: not).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path, PurePath
from typing import Any, Literal

from flask import request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.errors import ProblemError
from api.models import QueryArgs
from api.problems import problem_responses
from api.resources.common import (
    STORE_DOWN,
    SUBMIT_422,
    IdempotencyHeader,
    JobAccepted,
    accepted,
    declare,
)
from api.store import current_store
from linker.errors import InputError
from linker.ingest import DEFAULT_CHUNK_ROWS, DEFAULT_ID_COLUMN, ingest_params, submit_ingest
from linker.io import read_table
from linker.store.schema import ID

blueprint = APIBlueprint(
    "ingest_jobs",
    __name__,
    url_prefix="/ingest-jobs",
    abp_tags=[Tag(name="ingest", description="Bulk ingest of CSV or JSON Lines files")],
)

Format = Literal["csv", "jsonl", "parquet"]
FORMAT_OF_TYPE: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/jsonlines": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/vnd.apache.parquet": "parquet",
}
FORMAT_OF_SUFFIX: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
SUFFIX_OF_FORMAT = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
DEFAULT_NAME = "upload"
MAX_CHUNK_ROWS = 100_000
INVALID_UPLOAD = "urn:linker:problem:invalid-upload"  # the file cannot be read as a whole
_FOUND = re.compile(r" \(found '.*'\)$")  # the CSV reader quotes a header line: no values


class IngestQuery(QueryArgs):
    source: str | None = Field(
        None, min_length=1, max_length=ID, description="The stored source the records are for"
    )
    format: Format | None = Field(
        None, description="csv, jsonl or parquet, when neither content type nor name says"
    )
    id_column: str = Field(
        DEFAULT_ID_COLUMN, min_length=1, max_length=ID, description="The column of record ids"
    )
    link: bool = Field(True, description="End with an incremental linkage run of the source")
    chunk_rows: int = Field(
        DEFAULT_CHUNK_ROWS,
        ge=1,
        le=MAX_CHUNK_ROWS,
        description="Rows per transaction of the job (a redo after a crash loses at most one)",
    )


class UploadReject(BaseModel):
    row: int = Field(description="The file's line (CSV: the header is row 1)")
    column: str | None
    reason: str


class IngestAccepted(JobAccepted):
    upload_rejects: list[UploadReject] = Field(
        description="Rows set aside while reading the upload (not sent to the job)"
    )


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file: as a multipart part 'file' (and 'source'), or the raw body",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "source": {"type": "string", "maxLength": ID},
                    },
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _unsupported(detail: str) -> ProblemError:
    return ProblemError(415, "Unsupported Media Type", detail)


def _invalid(detail: str) -> ProblemError:
    return ProblemError(422, "Unprocessable Content", detail, type=INVALID_UPLOAD)


def _not_a_json_number(text: str) -> Any:
    """``NaN``, ``Infinity``: Python's JSON reader takes them, JSON does not."""
    raise ValueError(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("a number too large for a double")
    return value


def _upload(query: IngestQuery) -> tuple[bytes, str, Format, str]:
    """The uploaded bytes, the file's name, its format and the source it is for."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise _invalid("the multipart body has no part named 'file'")
        data, name, mimetype = part.read(), part.filename or DEFAULT_NAME, part.mimetype
        form_source = request.form.get("source") or None
        if form_source and query.source and form_source != query.source:
            raise _invalid("the source is given twice (form part and ?source=), differently")
        source = form_source or query.source
    else:
        data, name, mimetype, source = (
            request.get_data(),
            DEFAULT_NAME,
            request.mimetype,
            (query.source),
        )
    if not source:
        raise _invalid("which source? give ?source= (or the multipart part 'source')")
    if len(source) > ID:
        raise _invalid(f"the source name is longer than {ID} characters")
    printable = "".join(ch for ch in name if ch.isprintable())  # no NUL, no newline
    name = PurePath(printable.replace("\\", "/")).name[:ID] or DEFAULT_NAME  # no client path
    found = (
        query.format
        or FORMAT_OF_TYPE.get(mimetype)
        or FORMAT_OF_SUFFIX.get(PurePath(name).suffix.lower())
    )
    if found is None:
        raise _unsupported(
            f"cannot tell the file's format from its content type ({mimetype or 'none'}) or "
            "name: send text/csv, application/x-ndjson or application/vnd.apache.parquet, "
            "or give ?format=csv|jsonl|parquet"
        )
    if not data.strip():
        raise _invalid(f"{name}: the file is empty")
    return data, name, found, source


def read_json_lines(data: bytes, name: str) -> tuple[list[Any], list[UploadReject]]:
    """The values of a JSON Lines file, one a line (blank lines skipped); a line that is not
    JSON is a reject naming its line and the position of the fault, never its text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"{exc.reason} at byte {exc.start}"
        raise _invalid(f"{name}: JSON Lines must be UTF-8 ({reason})") from None
    values: list[Any] = []
    rejects: list[UploadReject] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(json.loads(line, parse_constant=_not_a_json_number, parse_float=_finite))
        except json.JSONDecodeError as exc:
            reason = f"not JSON: {exc.msg} at column {exc.colno}; row skipped"
            rejects.append(UploadReject(row=number, column=None, reason=reason))
        except ValueError as exc:  # from the two hooks above: their message holds no value
            reason = f"not JSON: {exc}; row skipped"
            rejects.append(UploadReject(row=number, column=None, reason=reason))
        except RecursionError:
            rejects.append(UploadReject(row=number, column=None, reason="nested too deeply"))
    return values, rejects


def read_table_upload(data: bytes, name: str, fmt: Format) -> tuple[list[Any], list[UploadReject]]:
    """The rows of a CSV or Parquet upload as JSON objects (text as read, blanks null), read
    by the library's own reader (``linker.io.read_table``: encodings, delimiters, rejects)."""
    with tempfile.TemporaryDirectory(prefix="linker-upload-") as folder:
        path = Path(folder) / ("upload" + SUFFIX_OF_FORMAT[fmt])  # not the caller's name
        path.write_bytes(data)
        try:
            table = read_table(path, None)
        except InputError as exc:
            message = _FOUND.sub("", str(exc).replace(str(path), name))
            raise _invalid(message) from None
    columns = [str(column) for column in table.frame.columns]
    objects = [
        dict(zip(columns, (_cell(value) for value in values), strict=True))
        for values in table.frame.itertuples(index=False, name=None)
    ]
    rejects = [
        UploadReject(row=int(row), column=column or None, reason=str(reason))
        for row, column, reason in table.rejects[["row", "column", "reason"]]
        .astype(object)
        .itertuples(index=False)
    ]
    return objects, rejects


def _cell(value: object) -> object:
    """A cell as JSON: text as read, a missing cell null (pandas' NaN and NA too)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


@blueprint.post(
    "",
    summary="Ingest a bulk file of one source (CSV, JSON Lines, Parquet) as a job",
    responses=declare({202: IngestAccepted}, problem_responses(404, 415), SUBMIT_422, STORE_DOWN),
    openapi_extensions=UPLOAD_BODY,
)
def post_ingest_job(
    query: IngestQuery, header: IdempotencyHeader
) -> tuple[dict[str, Any], int, dict[str, str]]:
    data, name, fmt, source = _upload(query)
    if fmt == "jsonl":
        records, rejects = read_json_lines(data, name)
    else:
        records, rejects = read_table_upload(data, name, fmt)
    if not records:
        first = f"; row {rejects[0].row}: {rejects[0].reason}" if rejects else ""
        raise _invalid(f"{name}: no records in the file ({len(rejects)} rows set aside{first})")
    params = ingest_params(
        source,
        records=records,
        name=name,
        id_column=query.id_column,
        chunk_rows=query.chunk_rows,
        link=query.link,
    )
    with current_store().unit_of_work() as uow:
        submitted = submit_ingest(uow, params, idempotency_key=header.idempotency_key)
    body, status, headers = accepted(submitted.job)
    answer = IngestAccepted(**body, upload_rejects=rejects)
    return answer.model_dump(mode="json"), status, headers
