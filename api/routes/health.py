"""``GET /health``: is clearance scoring ready, from which snapshot, and how its model validated against
the baseline; which worker process answered and its memory. Never touches the graph.

``GET /health/live``: the process answers, and nothing more (no file read, no thread): a load balancer's
liveness probe, and the baseline of the HTTP latency benchmark (what the HTTP stack alone costs)."""

from __future__ import annotations

import os

from fastapi import APIRouter

from api.deps import LiveScorerDep
from api.json_body import StrictJSONRoute
from api.metrics import process_memory
from api.models import HealthPublic, LivenessPublic
from scoring.model import model_card
from scoring.snapshot import SnapshotError

router = APIRouter(route_class=StrictJSONRoute, tags=["health"])


@router.get("/health", response_model=HealthPublic)
def read_health(live: LiveScorerDep) -> HealthPublic:
    live.refresh()
    worker = {"worker": os.getpid(), "resident_mb": round(process_memory()[0] / 2**20, 1)}
    try:
        scorer, meta = live.current()
    except SnapshotError:
        return HealthPublic(status="no_snapshot", snapshot=None, model_version=None, built_at=None, rules=0, **worker)
    return HealthPublic(
        **worker,
        status="ok",
        snapshot=meta.get("version"),
        model_version=meta.get("model_version"),
        built_at=meta.get("built_at"),
        rules=len(scorer.rules),
        model=model_card(live.home, meta["model_version"]) if meta.get("model_version") else None,
    )


@router.get("/health/live", response_model=LivenessPublic)
async def read_liveness() -> dict:
    return {"status": "ok"}
