"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``, never a stack trace.

Every expected failure is a :class:`graph.errors.RiskGraphError` carrying its status and code, translated
here by one handler, so routes just raise them; only the driver's own disconnect error is mapped by name.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import ServiceUnavailable
from starlette.exceptions import HTTPException

from graph.errors import RiskGraphError

__all__ = ["ApiError", "install_error_handlers"]

log = logging.getLogger("riskgraph.api")


class ApiError(RiskGraphError):
    """A refusal decided by the API itself (authentication, access, a missing resource), status given per case."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _body(code: str, message: str, details=None) -> dict:
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RiskGraphError)
    async def _domain(_: Request, exc: RiskGraphError) -> JSONResponse:
        return JSONResponse(_body(exc.code, str(exc)), status_code=exc.status)

    @app.exception_handler(ServiceUnavailable)
    async def _disconnected(_: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse(_body("graph_unavailable", str(exc)), status_code=503)

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
