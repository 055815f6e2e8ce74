"""The first thing every request meets: the key checked from the headers, the body bounded as it streams.

FastAPI parses a body before it resolves any dependency, so a check in a route dependency comes too
late: a stranger's 50 MB chunked upload would be read and parsed first. This plain ASGI middleware
(``BaseHTTPMiddleware`` would cost a fifth of a scoring request) therefore

- refuses an API key sent in the URL (``?X-API-Key=``): URLs end up in logs and browser histories;
- answers 401 to a request without a valid ``X-API-Key`` header on any path that is not open, before
  one byte of its body is read, and leaves the key in ``request.state.principal`` for the roles check;
- answers 413 as soon as the body passes ``limit`` bytes, however it is framed: a declared
  ``Content-Length`` over the limit at once, a chunked body once the bytes counted so far pass it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse

from api.access import HEADER, authenticate
from api.errors import ApiError, BodyTooLarge, error_body
from api.keys import KeyStore

__all__ = ["RequestGuard"]


class RequestGuard:
    def __init__(
        self, app, keys: KeyStore, limit: int, open_paths: frozenset[str], open_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app, self.keys, self.limit, self.open_paths = app, keys, limit, open_paths
        self.open_prefixes = open_prefixes  # the page's static files: no data, fetched by the browser without a key

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_headers(scope)
        except ApiError as exc:
            await _refuse(scope, receive, send, exc.status, exc.code, exc.message)
            return
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        started = False

        async def tracked(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as exc:  # read outside FastAPI's body parsing (which answers it itself)
            if started:
                raise
            await _refuse(scope, receive, send, 413, "too_large", exc.detail)

    def _check_headers(self, scope) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        if any(name.lower() == HEADER.lower() for name, _ in parse_qsl(query, keep_blank_values=True)):
            raise ApiError(400, "key_in_url", f"send the API key in the {HEADER} header, never in the URL")
        headers = dict(scope["headers"])
        if scope["path"] not in self.open_paths and not scope["path"].startswith(self.open_prefixes):
            secret = headers.get(HEADER.lower().encode(), b"").decode("latin-1")
            scope.setdefault("state", {})["principal"] = authenticate(self.keys, secret)
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            raise ApiError(413, "too_large", f"request body over {self.limit} bytes")


async def _refuse(scope, receive, send, status: int, code: str, message: str) -> None:
    """The error answer, closing the connection: the rest of the body is never read."""
    response = JSONResponse(error_body(code, message), status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
