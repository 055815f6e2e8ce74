"""Request and response models of the API (one naming family: ``XCreate``, ``XPublic``, ``XsPublic``).

A declaration to score carries canonical field names (README, "Canonical fields"); every field is
bounded so one request cannot carry megabytes. The party fields (importer's name, address, phone and
legal representative, seller, declarant, consignment) are optional and link a firm the graph does not
know yet to the ones it does (``scoring.links``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
Country = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]
Port = Annotated[str, Field(pattern=r"^[A-Za-z]{2}[A-Za-z2-9]{3}$")]
Amount = Annotated[float, Field(ge=0, le=1e13)]


class DeclarationIn(BaseModel):
    """One declaration at lodging; outcome fields are not taken."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: Id
    date: date
    importer_id: Id
    hs_code: Annotated[str, Field(pattern=r"^\d{6}(\d{2}){0,2}$")]
    value: Amount
    direction: Literal["I", "E"] | None = None
    office: Short | None = None
    trade_mode: Short | None = None
    transport_mode: Literal["sea", "air", "road", "rail", "post"] | None = None
    importer_name: Text | None = None
    importer_address: Text | None = None
    importer_phone: Short | None = None
    importer_legal_rep: Text | None = None
    importer_category: Literal["AA", "A", "B", "C", "D"] | None = None
    importer_registered: date | None = None
    seller_id: Id | None = None
    seller_name: Text | None = None
    seller_country: Country | None = None
    declarant_id: Id | None = None
    carrier_id: Id | None = None
    goods_description: Text | None = None
    origin_country: Country | None = None
    departure_country: Country | None = None
    loading_port: Port | None = None
    transit_ports: Annotated[str, Field(pattern=r"^([A-Za-z]{2}[A-Za-z2-9]{3};?){0,10}$")] | None = None
    discharge_port: Port | None = None
    consignment_id: Id | None = None
    quantity: Amount | None = None
    net_mass: Amount | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] | None = None
    tax_rate: Annotated[float, Field(ge=0, le=10)] | None = None
    licence_ids: Text | None = None
    features: Annotated[dict[Short, str | float | None], Field(max_length=50)] = Field(
        default_factory=dict, description="mapped extra columns, by feature name (without the feature_ prefix)"
    )

    def canonical(self) -> dict[str, Any]:
        row = self.model_dump(exclude={"features"})
        row.update({f"feature_{k}": v for k, v in self.features.items()})
        return row


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
    links: list[dict] = Field(
        default_factory=list,
        description="identifiers shared with known firms that raised the network risk (kept in the decision log)",
    )
    snapshot: str


class DecisionsPublic(BaseModel):
    data: list[DecisionPublic]
    count: int
    snapshot: str


class RulesPublic(BaseModel):
    data: list[dict]
    count: int


class RuleDisable(BaseModel):
    """Who changes is the key's name; nobody else can be named."""

    model_config = ConfigDict(extra="forbid")

    acting_for: Annotated[
        str | None, Field(min_length=2, max_length=32, description="your sub-centre code (default: the rule's owner)")
    ] = None


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


# Exploration, networks, cases, leads, reports, audit: what the graph answers. Each model names the fields
# every answer has; ``extra="allow"`` keeps the properties a loaded administration adds (the graph holds
# whatever its mapping loaded), so a model documents the answer without cutting it down.


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class NodePublic(_Open):
    """An entity of the graph: its reference (``Label:key``), label, key and caption."""

    id: str
    label: str
    key: Any
    caption: Any


class SearchPublic(BaseModel):
    items: list[NodePublic]
    count: int


class NetworkBrief(_Open):
    id: int
    score: float | None
    kind: str | None
    size: int | None


class EnterprisePublic(_Open):
    """An enterprise's analysis results, its network and the enterprises it shares identifiers with."""

    id: str | int
    name: str | None
    risk: float | None
    reasons: list[dict[str, Any]]
    network: NetworkBrief | None
    linked: list[dict[str, Any]]


class NeighbourhoodPublic(_Open):
    """Nodes and edges around the given enterprises, cut at the node limit (``truncated``)."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    truncated: bool


class EnterpriseNeighbourhoodPublic(NeighbourhoodPublic):
    id: str
    depth: int


class TimelinePublic(BaseModel):
    id: str
    declarations: list[dict[str, Any]]
    changes: list[dict[str, Any]] = Field(description="each switch to a broker, seller or route not used before")
    cases: list[dict[str, Any]]


class PathPublic(_Open):
    hops: int
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


class PathsPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    max_hops: int
    paths: list[PathPublic]
    count: int


class NetworkRanked(_Open):
    id: int
    score: float | None
    kind: str | None
    members: list[str | int | None] = Field(description="null: a member outside the key's jurisdiction")
    reasons: list[dict[str, Any]]


class NetworksPublic(BaseModel):
    items: list[NetworkRanked]
    count: int


class NetworkPublic(_Open):
    """One scored network with its members, riskiest first."""

    id: int
    score: float | None
    kind: str | None
    reasons: list[dict[str, Any]]
    members: list[dict[str, Any]]


class CaseBrief(_Open):
    id: str
    kind: str | None
    title: str | None
    status: str
    concerns: list[str | int | None] = Field(description="null: an enterprise outside the key's jurisdiction")


class CasePublic(CaseBrief):
    """A case with its notes, history and evidence snapshot."""

    notes: list[dict[str, Any]]
    history: list[dict[str, Any]]
    evidence: dict[str, Any]


class CasesPublic(BaseModel):
    items: list[CaseBrief]
    count: int


class LeadsPublic(BaseModel):
    items: list[dict[str, Any]] = Field(description="importers to audit or networks for anti-smuggling, best first")
    count: int


class ReportPublic(_Open):
    """The analysis report's figures (``?format=json``)."""

    period: dict[str, Any] | None
    totals: dict[str, Any] | None
    months: list[dict[str, Any]]
    capacity: dict[str, Any] | None
    networks: list[dict[str, Any]]
    instructions: list[dict[str, Any]]


class AuditPublic(BaseModel):
    items: list[dict[str, Any]] = Field(description="audit entries, newest first")
    count: int


class PerformancePublic(_Open):
    """Outcomes against decisions: hit rates by channel, office, sub-centre and rule, and the random sample."""

    period: dict[str, Any]
    outcomes: int
    channels: dict[str, Any]
    offices: dict[str, Any]
    sub_centres: dict[str, Any]
    rules: dict[str, Any] = Field(description="per rule id: its hits and outcomes")
    random_sample: dict[str, Any]
