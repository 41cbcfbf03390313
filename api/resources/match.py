"""``POST /v1/match``: one record, not stored, against every record that is.

The body is a record envelope (``api.envelope``: ``{"entity_type", "fields", "extra"}``, the
same as ``PUT /v1/sources/{source}/records/{id}``; ``extra`` is not compared). The answer is
up to ``?limit=`` (default 5, at most 50) identities, best first, each with its score (its best
member's match probability), its band under the active linkage model version (``match``,
``review`` or ``no_match``), the explanation of that best pair (per-feature contributions) and
its members, plus the version that scored them. The record goes through the library's
one-record matching (``linker.matching``): the batch path's preparation, blocking keys,
comparisons and model, nothing fitted. Before any linkage run of the entity type there is no
version: a 409 problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from api.envelope import Envelope
from api.models import QueryArgs
from api.problems import problem_response
from api.resources.common import STORE_DOWN, RecordRef, declare
from api.store import current_store

if TYPE_CHECKING:  # the matching stack loads on the first match, not with the app
    from linker.matching import Candidate

blueprint = APIBlueprint(
    "match",
    __name__,
    url_prefix="/match",
    abp_tags=[Tag(name="match", description="One-record matching against everything stored")],
)

MAX_LIMIT = 50
NO_VERSION_409: dict[int, Any] = {
    409: problem_response(409, "No linkage model version yet: run a linkage first")
}


class MatchQuery(QueryArgs):
    limit: int = Field(5, ge=1, le=MAX_LIMIT, description=f"Candidates, 1 to {MAX_LIMIT}")


class CandidateView(BaseModel):
    """An identity the record may belong to."""

    identity_id: str
    score: float = Field(description="Its best member's match probability with the record")
    band: Literal["match", "review", "no_match"] = Field(
        description="match: at or above t_match; review: from t_review; else no_match"
    )
    explanation: dict[str, Any] = Field(
        description="The best pair's logit, base and per-feature value and contribution"
    )
    best: RecordRef = Field(description="The member that scored best (the pair explained)")
    members: list[RecordRef] = Field(description="Every record of the identity")


class MatchAnswer(BaseModel):
    model_version: str = Field(description="The linkage model version that scored")
    candidates: list[CandidateView] = Field(description="Best first; empty: nothing close")


def candidate_view(candidate: Candidate) -> CandidateView:
    return CandidateView(
        identity_id=candidate.identity_id,
        score=candidate.score,
        band=candidate.band,  # type: ignore[arg-type]  # one of the three, by construction
        explanation=candidate.explanation,
        best=RecordRef(source=candidate.best[0], record_id=candidate.best[1]),
        members=[RecordRef(source=s, record_id=r) for s, r in candidate.members],
    )


@blueprint.post(
    "",
    summary="Match one record against everything stored",
    responses=declare({200: MatchAnswer}, NO_VERSION_409, STORE_DOWN),
)
def post_match(query: MatchQuery, body: Envelope) -> dict[str, Any]:
    from linker.matching import match_record

    result = match_record(current_store(), body.entity_type, body.fields, limit=query.limit)
    answer = MatchAnswer(
        model_version=result.model_version,
        candidates=[candidate_view(c) for c in result.candidates],
    )
    return answer.model_dump(mode="json")
