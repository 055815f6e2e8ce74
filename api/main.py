"""The FastAPI application: ``create_app()`` wires the routers, the error shape and the live scorer.

The scorer is loaded from ``$RISKGRAPH_HOME`` at start-up (the lifespan) and follows new snapshots
and rule changes by itself; clearance routes never open a graph connection (decisions go to the
local decision log), so they keep answering with Neo4j stopped. Feedback and performance do use
the graph and answer 503 in the one error shape while it is away. Request bodies are bounded
(``MAX_BODY_BYTES``) before they are parsed. Every router but the health check and the page needs an
API key (``api.access``); the audit trail records who touched what (``api.audit_log``).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from api.access import READERS, allow, scope_graph_request
from api.audit_log import AuditLog, AuditTrail
from api.errors import install_error_handlers
from api.keys import KeyStore
from api.routes import (
    audit,
    cases,
    charts,
    explore,
    feedback,
    health,
    leads,
    networks,
    page,
    reports,
    rules,
    same_firm,
    score,
)
from graph.config import settings
from scoring.decision_log import DecisionLog
from scoring.live import LiveScorer

__all__ = ["create_app", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 16 * 1024 * 1024

SCOPED = Depends(scope_graph_request)
# Each router and who may use it: (roles that may read, roles that may change); admin may do all.
# None = open (the health check and the page, which holds no data). Routes naming an enterprise,
# network or case are also held to the key's jurisdiction (SCOPED).
ROUTERS = (
    (health, None),
    (page, None),
    (score, allow(read=(), write=("clearance-system",))),
    (rules, allow(read=("analyst",), write=("analyst",))),
    (feedback, allow(read=("analyst", "auditor"), write=("clearance-system", "auditor"))),
    (explore, allow(read=READERS), SCOPED),
    (networks, allow(read=READERS), SCOPED),
    (charts, allow(read=READERS), SCOPED),
    (cases, allow(read=READERS, write=("investigator", "auditor")), SCOPED),
    (same_firm, allow(read=READERS, write=("investigator",)), SCOPED),
    (leads, allow(read=READERS)),
    (reports, allow(read=READERS)),
    (audit, allow(read=())),
)


class BodyLimit:
    """Refuses a request whose declared body is over ``limit`` bytes before reading it (plain ASGI:
    ``BaseHTTPMiddleware`` would cost a fifth of a scoring request)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                body = {"error": {"code": "too_large", "message": f"request body over {self.limit} bytes"}}
                await JSONResponse(body, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(home: Path | None = None) -> FastAPI:
    if home is None:
        home = settings().home

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.live = LiveScorer(home)
        app.state.log = DecisionLog(home)
        yield
        app.state.log.close()

    app = FastAPI(title="RiskGraph", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)

    app.state.keys = KeyStore(home)
    app.state.audit = AuditLog(home, settings().audit_retention_months)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(AuditTrail, log=app.state.audit)
    for module, access, *extra in ROUTERS:
        dependencies = [] if access is None else [Depends(access), *extra]
        app.include_router(module.router, dependencies=dependencies)
    return app
