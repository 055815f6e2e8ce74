"""The FastAPI application: ``create_app()`` wires the routers, the error shape and the live scorer.

The scorer is loaded from ``$RISKGRAPH_HOME`` at start-up (the lifespan) and follows new snapshots
and rule changes by itself; clearance routes never open a graph connection (decisions go to the
local decision log), so they keep answering with Neo4j stopped. Feedback and performance do use
the graph and answer 503 in the one error shape while it is away. Request bodies are bounded
(``MAX_BODY_BYTES``) before they are parsed.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from api.errors import install_error_handlers
from api.routes import charts, explore, feedback, health, networks, rules, score
from scoring.decision_log import DecisionLog
from scoring.live import LiveScorer

__all__ = ["create_app", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 16 * 1024 * 1024


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
        from riskgraph.settings import settings

        home = settings().home

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.live = LiveScorer(home)
        app.state.log = DecisionLog(home)
        yield
        app.state.log.close()

    app = FastAPI(title="RiskGraph", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    for module in (health, score, rules, feedback, explore, networks, charts):
        app.include_router(module.router)
    return app
