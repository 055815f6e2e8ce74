"""Exploring from one entity: search, an enterprise's profile, its neighbourhood, timeline, and paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.access import ScopeDep, districts_of, visible_enterprises
from api.deps import GraphDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.lookups import Depth, NodeLimit, require_enterprise
from api.models import EnterpriseNeighbourhoodPublic, EnterprisePublic, PathsPublic, SearchPublic, TimelinePublic
from investigate import explore
from investigate.queries import enterprise_view

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1", tags=["explore"])


@router.get("/search", response_model=SearchPublic)
def search(
    request: Request,
    graph: GraphDep,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict:
    if len(q.strip()) < 2:
        raise ApiError(422, "invalid_request", "q: at least 2 characters besides spaces")
    items = explore.search(*graph, q, limit)
    districts = districts_of(request)
    if districts is not None:  # enterprises outside the key's jurisdiction are left out
        firms = [i["key"] for i in items if i["label"] == "Enterprise"]
        seen = visible_enterprises(graph, districts, firms)
        items = [i for i in items if i["label"] != "Enterprise" or i["key"] in seen]
    return {"items": items, "count": len(items)}


@router.get("/enterprises/{enterprise_id:entity}", response_model=EnterprisePublic)
def read_enterprise(graph: GraphDep, scope: ScopeDep, enterprise_id: str) -> dict:
    view = enterprise_view(*graph, enterprise_id, scope=scope)
    if view is None:
        raise ApiError(404, "not_found", f"no enterprise {enterprise_id!r}")
    return view


@router.get("/enterprises/{enterprise_id:entity}/network", response_model=EnterpriseNeighbourhoodPublic)
def read_neighbourhood(
    graph: GraphDep, scope: ScopeDep, enterprise_id: str, depth: Depth = 1, limit: NodeLimit = 200
) -> dict:
    require_enterprise(graph, enterprise_id)
    found = explore.neighbourhood(*graph, [enterprise_id], depth, limit, scope, intel=True)
    return {"id": enterprise_id, "depth": depth, **found}


@router.get("/enterprises/{enterprise_id:entity}/timeline", response_model=TimelinePublic)
def read_timeline(
    graph: GraphDep, scope: ScopeDep, enterprise_id: str, limit: Annotated[int, Query(ge=1, le=5000)] = 1000
) -> dict:
    require_enterprise(graph, enterprise_id)
    return explore.timeline(*graph, enterprise_id, limit, scope)


@router.get("/paths", response_model=PathsPublic, responses={404: {"description": "no entity at one end"}})
def read_paths(
    graph: GraphDep,
    scope: ScopeDep,
    source: Annotated[str, Query(alias="from", min_length=1, max_length=200, description="enterprise id or Label:key")],
    target: Annotated[str, Query(alias="to", min_length=1, max_length=200, description="enterprise id or Label:key")],
    max_hops: Annotated[int, Query(ge=1, le=6)] = 4,
    limit: Annotated[int, Query(ge=1, le=25)] = 10,
) -> dict:
    ends = [explore.parse_ref(source), explore.parse_ref(target)]
    for label, key in ends:
        if not explore.node_exists(*graph, label, key):
            raise ApiError(404, "not_found", f"no {label} {key!r}")
    if ends[0] == ends[1]:
        raise ApiError(422, "invalid_request", "from and to name the same entity")
    found = explore.paths(*graph, ends[0], ends[1], max_hops, limit, scope)
    return {"from": source, "to": target, "max_hops": max_hops, "paths": found, "count": len(found)}
