"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``, never a stack trace.

Every expected failure is a :class:`graph.errors.RiskGraphError` carrying its status and code, translated
here by one handler, so routes just raise them; only the driver's own errors are mapped by name: a server
that cannot be reached, or did not answer within ``RISKGRAPH_GRAPH_TIMEOUT``, answers 503.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import Neo4jError, TransientError
from starlette.exceptions import HTTPException

from graph.connection import UNREACHABLE
from graph.errors import RiskGraphError

__all__ = ["ApiError", "BodyTooLarge", "error_body", "install_error_handlers"]

log = logging.getLogger("riskgraph.api")


class ApiError(RiskGraphError):
    """A refusal decided by the API itself (authentication, access, a missing resource), status given per case."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BodyTooLarge(HTTPException):
    """A body passed the limit while it was read (``api.request_guard``); an ``HTTPException`` so that
    FastAPI's body parsing lets it through (it turns any other error there into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


def error_body(code: str, message: str, details=None) -> dict:
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def _sentence(message: str) -> str:
    """A check's own sentence (as ingest quarantines with), without pydantic's prefix."""
    return message.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RiskGraphError)
    async def _domain(_: Request, exc: RiskGraphError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, str(exc)), status_code=exc.status)

    for kind in UNREACHABLE:
        if kind is not OSError:

            @app.exception_handler(kind)
            async def _unreachable(_: Request, exc: Exception) -> JSONResponse:
                return JSONResponse(error_body("graph_unavailable", str(exc)), status_code=503)

    @app.exception_handler(Neo4jError)
    async def _graph(_: Request, exc: Neo4jError) -> JSONResponse:
        # A query over its timeout (``graph.connection.serving``) or one the server could not run now.
        if isinstance(exc, TransientError) or "TimedOut" in (exc.code or ""):
            return JSONResponse(error_body("graph_timeout", "the graph did not answer in time; try again"), 503)
        return _internal(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_invalid_field(e) for e in exc.errors()]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return JSONResponse(error_body("invalid_request", message, details[:50]), status_code=422)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        # The rest of the body is never read, so the connection cannot be reused.
        return JSONResponse(error_body("too_large", exc.detail), status_code=413, headers={"Connection": "close"})

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(error_body(f"http_{exc.status_code}", str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return _internal(exc)


def _invalid_field(error: dict) -> dict:
    if error["type"] == "json_invalid":  # the body is not JSON: say why, not at which byte offset
        return {"field": "body", "message": f"not valid JSON: {error.get('ctx', {}).get('error', error['msg'])}"}
    field = ".".join(str(p) for p in error["loc"] if p != "body")
    return {"field": field, "message": error["msg"].removeprefix("Value error, ")}  # ingest's own sentence


def _internal(exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal error; the server log has the details"), 500)
