"""Performance feedback: inspection and audit outcomes written onto the declarations in the graph.

Each outcome is stored with the decision that sent the declaration where it went (score, level,
channel, random selection, rule hits, from the decision log), so hit rates can later be counted
per rule, channel and office, and the random sample can show what the targeting misses. Writing
the same outcome twice changes nothing. The importers found violating are returned, so the scorers'
identifier index can learn them before the next analysis (``scoring.violator_journal``).

An inspection act (:class:`Act`: what the officer did and found: type, officer, start and end, findings,
what was seized) is an outcome with more to it: recorded by the same path, its fields are kept on the
declaration beside the flag, for performance per officer and per inspection type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import neo4j

from columnar.store import DeclarationStore
from graph.errors import RiskGraphError
from graph.model import schema
from scoring.decision_log import DecisionLog
from scoring.violator_journal import ViolatorEvent

__all__ = ["Act", "Outcome", "FeedbackResult", "OutcomeError", "parse_outcome", "record_outcomes"]

schema().node("Declaration")
KINDS = ("inspection", "audit")

RECORD_OUTCOMES = """
UNWIND $rows AS row
MATCH (d:Declaration {id: row.id})
SET d.inspected = 1, d.violation = row.violation, d.violation_type = row.violation_type,
    d.revenue_recovered = row.revenue_recovered, d.feedback_kind = row.kind, d.feedback_at = datetime(row.at)
FOREACH (_ IN CASE WHEN row.channel IS NULL THEN [] ELSE [1] END |
  SET d.channel = row.channel, d.score = row.score, d.level = row.level, d.random_selected = row.random,
      d.rule_hits = row.rule_hits, d.leading_target = row.leading_target, d.inspection_ordered = row.ordered)
FOREACH (act IN CASE WHEN row.act IS NULL THEN [] ELSE [row.act] END |
  SET d.inspection_type = act.inspection_type, d.officer = act.officer,
      d.inspection_started = datetime(act.started_at), d.inspection_ended = datetime(act.ended_at),
      d.inspection_minutes = act.minutes, d.findings = act.findings, d.seized = act.seized)
RETURN collect(row.id) AS ids,
       collect(CASE WHEN row.violation = 1 THEN [d.importer_id, toString(d.date), d.id] END) AS violators
"""


class OutcomeError(RiskGraphError, ValueError):
    """An outcome that cannot be recorded; the message names the field."""

    status, code = 422, "invalid_request"


@dataclass(frozen=True)
class Act:
    """What an officer did and found in one inspection (``POST /v1/inspections``)."""

    inspection_type: str
    officer: str
    started_at: str  # ISO date-time
    ended_at: str
    minutes: float
    findings: str | None = None
    seized: str | None = None  # JSON list of {goods, quantity, unit}


@dataclass(frozen=True)
class Outcome:
    declaration_id: str
    violation: int
    violation_type: str | None = None
    revenue_recovered: float = 0.0
    kind: str = "inspection"
    act: Act | None = None


@dataclass
class FeedbackResult:
    recorded: int = 0
    with_decision: int = 0
    unknown: list[str] = field(default_factory=list)
    #: importers found violating (the scorers' identifier index learns them before the next analysis)
    violators: list[ViolatorEvent] = field(default_factory=list)


def _flag(value, name: str) -> int:
    text = str(value).strip().lower()
    if text in ("1", "1.0", "true", "yes"):
        return 1
    if text in ("0", "0.0", "false", "no"):
        return 0
    raise OutcomeError(f"{name}: must be 0 or 1, got {value!r}")


def parse_outcome(row: dict) -> Outcome:
    """An outcome from canonical fields (``declaration_id``, ``violation``, ``violation_type``,
    ``revenue_recovered``, optional ``kind``); raises :class:`OutcomeError` naming the field."""
    declaration_id = str(row.get("declaration_id") or "").strip()
    if not declaration_id:
        raise OutcomeError("declaration_id: missing")
    if row.get("violation") in (None, ""):
        raise OutcomeError("violation: missing (1 if a violation was found, else 0)")
    violation = _flag(row["violation"], "violation")
    revenue = row.get("revenue_recovered")
    try:
        revenue = 0.0 if revenue in (None, "") else float(str(revenue).replace(",", ""))
    except ValueError:
        raise OutcomeError(f"revenue_recovered: not a number: {revenue!r}") from None
    if revenue < 0 or revenue != revenue:
        raise OutcomeError(f"revenue_recovered: must be 0 or more, got {revenue}")
    kind = str(row.get("kind") or "inspection").strip().lower()
    if kind not in KINDS:
        raise OutcomeError(f"kind: must be inspection or audit, got {kind!r}")
    vtype = str(row.get("violation_type") or "").strip() or None
    return Outcome(declaration_id, violation, vtype, revenue, kind)


def _record_tx(tx: neo4j.ManagedTransaction, rows: list[dict]) -> tuple[list[str], list[list]]:
    record = tx.run(RECORD_OUTCOMES, rows=rows).single()
    return record["ids"], record["violators"]


def _stored_outcome(row: dict) -> dict:
    """What the graph now holds of an outcome row (``RECORD_OUTCOMES``), for the columnar copy."""
    decided, act = row["channel"] is not None, row["act"]
    return {
        "id": row["id"],
        "inspected": 1,
        "violation": row["violation"],
        "violation_type": row["violation_type"],
        "revenue_recovered": row["revenue_recovered"],
        "feedback_kind": row["kind"],
        "feedback_at": row["at"],
        **{k: row[r] if decided else None for k, r in _DECISION.items()},
        **{k: act[r] if act else None for k, r in _ACT.items()},
    }


_DECISION = {
    "channel": "channel",
    "score": "score",
    "level": "level",
    "random_selected": "random",
    "rule_hits": "rule_hits",
    "leading_target": "leading_target",
    "inspection_ordered": "ordered",
}
_ACT = {
    "inspection_type": "inspection_type",
    "officer": "officer",
    "inspection_started": "started_at",
    "inspection_ended": "ended_at",
    "inspection_minutes": "minutes",
    "findings": "findings",
    "seized": "seized",
}


def record_outcomes(
    driver: neo4j.Driver,
    database: str,
    log: DecisionLog,
    outcomes: list[Outcome],
    batch: int = 5000,
    store: DeclarationStore | None = None,
) -> FeedbackResult:
    """Write the outcomes onto their declarations in the graph and, with ``store``, into the columnar copy."""
    result = FeedbackResult()
    at = datetime.now(UTC).isoformat()
    for start in range(0, len(outcomes), batch):
        chunk = outcomes[start : start + batch]
        decisions = log.find([o.declaration_id for o in chunk])
        rows = []
        for o in chunk:
            d = decisions.get(o.declaration_id)
            rows.append(
                {
                    "id": o.declaration_id,
                    "violation": o.violation,
                    "violation_type": o.violation_type,
                    "revenue_recovered": o.revenue_recovered,
                    "kind": o.kind,
                    "at": at,
                    "channel": d and d["channel"],
                    "score": d and d["score"],
                    "level": d and d["level"],
                    "random": d and d["random"],
                    "rule_hits": d and ";".join(d["rule_hits"]),
                    "leading_target": d and d["leading_target"],
                    "ordered": d and (d.get("inspection") or {}).get("type"),
                    "act": asdict(o.act) if o.act is not None else None,
                }
            )
        with driver.session(database=database) as session:
            ids, violators = session.execute_write(_record_tx, rows)
        stored = set(ids)
        if store is not None:
            store.write_outcomes(_stored_outcome(row) for row in rows if row["id"] in stored)
        result.violators += [ViolatorEvent(e, day, declaration=d) for e, day, d in violators if e and day]
        result.recorded += len(stored)
        result.with_decision += sum(1 for o in chunk if o.declaration_id in stored and o.declaration_id in decisions)
        result.unknown += [o.declaration_id for o in chunk if o.declaration_id not in stored]
    return result
