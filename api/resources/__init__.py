"""The resources under ``/v1``, one module and one ``APIBlueprint`` each.

To add one: a module here defining ``blueprint = APIBlueprint("sources", __name__,
url_prefix="/sources", abp_tags=[Tag(name="sources")])`` with its views (each declares its
responses, ``api.problems.problem_responses`` for the problems it raises itself: the ones
every operation can give are added by ``api.openapi``), then its ``blueprint`` in
``RESOURCES``. It is then served under ``/v1/sources``, behind the ``/v1`` hooks, and in the
OpenAPI document (regenerate the snapshot: ``python -m api.snapshot --write``).
"""

from __future__ import annotations

from flask_openapi3.blueprint import APIBlueprint

from api.resources import (
    identities,
    identity_events,
    ingest_jobs,
    jobs,
    linkage_runs,
    match,
    records,
    relations,
    screenings,
    sources,
)

# The store's resources; each module's docstring says what its endpoints do.
RESOURCES: tuple[APIBlueprint, ...] = (
    sources.blueprint,
    records.blueprint,
    relations.blueprint,
    ingest_jobs.blueprint,
    linkage_runs.blueprint,
    jobs.blueprint,
    identities.blueprint,
    identity_events.blueprint,
    match.blueprint,
    screenings.blueprint,
    screenings.jobs_blueprint,
)
