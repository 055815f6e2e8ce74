"""Risk parameters over HTTP: list, add (or a new version), disable. Same validation as the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from api.deps import RuleStoreDep
from api.errors import ApiError
from api.models import RuleDisable, RulesPublic

router = APIRouter(prefix="/v1/rules", tags=["rules"])


@router.get("", response_model=RulesPublic)
def read_rules(store: RuleStoreDep, all_versions: Annotated[bool, Query()] = False) -> dict:
    rules = store.history() if all_versions else store.current()
    return {"data": [r.model_dump(mode="json") for r in rules], "count": len(rules)}


@router.post("", status_code=201)
def create_rule(store: RuleStoreDep, rule: Annotated[dict[str, Any], Body()]) -> dict:
    """The rule's fields plus ``changed_by``; an existing id gets a new version (owner only)."""
    changed_by = rule.pop("changed_by", None)
    if not isinstance(changed_by, str) or not changed_by.strip():
        raise ApiError(422, "invalid_rule", "changed_by: say who is making the change")
    return store.add(rule, changed_by).model_dump(mode="json")


@router.post("/{rule_id}/disable")
def disable_rule(store: RuleStoreDep, rule_id: str, body: RuleDisable) -> dict:
    return store.disable(rule_id, body.changed_by, body.acting_for).model_dump(mode="json")
