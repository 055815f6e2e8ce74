"""Post-clearance leads, best first: importers to audit and networks for anti-smuggling, as JSON or a spreadsheet.

``GET /v1/leads`` answers ``{"items", "count"}``; ``GET /v1/leads.csv`` and ``GET /v1/leads.xlsx``
the same leads as a file to download (see :mod:`investigate.leads` for how they are ranked). A key
limited to a jurisdiction gets the leads of its districts only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.access import districts_of
from api.deps import GraphDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import LeadsPublic
from graph.scope import KINDS
from graph.targets import OTHER, targets_in_force
from investigate.leads import rank_leads
from visualizations.lead_sheets import MEDIA_TYPES, leads_csv, leads_xlsx

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1", tags=["leads"])

Kind = Annotated[Literal[KINDS], Query(description="audit (importers) or anti-smuggling (networks)")]
Limit = Annotated[int, Query(ge=1, le=5000, description="most leads returned")]
Target = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z][a-z0-9_]{1,31}$",
        description="only leads of this risk target (tax, security, ipr, drugs, other or the administration's own)",
    ),
]
_WRITERS = {"csv": leads_csv, "xlsx": leads_xlsx}


def _leads(request: Request, graph: GraphDep, kind: str, limit: int, target: str | None) -> list[dict]:
    if target is not None and target not in (*targets_in_force(), OTHER):
        raise ApiError(422, "unknown_target", f"no risk target {target!r}: {', '.join((*targets_in_force(), OTHER))}")
    home = request.app.state.live.home
    return rank_leads(*graph, kind, limit, home=home, districts=districts_of(request), target=target)


@router.get("/leads", response_model=LeadsPublic)
def read_leads(request: Request, graph: GraphDep, kind: Kind, limit: Limit = 100, target: Target = None) -> dict:
    items = _leads(request, graph, kind, limit, target)
    return {"items": items, "count": len(items)}


def _download(request: Request, graph: GraphDep, kind: str, limit: int, target: str | None, fmt: str) -> Response:
    body = _WRITERS[fmt](_leads(request, graph, kind, limit, target), kind)
    filename = f"leads-{kind}-{date.today().isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/leads.csv", response_class=Response)
def export_leads_csv(
    request: Request, graph: GraphDep, kind: Kind, limit: Limit = 100, target: Target = None
) -> Response:
    return _download(request, graph, kind, limit, target, "csv")


@router.get("/leads.xlsx", response_class=Response)
def export_leads_xlsx(
    request: Request, graph: GraphDep, kind: Kind, limit: Limit = 100, target: Target = None
) -> Response:
    return _download(request, graph, kind, limit, target, "xlsx")
