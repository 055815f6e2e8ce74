"""The FastAPI application: ``create_app()`` wires the routers, the error shape and the live scorer.

The scorer is loaded from ``$RISKGRAPH_HOME`` at start-up (the lifespan) and follows new snapshots
and rule changes by itself; clearance routes never open a graph connection (decisions go to the
local decision log), so they keep answering with Neo4j stopped. Feedback and performance do use
the graph and answer 503 in the one error shape while it is away. Every router but the health check
and the page needs an API key, checked from the headers before any body is read, and bodies are
bounded (``MAX_BODY_BYTES``) as they stream (``api.request_guard``); roles and jurisdictions are
``api.access``'s; the audit trail records who touched what (``api.audit_log``).
"""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI

from api.access import READERS, allow, scope_graph_request
from api.audit_log import AuditLog, AuditTrail
from api.errors import install_error_handlers
from api.keys import KeyStore
from api.lodging_alerts import LodgingAlerts
from api.metrics import Metrics, RequestMetrics, process_memory
from api.openapi import describe_errors
from api.request_guard import RequestGuard
from api.routes import (
    alerts,
    audit,
    capacity,
    cases,
    charts,
    explore,
    feedback,
    health,
    inspections,
    intel,
    leads,
    metrics,
    networks,
    offices,
    operations,
    page,
    reports,
    roster,
    rules,
    same_firm,
    score,
    trends,
)
from graph.config import settings
from graph.home import api_serving
from ingest.normalize import warming_up
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
    (operations, allow(read=("analyst",), write=("analyst",))),
    (trends, allow(read=("analyst",), write=("analyst",))),
    (feedback, allow(read=("analyst", "auditor"), write=("clearance-system", "auditor"))),
    (inspections, allow(read=(), write=("clearance-system", "auditor"))),
    (capacity, allow(read=READERS, write=("analyst",))),
    (roster, allow(read=READERS, write=("analyst",))),
    (explore, allow(read=READERS), SCOPED),
    (networks, allow(read=READERS), SCOPED),
    (charts, allow(read=READERS), SCOPED),
    (cases, allow(read=READERS, write=("investigator", "auditor")), SCOPED),
    (same_firm, allow(read=READERS, write=("investigator",)), SCOPED),
    (intel, allow(read=READERS, write=READERS)),
    (alerts, allow(read=READERS, write=("investigator", "auditor"))),
    (leads, allow(read=READERS)),
    (offices, allow(read=(*READERS, "clearance-system"))),
    (reports, allow(read=READERS)),
    (audit, allow(read=())),
    (metrics, allow(read=())),
)


def create_app(home: Path | None = None) -> FastAPI:
    if home is None:
        home = settings().home

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # the first declaration with party fields does not wait for the normalisers' data
        warming_up()
        with api_serving(home):  # `riskgraph restore` refuses while this is held
            app.state.live = LiveScorer(home)
            app.state.log = DecisionLog(home)
            app.state.lodging_alerts = LodgingAlerts()
            _say_ready(app.state.live)
            yield
            app.state.live.close()
            app.state.log.close()
            app.state.lodging_alerts.close()

    app = FastAPI(title="RiskGraph", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)

    app.state.keys = KeyStore(home)
    app.state.audit = AuditLog(home, settings().audit_retention_months)
    for module, access, *extra in ROUTERS:
        dependencies = [] if access is None else [Depends(access), *extra]
        app.include_router(module.router, dependencies=dependencies)
    page.mount_static(app)
    open_paths = _open_paths(app)
    describe_errors(app, ROUTERS, open_paths)
    open_prefixes = tuple(f"{prefix}/" for prefix, _ in page.ASSETS)
    app.add_middleware(
        RequestGuard, keys=app.state.keys, limit=MAX_BODY_BYTES, open_paths=open_paths, open_prefixes=open_prefixes
    )
    app.add_middleware(AuditTrail, log=app.state.audit)  # refused requests are recorded too
    app.state.metrics = Metrics(app)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)  # outermost: every request is counted
    return app


def _say_ready(live: LiveScorer) -> None:
    """One line per worker on stderr: with ``serve --workers N`` each loads the snapshot, and this is its cost."""
    resident, shared = process_memory()
    print(
        f"riskgraph worker {os.getpid()}: snapshot {live.meta.get('version') or 'none yet'}, "
        f"{resident / 2**20:,.0f} MB resident ({shared / 2**20:,.0f} MB shared)",
        file=sys.stderr,
        flush=True,
    )


def _open_paths(app: FastAPI) -> frozenset[str]:
    """Paths answered without a key: the open routers' and the API's own documentation."""
    paths = {route.path for module, access, *_ in ROUTERS if access is None for route in module.router.routes}
    paths |= {app.openapi_url, app.docs_url, f"{app.docs_url}/oauth2-redirect", app.redoc_url}
    return frozenset(paths)
