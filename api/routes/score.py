"""Clearance scoring: one declaration or a batch, answered from the in-memory snapshot only.

The model's contributions are among the reasons of every declaration not released (one) or sent to
physical inspection (batch); rule hits and network risk always are.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import DecisionLogDep, LiveScorerDep, LodgingAlertsDep
from api.json_body import StrictJSONRoute
from api.models import DecisionPublic, DecisionsPublic, DeclarationIn, DeclarationsIn

router = APIRouter(
    route_class=StrictJSONRoute,
    prefix="/v1/score",
    tags=["score"],
    responses={503: {"description": "no scoring snapshot yet (`riskgraph model train`)"}},
)


@router.post("", response_model=DecisionPublic)
async def create_score(
    declaration: DeclarationIn, live: LiveScorerDep, log: DecisionLogDep, alerts: LodgingAlertsDep
) -> dict:
    # async for speed (no thread hop per request), but a check that may load a new snapshot runs in the pool
    scorer, meta = await run_in_threadpool(live.current) if live.due() else live.current()
    version = meta["version"]
    raws = [declaration.canonical()]
    decision = scorer.score_many(raws)[0]
    log.record([decision], version)
    alerts.offer(raws, [decision])  # lookout hits raise alerts off the request path (api.lodging_alerts)
    return {**decision.as_dict(), "snapshot": version}


@router.post("/batch", response_model=DecisionsPublic)
def create_scores(body: DeclarationsIn, live: LiveScorerDep, log: DecisionLogDep, alerts: LodgingAlertsDep) -> dict:
    scorer, meta = live.current()
    version = meta["version"]
    raws = [d.canonical() for d in body.declarations]
    decisions = scorer.score_many(raws, explain="inspection")
    log.record(decisions, version)
    alerts.offer(raws, decisions)
    data = [{**d.as_dict(), "snapshot": version} for d in decisions]
    return {"data": data, "count": len(data), "snapshot": version}
