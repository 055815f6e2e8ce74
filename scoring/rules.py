"""Risk parameters ("set parameters before clearance"): one rule, its validation and its matching.

A rule is a conjunction of conditions on a declaration, its importer and its network, with a weight
(how much a hit raises the score), a risk target, an owner sub-centre and effective dates. The owner
may only aim a rule at offices in its own jurisdiction (``graph.reference``); the national department
may aim anywhere. Validation refuses a rule with one sentence per fault, naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from graph.errors import RiskGraphError
from graph.reference import department_code, jurisdiction, offices, resolve_office, sub_centres
from graph.targets import BUILT_IN, targets_in_force

__all__ = [
    "TARGETS",
    "CATEGORIES",
    "TRANSPORT_MODES",
    "Conditions",
    "Rule",
    "RuleError",
    "RuleView",
    "parse_rule",
    "compile_rule",
    "compile_conditions",
    "check_target",
    "check_owner",
    "rule_owners",
    "check_offices",
    "office_scope",
]

TARGETS = BUILT_IN  # and those a loaded targets table adds (``riskgraph targets load``)
CATEGORIES = ("AA", "A", "B", "C", "D")
TRANSPORT_MODES = ("sea", "air", "road", "rail", "post")


def owners() -> tuple[str, ...]:
    """Who may own a policy of a whole region (the new-firm policy): the department and its sub-centres."""
    top = department_code()
    return (*([top] if top else []), *(sc.code for sc in sub_centres()))


def rule_owners() -> tuple[str, ...]:
    """Who may own a rule or an operation: the department, its sub-centres, and districts for their own offices
    (the district and its posts)."""
    return (*owners(), *(o.code for o in offices() if o.level == "district"))


_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


class RuleError(RiskGraphError, ValueError):
    """A rule that cannot be stored or applied; the message says what is wrong."""

    status, code = 422, "invalid_rule"


def _upper_list(values: list[str], pattern: re.Pattern, what: str) -> list[str]:
    out = []
    for v in values:
        v = str(v).strip().upper()
        if not pattern.match(v):
            raise ValueError(f"{v!r} is not {what}")
        out.append(v)
    return out


#: a code of the administration's own (transport mode, credit category ...): any short text
_Code = Annotated[str, Field(min_length=1, max_length=32)]


class Conditions(BaseModel):
    """Every condition given must hold for the rule to hit; at least one is required."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # rules.json stays JSON

    importer_category: list[_Code] | None = Field(
        None, min_length=1, description="credit categories (AA, A, B, C, D, or the administration's own)"
    )
    hs_prefix: list[str] | None = Field(None, min_length=1, description="HS code prefixes, 2 to 10 digits")
    value_min: float | None = Field(None, ge=0)
    value_max: float | None = Field(None, ge=0)
    unit_value_min: float | None = Field(None, ge=0, description="value per kg (per unit without a mass)")
    unit_value_max: float | None = Field(None, ge=0)
    missing_licence: bool | None = Field(None, description="true: hits when no licence or certificate is declared")
    origin: list[str] | None = Field(None, min_length=1)
    departure: list[str] | None = Field(None, min_length=1)
    transit_country: list[str] | None = Field(None, min_length=1)
    port: list[str] | None = Field(None, min_length=1, description="loading, transit or discharge port")
    route: list[str] | None = Field(None, min_length=1, description="route id LOADING>TRANSIT...>DISCHARGE")
    transport_mode: list[_Code] | None = Field(
        None, min_length=1, description="sea, air, road, rail, post, or the administration's own codes"
    )
    network_risk_min: float | None = Field(None, ge=0, le=1, description="importer's network risk from analyze")

    @field_validator("importer_category")
    @classmethod
    def _categories(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [v.strip().upper() for v in values]

    @field_validator("transport_mode")
    @classmethod
    def _modes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [v.strip().lower() for v in values]  # as scoring reads them

    @field_validator("hs_prefix")
    @classmethod
    def _hs(cls, values: list[str] | None) -> list[str] | None:
        if values is not None:
            for v in values:
                if not re.fullmatch(r"\d{2,10}", str(v)):
                    raise ValueError(f"{v!r} is not an HS prefix of 2 to 10 digits")
        return values

    @field_validator("origin", "departure", "transit_country")
    @classmethod
    def _countries(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _upper_list(values, _COUNTRY, "an ISO 3166 alpha-2 country code")

    @field_validator("port")
    @classmethod
    def _ports(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _upper_list(values, _LOCODE, "a UN/LOCODE port code")

    @model_validator(mode="after")
    def _consistent(self) -> Conditions:
        if not any(v is not None for v in self.__dict__.values()):
            raise ValueError("a rule needs at least one condition")
        for low, high in (("value_min", "value_max"), ("unit_value_min", "unit_value_max")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} ({a}) is above {high} ({b})")
        return self


class Rule(BaseModel):
    """One version of a risk parameter."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", description="lower-case slug, unique")
    description: str = Field(min_length=3, max_length=500)
    target: str = Field(description="risk target: tax, security, ipr, drugs, or one the targets table adds")
    weight: float = Field(gt=0, le=1, description="how far one hit moves the score towards 100")
    owner: str = Field(description="the department, a sub-centre or a district (for its own offices) that maintains it")
    offices: list[str] = Field(default_factory=list, description="district codes; empty = the owner's jurisdiction")
    effective_from: date
    effective_to: date | None = None
    conditions: Conditions
    enabled: bool = True
    version: int = Field(1, ge=1)
    changed_by: str = Field(min_length=1, max_length=100)
    changed_at: datetime | None = None
    approved_by: str | None = Field(None, max_length=100, description="the second person who approved the change")
    inspection_type: str | None = Field(
        None, pattern=r"^[a-z][a-z0-9_-]{1,31}$", description="documentary, scan, physical, sample or your own"
    )
    instruction: str | None = Field(None, min_length=3, max_length=300, description="what the officer looks for")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str, info: ValidationInfo) -> str:
        return check_target(value, stored=bool(info.context and info.context.get("stored")))

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        return check_owner(value)

    @model_validator(mode="after")
    def _scope(self) -> Rule:
        self.offices = check_offices(self.owner, self.offices)
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to: {self.effective_to} is before effective_from ({self.effective_from})")
        return self

    def scope(self) -> frozenset[str] | None:
        """District codes the rule applies at; ``None`` means every office (a department rule without offices)."""
        return office_scope(self.owner, self.offices)


def check_target(value: str, stored: bool = False) -> str:
    """A risk target in force (one stored earlier keeps its target even if the targets table dropped it)."""
    allowed = targets_in_force()
    if not stored and value.strip().lower() not in allowed:
        raise ValueError(f"{value.strip()!r} is not a risk target; target must be one of {', '.join(allowed)}")
    return value.strip().lower()


def check_owner(value: str) -> str:
    """The code of the department, a sub-centre or a district named by code or name."""
    office = resolve_office(value)
    if office is None or office.code not in rule_owners():
        raise ValueError(
            f"{value.strip()!r} is not the department, a sub-centre or a district; owner must be one of "
            f"{', '.join(owners())} or a district"
        )
    return office.code


def check_offices(owner: str, offices: list[str]) -> list[str]:
    """District codes (given by code or name), each within the owner's jurisdiction, sorted."""
    allowed = jurisdiction(owner)
    codes = []
    for given in offices:
        office = resolve_office(given)
        if office is None:
            raise ValueError(f"offices: {given!r} is not a customs office code or name")
        if office.code not in allowed:
            raise ValueError(f"offices: {office.code} is outside the jurisdiction of {owner}")
        codes.append(office.code)
    return sorted(set(codes))


def office_scope(owner: str, offices: list[str]) -> frozenset[str] | None:
    """Where a parameter of ``owner`` applies: its offices, else the owner's jurisdiction (None: everywhere)."""
    if offices:
        return frozenset(offices)
    return None if owner == department_code() else frozenset(jurisdiction(owner))


def parse_rule(data: object) -> Rule:
    """A validated rule, or :class:`RuleError` with one sentence per fault (``field: problem``)."""
    if not isinstance(data, dict):
        raise RuleError("a rule must be a mapping of fields")
    try:
        return Rule.model_validate(data)
    except ValidationError as exc:
        faults = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            faults.append(f"{where}: {message}" if where else message)
        raise RuleError(f"rule {data.get('id', '?')!r} refused: " + "; ".join(faults)) from None


@dataclass(slots=True)
class RuleView:
    """What rule matching reads from one declaration, prepared once per declaration."""

    date: date | None
    office: str | None
    importer_category: str | None
    hs_code: str
    value: float | None
    unit_value: float | None
    has_licence: bool
    origin: str | None
    departure: str | None
    transit_countries: frozenset[str]
    ports: frozenset[str]
    route: str | None
    transport_mode: str | None
    network_risk: float


def compile_rule(rule: Rule):
    """A fast predicate ``view -> bool`` for an enabled rule (scope and dates included)."""
    return compile_conditions(rule.conditions, rule.scope(), rule.effective_from, rule.effective_to)


def compile_conditions(c: Conditions, scope: frozenset[str] | None, start: date, end: date | None):
    """A fast predicate ``view -> bool``: the conditions, at the offices of ``scope`` (None: any), dated
    within ``start``..``end`` (a view without a date passes the dates); rules and operations share it."""
    checks = []
    if c.importer_category:
        cats = frozenset(c.importer_category)
        checks.append(lambda v: v.importer_category in cats)
    if c.hs_prefix:
        prefixes = tuple(c.hs_prefix)
        checks.append(lambda v: v.hs_code.startswith(prefixes))
    if c.value_min is not None:
        checks.append(lambda v, x=c.value_min: v.value is not None and v.value >= x)
    if c.value_max is not None:
        checks.append(lambda v, x=c.value_max: v.value is not None and v.value <= x)
    if c.unit_value_min is not None:
        checks.append(lambda v, x=c.unit_value_min: v.unit_value is not None and v.unit_value >= x)
    if c.unit_value_max is not None:
        checks.append(lambda v, x=c.unit_value_max: v.unit_value is not None and v.unit_value <= x)
    if c.missing_licence is not None:
        checks.append(lambda v, want=c.missing_licence: (not v.has_licence) == want)
    for name in ("origin", "departure", "route", "transport_mode"):
        values = getattr(c, name)
        if values:
            checks.append(lambda v, s=frozenset(values), n=name: getattr(v, n) in s)
    if c.transit_country:
        checks.append(lambda v, s=frozenset(c.transit_country): not v.transit_countries.isdisjoint(s))
    if c.port:
        checks.append(lambda v, s=frozenset(c.port): not v.ports.isdisjoint(s))
    if c.network_risk_min is not None:
        checks.append(lambda v, x=c.network_risk_min: v.network_risk >= x)

    def matches(view: RuleView) -> bool:
        if scope is not None and view.office not in scope:
            return False
        if view.date is not None and (view.date < start or (end is not None and view.date > end)):
            return False
        return all(check(view) for check in checks)

    return matches
