"""``GET /health``: is clearance scoring ready, from which snapshot, and how its model validated against
the baseline. Never touches the graph."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LiveScorerDep
from api.json_body import StrictJSONRoute
from api.models import HealthPublic
from scoring.model import model_card
from scoring.snapshot import SnapshotError

router = APIRouter(route_class=StrictJSONRoute, tags=["health"])


@router.get("/health", response_model=HealthPublic)
def read_health(live: LiveScorerDep) -> HealthPublic:
    live.refresh()
    try:
        scorer, meta = live.current()
    except SnapshotError:
        return HealthPublic(status="no_snapshot", snapshot=None, model_version=None, built_at=None, rules=0)
    return HealthPublic(
        status="ok",
        snapshot=meta.get("version"),
        model_version=meta.get("model_version"),
        built_at=meta.get("built_at"),
        rules=len(scorer.rules),
        model=model_card(live.home, meta["model_version"]) if meta.get("model_version") else None,
    )
