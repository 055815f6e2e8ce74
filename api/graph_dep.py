"""The graph connection of the exploration routes: (driver, database), or 503 in the one error shape."""

from __future__ import annotations

from typing import Annotated

import neo4j
from fastapi import Depends

from api.errors import ApiError
from graph.connection import DatabaseUnavailable, check, database

__all__ = ["Graph"]


def _graph() -> tuple[neo4j.Driver, str]:
    try:
        return check(), database()
    except DatabaseUnavailable as exc:
        raise ApiError(503, "graph_unavailable", str(exc)) from None


Graph = Annotated[tuple[neo4j.Driver, str], Depends(_graph)]
