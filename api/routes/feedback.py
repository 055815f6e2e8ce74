"""Performance feedback: record inspection and audit outcomes, read hit rates. These use the graph.

A key limited to a jurisdiction records outcomes only of declarations lodged there (the body names them).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.access import refuse_outside_declarations
from api.deps import DecisionLogDep, GraphDep, LiveScorerDep, RuleStoreDep
from api.json_body import StrictJSONRoute
from api.models import FeedbackPublic, OutcomesIn, PerformancePublic
from columnar.store import DeclarationStore
from scoring.feedback import Outcome, record_outcomes
from scoring.performance import performance_report

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackPublic)
def create_feedback(
    request: Request, body: OutcomesIn, graph: GraphDep, log: DecisionLogDep, live: LiveScorerDep
) -> FeedbackPublic:
    refuse_outside_declarations(request, graph, [o.declaration_id for o in body.outcomes])
    outcomes = [Outcome(**o.model_dump()) for o in body.outcomes]
    result = record_outcomes(*graph, log, outcomes, store=DeclarationStore(log.home))
    live.note_violators(result.violators)  # the next declaration sharing an identifier sees them
    return FeedbackPublic(recorded=result.recorded, with_decision=result.with_decision, unknown=result.unknown)


@router.get("/performance", response_model=PerformancePublic)
def read_performance(
    log: DecisionLogDep,
    store: RuleStoreDep,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    idle_days: Annotated[int, Query(ge=1, le=3650)] = 90,
) -> dict:
    return performance_report(DeclarationStore(log.home), log, store.current(), since, until, idle_days)
