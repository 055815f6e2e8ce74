"""``GET /v1/audit``: the newest audit entries, for administrators.

An administrator's key limited to a jurisdiction reads every entry, but an outside firm an entry names
(in its path, query or resources, e.g. someone's refused request for it) reads ``outside jurisdiction``.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Query, Request

from api.access import districts_of
from api.json_body import StrictJSONRoute
from api.models import AuditPublic
from graph.jurisdiction import OUTSIDE, Scope

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=AuditPublic,
    responses={503: {"description": "a key limited to a jurisdiction: the graph, which redacts, is unavailable"}},
)
def read_audit(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    key: Annotated[str | None, Query(description="one key id")] = None,
    resource: Annotated[str | None, Query(description="an enterprise, network, case or rule id")] = None,
) -> dict:
    items = request.app.state.audit.tail(limit, key, resource)
    districts = districts_of(request)
    if districts is not None:  # only then is the graph needed: the log itself is read with Neo4j away too
        from graph.connection import database, serving

        items = _redacted(items, Scope(serving(), database(), districts))
    return {"items": items, "count": len(items)}


def _words(entry: dict) -> list[str]:
    """What in an entry may be an enterprise id: path segments, query values (``Label:key`` too), resources."""
    words = [unquote(w) for w in (entry.get("path") or "").split("/")]
    for _, value in parse_qsl(entry.get("query") or "", keep_blank_values=True):
        words += [value, value.partition(":")[2]]
    return words + [str(v) for v in (entry.get("resources") or {}).values()]


def _redacted(entries: list[dict], scope: Scope) -> list[dict]:
    outside = scope.outside_firms(w for e in entries for w in _words(e))
    if not outside:
        return entries
    # longest first, each only where it stands alone (between separators of a path or query)
    pattern = re.compile(
        "|".join(rf"(?<![^/=:&?]){re.escape(k)}(?![^/&?])" for k in sorted(outside, key=len, reverse=True))
    )

    def text(value):
        return pattern.sub(OUTSIDE, unquote(value)) if isinstance(value, str) else value

    return [
        {
            **e,
            "path": text(e.get("path")),
            "query": text(e.get("query")),
            "resources": {k: OUTSIDE if v in outside else v for k, v in (e.get("resources") or {}).items()},
        }
        for e in entries
    ]
