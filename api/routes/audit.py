"""``GET /v1/audit``: the newest audit entries, for administrators.

An administrator's key limited to a jurisdiction reads only that jurisdiction's entries: an entry naming a
firm outside it (in its path, query or resources, e.g. someone's refused request for it) is left out, and
so is an entry with a query (search terms, filters, path ends: what someone typed) made by a key that is
not itself limited to that jurisdiction, since those words may concern any firm of the country.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Query, Request

from api.access import districts_of
from api.json_body import StrictJSONRoute
from api.keys import KeyStore
from api.models import AuditPublic
from graph.jurisdiction import Scope

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=AuditPublic,
    responses={503: {"description": "a key limited to a jurisdiction: the graph, which tells firms apart, is away"}},
)
def read_audit(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    key: Annotated[str | None, Query(description="one key id")] = None,
    resource: Annotated[str | None, Query(description="an enterprise, network, case or rule id")] = None,
) -> dict:
    log, districts = request.app.state.audit, districts_of(request)
    if districts is None:  # only a limited key needs the graph: the log itself is read with Neo4j away too
        items = log.tail(limit, key, resource)
    else:
        from graph.connection import database, serving

        scope, typed_here = Scope(serving(), database(), districts), _typed_within(request.app.state.keys, districts)
        items = _jurisdiction_tail(lambda n: log.tail(n, key, resource, keep=typed_here), limit, scope)
    return {"items": items, "count": len(items)}


def _typed_within(keys: KeyStore, districts: frozenset[str]) -> Callable[[dict], bool]:
    """Whether an entry's query may be shown: it has none, or its key is limited to within ``districts``."""
    within = {k.id for k in keys.list() if k.districts is not None and k.districts <= districts}
    return lambda entry: not entry.get("query") or entry.get("key") in within


def _jurisdiction_tail(tail: Callable[[int], list[dict]], limit: int, scope: Scope) -> list[dict]:
    """The newest ``limit`` entries naming no firm outside ``scope``: reads further back while some are left out."""
    want = limit
    while True:
        found = tail(want)
        kept = _naming_no_outsider(found, scope)
        if len(kept) >= limit or len(found) < want:
            return kept[:limit]
        want *= 4


def _words(entry: dict) -> list[str]:
    """What in an entry may be an enterprise id: path segments, query values (``Label:key`` too), resources."""
    words = [unquote(w) for w in (entry.get("path") or "").split("/")]
    for _, value in parse_qsl(entry.get("query") or "", keep_blank_values=True):
        words += [value, value.partition(":")[2]]
    return words + [str(v) for v in (entry.get("resources") or {}).values()]


def _naming_no_outsider(entries: list[dict], scope: Scope) -> list[dict]:
    outside = scope.outside_firms(w for e in entries for w in _words(e))
    return [e for e in entries if not outside.keys() & set(_words(e))]
