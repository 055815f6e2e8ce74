"""Scored networks from the latest ``riskgraph analyze``: the ranked list and one network."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.access import ScopeDep
from api.deps import GraphDep
from api.lookups import require_network
from api.models import NetworkPublic, NetworksPublic
from graph.scope import KINDS
from investigate.queries import top_networks

router = APIRouter(prefix="/v1/networks", tags=["networks"])


@router.get("", response_model=NetworksPublic)
def read_networks(
    graph: GraphDep,
    scope: ScopeDep,
    kind: Literal[KINDS] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict:
    fields = ("id", "score", "kind", "members", "reasons")
    ranked = top_networks(*graph, limit, kind, scope)
    items = [{k: n[k] for k in fields} for n in ranked]
    return {"items": items, "count": len(items)}


@router.get("/{network_id}", response_model=NetworkPublic)
def read_network(graph: GraphDep, scope: ScopeDep, network_id: int) -> dict:
    return require_network(graph, network_id, scope)
