"""The analysis report for decision makers: the HTML page, or its figures as JSON with ``?format=json``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.access import districts_of
from api.deps import DecisionLogDep, GraphDep, LiveScorerDep
from api.json_body import StrictJSONRoute
from api.models import ReportPublic
from columnar.store import DeclarationStore
from investigate.report import analysis_report
from scoring.operation_results import operations_review
from scoring.snapshot import SnapshotError
from visualizations.report import render_report

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/reports", tags=["reports"])


@router.get(
    "/analysis",
    response_model=ReportPublic,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "the report"}},
)
def read_analysis_report(
    request: Request,
    graph: GraphDep,
    log: DecisionLogDep,
    live: LiveScorerDep,
    format: Literal["html", "json"] = "html",
    months: Annotated[int, Query(ge=1, le=120)] = 12,
    top: Annotated[int, Query(ge=1, le=20)] = 5,
) -> HTMLResponse | dict:
    try:
        state = live.scorer().state
    except SnapshotError:
        state = None
    store = DeclarationStore(live.home)
    operations = operations_review(*graph, log, store, state, live.tally, live.operations.all(), districts_of(request))
    figures = analysis_report(
        *graph,
        live.home,
        decisions=log.channel_mix(),
        months=months,
        top=top,
        districts=districts_of(request),
        operations=operations,
    )
    return figures if format == "json" else HTMLResponse(render_report(figures))
