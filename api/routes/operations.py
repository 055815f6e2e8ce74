"""Special operations over HTTP: propose one (or its early end), list them, read their results.

Four eyes as for rules: ``POST /v1/operations`` answers 202 with the pending change's id in ``change``; the
operation is in force once another key approves it through ``POST /v1/rules/changes/{id}/approve``. An
analyst's key of a sub-centre sees its own sub-centre's operations and the department's, and proposes for its
own only; the proposer is the key's name.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from api.access import PrincipalDep
from api.deps import DecisionLogDep, GraphDep, LiveScorerDep, RuleStoreDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.keys import ApiKey
from api.models import OperationCreate, OperationEnd, OperationProposed, OperationResultsPublic, OperationsPublic
from api.routes.rules import _acting, _office, _sees
from columnar.store import DeclarationStore
from scoring.operation_results import operation_results
from scoring.operations import Operation, OperationError
from scoring.snapshot import SnapshotError

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/operations", tags=["operations"])


def _proposed(change: dict, operation: Operation, response: Response) -> dict:
    response.headers["Location"] = f"/v1/rules/changes/{change['id']}"
    return {
        "change": change["id"],
        "action": change["action"],
        "operation": operation.model_dump(mode="json"),
        "proposed_by": change["proposed_by"],
        "proposed_at": change["proposed_at"],
    }


def _visible(key: ApiKey, operation: Operation) -> bool:
    return _sees(_office(key), operation.owner)


def _operation(store, key: ApiKey, operation_id: str) -> Operation:
    try:
        operation = store.operations.get(operation_id)
    except OperationError:
        raise ApiError(404, "not_found", f"no operation {operation_id!r}") from None
    if not _visible(key, operation):
        raise ApiError(403, "outside_jurisdiction", f"operation {operation_id} belongs to {operation.owner}")
    return operation


@router.post("", status_code=202, response_model=OperationProposed)
def create_operation(store: RuleStoreDep, key: PrincipalDep, body: OperationCreate, response: Response) -> dict:
    """Propose an operation; it runs (from its start) once someone else approves the change."""
    _acting(key, body.owner, "owner")
    change = store.propose("add_operation", key.name, operation=body.model_dump(mode="json"), key=key.id)
    return _proposed(change, Operation.model_validate(change["rule"]), response)


@router.get("", response_model=OperationsPublic)
def read_operations(store: RuleStoreDep, key: PrincipalDep) -> dict:
    today = date.today()
    data = [
        {**o.model_dump(mode="json"), "status": o.status_on(today)} for o in store.operations.all() if _visible(key, o)
    ]
    return {"data": data, "count": len(data)}


@router.get("/{operation_id}", response_model=OperationResultsPublic)
def read_operation(
    operation_id: str, store: RuleStoreDep, key: PrincipalDep, graph: GraphDep, log: DecisionLogDep, live: LiveScorerDep
) -> dict:
    """What the operation selected, inspected and found, its interim review and the scope's earlier hit rate."""
    operation = _operation(store, key, operation_id)
    try:
        state = live.scorer().state
    except SnapshotError:
        state = None
    return operation_results(*graph, log, DeclarationStore(log.home), state, live.tally, operation)


@router.post("/{operation_id}/end", status_code=202, response_model=OperationProposed)
def end_operation(
    operation_id: str, store: RuleStoreDep, key: PrincipalDep, response: Response, body: OperationEnd | None = None
) -> dict:
    """Propose to end the operation today (it selects nothing dated later once approved)."""
    operation = _operation(store, key, operation_id)
    given = body.acting_for if body is not None else None
    acting_for = given if given is not None else _office(key) or operation.owner
    _acting(key, acting_for, "acting_for")
    change = store.propose("end_operation", key.name, rule_id=operation_id, acting_for=acting_for, key=key.id)
    return _proposed(change, operation, response)
