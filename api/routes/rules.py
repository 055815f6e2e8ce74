"""Risk parameters over HTTP: list, propose a rule (or a new version) or a disable, approve. Same
validation as the CLI.

Four eyes: ``POST /v1/rules`` and ``POST /v1/rules/{id}/disable`` answer 202 with a pending change;
it takes effect when a different key (another person, by key and name) with the right to change
that rule approves it (``POST /v1/rules/changes/{id}/approve``). Who changed and who approved are
the keys' names, never the request body's. An analyst's key belongs to a parameter sub-centre: it
sees that sub-centre's rules and the department's, and proposes and approves changes to its own
sub-centre's only (403 otherwise). A department analyst and an admin act for any owner.

The new-firm policy of a sub-centre (``scoring.new_firms``) is a risk parameter too: ``GET
/v1/rules/new-firms`` shows the policies in force, ``POST /v1/rules/new-firms`` proposes one (202), and
the same approval applies it.
The routes of the risk targets (inspection type and instruction per target and channel, ``scoring.inspection``)
follow the same four eyes: ``POST /v1/rules/routes`` answers 202 with a pending change, approved as any other.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.access import PrincipalDep
from api.deps import LiveScorerDep, RuleStoreDep
from api.errors import ApiError
from api.json_body import StrictJSONRoute
from api.keys import ApiKey
from api.models import (
    NewFirmPoliciesPublic,
    NewFirmPolicyIn,
    RouteIn,
    RoutePublic,
    RoutesPublic,
    RuleDisable,
    RulesPublic,
)
from graph.reference import ancestors, department_code, jurisdiction, resolve_office
from scoring.new_firms import BUILT_IN, NewFirmPolicy
from scoring.operations import Operation
from scoring.rules import Rule, RuleError
from scoring.snapshot import SnapshotError

router = APIRouter(route_class=StrictJSONRoute, prefix="/v1/rules", tags=["rules"])


def _office(key: ApiKey) -> str | None:
    """The one owner this key may act for, or None when it may act for any."""
    if key.role == "admin" or key.jurisdiction in (None, department_code()):
        return None
    return key.jurisdiction


def _acting(key: ApiKey, owner: object, what: str) -> None:
    """403 unless the key acts for the owner or an office above it (a district's sub-centre)."""
    office = _office(key)
    found = resolve_office(str(owner))
    code = found.code if found is not None else str(owner).strip().upper()
    if office is not None and office not in ancestors(code):
        raise ApiError(403, "outside_jurisdiction", f"{what}: this key acts for {office}, not {owner}")


def _sees(office: str | None, owner: str) -> bool:
    """A key acting for ``office`` sees the parameters of the offices above it and of those under it."""
    return office is None or owner in ancestors(office) or owner == department_code() or owner in jurisdiction(office)


@router.get("", response_model=RulesPublic)
def read_rules(store: RuleStoreDep, key: PrincipalDep, all_versions: Annotated[bool, Query()] = False) -> dict:
    rules = store.history() if all_versions else store.current()
    office = _office(key)
    if office is not None:
        rules = [r for r in rules if _sees(office, r.owner)]
    return {"data": [r.model_dump(mode="json") for r in rules], "count": len(rules)}


def _pending(change: dict) -> JSONResponse:
    return JSONResponse(change, status_code=202, headers={"Location": f"/v1/rules/changes/{change['id']}"})


@router.post("", status_code=202)
def create_rule(store: RuleStoreDep, key: PrincipalDep, rule: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """Propose a rule's fields (an existing id: a new version, owner only); it takes effect once approved."""
    for field in ("changed_by", "approved_by"):
        if field in rule:
            raise ApiError(422, "invalid_rule", f"{field}: set from the API key, not the request")
    if "owner" in rule:
        _acting(key, rule["owner"], "owner")
    return _pending(store.propose("add", key.name, rule=rule, key=key.id))


@router.post("/{rule_id}/disable", status_code=202)
def disable_rule(store: RuleStoreDep, key: PrincipalDep, rule_id: str, body: RuleDisable | None = None) -> JSONResponse:
    """Propose to disable a rule (a new version once approved)."""
    try:
        owner = store.get(rule_id).owner
    except RuleError:
        raise ApiError(404, "not_found", f"no rule {rule_id!r}") from None
    _acting(key, owner, "rule owner")
    acting_for = body.acting_for if body is not None and body.acting_for is not None else _office(key) or owner
    _acting(key, acting_for, "acting_for")
    return _pending(store.propose("disable", key.name, rule_id=rule_id, acting_for=acting_for, key=key.id))


@router.get("/new-firms", response_model=NewFirmPoliciesPublic)
def read_new_firm_policies(store: RuleStoreDep, live: LiveScorerDep, key: PrincipalDep) -> dict:
    """The new-firm policies in force (this key's sub-centre's and the department's), with the snapshot's
    estimate of new firms' violation rate that a policy without its own cap uses."""
    office = _office(key)
    policies = [p for p in store.policies() if office is None or p.owner in (office, department_code())]
    try:
        estimate = live.scorer().config.new_firm_rate
    except SnapshotError:
        estimate = None
    return {"data": policies, "count": len(policies), "estimate": estimate, "built_in": BUILT_IN}


@router.post("/new-firms", status_code=202)
def propose_new_firm_policy(store: RuleStoreDep, key: PrincipalDep, policy: NewFirmPolicyIn) -> JSONResponse:
    """Propose a sub-centre's new-firm policy (a new version of it); it takes effect once approved."""
    _acting(key, policy.owner, "owner")
    return _pending(store.propose("policy", key.name, rule=policy.model_dump(), key=key.id))


@router.get("/routes", response_model=RoutesPublic)
def read_routes(store: RuleStoreDep, key: PrincipalDep) -> RoutesPublic:
    """Routes approved (of this key's sub-centre and the department's); built-in ones apply where none is."""
    office = _office(key)
    routes = [r for r in store.routes() if _sees(office, r.owner)]
    return RoutesPublic(data=[RoutePublic(**r.model_dump()) for r in routes], count=len(routes))


@router.post("/routes", status_code=202)
def create_route(store: RuleStoreDep, key: PrincipalDep, route: RouteIn) -> JSONResponse:
    """Propose a target's inspection type and instruction on a channel at the owner's offices."""
    owner = route.owner or _office(key) or department_code()
    _acting(key, owner, "owner")
    change = store.propose("route", key.name, rule={**route.model_dump(), "owner": owner}, acting_for=owner, key=key.id)
    return _pending(change)


@router.get("/changes")
def read_rule_changes(store: RuleStoreDep, key: PrincipalDep) -> dict:
    """Changes awaiting approval (of this key's sub-centre and the department's)."""
    office = _office(key)
    changes = [c for c in store.pending() if _sees(office, c["owner"])]
    return {"data": changes, "count": len(changes)}


@router.post("/changes/{change_id}/approve", response_model=Rule | NewFirmPolicy | Operation | RoutePublic)
def approve_rule_change(store: RuleStoreDep, key: PrincipalDep, live: LiveScorerDep, change_id: str) -> dict:
    """Apply a pending change (a rule's, a new-firm policy's, a route's or a special operation's): by another
    person than its proposer, with the right to change what it changes."""
    found = next((c for c in store.pending() if c["id"] == change_id), None)
    if found is None:
        raise ApiError(404, "not_found", f"no pending change {change_id!r}")
    _acting(key, found["owner"], "rule owner")
    applied = store.approve(change_id, key.name, key=key.id)
    if isinstance(applied, Operation):
        live.follow_operations()  # this worker's next declaration is already within it
    return applied.model_dump(mode="json")
