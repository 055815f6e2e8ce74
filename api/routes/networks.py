"""Scored networks from the latest ``riskgraph analyze``: the ranked list and one network."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from api.access import districts_of
from api.deps import GraphDep
from api.errors import ApiError
from investigate import explore
from investigate.queries import top_networks
from investigate.scope import KINDS

router = APIRouter(prefix="/v1/networks", tags=["networks"])


@router.get("")
def read_networks(
    request: Request,
    graph: GraphDep,
    kind: Literal[KINDS] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict:
    fields = ("id", "score", "kind", "members", "reasons")
    ranked = top_networks(*graph, limit, kind, districts_of(request))
    items = [{k: n[k] for k in fields} for n in ranked]
    return {"items": items, "count": len(items)}


def require_network(graph: GraphDep, network_id: int) -> dict:
    found = explore.network(*graph, network_id)
    if found is None:
        raise ApiError(404, "not_found", f"no network {network_id}")
    return found


@router.get("/{network_id}")
def read_network(graph: GraphDep, network_id: int) -> dict:
    return require_network(graph, network_id)
