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
from api.json_body import StrictJSONRoute
from api.models import LeadsPublic
from graph.scope import KINDS
from investigate.leads import rank_leads
from visualizations.lead_sheets import MEDIA_TYPES, leads_csv, leads_xlsx

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1", tags=["leads"])

Kind = Annotated[Literal[KINDS], Query(description="audit (importers) or anti-smuggling (networks)")]
Limit = Annotated[int, Query(ge=1, le=5000, description="most leads returned")]
_WRITERS = {"csv": leads_csv, "xlsx": leads_xlsx}


def _leads(request: Request, graph: GraphDep, kind: str, limit: int) -> list[dict]:
    return rank_leads(*graph, kind, limit, home=request.app.state.live.home, districts=districts_of(request))


@router.get("/leads", response_model=LeadsPublic)
def read_leads(request: Request, graph: GraphDep, kind: Kind, limit: Limit = 100) -> dict:
    items = _leads(request, graph, kind, limit)
    return {"items": items, "count": len(items)}


def _download(request: Request, graph: GraphDep, kind: str, limit: int, fmt: str) -> Response:
    body = _WRITERS[fmt](_leads(request, graph, kind, limit), kind)
    filename = f"leads-{kind}-{date.today().isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/leads.csv", response_class=Response)
def export_leads_csv(request: Request, graph: GraphDep, kind: Kind, limit: Limit = 100) -> Response:
    return _download(request, graph, kind, limit, "csv")


@router.get("/leads.xlsx", response_class=Response)
def export_leads_xlsx(request: Request, graph: GraphDep, kind: Kind, limit: Limit = 100) -> Response:
    return _download(request, graph, kind, limit, "xlsx")
