"""Inspection acts: ``POST /v1/inspections`` records what an officer did and found.

It becomes the declaration's outcome through the feedback path (``scoring.feedback``: the flag, type of
violation and revenue, joined to the decision), with the act's own fields kept beside it for performance per
officer and inspection type, and in the rosters' act table (who did it on which day, what was found) for
utilisation per officer (``scoring.utilisation``). A key limited to a jurisdiction records acts only of
declarations lodged there.
"""

from __future__ import annotations

import json

import neo4j
from fastapi import APIRouter, Request

from api.access import refuse_outside_declarations
from api.deps import DecisionLogDep, GraphDep, LiveScorerDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import InspectionCreate, InspectionPublic
from columnar.store import DeclarationStore
from scoring.feedback import Act, Outcome, record_outcomes

DECLARATION_OFFICE = "MATCH (d:Declaration {id: $id}) RETURN d.office AS office"


def _office(graph, declaration_id: str) -> str | None:
    """The office the declaration was lodged at (for an act on a declaration not assigned from a roster)."""
    driver, database = graph
    found = driver.execute_query(
        DECLARATION_OFFICE, id=declaration_id, database_=database, routing_=neo4j.RoutingControl.READ
    ).records
    return found[0]["office"] if found else None


router = APIRouter(route_class=StrictJSONRoute, prefix="/v1", tags=["feedback"])


@router.post(
    "/inspections",
    response_model=InspectionPublic,
    status_code=201,
    responses={404: {"description": "the declaration is not in the graph (nothing recorded)"}},
)
def create_inspection(
    request: Request, body: InspectionCreate, graph: GraphDep, log: DecisionLogDep, live: LiveScorerDep
) -> InspectionPublic:
    refuse_outside_declarations(request, graph, [body.declaration_id])
    minutes = round((body.ended_at - body.started_at).total_seconds() / 60, 2)
    act = Act(
        inspection_type=body.inspection_type,
        officer=body.officer,
        started_at=body.started_at.isoformat(),
        ended_at=body.ended_at.isoformat(),
        minutes=minutes,
        findings=body.findings,
        seized=json.dumps([s.model_dump() for s in body.seized], ensure_ascii=False) if body.seized else None,
    )
    outcome = Outcome(
        body.declaration_id, int(body.result == "violation"), body.violation_type, body.revenue, "inspection", act
    )
    result = record_outcomes(*graph, log, [outcome], store=DeclarationStore(log.home))
    if not result.recorded:
        raise ApiError(404, "not_found", f"no declaration {body.declaration_id!r} in the graph")
    live.note_violators(result.violators)
    rosters = live.capacity.rosters
    office = rosters.office_of(body.declaration_id) or _office(graph, body.declaration_id)
    rosters.record_act(
        body.declaration_id, office, body.started_at.date(), body.officer, body.result == "violation", minutes
    )
    return InspectionPublic(
        declaration_id=body.declaration_id, recorded=True, with_decision=bool(result.with_decision), minutes=minutes
    )
