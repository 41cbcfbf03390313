"""``GET /v1/jobs/{id}`` and ``GET /v1/jobs/{id}/results``: following a job of the ledger.

The ledger in the database is the job's only copy (``linker.store.jobs``), so any process
of the service answers for any job, whichever worker runs it. A job answers its state
(queued, running, done, failed), progress ``{done, total, unit}``, attempts (more than one: a
worker died and another took the job over) and errors (rejected rows with file, row, column
and reason; why it failed). Its results are one payload per chunk of work (an ingest: the
rows read, then new/changed/unchanged counts per chunk, then the linkage run it queued; a
linkage run: its report), paged by chunk number.
"""

from __future__ import annotations

from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.models import PathArgs
from api.paging import Page, PageQuery, page_of, read_cursor
from api.problems import problem_responses
from api.resources.common import STORE_DOWN, IdText, JobView, declare, job_view
from api.store import current_store

blueprint = APIBlueprint(
    "jobs",
    __name__,
    url_prefix="/jobs",
    abp_tags=[Tag(name="jobs", description="Jobs: ingests and linkage runs, with progress")],
)
RESULTS_SCOPE = "job-results"


class JobPath(PathArgs):
    job_id: str = IdText


class ChunkResult(BaseModel):
    chunk: int = Field(description="The chunk's number, from 0")
    result: Any = Field(description="What the chunk did (depends on the job's kind)")


@blueprint.get(
    "/<job_id>",
    summary="A job's state and progress",
    responses=declare({200: JobView}, problem_responses(404), STORE_DOWN),
)
def get_job(path: JobPath) -> dict[str, Any]:
    with current_store().read() as reader:
        return job_view(reader.job(path.job_id))


@blueprint.get(
    "/<job_id>/results",
    summary="A job's results, one per chunk of work (cursor-paged)",
    responses=declare({200: Page[ChunkResult]}, problem_responses(400, 404), STORE_DOWN),
)
def get_job_results(path: JobPath, query: PageQuery) -> dict[str, Any]:
    scope = f"{RESULTS_SCOPE}:{path.job_id}"
    after = read_cursor(query.cursor, scope)
    start = None if after is None else int(after[0] or 0)
    with current_store().read() as reader:
        reader.job(path.job_id)  # an unknown job is a 404, not an empty page
        results = reader.job_results(path.job_id, after=start, limit=query.limit + 1)
    items = [ChunkResult(chunk=chunk, result=payload) for chunk, payload in results.items()]
    page = page_of(items, query.limit, lambda item: [item.chunk], scope)
    return page.model_dump(mode="json")
