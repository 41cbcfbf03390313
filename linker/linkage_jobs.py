"""The ``linkage-run`` job: a linkage run through the store, run by a worker.

An ingest job queues one at its end (incremental, for the source's entity type); the API's
"resolve" will queue others. The run itself (``linker.linkage.resolve_identities``) writes
its identities, events and pairs in its own transaction, so a worker that dies mid-run leaves
nothing of it, and the redo runs it again; the run's report is then written as chunk 0. A
redo after the run committed but before its report was written finds nothing left to do (an
incremental run over records already resolved): the stored identities are the same either way.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from linker.errors import InputError
from linker.store import Submitted, UnitOfWork
from linker.store.schema import ENTITY_TYPES
from linker.worker import JobContext

LINKAGE_RUN = "linkage-run"
REPORT_CHUNK = 0


def linkage_params(entity_type: str, *, full: bool = False, refit: bool = False) -> dict[str, Any]:
    """The params of a linkage run: incremental by default; ``full`` re-blocks everything."""
    if entity_type not in ENTITY_TYPES:
        raise InputError(f"unknown entity type {entity_type!r}; known: {', '.join(ENTITY_TYPES)}")
    return {"entity_type": entity_type, "full": full, "refit": refit}


def submit_linkage(
    uow: UnitOfWork, params: Mapping[str, Any], *, idempotency_key: str | None = None
) -> Submitted:
    """Queue a linkage run; the same key and params give the same job."""
    return uow.submit_job(
        LINKAGE_RUN, params, progress_unit="runs", progress_total=1, idempotency_key=idempotency_key
    )


def run_linkage_job(context: JobContext) -> None:
    """The ``linkage-run`` handler: one run, then its report as chunk 0."""
    if REPORT_CHUNK in context.results():
        return
    context.checkpoint()
    # Imported here: the worker starts without the matching stack loaded.
    from linker.linkage import resolve_identities

    params = context.params
    report = resolve_identities(
        context.store,
        str(params["entity_type"]),
        full=bool(params.get("full", False)),
        refit=bool(params.get("refit", False)),
        say=context.say,
    )
    payload = report_payload(report)
    context.write_chunk(REPORT_CHUNK, lambda _uow: payload, done=1, total=1)


def report_payload(report: object) -> dict[str, Any]:
    """A run's report as JSON: a dataclass's fields (tuples as lists, the rest as text), and
    its ``describe()`` lines as ``summary``."""
    fields = (
        dataclasses.asdict(report)
        if dataclasses.is_dataclass(report) and not isinstance(report, type)
        else {"report": report}
    )
    describe = getattr(report, "describe", None)
    if callable(describe):
        fields["summary"] = str(describe())
    loaded: dict[str, Any] = json.loads(json.dumps(fields, default=str))
    return loaded


__all__ = [
    "LINKAGE_RUN",
    "linkage_params",
    "report_payload",
    "run_linkage_job",
    "submit_linkage",
]
