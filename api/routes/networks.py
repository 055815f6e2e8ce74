"""Scored networks from the latest ``riskgraph analyze``: the ranked list and one network."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from algorithms.queries import top_networks
from api.access import ScopeDep
from api.deps import GraphDep
from api.errors import ApiError
from graph import explore
from graph.jurisdiction import Scope

router = APIRouter(prefix="/v1/networks", tags=["networks"])


@router.get("")
def read_networks(
    graph: GraphDep,
    scope: ScopeDep,
    kind: Literal["audit", "anti-smuggling"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict:
    fields = ("id", "score", "kind", "members", "reasons")
    ranked = top_networks(*graph, limit, kind, scope)
    items = [{k: n[k] for k in fields} for n in ranked]
    return {"items": items, "count": len(items)}


def require_network(graph: GraphDep, network_id: int, scope: Scope | None = None) -> dict:
    found = explore.network(*graph, network_id, scope)
    if found is None:
        raise ApiError(404, "not_found", f"no network {network_id}")
    return found


@router.get("/{network_id}")
def read_network(graph: GraphDep, scope: ScopeDep, network_id: int) -> dict:
    return require_network(graph, network_id, scope)
