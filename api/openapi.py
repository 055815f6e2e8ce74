"""The OpenAPI document as the API behaves: every status a route can answer, in the one error shape.

FastAPI documents only 200 and a 422 in its own ``{"detail": ...}`` shape. Here each operation also
lists what the request guard, the access check, validation and the graph can answer (400, 401, 403,
404, 413, 422, 503, and any other error status a route declares in ``responses=``), each as
:class:`api.models.ErrorPublic`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.deps import GRAPH_DEPENDENCIES
from api.models import ErrorPublic

__all__ = ["describe_errors", "error_statuses"]

WHY = {
    400: "the API key was sent in the URL; send it in the X-API-Key header",
    401: "no API key, or an unknown or revoked one",
    403: "the key's role or jurisdiction does not allow this",
    404: "no such resource",
    413: "the body is over the size limit",
    422: "a parameter or the body is invalid; malformed JSON, NaN and Infinity included",
    503: "the graph or the scoring snapshot is unavailable, or the graph did not answer in time",
}
REF = {"$ref": "#/components/schemas/ErrorPublic"}


def error_statuses(route: APIRoute, keyed: bool, graph: bool) -> dict[int, str]:
    """The error statuses ``route`` can answer, with why: ``keyed`` when it needs an API key, ``graph``
    when its router's dependencies use the graph (the jurisdiction check)."""
    statuses = {400}
    dependant = route.dependant
    if keyed:
        statuses |= {401, 403}
    if dependant.path_params:
        statuses |= {404, 422}
    if dependant.query_params or dependant.header_params:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {413, 422}
    if graph or _calls(dependant) & set(GRAPH_DEPENDENCIES):
        statuses.add(503)
    declared = {int(s): r.get("description", WHY.get(int(s), "")) for s, r in route.responses.items() if int(s) >= 400}
    return {**{s: WHY[s] for s in sorted(statuses)}, **declared}


def _calls(dependant) -> set:
    found = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def describe_errors(app: FastAPI, routers, open_paths: frozenset[str]) -> None:
    """Make ``app.openapi()`` declare each operation's error statuses.

    ``routers`` is ``api.main.ROUTERS``: (module, access or None, extra dependencies...).
    """

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 shape, never sent
            schemas.pop(unused, None)
        error = ErrorPublic.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(error.pop("$defs", {}))
        schemas["ErrorPublic"] = error
        for module, access, *extra in routers:
            graph = bool({d.dependency for d in extra} & {*GRAPH_DEPENDENCIES, *_scoping()})
            for route in module.router.routes:
                if not isinstance(route, APIRoute) or not route.include_in_schema:
                    continue
                statuses = error_statuses(route, access is not None and route.path not in open_paths, graph)
                for method in route.methods:
                    responses = schema["paths"][route.path_format][method.lower()]["responses"]
                    for status, why in statuses.items():
                        responses[str(status)] = {"description": why, "content": {"application/json": {"schema": REF}}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def _scoping() -> tuple:
    from api.access import scope_graph_request

    return (scope_graph_request,)
