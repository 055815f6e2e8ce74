"""Alerts: firms newly linked to intelligence records (``investigate.alerts``), newest first; acknowledge one
or open a case from it. A key sees an alert only when it may see both its record and its firm (else 404)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.access import PrincipalDep, ScopeDep, districts_of
from api.deps import GraphDep
from api.json_body import StrictJSONRoute
from api.models import AlertCase, AlertPublic, AlertsPublic
from investigate import alerts

router = APIRouter(
    route_class=StrictJSONRoute,
    prefix="/v1/alerts",
    tags=["alerts"],
    responses={404: {"description": "no such alert, or one the key may not see"}},
)


def _author(principal) -> str:
    return f"{principal.name} ({principal.id})"


@router.get("", response_model=AlertsPublic)
def read_alerts(
    request: Request,
    graph: GraphDep,
    status: Literal["new", "acknowledged", "case"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    data = alerts.list_alerts(*graph, districts_of(request), status, limit)
    return {"data": data, "count": len(data)}


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge_alert(request: Request, graph: GraphDep, principal: PrincipalDep, alert_id: str) -> dict:
    return alerts.acknowledge_alert(*graph, alert_id, _author(principal), districts_of(request))


@router.post("/{alert_id}/case", status_code=201, response_model=AlertPublic)
def create_case_from_alert(
    request: Request,
    response: Response,
    graph: GraphDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    alert_id: str,
    body: AlertCase | None = None,
) -> dict:
    alert = alerts.open_case_from_alert(
        *graph, alert_id, _author(principal), districts_of(request), scope, body.title if body else None
    )
    response.headers["Location"] = f"/v1/cases/{alert['case_id']}"
    return alert
