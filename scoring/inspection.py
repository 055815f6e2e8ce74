"""What a decision that is not a fast release orders: an inspection type and an instruction.

Types: ``documentary``, ``scan``, ``physical``, ``sample`` (:data:`TYPES`), or any short name of the
administration's own. The instruction comes, first found, from the highest-weighted rule that hit and carries
one (a rule's ``inspection_type`` / ``instruction``), from the route of the decision's leading target for its
channel (:class:`Route`: what sub-centres maintain per target, under four eyes through the rules' pending
changes, ``scoring.rule_store``; a sub-centre's route beats the department's at its offices), or the channel's
default. A lookout hit names its own target, whose route then comes before the leading target's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph.reference import department_code, resolve_office, sub_centre_of
from graph.targets import targets_in_force

__all__ = ["TYPES", "InspectionType", "Route", "Routing", "DEFAULT_ROUTES"]

TYPES = ("documentary", "scan", "physical", "sample")
#: an inspection type: one of :data:`TYPES` or the administration's own short name
InspectionType = Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$", description=f"{', '.join(TYPES)} or your own")

#: each channel's default when neither a rule nor a route says more
_DEFAULTS = {
    "document check": ("documentary", "check the declaration against its documents: invoice, packing list, licences"),
    "physical inspection": ("physical", "examine the goods against the declaration: description, quantity, origin"),
}
#: the built-in routes per target (the department's), which sub-centres refine or replace
DEFAULT_ROUTES = {
    ("drugs", "physical inspection"): ("physical", "search for concealment: false floors, hollow goods, reefer units"),
    ("drugs", "document check"): ("scan", "X-ray scan for concealment before release"),
    ("security", "physical inspection"): ("physical", "licence and end-use check; compare the goods with the list"),
    ("security", "document check"): ("documentary", "licence and end-user certificate check"),
    ("ipr", "physical inspection"): ("sample", "hold a sample for rights-holder verification"),
    ("ipr", "document check"): ("documentary", "brand authorisation check; hold for the rights holder if absent"),
    ("tax", "physical inspection"): ("physical", "check quantity and quality against the declared value"),
    ("tax", "document check"): ("documentary", "valuation review: invoice, contract, payment; after clearance audit"),
}


class Route(BaseModel):
    """One version of a target's routing for one channel at an owner's offices."""

    model_config = ConfigDict(extra="forbid")

    target: str
    channel: Literal["document check", "physical inspection"]
    inspection_type: str = InspectionType
    instruction: str = Field(min_length=3, max_length=300)
    owner: str = Field(description="sub-centre code (or the department) whose offices it applies at")
    version: int = Field(1, ge=1)
    changed_by: str = Field("", max_length=100)
    approved_by: str | None = Field(None, max_length=100)
    changed_at: datetime | None = None

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in targets_in_force():
            raise ValueError(f"{value!r} is not a risk target; one of {', '.join(targets_in_force())}")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        office = resolve_office(value)
        if office is None or office.level not in ("department", "sub-centre"):
            raise ValueError(f"{value.strip()!r} is not a sub-centre or the department")
        return office.code

    def key(self) -> tuple[str, str, str]:
        return self.owner, self.target, self.channel


class Routing:
    """The routes in force, looked up per decision in a few dictionary reads."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        top = department_code() or ""
        self._routes = {(top, t, c): v for (t, c), v in DEFAULT_ROUTES.items()}
        for route in routes or []:
            self._routes[route.key()] = (route.inspection_type, route.instruction)
        self._top = top
        self._parents: dict[str, str] = {}

    def _sub_centre(self, office: str | None) -> str:
        if office not in self._parents:  # a post's sub-centre is its district's
            self._parents[office] = sub_centre_of(office) or ""
        return self._parents[office]

    def route(self, target: str | None, channel: str, office: str | None) -> tuple[str, str, str] | None:
        """(type, instruction, the route's owner) for ``target`` at ``office``, or None."""
        if target is None:
            return None
        for owner in (self._sub_centre(office), self._top):
            found = self._routes.get((owner, target, channel))
            if found is not None:
                return (*found, owner)
        return None

    def assign(self, decisions: list, offices: list[str | None], rules: dict) -> None:
        """Name the inspection of every decision not released (``rules``: id -> Rule)."""
        for decision, office in zip(decisions, offices, strict=True):
            if decision.channel not in _DEFAULTS:
                decision.inspection = None
                continue
            decision.inspection = self._inspection(decision, office, rules)

    def _inspection(self, decision, office: str | None, rules: dict) -> dict:
        instructed = [rules[r] for r in decision.rule_hits if r in rules and rules[r].instruction]
        if instructed:
            rule = max(instructed, key=lambda r: r.weight)
            kind = rule.inspection_type or _DEFAULTS[decision.channel][0]
            return {"type": kind, "instruction": rule.instruction, "source": f"rule:{rule.id}"}
        intel = [r["target"] for r in decision.reasons if r["kind"] == "intel" and r.get("target")]
        for target in (*intel, decision.leading_target):
            found = self.route(target, decision.channel, office)
            if found is not None:
                return {"type": found[0], "instruction": found[1], "source": f"target:{target}"}
        kind, instruction = _DEFAULTS[decision.channel]
        return {"type": kind, "instruction": instruction, "source": "channel"}
