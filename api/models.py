"""Request and response models of the API (one naming family: ``XCreate``, ``XPublic``, ``XsPublic``).

A declaration to score carries canonical field names (README, "Canonical fields"): its model is made
from the same field table ingest reads, and checks each field as ingest does (``ingest.contract``);
every field is bounded so one request cannot carry megabytes.
The party fields (importer's name, address, phone and legal representative, seller, declarant,
consignment) are optional and link a firm the graph does not know yet to the ones it does (``scoring.links``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator, model_validator

from ingest.contract import ContractError, check_value
from ingest.entities import ENTITY_TYPES
from ingest.fields import CANONICAL_FIELDS, NUMERIC_FIELDS, OUTCOME_FIELDS, REQUIRED_FIELDS
from investigate.intel_records import KINDS as INTEL_KINDS
from investigate.intel_records import SCALES as INTEL_SCALES
from scoring.new_firms import NewFirmPolicy
from scoring.operations import Operation
from scoring.rules import Conditions

__all__ = [
    "DeclarationIn",
    "DeclarationsIn",
    "DecisionPublic",
    "DecisionsPublic",
    "RulesPublic",
    "RuleDisable",
    "NewFirmPolicyIn",
    "NewFirmPoliciesPublic",
    "OperationCreate",
    "OperationProposed",
    "OperationsPublic",
    "OperationResultsPublic",
    "TrendWarningsPublic",
    "HealthPublic",
    "LivenessPublic",
    "ModelCardPublic",
    "OutcomeIn",
    "OutcomesIn",
    "FeedbackPublic",
    "ErrorPublic",
    "IntelCreate",
    "IntelPublic",
    "IntelsPublic",
    "AlertPublic",
    "AlertsPublic",
    "AlertCase",
    "MAX_BATCH",
    "InspectionOrderPublic",
    "CapacityIn",
    "CapacityPublic",
    "CapacitiesPublic",
    "DutyIn",
    "RosterIn",
    "RosterPublic",
    "UtilisationPublic",
    "InspectionCreate",
    "InspectionPublic",
    "RouteIn",
    "RoutePublic",
    "RoutesPublic",
]

date_ = date  # a field named ``date`` shadows the type inside its model

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


class TargetScorePublic(BaseModel):
    """One risk target's part of a decision."""

    score: float = Field(description="0-100 from the target's probability, its rules that hit and network risk")
    probability: float = Field(description="P(violation of this target), calibrated (or the overall model's, scaled)")
    reasons: list[dict] = Field(description="the target's rules that hit, and the network or link evidence")


class InspectionOrderPublic(BaseModel):
    """The inspection a decision orders (``scoring.inspection``)."""

    type: str = Field(description="documentary, scan, physical, sample, or the administration's own")
    instruction: str = Field(description="what the officer looks for")
    source: str = Field(description="where it came from: rule:ID, target:NAME (its route) or channel (the default)")
    officer: str | None = Field(
        None, description="the inspector on the office's roster that day it is assigned to (absent without a roster)"
    )


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
    targets: dict[str, TargetScorePublic] = Field(
        default_factory=dict,
        description="per risk target (tax, security, ipr, drugs, any added; `any` for data with a fraud flag only)",
    )
    leading_target: str | None = Field(None, description="the target with the highest score; null without targets")
    intel_hits: list[str] = Field(
        default_factory=list, description="ids of the active lookouts naming a party of the declaration"
    )
    inspection: InspectionOrderPublic | None = Field(
        None, description="what a decision not released orders: inspection type and instruction; null when released"
    )
    snapshot: str


class DecisionsPublic(BaseModel):
    data: list[DecisionPublic]
    count: int
    snapshot: str


class RulesPublic(BaseModel):
    data: list[dict]
    count: int


class NewFirmPolicyIn(BaseModel):
    """A proposed new-firm policy (``scoring.new_firms``); who proposes is the key's name."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    owner: Annotated[str, Field(min_length=2, max_length=32, description="sub-centre (or department) code")]
    no_history_probability: float | None = Field(
        None, ge=0, le=1, description="most the model may say of an importer without history (null: the estimate)"
    )
    link_weight: float = Field(1.0, ge=0, le=1, description="weight of link evidence for an unknown importer")
    inspect_from: float | None = Field(
        0.5, gt=0, le=1, description="tie (own identifiers' links) sending the first declaration to physical inspection"
    )


class NewFirmPoliciesPublic(BaseModel):
    data: list[NewFirmPolicy] = Field(description="the policy in force per owner (none stored: the built-in one)")
    count: int
    estimate: float | None = Field(description="new firms' violation rate from representative outcomes (snapshot)")
    built_in: NewFirmPolicy = Field(description="what applies where neither the sub-centre nor the department set one")


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


class HitRatePublic(BaseModel):
    inspected: int = Field(description="inspected declarations with an outcome")
    targeted_hit_rate: float | None = Field(description="violations found / inspections, as targeted")
    representative_rate: float | None = Field(description="violation rate weighted to all declarations")
    gap_points: float | None = Field(description="targeted minus representative, in percentage points")


class HitRatesPublic(BaseModel):
    """Targeted against representative violation rates (``scoring.representative``)."""

    basis: str = Field(description="random selection, or inverse propensity of inspection")
    all: HitRatePublic
    new_firms: HitRatePublic


class ModelCardPublic(BaseModel):
    """The published model's validation figures next to the raw-column baseline's (same time split)."""

    version: str
    published: str | None
    why: str | None
    validation_window: list[str | None]
    validated_on: int | None
    model: dict[str, float | None]
    baseline: dict[str, float | None] | None
    final_score: dict[str, float | None]
    brier: dict[str, float] | None
    calibrated_on: str | None = Field(None, description="the outcomes the published probability is calibrated on")
    hit_rates: HitRatesPublic | None = None


class HealthPublic(BaseModel):
    status: Literal["ok", "no_snapshot"]
    snapshot: str | None
    model_version: str | None
    built_at: str | None
    rules: int
    model: ModelCardPublic | None = None
    #: the server process that answered (``riskgraph serve --workers N`` runs N) and its memory
    worker: int = 0
    resident_mb: float = 0.0


class LivenessPublic(BaseModel):
    """The process answers HTTP; nothing else is read (a load balancer's probe, a latency baseline)."""

    status: Literal["ok"]


class OfficePublic(BaseModel):
    code: str
    name: str
    kind: Literal["department", "sub-centre", "district", "post"]
    parent: str | None = Field(description="the office above; null for the department and unassigned districts")
    aliases: list[str] = Field(default_factory=list, description="other names a file may write")
    unassigned: bool = Field(description="a district first seen in a declaration, not yet placed in the hierarchy")


class OfficesPublic(BaseModel):
    data: list[OfficePublic]
    count: int


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


class NetworkNeighbourhoodPublic(NeighbourhoodPublic):
    """A network's members and what they share, one step out, as its chart draws it."""

    id: int
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
    routing: str | None = None
    size: int = Field(description="members in the network")
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
    target: str | None = Field(None, description="risk target: tax, security, ipr, drugs, other or own")
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
    operations: list[dict[str, Any]] = Field(
        default_factory=list, description="special operations that have started, with their results"
    )
    recommendations: list[dict[str, Any]] = Field(
        default_factory=list, description="policy proposals (reference price, licence, procedure) with evidence"
    )
    utilisation: UtilisationPublic | None = Field(
        None, description="officers and capacity over the period (rosters, assignments, inspection acts)"
    )


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
    targets: dict[str, Any] = Field(
        description="per risk target: inspected declarations the score led with it, its violations among them "
        "(hit_rate), its violations found whatever led (found), and its rate in the random sample"
    )
    random_sample: dict[str, Any]
    officers: dict[str, Any] = Field(
        description="per officer (inspection acts): inspected, violations, hit_rate, revenue, hours, "
        "violations_per_hour"
    )
    inspection_types: dict[str, Any] = Field(description="per inspection type done, as for officers")


class CapacityIn(BaseModel):
    """Examinations an office can do in one lodging day; ``weekday`` or ``date`` sets that day only."""

    model_config = ConfigDict(extra="forbid")

    physical: Annotated[int, Field(ge=0, le=1_000_000, description="physical inspections a day")]
    documentary: Annotated[
        int | None, Field(ge=0, le=1_000_000, description="document checks a day; null: not limited")
    ] = None
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    date: date_ | None = None


class CapacityDay(BaseModel):
    physical: int
    documentary: int | None


class CapacityEntry(BaseModel):
    physical: int
    documentary: int | None
    weekdays: dict[str, CapacityDay]
    dates: dict[str, CapacityDay]
    set_by: str
    set_at: str


class CapacityPublic(BaseModel):
    """One office's capacity on a day and what the scorers used of it."""

    office: str
    day: str
    physical_capacity: int
    documentary_capacity: int | None
    source: Literal["date", "roster", "weekday", "default"] = Field(
        description="where the capacity comes from: set for the date, the day's rostered inspector hours, "
        "set for the weekday, or the office's default"
    )
    inspector_hours: float | None = Field(description="hours of the inspectors on the day's roster")
    lodged: int = Field(description="declarations lodged at the office that day, as scored")
    physical: int = Field(description="physical inspections, random selection aside (must-inspect hits included)")
    forced: int = Field(description="of those, sent whatever the capacity (lookout, watchlist, operation)")
    random: int = Field(description="random selections (not counted against the capacity)")
    documentary: int = Field(description="document checks")
    high: int = Field(description="declarations the snapshot's thresholds or a must-inspect hit sent to inspection")
    physical_left: int
    expected: float | None = Field(description="declarations expected that day, from the office's same weekdays")
    entry: CapacityEntry | None = Field(description="the capacity as set; null when it comes from the roster only")


class CapacitiesPublic(BaseModel):
    data: list[CapacityPublic]
    count: int


_Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")]


class DutyIn(BaseModel):
    """One officer on duty: ``hours``, or a shift's ``start`` and ``end`` (past midnight ends the next day)."""

    model_config = ConfigDict(extra="forbid")

    officer: Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
    role: Literal["inspector", "investigator"] = "inspector"
    hours: Annotated[float | None, Field(gt=0, le=24)] = None
    start: _Clock | None = None
    end: _Clock | None = None


class RosterIn(BaseModel):
    """The office's roster of the day, replacing what it had (an empty list clears it)."""

    model_config = ConfigDict(extra="forbid")

    officers: Annotated[list[DutyIn], Field(max_length=2000)]


class DutyPublic(BaseModel):
    officer: str
    role: Literal["inspector", "investigator"]
    hours: float
    start: str | None
    end: str | None
    assigned: int = Field(description="declarations assigned to the officer at lodging that day")
    assigned_minutes: float = Field(description="their expected examination minutes (by inspection type)")


class RosterPublic(BaseModel):
    office: str
    day: str
    officers: list[DutyPublic]
    inspector_hours: float | None = Field(description="hours of the inspectors on duty; null without any")
    physical_capacity: int | None = Field(description="the office's capacity that day (set, or from the roster)")
    capacity_source: Literal["date", "roster", "weekday", "default"] | None


class ShortDay(BaseModel):
    day: str
    high_risk: int = Field(description="declarations the snapshot's thresholds or a must-inspect hit sent")
    capacity: int


class IdleDay(BaseModel):
    day: str
    used: int = Field(description="physical inspections, random selection aside")
    capacity: int


class OfficeUtilisation(BaseModel):
    office: str | None
    officers: int
    hours: float = Field(description="officer-hours rostered")
    assigned: int
    done: int = Field(description="inspection acts recorded (POST /v1/inspections)")
    violations: int
    hits_per_officer_hour: float | None
    days: int = Field(description="days with a capacity in the period")
    short_days: list[ShortDay]
    idle_days: list[IdleDay]


class OfficerUtilisation(BaseModel):
    office: str | None
    officer: str
    role: str | None = Field(description="null for an officer with acts but on no roster")
    days: int
    hours: float
    assigned: int
    assigned_minutes: float
    done: int
    violations: int
    minutes_spent: float = Field(description="start to end of the officer's acts")
    hits_per_officer_hour: float | None
    load: float | None = Field(description="assigned minutes over rostered minutes")


class UtilisationPublic(BaseModel):
    period: dict[str, str]
    offices: list[OfficeUtilisation]
    officers: list[OfficerUtilisation]


class SeizureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goods: Text = Field(min_length=1)
    quantity: Amount
    unit: Short = Field(min_length=1)


class InspectionCreate(BaseModel):
    """What an officer did and found; it becomes the declaration's outcome (as ``POST /v1/feedback``)."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: Id
    inspection_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$")] = Field(
        description="documentary, scan, physical, sample, or the administration's own"
    )
    officer: Annotated[str, Field(min_length=1, max_length=64)]
    started_at: datetime
    ended_at: datetime
    result: Literal["clear", "violation"]
    violation_type: Text | None = None
    findings: Annotated[str | None, Field(max_length=2000)] = None
    seized: Annotated[list[SeizureIn], Field(max_length=50)] = Field(default_factory=list)
    revenue: Amount = Field(0.0, description="revenue recovered, in the declaration's currency")

    @model_validator(mode="after")
    def _times(self) -> InspectionCreate:
        for name in ("started_at", "ended_at"):
            if not 1990 <= getattr(self, name).year <= 2100:
                raise ValueError(f"{name}: a date-time between 1990 and 2100")
        started, ended = _utc(self.started_at), _utc(self.ended_at)
        if ended < started:
            raise ValueError("ended_at is before started_at")
        if ended - started > timedelta(days=14):
            raise ValueError("an inspection of more than 14 days: check started_at and ended_at")
        self.started_at, self.ended_at = started, ended  # both in UTC from here on
        if self.result == "clear" and (self.violation_type or self.seized):
            raise ValueError("a clear result with a violation type or seizures: result should be violation")
        return self


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class InspectionPublic(BaseModel):
    declaration_id: str
    recorded: bool = Field(description="written onto the declaration in the graph (false: not in the graph)")
    with_decision: bool = Field(description="joined to its scoring decision")
    minutes: float


class RouteIn(BaseModel):
    """A target's inspection on one channel at the owner's offices (four eyes: a pending change)."""

    model_config = ConfigDict(extra="forbid")

    target: Annotated[str, Field(min_length=1, max_length=32)]
    channel: Literal["document check", "physical inspection"]
    inspection_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$")]
    instruction: Annotated[str, Field(min_length=3, max_length=300)]
    owner: Annotated[str | None, Field(min_length=2, max_length=64, description="default: the key's sub-centre")] = None


class RoutePublic(BaseModel):
    target: str
    channel: str
    inspection_type: str
    instruction: str
    owner: str
    version: int
    changed_by: str
    approved_by: str | None
    changed_at: datetime | None


class RoutesPublic(BaseModel):
    data: list[RoutePublic] = Field(description="routes approved (the built-in ones apply where none is)")
    count: int


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: not_found, invalid_request, too_large, ...")
    message: str = Field(description="for people")
    details: list[dict] | None = Field(None, description="one entry per invalid field, when there are several")


class ErrorPublic(BaseModel):
    """The one shape of every failure, whatever its status."""

    error: ErrorDetail


class IntelEntity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[ENTITY_TYPES]
    value: Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S")]


class IntelCreate(BaseModel):
    """A lookout, seizure or tip-off; ``investigate.intel_records`` checks it as it checks a file's rows."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "lookout",
                    "target": "drugs",
                    "summary": "this phone arranged a cocaine shipment",
                    "entities": [{"type": "phone", "value": "+86 21 5555 0101"}],
                    "valid_to": "2027-06-30",
                    "scale": "admiralty",
                    "source_grade": "B",
                    "info_grade": "2",
                }
            ]
        },
    )

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")] | None = Field(
        None, description="your own reference; by default INT- and a hash of the content (posting twice is one record)"
    )
    kind: Literal[INTEL_KINDS]
    target: Annotated[str, Field(min_length=1, max_length=40)] = Field(description="a risk target in force")
    summary: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    entities: Annotated[list[IntelEntity], Field(min_length=1, max_length=50)]
    valid_from: date | None = None
    valid_to: date | None = None
    scale: Literal[tuple(INTEL_SCALES)] = "admiralty"
    source_grade: Annotated[str, Field(min_length=1, max_length=1)] = Field(
        description="source reliability: A-F (Admiralty), A-E (5x5x5)"
    )
    info_grade: Annotated[str, Field(min_length=1, max_length=1)] = Field(
        description="information credibility: 1-6 (Admiralty), 1-5 (5x5x5)"
    )
    handling: Annotated[str, Field(min_length=1, max_length=1)] | None = Field(None, description="5x5x5 only: 1-5")
    jurisdiction: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="office whose keys may see it; by default the key's own (none: unlimited keys only)"
    )


class IntelPublic(BaseModel):
    id: str
    kind: str
    target: str
    summary: str
    entities: list[dict[str, str]]
    valid_from: str | None
    valid_to: str | None
    scale: str
    source_grade: str
    info_grade: str
    handling: str | None
    jurisdiction: str | None
    status: Literal["active", "withdrawn"]
    created: str | None
    created_by: str | None
    withdrawn: str | None
    withdrawn_by: str | None


class IntelsPublic(BaseModel):
    data: list[IntelPublic]
    count: int


class AlertPublic(BaseModel):
    id: str
    record: str
    enterprise: str
    name: str | None = Field(None, description="the firm's name")
    kind: str = Field(description="the record's kind")
    target: str = Field(description="the record's risk target")
    hops: int
    via: str = Field(description="the entity of the record it was reached through, as type:value")
    why: str
    source: Literal["analysis", "lodging"] = Field(
        description="raised by the cross-reference after an analysis, or by a lookout hit at lodging"
    )
    declaration: str | None = Field(None, description="for a hit at lodging, the declaration that hit")
    office: str | None = Field(None, description="for a hit at lodging, where it was lodged")
    status: Literal["new", "acknowledged", "case"]
    raised: str
    handled: str | None
    handled_by: str | None
    case_id: str | None


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int


class AlertCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")] | None = None


class OperationCreate(BaseModel):
    """A special operation as proposed (``scoring.operations``); who proposes is the key's name."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=3, max_length=200)
    target: str = Field(min_length=1, max_length=32, description="risk target ranking the scope: tax, security, ...")
    owner: str = Field(min_length=2, max_length=100, description="sub-centre code (or the department)")
    offices: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=200)
    start: date
    end: date
    inspection_rate: float = Field(gt=0, le=1, description="share of the scope sent to physical inspection")
    scope: Conditions
    description: str | None = Field(None, max_length=1000)


class OperationProposed(BaseModel):
    """A proposed operation: in force once someone else approves ``change`` (``/v1/rules/changes/{id}/approve``)."""

    change: str
    action: Literal["add_operation", "end_operation"]
    operation: Operation
    proposed_by: str
    proposed_at: str


class OperationEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acting_for: Annotated[
        str | None, Field(min_length=2, max_length=32, description="your sub-centre code (default: the owner)")
    ] = None


class OperationListed(Operation):
    status: Literal["scheduled", "running", "ended"]


class OperationsPublic(BaseModel):
    data: list[OperationListed]
    count: int


class OperationFound(BaseModel):
    selected: int = Field(description="declarations the operation sent to physical inspection")
    inspected: int = Field(description="of those, with an inspection outcome recorded")
    hits: int
    hit_rate: float | None
    revenue_recovered: float
    by_type: dict[str, int] = Field(description="hits by violation type (seizure kind where recorded)")


class OperationInterim(OperationFound):
    as_of: str = Field(description="half time: what was selected before it")


class OperationBaseline(BaseModel):
    from_: str = Field(alias="from")
    to: str
    inspected: int
    hits: int
    hit_rate: float | None


class OperationResultsPublic(BaseModel):
    operation: Operation
    status: Literal["scheduled", "running", "ended"]
    half_time: str
    in_scope_seen: int = Field(description="in-scope declarations counted by the operation's ranking so far")
    results: OperationFound
    interim: OperationInterim | None = Field(description="the review at half time, once it has passed")
    baseline: OperationBaseline = Field(description="the same scope's inspections in the year before the start")


class TrendWarningPublic(BaseModel):
    """What rose in the whole flow (``analysis.trends``), with its evidence and a drafted operation."""

    id: str
    as_of: str
    dimension: Literal["chapter", "heading", "origin", "route", "port", "office", "broker"]
    value: str
    kind: Literal["volume", "hit"]
    detail: str
    evidence: dict[str, float]
    draft_operation: dict[str, Any] | None = Field(
        description="the operation to submit (POST /v1/trends/{id}/operation); null for a broker (an audit lead)"
    )
    raised_at: str


class TrendWarningsPublic(BaseModel):
    data: list[TrendWarningPublic]
    count: int
