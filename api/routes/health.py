"""``GET /health``: is clearance scoring ready, from which snapshot, and how its model validated against
the baseline. Never touches the graph."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LiveScorerDep
from api.models import HealthPublic
from scoring.model import model_card

router = APIRouter(tags=["health"])


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
        model=model_card(live.home, meta["model_version"]) if meta.get("model_version") else None,
    )
