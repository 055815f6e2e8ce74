"""What several routes share: the chart and neighbourhood query bounds, and the 404 for an unknown enterprise or
network. Its own module, so route modules never import each other."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from starlette.convertors import PathConvertor, register_url_convertor

from api.deps import GraphDep
from api.errors import ApiError
from graph.jurisdiction import Scope
from investigate import explore

__all__ = ["Depth", "NodeLimit", "NetworkId", "require_enterprise", "require_network"]

Depth = Annotated[int, Query(ge=1, le=3, description="steps over shared identifiers or declarations")]
NodeLimit = Annotated[int, Query(ge=1, le=500, description="most nodes returned")]
# Ids are what the graph stores: 64-bit integers; a larger number names no network (422, never a crash).
NetworkId = Annotated[int, Path(ge=0, le=2**63 - 1, description="a network id from the latest analysis")]


class EntityIdConvertor(PathConvertor):
    """``{enterprise_id:entity}``: an enterprise id in a path, ``/`` included (ids are whatever the
    declarations carry), but not a trailing ``/network``, ``/timeline``, ``/chart`` or ``/same-firm[/OTHER]``,
    which name the routes below an enterprise."""

    regex = r"(?:(?!/(?:network|timeline|chart|same-firm(?:/[^/]+)?)$).)+"


register_url_convertor("entity", EntityIdConvertor())


def require_enterprise(graph: GraphDep, enterprise_id: str) -> None:
    if not explore.node_exists(*graph, "Enterprise", enterprise_id):
        raise ApiError(404, "not_found", f"no enterprise {enterprise_id!r}")


def require_network(graph: GraphDep, network_id: int, scope: Scope | None = None) -> dict:
    """The network (its members outside ``scope`` as placeholders), or 404."""
    found = explore.network(*graph, network_id, scope)
    if found is None:
        raise ApiError(404, "not_found", f"no network {network_id}")
    return found
