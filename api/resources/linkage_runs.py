"""``POST /v1/linkage-runs``: queue a linkage run of one entity type (a job).

``incremental`` resolves the records new, changed or erased since they were last resolved
(against what is stored, through the blocking-key index); ``full`` re-blocks and re-clusters
every record. Both use the active linkage model version unchanged; ``refit: true`` fits a new
version instead and stores it inactive (identities unchanged until it is activated). The run
is ``linker.linkage.resolve_identities`` in a worker (``linker.linkage_jobs``); the answer is
202 with ``Location: /v1/jobs/{id}``, where its report appears as result chunk 0.
"""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import Field

from api.models import JsonBody
from api.resources.common import (
    STORE_DOWN,
    SUBMIT_422,
    IdempotencyHeader,
    JobAccepted,
    accepted,
    declare,
)
from api.resources.sources import EntityType
from api.store import current_store
from linker.linkage_jobs import linkage_params, submit_linkage

blueprint = APIBlueprint(
    "linkage_runs",
    __name__,
    url_prefix="/linkage-runs",
    abp_tags=[Tag(name="linkage", description="Linkage runs: stable identities from records")],
)


class LinkageRunBody(JsonBody):
    entity_type: EntityType = Field(description="Which records to resolve")
    mode: Literal["incremental", "full"] = Field(
        "incremental", description="incremental: what changed since the last run; full: all"
    )
    refit: bool = Field(
        False, description="Fit a new model version (stored inactive) instead of resolving"
    )


@blueprint.post(
    "",
    summary="Queue a linkage run",
    responses=declare({202: JobAccepted}, SUBMIT_422, STORE_DOWN),
)
def post_linkage_run(
    body: LinkageRunBody, header: IdempotencyHeader
) -> tuple[dict[str, Any], int, dict[str, str]]:
    params = linkage_params(body.entity_type, full=body.mode == "full", refit=body.refit)
    with current_store().unit_of_work() as uow:
        submitted = submit_linkage(uow, params, idempotency_key=header.idempotency_key)
    return accepted(submitted.job)
