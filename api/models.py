"""Request and response models of the API (one naming family: ``XCreate``, ``XPublic``, ``XsPublic``).

A declaration to score carries canonical field names (README, "Canonical fields"): its model is made
from the same field table ingest reads, and checks each field as ingest does (``ingest.contract``);
every field is bounded so one request cannot carry megabytes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator

from ingest.contract import ContractError, check_value
from ingest.fields import CANONICAL_FIELDS, NUMERIC_FIELDS, OUTCOME_FIELDS, REQUIRED_FIELDS

__all__ = [
    "DeclarationIn",
    "DeclarationsIn",
    "DecisionPublic",
    "DecisionsPublic",
    "RulesPublic",
    "RuleDisable",
    "HealthPublic",
    "OutcomeIn",
    "OutcomesIn",
    "FeedbackPublic",
    "MAX_BATCH",
]

MAX_BATCH = 10_000
Id = Annotated[str, Field(min_length=1, max_length=64)]
Short = Annotated[str, Field(max_length=64)]
Text = Annotated[str, Field(max_length=300)]
Amount = Annotated[float, Field(ge=0, le=1e13)]


class _DeclarationBase(BaseModel):
    """One declaration at lodging; outcome fields are not taken. Fields come from the canonical table."""

    model_config = ConfigDict(extra="forbid")

    features: Annotated[dict[Short, str | float | None], Field(max_length=50)] = Field(
        default_factory=dict, description="mapped extra columns, by feature name (without the feature_ prefix)"
    )

    @field_validator("*", mode="after")
    @classmethod
    def _as_ingest_stores(cls, value: Any, info: ValidationInfo) -> Any:
        """The same checks and repairs as file ingest (ingest.contract), so both accept the same rows."""
        if info.field_name == "features":
            return value
        try:
            return check_value(info.field_name, value)
        except ContractError as exc:
            raise ValueError(str(exc)) from None

    def canonical(self) -> dict[str, Any]:
        row = self.model_dump(exclude={"features"})
        row.update({f"feature_{k}": v for k, v in self.features.items()})
        return row


def _field_type(name: str) -> Any:
    if name in NUMERIC_FIELDS:
        return float | Annotated[str, Field(max_length=64)]
    if name in ("declaration_id", "importer_id", "seller_id", "declarant_id", "carrier_id", "consignment_id"):
        return Annotated[str, Field(max_length=64)]
    return Annotated[str, Field(max_length=300)]


def _declaration_model() -> type[_DeclarationBase]:
    """``DeclarationIn`` from :data:`ingest.fields.CANONICAL_FIELDS`: every field but the outcomes, the
    required ones required, each described as in the README table."""
    fields: dict[str, Any] = {}
    for name, meaning in CANONICAL_FIELDS.items():
        if name in OUTCOME_FIELDS:
            continue
        if name in REQUIRED_FIELDS:
            fields[name] = (_field_type(name), Field(description=meaning))
        else:
            fields[name] = (_field_type(name) | None, Field(default=None, description=meaning))
    return create_model("DeclarationIn", __base__=_DeclarationBase, **fields)


DeclarationIn = _declaration_model()


class DeclarationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declarations: Annotated[list[DeclarationIn], Field(min_length=1, max_length=MAX_BATCH)]


class DecisionPublic(BaseModel):
    declaration_id: str
    score: float = Field(description="0-100; ranking by score selects for inspection")
    probability: float = Field(description="the model's P(violation)")
    level: Literal["low", "medium", "high"]
    channel: Literal["fast release", "document check", "physical inspection"]
    random: bool = Field(description="selected at random for unbiased feedback, whatever the score")
    rule_hits: list[str]
    reasons: list[dict]
    snapshot: str


class DecisionsPublic(BaseModel):
    data: list[DecisionPublic]
    count: int
    snapshot: str


class RulesPublic(BaseModel):
    data: list[dict]
    count: int


class RuleDisable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changed_by: Annotated[str, Field(min_length=1, max_length=100)]
    acting_for: Annotated[str, Field(min_length=2, max_length=32, description="your sub-centre code")]


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declaration_id: Id
    violation: Literal[0, 1]
    violation_type: Text | None = None
    revenue_recovered: Amount = 0.0
    kind: Literal["inspection", "audit"] = "inspection"


class OutcomesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcomes: Annotated[list[OutcomeIn], Field(min_length=1, max_length=MAX_BATCH)]


class FeedbackPublic(BaseModel):
    recorded: int = Field(description="outcomes written onto declarations in the graph")
    with_decision: int = Field(description="of those, how many were joined to their scoring decision")
    unknown: list[str] = Field(description="declaration ids not in the graph (nothing recorded)")


class HealthPublic(BaseModel):
    status: Literal["ok", "no_snapshot"]
    snapshot: str | None
    model_version: str | None
    built_at: str | None
    rules: int


class OfficePublic(BaseModel):
    code: str
    name: str
    kind: Literal["department", "sub-centre", "district"]
    parent: str | None = Field(description="the office above; null for the department and unassigned districts")
    aliases: list[str] = Field(default_factory=list, description="other names a file may write")
    unassigned: bool = Field(description="a district first seen in a declaration, not yet placed in the hierarchy")


class OfficesPublic(BaseModel):
    data: list[OfficePublic]
    count: int
