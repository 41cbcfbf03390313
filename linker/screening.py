"""Name screening: a list of names (with a date of birth, nationality, phones... when known)
against every person stored, and the ``screening`` job for lists too long for one request.

A screening entry is ``{"key", "full_name", "dob"?, "nationality"?, "phones"?, "ibans"?,
"documents"?}``: the caller's key (unique in the list) and person fields. Each entry is
matched as a person record (``linker.matching``); a list is matched in batches of
``BATCH_NAMES`` (one preparation and one scoring per batch), so a hundred names cost about
what a handful do.

The ``screening`` job holds its entries in its params (self-contained in the ledger, like an
uploaded ingest) and writes one result chunk per batch: ``{"model_version", "results": {key:
[candidate, ...]}}``, so a worker that dies mid-list redoes only the batch it was on.
``result_rows`` flattens the results for a CSV download; ``csv_safe`` neutralises cells a
spreadsheet would run as a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from linker.errors import InputError
from linker.store import Store, Submitted, UnitOfWork
from linker.worker import JobContext

if TYPE_CHECKING:  # the matching stack loads on first use: a worker starts without it
    from linker.matching import Candidate

__all__ = [
    "BATCH_NAMES",
    "CSV_COLUMNS",
    "FIELDS",
    "SCREENING",
    "candidate_json",
    "check_entries",
    "csv_safe",
    "result_rows",
    "run_screening_job",
    "screen",
    "screening_params",
    "submit_screening",
]

SCREENING = "screening"
ENTITY = "person"
FIELDS = ("full_name", "dob", "nationality", "phones", "ibans", "documents")
BATCH_NAMES = 100
DEFAULT_LIMIT = 5  # candidates per name (``linker.matching.DEFAULT_LIMIT``)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "key",
    "rank",
    "identity_id",
    "score",
    "band",
    "best_source",
    "best_record_id",
    "members",
    "model_version",
)


def check_entries(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The entries as plain dicts, once each has a key (unique) and a full name, and no
    field beyond ``FIELDS``; an ``InputError`` names the entry (from 1) and key otherwise."""
    seen: dict[str, int] = {}
    checked = []
    for number, entry in enumerate(entries, start=1):
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"screening entry {number}: no key")
        if key in seen:
            raise InputError(
                f"screening key {key!r} appears twice (entries {seen[key]} and {number})"
            )
        seen[key] = number
        unknown = sorted(set(entry) - {"key", *FIELDS})
        if unknown:
            raise InputError(
                f"screening entry {number}: unknown field(s) {', '.join(unknown)} "
                f"(known: key, {', '.join(FIELDS)})"
            )
        if not str(entry.get("full_name") or "").strip():
            raise InputError(f"screening entry {number} (key {key!r}): no full_name")
        checked.append({name: entry[name] for name in ("key", *FIELDS) if name in entry})
    return checked


def screen(
    store: Store, entries: Sequence[Mapping[str, Any]], *, limit: int = DEFAULT_LIMIT
) -> tuple[str, dict[str, tuple[Candidate, ...]]]:
    """The model version and each key's candidates, for entries already checked
    (``check_entries``), matched in batches of ``BATCH_NAMES``."""
    from linker.matching import match_records

    version = ""
    found: dict[str, tuple[Candidate, ...]] = {}
    for start in range(0, len(entries), BATCH_NAMES):
        batch = entries[start : start + BATCH_NAMES]
        queries = [{f: e[f] for f in FIELDS if e.get(f) is not None} for e in batch]
        results = match_records(store, ENTITY, queries, limit=limit)
        for entry, result in zip(batch, results, strict=True):
            found[str(entry["key"])] = result.candidates
            version = result.model_version
    return version, found


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    """A candidate as the API and the job results give it."""
    return {
        "identity_id": candidate.identity_id,
        "score": candidate.score,
        "band": candidate.band,
        "explanation": candidate.explanation,
        "best": {"source": candidate.best[0], "record_id": candidate.best[1]},
        "members": [{"source": s, "record_id": r} for s, r in candidate.members],
    }


# --- the screening job --------------------------------------------------------------------


def screening_params(entries: Sequence[Mapping[str, Any]], *, limit: int) -> dict[str, Any]:
    """The params of a screening job: the entries (checked) and candidates per entry."""
    if limit < 1:
        raise InputError(f"candidates per name must be at least 1, got {limit}")
    checked = check_entries(entries)
    if not checked:
        raise InputError("a screening job needs at least one name")
    return {"entity_type": ENTITY, "limit": limit, "names": checked}


def submit_screening(
    uow: UnitOfWork, params: Mapping[str, Any], *, idempotency_key: str | None = None
) -> Submitted:
    """Queue a screening job (progress counted in names)."""
    return uow.submit_job(
        SCREENING,
        params,
        progress_unit="names",
        progress_total=len(params["names"]),
        idempotency_key=idempotency_key,
    )


def run_screening_job(context: JobContext) -> None:
    """The ``screening`` handler: one result chunk per batch of names, the batches already
    written (by an earlier attempt) skipped."""
    names: list[dict[str, Any]] = list(context.params["names"])
    limit = int(context.params.get("limit", DEFAULT_LIMIT))
    done = set(context.results())
    for chunk, start in enumerate(range(0, len(names), BATCH_NAMES)):
        if chunk in done:
            continue
        context.checkpoint()
        batch = names[start : start + BATCH_NAMES]
        version, found = screen(context.store, batch, limit=limit)
        payload = {
            "model_version": version,
            "results": {key: [candidate_json(c) for c in found[key]] for key in found},
        }
        context.write_chunk(chunk, _returning(payload), done=start + len(batch), total=len(names))


def _returning(payload: dict[str, Any]) -> Callable[[UnitOfWork], dict[str, Any]]:
    """A chunk's work that writes nothing beyond its result."""

    def work(_uow: UnitOfWork) -> dict[str, Any]:
        return payload

    return work


# --- CSV of the results ---------------------------------------------------------------------


def csv_safe(value: object) -> str:
    """A cell as text, prefixed with ``'`` when a spreadsheet would take it for a formula
    (it starts with ``= + - @``, a tab or a carriage return): CSV injection neutralised."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def result_rows(results: Mapping[int, Any]) -> Iterator[list[str]]:
    """The CSV rows (``CSV_COLUMNS``, cells neutralised) of a screening job's chunk results,
    in chunk order: one row per candidate, and one row with only the key for a name that
    found none."""
    for chunk in sorted(results):
        payload = results[chunk]
        version = payload.get("model_version", "")
        for key, candidates in payload.get("results", {}).items():
            if not candidates:
                yield [csv_safe(key), "", "", "", "", "", "", "", csv_safe(version)]
                continue
            for rank, candidate in enumerate(candidates, start=1):
                members = candidate.get("members", [])
                best = candidate.get("best") or {"source": "", "record_id": ""}
                joined = "|".join(f"{m['source']}:{m['record_id']}" for m in members)
                cells = [
                    key,
                    rank,
                    candidate["identity_id"],
                    f"{candidate['score']:.6f}",
                    candidate["band"],
                    best["source"],
                    best["record_id"],
                    joined,
                    version,
                ]
                yield [csv_safe(cell) for cell in cells]
