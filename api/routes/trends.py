"""Dynamic focus over HTTP: the trend warnings (``analysis.trends``) and submitting a warning's drafted operation.

A warning is about the whole flow, not a firm, so every analyst sees it, except those naming a broker (a firm), which
only keys not limited to a jurisdiction see. Submitting proposes the draft as it stands, for the key's own
sub-centre (the department for an unlimited key): 202 with the pending change, approved by someone else as any
operation is.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from analysis.trends import read_warnings
from api.access import PrincipalDep, districts_of
from api.deps import RuleStoreDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.models import OperationProposed, TrendWarningsPublic
from api.routes.operations import _proposed
from api.routes.rules import _office
from graph.reference import department_code
from scoring.operations import Operation

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/trends", tags=["trends"])


def _warnings(request: Request) -> list[dict]:
    limited = districts_of(request) is not None
    return [w for w in read_warnings(request.app.state.live.home) if not (limited and w["dimension"] == "broker")]


@router.get("", response_model=TrendWarningsPublic)
def read_trends(request: Request) -> dict:
    """The warnings raised so far, newest detection first."""
    warnings = _warnings(request)
    return {"data": warnings, "count": len(warnings)}


@router.post("/{warning_id}/operation", status_code=202, response_model=OperationProposed)
def create_trend_operation(
    warning_id: str, request: Request, store: RuleStoreDep, key: PrincipalDep, response: Response
) -> dict:
    """Propose the warning's drafted operation in one step."""
    warning = next((w for w in _warnings(request) if w["id"] == warning_id), None)
    if warning is None:
        raise ApiError(404, "not_found", f"no trend warning {warning_id!r}")
    if warning["draft_operation"] is None:
        raise ApiError(422, "invalid_operation", f"{warning_id} names a broker: no operation scope can name it")
    owner = _office(key) or department_code()
    draft = {**warning["draft_operation"], "owner": owner}
    change = store.propose("add_operation", key.name, operation=draft, key=key.id)
    return _proposed(change, Operation.model_validate(change["rule"]), response)
