"""The investigator's workbench at ``/`` and its static files: open to load, since they hold no data; the
page asks for an API key and sends it with every call it makes.

The scripts and the vendored libraries are served from ``/static`` (vis-network from the pyvis package,
vis-timeline from ``visualizations/static/vendor/``), so nothing comes from the internet and there is
nothing to build.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.json_body import StrictJSONRoute
from visualizations.chart import STATIC, VIS_DIR, render_page

__all__ = ["router", "mount_static"]

router = APIRouter(route_class=StrictJSONRoute, tags=["page"])

#: URL prefix → folder; the most specific first (Starlette tries mounts in order)
ASSETS = (
    ("/static/vendor/vis-network", VIS_DIR),
    ("/static/vendor", STATIC / "vendor"),
    ("/static/workbench", STATIC / "workbench"),
)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def investigator_page() -> str:
    return render_page()


def mount_static(app: FastAPI) -> None:
    for prefix, folder in ASSETS:
        app.mount(prefix, StaticFiles(directory=folder), name=prefix.strip("/").replace("/", "-"))
