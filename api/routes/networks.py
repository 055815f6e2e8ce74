"""Scored networks from the latest ``riskgraph analyze``: the ranked list, one network, and its neighbourhood."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.access import ScopeDep
from api.deps import GraphDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.lookups import NetworkId, NodeLimit, require_network
from api.models import NetworkNeighbourhoodPublic, NetworkPublic, NetworksPublic
from graph.reference import jurisdiction, resolve_office
from graph.scope import KINDS
from investigate import explore
from investigate.queries import top_networks

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/networks", tags=["networks"])


@router.get("", response_model=NetworksPublic)
def read_networks(
    graph: GraphDep,
    scope: ScopeDep,
    kind: Literal[KINDS] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    min_score: Annotated[float | None, Query(ge=0, le=100, description="lowest network score, 0..100")] = None,
    office: Annotated[
        str | None, Query(min_length=1, max_length=100, description="sub-centre or district, code or name")
    ] = None,
) -> dict:
    within = None
    if office is not None:  # networks with a member that lodged there (within the key's own jurisdiction)
        found = resolve_office(office)
        if found is None:
            raise ApiError(422, "invalid_request", f"office: {office!r} is not a customs office of the hierarchy")
        within = frozenset(jurisdiction(found.code))
    fields = ("id", "score", "kind", "routing", "members", "reasons")
    ranked = top_networks(*graph, limit, kind, scope, min_score, within)
    items = [{k: n[k] for k in fields} | {"size": len(n["members"])} for n in ranked]
    return {"items": items, "count": len(items)}


@router.get("/{network_id}", response_model=NetworkPublic)
def read_network(graph: GraphDep, scope: ScopeDep, network_id: NetworkId) -> dict:
    return require_network(graph, network_id, scope)


@router.get("/{network_id}/neighbourhood", response_model=NetworkNeighbourhoodPublic)
def read_network_neighbourhood(graph: GraphDep, scope: ScopeDep, network_id: NetworkId, limit: NodeLimit = 500) -> dict:
    """Its members and what they share (one step), as the network's chart draws it, for the workbench; members
    outside the key's jurisdiction are placeholders."""
    members = [m["id"] for m in require_network(graph, network_id)["members"]]
    return {"id": network_id, "depth": 1, **explore.neighbourhood(*graph, members, 1, limit, scope, intel=True)}
