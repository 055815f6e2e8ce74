"""Link charts as self-contained HTML pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.access import ScopeDep
from api.deps import GraphDep
from api.json_body import StrictJSONRoute
from api.lookups import Depth, NetworkId, NodeLimit, require_enterprise, require_network
from investigate import explore
from visualizations.chart import render_chart

router = APIRouter(route_class=StrictJSONRoute, tags=["charts"])


@router.get("/v1/enterprises/{enterprise_id:entity}/chart", response_class=HTMLResponse)
def enterprise_chart(
    graph: GraphDep, scope: ScopeDep, enterprise_id: str, depth: Depth = 2, limit: NodeLimit = 500
) -> str:
    require_enterprise(graph, enterprise_id)
    data = explore.neighbourhood(*graph, [enterprise_id], depth, limit, scope, intel=True)
    return render_chart(data, f"Enterprise {enterprise_id}, {depth} step(s)", focus={enterprise_id})


@router.get("/v1/networks/{network_id}/chart", response_class=HTMLResponse)
def network_chart(graph: GraphDep, scope: ScopeDep, network_id: NetworkId, limit: NodeLimit = 500) -> str:
    found = require_network(graph, network_id)  # all members: those outside the scope become placeholders
    members = [m["id"] for m in found["members"]]
    data = explore.neighbourhood(*graph, members, 1, limit, scope, intel=True)
    title = f"Network {network_id} ({found['kind']}, score {found['score']:.0f})"
    return render_chart(data, title, focus=set(scope.ids(members)) - {None})
