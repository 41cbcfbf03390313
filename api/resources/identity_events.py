"""``GET /v1/identity-events?since=SEQ``: the change feed of identities.

Every create, merge, split, retire (and undo) of an identity is one event with a sequence
number, monotonic in commit order (``linker.store.identities``), so a consumer keeps the last
``seq`` it handled and asks for what came after: ``next_since`` is the value to send next
(the seq of the last event answered; the one sent when nothing is new), ``has_more`` says
that another page is already waiting. Paging by seq (not by an opaque cursor) lets a
consumer store its position as a number and resume from it after any time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.models import QueryArgs
from api.paging import DEFAULT_LIMIT, MAX_LIMIT
from api.resources.common import STORE_DOWN, declare
from api.store import current_store

MAX_SEQ = 2**63 - 1  # a seq is a 64-bit integer in the database

blueprint = APIBlueprint(
    "identity_events",
    __name__,
    url_prefix="/identity-events",
    abp_tags=[Tag(name="identities")],
)


class EventsQuery(QueryArgs):
    since: int = Field(
        0, ge=0, le=MAX_SEQ, description="The last seq already handled; 0: from the start"
    )
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Events per page, 1 to {MAX_LIMIT}"
    )


class EventView(BaseModel):
    seq: int
    kind: str = Field(description="create, merge, split, retire or undo")
    identity_ids: list[str] = Field(description="The ids involved, the surviving or kept one first")
    model_version: str | None = Field(description="The linkage model version of the change")
    details: dict[str, Any] = Field(description="Members created, moved or released")
    at: datetime


class EventPage(BaseModel):
    items: list[EventView]
    next_since: int = Field(description="Send as since= for the next page")
    has_more: bool = Field(description="More events are waiting after this page")


@blueprint.get(
    "",
    summary="Identity events after a seq, oldest first",
    responses=declare({200: EventPage}, STORE_DOWN),
)
def list_events(query: EventsQuery) -> dict[str, Any]:
    with current_store().read() as reader:
        events = reader.events_since(query.since, limit=query.limit + 1)
    shown = events[: query.limit]
    page = EventPage(
        items=[
            EventView(
                seq=event.seq,
                kind=event.kind,
                identity_ids=list(event.identity_ids),
                model_version=event.model_version_id,
                details=event.details,
                at=event.at,
            )
            for event in shown
        ],
        next_since=shown[-1].seq if shown else query.since,
        has_more=len(events) > query.limit,
    )
    return page.model_dump(mode="json")
