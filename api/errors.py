"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``, never a stack trace.

Domain exceptions map to a status here (one table), so routes just raise them.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import ServiceUnavailable
from starlette.exceptions import HTTPException

from graph.connection import DatabaseUnavailable
from scoring.rule_store import RuleForbidden
from scoring.rules import RuleError
from scoring.snapshot import SnapshotError

__all__ = ["ApiError", "install_error_handlers"]

log = logging.getLogger("riskgraph.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


_DOMAIN = {
    RuleError: (422, "invalid_rule"),
    RuleForbidden: (403, "forbidden"),
    SnapshotError: (503, "no_snapshot"),
    DatabaseUnavailable: (503, "graph_unavailable"),
    ServiceUnavailable: (503, "graph_unavailable"),
}


def _body(code: str, message: str, details=None) -> dict:
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status)

    for kind, (status, code) in _DOMAIN.items():

        @app.exception_handler(kind)
        async def _domain(_: Request, exc: Exception, status=status, code=code) -> JSONResponse:
            return JSONResponse(_body(code, str(exc)), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return JSONResponse(_body("invalid_request", message, details[:50]), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(_body(f"http_{exc.status_code}", str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(_body("internal_error", "internal error; the server log has the details"), 500)
