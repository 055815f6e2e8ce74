"""Risk parameters over HTTP: list, add (or a new version), disable. Same validation as the CLI.

An analyst's key belongs to a parameter sub-centre: it sees that sub-centre's rules and the
department's, and changes only its own sub-centre's (``owner``/``acting_for`` must be its office).
A department analyst and an admin act for any owner, as the body says.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.access import PrincipalDep
from api.deps import RuleStoreDep
from api.errors import ApiError
from api.keys import ApiKey
from api.models import RuleDisable, RulesPublic
from graph.reference import DEPARTMENT
from scoring.rules import Rule

router = APIRouter(prefix="/v1/rules", tags=["rules"])


def _office(key: ApiKey) -> str | None:
    """The one owner this key may act for, or None when it may act for any."""
    if key.role == "admin" or key.jurisdiction in (None, DEPARTMENT.code):
        return None
    return key.jurisdiction


def _acting(key: ApiKey, owner: object, what: str) -> None:
    office = _office(key)
    if office is not None and str(owner).strip().upper() != office:
        raise ApiError(403, "outside_jurisdiction", f"{what}: this key acts for {office}, not {owner}")


@router.get("", response_model=RulesPublic)
def read_rules(store: RuleStoreDep, key: PrincipalDep, all_versions: Annotated[bool, Query()] = False) -> dict:
    rules = store.history() if all_versions else store.current()
    office = _office(key)
    if office is not None:
        rules = [r for r in rules if r.owner in (office, DEPARTMENT.code)]
    return {"data": [r.model_dump(mode="json") for r in rules], "count": len(rules)}


@router.post("", status_code=201, response_model=Rule)
def create_rule(store: RuleStoreDep, key: PrincipalDep, rule: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """The rule's fields, optionally ``changed_by`` (default: the key's name); an existing id gets a
    new version (owner only)."""
    changed_by = rule.pop("changed_by", None) or key.name
    if not isinstance(changed_by, str) or not changed_by.strip():
        raise ApiError(422, "invalid_rule", "changed_by: say who is making the change")
    if "owner" in rule:
        _acting(key, rule["owner"], "owner")
    stored = store.add(rule, changed_by).model_dump(mode="json")
    return JSONResponse(stored, status_code=201, headers={"Location": f"/v1/rules/{stored['id']}"})


@router.post("/{rule_id}/disable", response_model=Rule)
def disable_rule(store: RuleStoreDep, key: PrincipalDep, rule_id: str, body: RuleDisable) -> dict:
    _acting(key, body.acting_for, "acting_for")
    return store.disable(rule_id, body.changed_by, body.acting_for).model_dump(mode="json")
