"""What several routes share: the chart and neighbourhood query bounds, and the 404 for an unknown enterprise or
network. Its own module, so route modules never import each other."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.deps import GraphDep
from api.errors import ApiError
from graph.jurisdiction import Scope
from investigate import explore

__all__ = ["Depth", "NodeLimit", "require_enterprise", "require_network"]

Depth = Annotated[int, Query(ge=1, le=3, description="steps over shared identifiers or declarations")]
NodeLimit = Annotated[int, Query(ge=1, le=500, description="most nodes returned")]


def require_enterprise(graph: GraphDep, enterprise_id: str) -> None:
    if not explore.node_exists(*graph, "Enterprise", enterprise_id):
        raise ApiError(404, "not_found", f"no enterprise {enterprise_id!r}")


def require_network(graph: GraphDep, network_id: int, scope: Scope | None = None) -> dict:
    """The network (its members outside ``scope`` as placeholders), or 404."""
    found = explore.network(*graph, network_id, scope)
    if found is None:
        raise ApiError(404, "not_found", f"no network {network_id}")
    return found
