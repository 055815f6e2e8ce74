"""Who may call what: roles, the ``X-API-Key`` check, and jurisdiction scoping.

Each router is mounted in ``api.main`` behind one :func:`allow` dependency naming the roles that
may read (GET) and the roles that may change (other methods). A key limited to a sub-centre or a
district sees an enterprise only when it lodged a declaration at one of that jurisdiction's
districts; networks and cases follow their member or concerned enterprises (the rule and the
redaction of outside firms in results: :mod:`graph.jurisdiction`). The check reads every id in the
path (:data:`PATH_PARAMS`: ``enterprise_id``, ``other_id``, ``network_id``, ``case_id``) and ``/v1/paths``'
``from``/``to``, so every route that names one of those is scoped without code of its own; an id in a
body (a new case's enterprise) is checked by its route.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.deps import GraphDep
from api.errors import ApiError
from api.keys import ApiKey, KeyStore
from graph.jurisdiction import Scope
from graph.runs import shown, shown_run
from graph.scope import CASE, DECLARATION, ENTERPRISE, NETWORK, lodged_in_districts
from investigate.explore import parse_ref

__all__ = [
    "ADMIN",
    "READERS",
    "HEADER",
    "allow",
    "authenticate",
    "PrincipalDep",
    "ScopeDep",
    "districts_of",
    "refuse_outside_declarations",
    "scope_graph_request",
    "visible_enterprises",
]

ADMIN = "admin"
READERS = ("investigator", "auditor", "analyst")
HEADER = "X-API-Key"

IN_JURISDICTION = {
    "enterprise": f"""
OPTIONAL MATCH (e:Enterprise {{id: $key}})
RETURN e IS NULL AS missing, {lodged_in_districts(ENTERPRISE, "e")} AS inside
""",
    "network": f"""
OPTIONAL MATCH (n:Network {{id: $key}}) WHERE {shown("n")}
RETURN n IS NULL AS missing, {lodged_in_districts(NETWORK, "n")} AS inside
""",
    "case": f"""
OPTIONAL MATCH (k:Case {{id: $key}})
RETURN k IS NULL AS missing, {lodged_in_districts(CASE, "k")} AS inside
""",
}
LODGED_OUTSIDE = f"""
UNWIND $keys AS key
MATCH (d:Declaration {{id: key}}) WHERE NOT {lodged_in_districts(DECLARATION, "d")}
RETURN key
"""
# Declares the key in the OpenAPI document; the request guard has already checked it.
API_KEY = APIKeyHeader(name=HEADER, auto_error=False, description="a key from `riskgraph keys create`")
#: every path parameter naming an entity the rule covers (a same-firm verdict names two enterprises)
PATH_PARAMS = {"enterprise_id": "enterprise", "other_id": "enterprise", "network_id": "network", "case_id": "case"}


def authenticate(store: KeyStore, secret: str) -> ApiKey:
    """The active key with this secret; 401 otherwise. Called by ``api.request_guard`` from the
    headers alone, before any body is read."""
    if not secret:
        raise ApiError(401, "unauthenticated", f"send an API key in the {HEADER} header (riskgraph keys create)")
    key = store.lookup(secret)
    if key is None:
        raise ApiError(401, "unauthenticated", "this API key is unknown or revoked")
    return key


def _key(request: Request) -> ApiKey:
    """The key the request guard authenticated (it runs before any route)."""
    key = getattr(request.state, "principal", None)
    return key if key is not None else authenticate(request.app.state.keys, request.headers.get(HEADER, ""))


def allow(read: Iterable[str], write: Iterable[str] = ()):
    """A dependency letting ``read`` roles GET and ``write`` roles change; admin may always do both."""
    readers, writers = frozenset((*read, ADMIN)), frozenset((*write, ADMIN))

    async def check(request: Request, _: Annotated[str | None, Security(API_KEY)] = None) -> ApiKey:
        key = _key(request)
        allowed = readers if request.method in ("GET", "HEAD") else writers
        if key.role not in allowed:
            verb = "read" if request.method in ("GET", "HEAD") else "change"
            raise ApiError(403, "forbidden", f"role {key.role} may not {verb} {request.url.path}")
        return key

    check.readers, check.writers = readers, writers  # the access table, for tests and documentation
    return check


async def _principal(request: Request) -> ApiKey:
    return request.state.principal


PrincipalDep = Annotated[ApiKey, Depends(_principal)]


def districts_of(request: Request) -> frozenset[str] | None:
    """The districts the caller may see, or None when it is not limited."""
    return request.state.principal.districts


def visible_enterprises(graph: tuple, districts: frozenset[str], ids: list[str]) -> set[str]:
    """Which of these enterprises a key limited to ``districts`` may see."""
    return Scope(*graph, districts).visible("Enterprise", ids)


def refuse_outside_declarations(request: Request, graph: tuple, ids: list[str]) -> None:
    """403 when a limited key names a declaration lodged outside its jurisdiction in a body (an outcome
    changes what its importer is known for); unknown ids pass, for the route to report."""
    districts = districts_of(request)
    if districts is None or not ids:
        return
    driver, database = graph
    records = driver.execute_query(LODGED_OUTSIDE, keys=list(ids), districts=sorted(districts), database_=database)
    outside = [r["key"] for r in records.records]
    if outside:
        office = request.state.principal.jurisdiction
        raise ApiError(403, "outside_jurisdiction", f"declaration {outside[0]} is outside the jurisdiction of {office}")


def _scope(request: Request, graph: GraphDep) -> Scope:
    return Scope(*graph, districts_of(request))


#: what the caller may see of a result (:mod:`graph.jurisdiction`)
ScopeDep = Annotated[Scope, Depends(_scope)]


def _network_id(text: str) -> int | None:
    """A path's network id as the graph stores it (a 64-bit integer), or None."""
    try:
        key = int(text)
    except ValueError:
        return None
    return key if -(2**63) <= key < 2**63 else None


def scope_graph_request(request: Request) -> None:
    """403 when the request names an enterprise, network or case outside the caller's jurisdiction.

    Runs after :func:`allow`. Unknown ids pass, so the route answers its own 404.
    """
    districts = districts_of(request)
    if districts is None:
        return
    named = [(kind, request.path_params[p]) for p, kind in PATH_PARAMS.items() if p in request.path_params]
    if request.url.path == "/v1/paths":
        for end in ("from", "to"):
            label, key = parse_ref(request.query_params.get(end, ""))
            if label == "Enterprise" and key:
                named.append(("enterprise", key))
    if not named:
        return
    from graph.connection import database, serving

    driver, db = serving(), database()
    for kind, key in named:
        if kind == "network":
            key = _network_id(key)
            if key is None:
                continue  # the route's own validation answers 422
        record = driver.execute_query(
            IN_JURISDICTION[kind], shown_run(driver, db), key=key, districts=sorted(districts), database_=db
        ).records[0]
        if not record["missing"] and not record["inside"]:
            office = request.state.principal.jurisdiction
            raise ApiError(403, "outside_jurisdiction", f"{kind} {key} is outside the jurisdiction of {office}")
