"""Probable same firms around an enterprise, and an investigator's verdict on one.

``riskgraph resolve`` writes candidate links; here an investigator lists them and confirms or
rejects one. Both enterprises of a verdict are in the path, so the key's jurisdiction applies to each
(``api.access``: a verdict on a firm outside is refused, 403) and the audit log records who reviewed
which firms. In a list, the other firm of a link that leaves the key's jurisdiction is a placeholder
(``outside-…`` id, ``outside jurisdiction`` for its name, ``a_outside``/``b_outside`` true), as elsewhere.
A confirmed link carries risk in the next ``riskgraph analyze`` like a shared identifier; a rejected one
no longer counts and is never proposed again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.access import PrincipalDep, ScopeDep
from api.deps import GraphDep
from graph.jurisdiction import OUTSIDE, Scope
from investigate import same_firm

router = APIRouter(prefix="/v1/enterprises/{enterprise_id}/same-firm", tags=["same firm"])

Status = Literal[same_firm.STATUSES]
Decision = Literal[same_firm.DECISIONS]
EnterpriseId = Annotated[str, Path(min_length=1, max_length=200)]


class SameFirmEvidence(BaseModel):
    field: str = Field(description="the compared field (name, address, phone, legal_rep, succession)")
    level: str | None = Field(description="how the two firms' values compared, e.g. 'Exact match on phone'")
    weight: float = Field(description="the match weight this field added (log2 Bayes factor; negative: against)")


class SameFirmPublic(BaseModel):
    a: str = Field(description="the older registration")
    a_name: str | None
    b: str = Field(description="the newer registration")
    b_name: str | None
    a_outside: bool = Field(False, description="a is outside the key's jurisdiction: a placeholder")
    b_outside: bool = Field(False, description="b is outside the key's jurisdiction: a placeholder")
    match_weight: float | None = Field(description="log2 Bayes factor of the linkage model")
    match_probability: float | None
    agreed: list[str] = Field(description="fields on which the two records agree exactly")
    weights: dict[str, float] = Field(
        default_factory=dict, description="the match weight each compared field added (log2 Bayes factor)"
    )
    evidence: list[SameFirmEvidence] = Field(
        default_factory=list, description="each compared field, how it compared and what it weighed, strongest first"
    )
    status: Status
    found_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str | None


class SameFirmsPublic(BaseModel):
    data: list[SameFirmPublic]
    count: int


class SameFirmReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    note: Annotated[str | None, Field(min_length=1, max_length=2000, pattern=r"\S")] = None


@router.get("", response_model=SameFirmsPublic)
def read_same_firms(
    graph: GraphDep,
    scope: ScopeDep,
    enterprise_id: str,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SameFirmsPublic:
    links = _scoped(same_firm.list_links(*graph, enterprise_id, status, limit), scope)
    return SameFirmsPublic(data=[SameFirmPublic(**link) for link in links], count=len(links))


def _scoped(links: list[dict], scope: Scope) -> list[dict]:
    """The links with each firm outside ``scope`` a placeholder: another id per firm and answer, no name."""
    seen = scope.visible("Enterprise", [link[end] for link in links for end in ("a", "b")])
    placeholders: dict[str, str] = {}
    scoped = []
    for link in links:
        link = dict(link)
        for end in ("a", "b"):
            if link[end] not in seen:
                link[end] = placeholders.setdefault(link[end], scope.placeholder_id(len(placeholders) + 1))
                link[f"{end}_name"], link[f"{end}_outside"] = OUTSIDE, True
        scoped.append(link)
    return scoped


@router.post("/{other_id}", response_model=SameFirmPublic)
def review_same_firm(
    graph: GraphDep, principal: PrincipalDep, enterprise_id: str, other_id: EnterpriseId, body: SameFirmReview
) -> SameFirmPublic:
    # LinkNotFound is a RiskGraphError (404 not_found), answered by the one error handler
    link = same_firm.review_link(
        *graph, enterprise_id, other_id, body.decision, f"{principal.name} ({principal.id})", body.note
    )
    return SameFirmPublic(**link)
