"""The investigator page at ``/``: open to load, since it holds no data; it asks for an API key and
sends it with every call it makes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.json_body import StrictJSONRoute
from visualizations.chart import render_page

router = APIRouter(route_class=StrictJSONRoute, tags=["page"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def investigator_page() -> str:
    return render_page()
