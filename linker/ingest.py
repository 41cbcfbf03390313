"""Bulk ingest: a file of records into a source, as a job of the ledger.

``submit_ingest`` queues an ``ingest`` job; a worker runs ``run_ingest``. The job reads the
file whole (CSV or Parquet through ``linker.io.read_table``, or JSON Lines), sets malformed
rows aside as rejects and upserts the valid rows in chunks. Each chunk is one transaction
holding its records and its result (new, changed, unchanged), so a worker that dies leaves
whole chunks behind and the next attempt goes on after the last one; upserts compare content
hashes, so the same file ingested twice changes nothing. The job ends by queueing an
incremental ``linkage-run`` of the source's entity type.

Where the rows come from, in the job's params:

- ``file``: a path, with the file's SHA-256 taken at submission. The command line's choice:
  the worker runs on the same machine and a large file need not be copied into the database.
  Every attempt checks the hash, so a redo reads the rows the first attempt read (a file
  changed in between fails the job instead of mixing two versions).
- ``records``: the rows themselves (JSON objects), stored with the job. An upload through the
  API has no path a worker on another machine could read; in the ledger, the job is
  self-contained and survives the request that made it.

Rejects go into the job's errors with file, row (line for JSON Lines) and reason, never the
row's values (they may be personal data).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.errors import InputError
from linker.io import read_table
from linker.store import RecordIn, Source, Store, Submitted, UnitOfWork
from linker.store.errors import NotFoundError
from linker.store.sources import check_id
from linker.worker import JobContext

INGEST = "ingest"
DEFAULT_CHUNK_ROWS = 1000  # rows per transaction: a redo loses at most this much work
DEFAULT_ID_COLUMN = "record_id"
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
MAX_LISTED_REJECTS = 1000  # rejects listed in the job's errors; the rest are counted
READ_CHUNK = 0  # the result of reading: rows, rejects, chunks; data chunks are 1..n


@dataclass(frozen=True)
class Rows:
    """A file read for ingest: its valid records, their row numbers, and its rejects."""

    records: list[RecordIn]
    row_numbers: list[int]
    rejects: list[dict[str, Any]]
    description: str


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest job did, from its chunk results."""

    rows: int
    rejects: int
    inserted: int
    updated: int
    unchanged: int
    linkage_job: str | None


def ensure_source(
    uow: UnitOfWork,
    name: str,
    *,
    agency: str | None = None,
    entity_type: str | None = None,
    default_region: str | None = None,
    date_order: str | None = None,
    column_mapping: Mapping[str, str] | None = None,
) -> tuple[Source, bool]:
    """The source ``name``, created or updated with the settings given (None: keep stored).

    A new source needs its agency (every source belongs to one); its entity type defaults to
    person. Returns the source and whether it was created.
    """
    try:
        stored: Source | None = uow.source(name)
    except NotFoundError:
        stored = None
    if stored is None and not agency:
        raise InputError(
            f"source {name!r} is not stored yet: its agency is needed to create it",
            setting="agency",
        )
    given: dict[str, Any] = {
        "agency": agency,
        "entity_type": entity_type,
        "default_region": default_region,
        "date_order": date_order,
        "column_mapping": None if column_mapping is None else dict(column_mapping),
    }
    if stored is not None:
        if entity_type is not None and entity_type != stored.entity_type:
            raise InputError(
                f"source {name!r} holds {stored.entity_type} records, not {entity_type}"
            )
        changes = {
            key: value
            for key, value in given.items()
            if value is not None and value != getattr(stored, key)
        }
        if changes:
            uow.put_source(dataclasses.replace(stored, **changes))
            return uow.source(name), False
        return stored, False
    source = Source(
        name,
        agency=str(agency),
        entity_type=entity_type or "person",
        default_region=default_region,
        date_order=date_order,
        column_mapping=dict(column_mapping or {}),
    )
    uow.put_source(source)
    return source, True


def ingest_params(
    source: str,
    *,
    file: Path | None = None,
    records: Sequence[Any] | None = None,
    name: str = "records",
    id_column: str = DEFAULT_ID_COLUMN,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    link: bool = True,
) -> dict[str, Any]:
    """The params of an ingest job: a file by path (hashed now), or the records themselves.

    ``name`` labels inline records in rejects (e.g. the uploaded file's name); ``link`` queues
    an incremental linkage run at the end.
    """
    if (file is None) == (records is None):
        raise InputError("an ingest job reads either a file or records given with it")
    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be at least 1, got {chunk_rows}")
    params: dict[str, Any] = {
        "source": source,
        "id_column": id_column,
        "chunk_rows": chunk_rows,
        "link": link,
    }
    if file is not None:
        path = file.expanduser().resolve()
        params.update(file=str(path), sha256=file_sha256(path))
    else:
        # As sent: a row that is not an object is the job's reject, not the caller's error.
        params.update(records=list(records or ()), name=name)
    return params


def submit_ingest(
    uow: UnitOfWork, params: Mapping[str, Any], *, idempotency_key: str | None = None
) -> Submitted:
    """Queue an ingest job (the source must exist); the same key and params give the same job."""
    uow.source(str(params["source"]))  # an unknown source fails now, not in the worker
    return uow.submit_job(INGEST, params, progress_unit="records", idempotency_key=idempotency_key)


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks (a bulk file never whole in memory for this)."""
    if not path.is_file():
        raise InputError("no such file" if not path.exists() else "not a file", file=str(path))
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rows(params: Mapping[str, Any]) -> Rows:
    """The records of an ingest job, its rejects set aside (see the module docstring)."""
    id_column = str(params.get("id_column") or DEFAULT_ID_COLUMN)
    if "records" in params:
        name = str(params.get("name") or "records")
        objects = [(number, value, None) for number, value in enumerate(params["records"], 1)]
        return _from_objects(objects, name, id_column, f"{name}: {len(objects)} records")
    path = Path(str(params["file"]))
    found = file_sha256(path)
    if found != params.get("sha256", found):
        raise InputError(
            "the file changed since the job was submitted (its SHA-256 differs): "
            "submit it again to ingest the new version",
            file=str(path),
        )
    if path.suffix.lower() in JSON_LINES_SUFFIXES:
        return _read_json_lines(path, id_column)
    return _read_table(path, id_column)


def _read_table(path: Path, id_column: str) -> Rows:
    table = read_table(path, None)
    if id_column not in table.frame.columns:
        raise InputError(
            f"no id column (columns are {list(table.frame.columns)}); name the id column",
            file=table.name,
            column=id_column,
            setting="id_column",
        )
    rejects = [
        {"file": name, "row": int(row), "column": column or None, "reason": reason}
        for name, row, column, reason in table.rejects[["file", "row", "column", "reason"]]
        .astype(object)
        .itertuples(index=False)
    ]
    columns = [str(column) for column in table.frame.columns]
    objects = [
        (int(number), dict(zip(columns, map(_cell, values), strict=True)), None)
        for number, values in zip(
            table.rows.tolist(), table.frame.itertuples(index=False, name=None), strict=True
        )
    ]
    rows = _from_objects(objects, table.name, id_column, table.describe())
    return Rows(rows.records, rows.row_numbers, rejects + rows.rejects, rows.description)


def _cell(value: object) -> object:
    """A table cell as JSON: text as read, a missing cell as null."""
    return None if value is None or (isinstance(value, float) and value != value) else value


def _read_json_lines(path: Path, id_column: str) -> Rows:
    """One JSON object a line; a line that is not one is a reject with its line number."""
    name = str(path)
    objects: list[tuple[int, Any, str | None]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"JSON Lines must be UTF-8 ({exc.reason} at byte {exc.start})", file=name
        ) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            objects.append((number, json.loads(line), None))
        except json.JSONDecodeError as exc:  # its message gives a position, never the text
            objects.append((number, None, f"not JSON: {exc.msg} at column {exc.colno}"))
    if not objects:
        raise InputError("no records: the file has no non-blank line", file=name)
    return _from_objects(objects, name, id_column, f"{name}: JSON Lines, {len(objects)} lines")


def _from_objects(
    objects: Iterable[tuple[int, Any, str | None]], name: str, id_column: str, description: str
) -> Rows:
    """Records from (row, object, problem) triples: a row with a problem, that is not an
    object, or whose id is missing is rejected; every row of an id that appears twice is
    rejected too (which of them is the record?)."""
    rejects: list[dict[str, Any]] = []
    kept: list[tuple[int, str, dict[str, Any]]] = []

    def reject(row: int, column: str | None, reason: str) -> None:
        rejects.append({"file": name, "row": row, "column": column, "reason": reason})

    for row, value, problem in objects:
        if problem is not None:
            reject(row, None, f"{problem}; row skipped")
        elif not isinstance(value, dict):
            reject(row, None, f"a {type(value).__name__}, not a JSON object; row skipped")
        else:
            record_id = value.get(id_column)
            if isinstance(record_id, int) and not isinstance(record_id, bool):
                record_id = str(record_id)
            try:
                check_id(record_id, "the record id")
            except InputError as exc:
                reject(row, id_column, f"{exc}; row skipped")
                continue
            kept.append((row, str(record_id), value))
    rows_of: dict[str, list[int]] = {}
    for row, record_id, _ in kept:
        rows_of.setdefault(record_id, []).append(row)
    records: list[RecordIn] = []
    numbers: list[int] = []
    for row, record_id, value in kept:
        if len(rows_of[record_id]) > 1:
            where = ", ".join(str(r) for r in rows_of[record_id][:5])
            reject(row, id_column, f"the id is on several rows ({where}); none of them kept")
            continue
        records.append(RecordIn(record_id, value))
        numbers.append(row)
    rejects.sort(key=lambda reject: int(reject["row"]))
    return Rows(records, numbers, rejects, description)


def run_ingest(context: JobContext) -> None:
    """The ``ingest`` handler: read, then one transaction per chunk, skipping written chunks."""
    params = context.params
    source = str(params["source"])
    size = int(params.get("chunk_rows") or DEFAULT_CHUNK_ROWS)
    done = context.results()
    with context.store.read() as reader:
        entity_type = reader.source(source).entity_type
    rows = read_rows(params)
    total = len(rows.records)
    chunks = -(-total // size)
    read = {"rows": total, "rejects": len(rows.rejects), "chunks": chunks}
    if READ_CHUNK in done:
        if {key: done[READ_CHUNK].get(key) for key in read} != read:
            raise InputError(
                f"the rows read differ from the first attempt's ({done[READ_CHUNK]} before, "
                f"{read} now)",
                file=str(params.get("file") or params.get("name")),
            )
    else:
        context.say(f"job {context.job.id}: {rows.description}, {len(rows.rejects)} rejects")
        context.write_chunk(
            READ_CHUNK,
            lambda _uow: {**read, "read": rows.description},
            done=0,
            total=total,
            errors=_listed(rows.rejects),
        )
    for number in range(1, chunks + 1):
        if number in done:
            continue
        context.checkpoint()
        start, end = (number - 1) * size, min(number * size, total)
        batch = rows.records[start:end]

        def upsert(
            uow: UnitOfWork, batch: list[RecordIn] = batch, start: int = start, end: int = end
        ) -> dict[str, Any]:
            report = uow.upsert_records(source, batch)
            return {
                "first_row": rows.row_numbers[start],
                "last_row": rows.row_numbers[end - 1],
                "inserted": len(report.inserted),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
            }

        context.write_chunk(number, upsert, done=end, total=total)
    if params.get("link", True) and chunks + 1 not in done:
        context.checkpoint()
        context.write_chunk(
            chunks + 1, lambda uow: {"linkage_job": _queue_linkage(uow, context, entity_type)}
        )


def _queue_linkage(uow: UnitOfWork, context: JobContext, entity_type: str) -> str:
    from linker.linkage_jobs import linkage_params, submit_linkage

    # Keyed by the ingest job: a redo of this step finds the run it queued before.
    key = f"{context.job.id}/linkage"
    return submit_linkage(uow, linkage_params(entity_type), idempotency_key=key).job.id


def _listed(rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    listed = [{"title": "reject", **reject} for reject in rejects[:MAX_LISTED_REJECTS]]
    if len(rejects) > MAX_LISTED_REJECTS:
        listed.append(
            {
                "title": "reject",
                "detail": f"{len(rejects) - MAX_LISTED_REJECTS} more rejects, not listed",
            }
        )
    return listed


def ingest_summary(results: Mapping[int, Any]) -> IngestSummary:
    """Totals of an ingest job's chunk results (a job still running: the chunks so far)."""
    read = results.get(READ_CHUNK) or {"rows": 0, "rejects": 0, "chunks": 0}
    data = [results[n] for n in range(1, int(read["chunks"]) + 1) if n in results]
    tail = results.get(int(read["chunks"]) + 1) or {}
    return IngestSummary(
        rows=int(read["rows"]),
        rejects=int(read["rejects"]),
        inserted=sum(int(chunk["inserted"]) for chunk in data),
        updated=sum(int(chunk["updated"]) for chunk in data),
        unchanged=sum(int(chunk["unchanged"]) for chunk in data),
        linkage_job=tail.get("linkage_job"),
    )


def ingest_file(
    store: Store,
    source: str,
    file: Path,
    *,
    id_column: str = DEFAULT_ID_COLUMN,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    link: bool = True,
    idempotency_key: str | None = None,
) -> Submitted:
    """Queue the ingest of ``file`` into the stored source ``source`` (one transaction)."""
    params = ingest_params(source, file=file, id_column=id_column, chunk_rows=chunk_rows, link=link)
    with store.unit_of_work() as uow:
        return submit_ingest(uow, params, idempotency_key=idempotency_key)


__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "INGEST",
    "IngestSummary",
    "Rows",
    "ensure_source",
    "file_sha256",
    "ingest_file",
    "ingest_params",
    "ingest_summary",
    "read_rows",
    "run_ingest",
    "submit_ingest",
]
