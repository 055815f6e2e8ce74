"""Cases: open one on an enterprise or a network with its evidence, list them, read one, work it.

The author of every change is the caller's API key (its name and id). A key limited to a
jurisdiction opens cases only on enterprises it may see and lists only cases concerning them;
reading and changing one case is scoped by ``api.access`` from the ``case_id`` in the path. A case
opened without an assignee goes to the investigator on today's roster (``scoring.roster``) with the fewest open
cases. A case closed ``confirmed`` makes its enterprises known violators for clearance scoring at once
(``scoring.violator_journal``), not only for the next analysis.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.access import PrincipalDep, ScopeDep, districts_of, visible_enterprises
from api.deps import GraphDep, LiveScorerDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import CasePublic, CasesPublic
from graph.targets import OTHER, targets_in_force
from investigate import cases, explore
from scoring.violator_journal import ViolatorEvent

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/cases", tags=["cases"])

# The library's vocabularies, so the API cannot drift from them (a tuple subscript lists its values).
Kind = Literal[cases.KINDS]
Status = Literal[cases.STATUSES]
Outcome = Literal[cases.OUTCOMES]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
Text = Annotated[str, Field(min_length=1, max_length=10_000, pattern=r"\S")]
#: a risk target's name (which ones are in force is the targets table's, checked by ``investigate.cases``)
Target = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="tax, security, ipr, drugs, other or own")]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    network_id: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    kind: Kind | None = Field(None, description="defaults to the network's kind")
    target: Target | None = Field(
        None, description="risk target; defaults to the one most of the enterprises' violations belong to"
    )
    title: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
    assignee: Name | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> CaseCreate:
        if (self.enterprise_id is None) == (self.network_id is None):
            raise ValueError("name exactly one of enterprise_id and network_id")
        return self


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    assignee: Name | None = None
    outcome: Outcome | None = Field(None, description="required when closing, only then")
    target: Target | None = Field(None, description="the risk target the investigation found the case is about")
    notes: Text | None = Field(None, description="appended to the case's notes with author and time")


def _author(principal) -> str:
    return f"{principal.name} ({principal.id})"


@router.post(
    "", status_code=201, response_model=CasePublic, responses={404: {"description": "no such enterprise or network"}}
)
def create_case(
    request: Request,
    response: Response,
    graph: GraphDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    live: LiveScorerDep,
    body: CaseCreate,
) -> dict:
    """Open a case; without an ``assignee`` it goes to the investigator on today's roster (of the key's
    jurisdiction) with the fewest open cases, else to nobody."""
    districts = districts_of(request)
    if districts is not None:
        if body.enterprise_id is not None:
            named = [body.enterprise_id]
        else:
            named = [m["id"] for m in (explore.network(*graph, body.network_id) or {"members": []})["members"]]
        if named and not visible_enterprises(graph, districts, named):
            office = principal.jurisdiction
            raise ApiError(
                403, "outside_jurisdiction", f"the case's enterprises are outside the jurisdiction of {office}"
            )
    assignee = body.assignee or cases.least_loaded(
        *graph, live.capacity.rosters.investigators(districts, datetime.now(UTC).date())
    )
    created = cases.create_case(
        *graph,
        title=body.title,
        opened_by=_author(principal),
        enterprise_id=body.enterprise_id,
        network_id=body.network_id,
        kind=body.kind,
        target=body.target,
        assignee=assignee,
        notes=body.notes,
        scope=scope,
    )
    response.headers["Location"] = f"/v1/cases/{created['id']}"  # also what the audit log records as created
    return created


@router.get("", response_model=CasesPublic)
def read_cases(
    request: Request,
    graph: GraphDep,
    status: Status | None = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    target: Annotated[
        str | None, Query(min_length=2, max_length=32, description="only cases of this risk target")
    ] = None,
) -> dict:
    if target is not None and target not in (*targets_in_force(), OTHER):
        raise ApiError(422, "unknown_target", f"no risk target {target!r}: {', '.join((*targets_in_force(), OTHER))}")
    items = cases.list_cases(*graph, status, assignee, limit, districts_of(request), target=target)
    return {"items": items, "count": len(items)}


@router.get("/{case_id}", response_model=CasePublic)
def read_case(graph: GraphDep, scope: ScopeDep, case_id: str) -> dict:
    return cases.read_case(*graph, case_id, scope)


@router.patch(
    "/{case_id}",
    response_model=CasePublic,
    responses={409: {"description": "the change is not allowed from the case's status"}},
)
def update_case(
    graph: GraphDep, scope: ScopeDep, principal: PrincipalDep, live: LiveScorerDep, case_id: str, body: CaseUpdate
) -> dict:
    case = cases.update_case(
        *graph,
        case_id,
        by=_author(principal),
        status=body.status,
        assignee=body.assignee,
        outcome=body.outcome,
        note=body.notes,
        target=body.target,
    )
    if body.outcome in cases.CONFIRMED_OUTCOMES and case["status"] == "closed":  # every concerned firm, in or out
        day = str(case.get("closed") or date.today())[:10]
        live.note_violators([ViolatorEvent(e, day, case=case["id"]) for e in case["concerns"]])
    return cases.read_case(*graph, case_id, scope) if scope.limited else case
