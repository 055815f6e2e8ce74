"""``GET /health``: is clearance scoring ready, and from which snapshot. Never touches the graph."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LiveScorerDep
from api.json_body import StrictJSONRoute
from api.models import HealthPublic

router = APIRouter(route_class=StrictJSONRoute, tags=["health"])


@router.get("/health", response_model=HealthPublic)
def read_health(live: LiveScorerDep) -> HealthPublic:
    live.refresh()
    meta = live.meta
    return HealthPublic(
        status="ok" if live.ready else "no_snapshot",
        snapshot=meta.get("version"),
        model_version=meta.get("model_version"),
        built_at=meta.get("built_at"),
        rules=len(live.scorer().rules) if live.ready else 0,
    )
