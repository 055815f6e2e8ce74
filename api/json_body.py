"""Request bodies read as strict JSON, so every malformed body answers the same 422.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON, and reads ``1e999``
as infinity: a rule stored
with ``"value_min": Infinity`` could not be written back as JSON, and a score computed from one is
meaningless. They are refused here, before any route sees the body; so are bytes that are not UTF-8
(FastAPI would answer those 400, and other malformed JSON 422). Every router is an
``APIRouter(route_class=StrictJSONRoute)``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

__all__ = ["StrictJSONRoute"]


def _non_finite(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range for a number")
    return number


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_constant=_non_finite, parse_float=_finite)
            except (UnicodeDecodeError, ValueError) as exc:
                if isinstance(exc, json.JSONDecodeError):
                    raise
                # FastAPI answers a JSONDecodeError with its 422, any other parsing error with a 400.
                raise json.JSONDecodeError(str(exc), body.decode("utf-8", "replace"), 0) from None
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self):
        handler = super().get_route_handler()

        async def strict(request: Request):
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
