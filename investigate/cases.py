"""Cases: an audit or anti-smuggling case opened on an enterprise or a network, worked to an outcome.

A case ``CONCERNS`` its enterprise (or every member of its network) and keeps, on the ``Case`` node
itself, an **evidence snapshot**: the neighbourhood the investigator was looking at (nodes and edges
as :func:`investigate.explore.neighbourhood` returns them, at the link chart's depth and size) and the
scores of that moment (risk, propagated risk and reasons of the concerned enterprises, and the
network's score, kind and reasons). It is a JSON property rather than a file under
``$RISKGRAPH_HOME``: the case and its evidence are created in one transaction (no case without its
evidence, no orphan file), they live in the system of record with the same backups, and every API
server pointed at the same database sees them. ``riskgraph analyze`` rewrites enterprise scores and
rebuilds ``Network`` nodes (renumbering them) but never touches ``Case`` nodes, so the evidence
still shows what was seen. A snapshot is bounded by ``EVIDENCE_NODE_LIMIT`` nodes (~100 kB).

Ids read ``CASE-2026-000123``: the year's ``CaseCounter`` node is incremented in the creating
transaction (``SET c.last = c.last + 1`` reads and writes under the node's write lock, the key
constraint on ``CaseCounter.year`` keeps one counter per year), and the key constraint on
``Case.id`` refuses a duplicate rather than merging it.

Work on a case is a read-modify-write of its notes and history under the case's write lock
(taken first, so two concurrent changes queue instead of losing one): notes are appended with
author and time, never rewritten, and every change is appended to the history with who and when.
Status moves along :data:`TRANSITIONS`; closing needs an outcome from :data:`OUTCOMES`, and a
closed case is final (only notes may still be added). Cases closed with an outcome in
:data:`CONFIRMED_OUTCOMES` make their enterprises known violators for the next analysis.

A case carries its risk target (``graph.targets``): the one given, else the target most of the concerned
enterprises' violations belong to (an audit without any is ``tax``, the duty it recovers, as for leads); the
evidence keeps those violations counted by target.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import neo4j

from graph.errors import RiskGraphError
from graph.jurisdiction import Scope, unlimited
from graph.model import schema
from graph.runs import ASSESSMENT, shown_run
from graph.scope import CASE, CONFIRMED_OUTCOMES, KINDS, OUTCOMES, STATUSES, TRANSITIONS, in_jurisdiction
from graph.targets import OTHER, leading_target, target_table, targets_in_force
from investigate import explore

__all__ = [
    "KINDS",
    "STATUSES",
    "TRANSITIONS",
    "OUTCOMES",
    "CONFIRMED_OUTCOMES",
    "CaseError",
    "CaseNotFound",
    "InvalidCase",
    "IllegalTransition",
    "create_case",
    "read_case",
    "list_cases",
    "update_case",
    "least_loaded",
]

#: the evidence subgraph: the link chart's view (2 steps around an enterprise, 1 around a network's members)
EVIDENCE_NODE_LIMIT = 500
_EVIDENCE_DEPTH = {"enterprise": 2, "network": 1}
_FINAL_FIELDS = ("status", "assignee", "outcome", "target")

for _label in ("Case", "CaseCounter", "Enterprise", "Declaration", "CustomsOffice", "AnalysisRun"):
    schema().node(_label)
for _rel in ("CONCERNS", "FILED", "LODGED_AT"):
    schema().relationship(_rel)


class CaseError(RiskGraphError, ValueError):
    """A request about a case that cannot be done as asked; the subclass says why."""

    status, code = 422, "invalid_request"


class CaseNotFound(CaseError):
    """The case, enterprise or network named does not exist."""

    status, code = 404, "not_found"


class InvalidCase(CaseError):
    """The request itself is wrong (a missing kind, an outcome without closing, nothing to change)."""

    status, code = 422, "invalid_request"


class IllegalTransition(CaseError):
    """The change conflicts with the case's current state (a status it cannot move to, a closed case)."""

    status, code = 409, "illegal_transition"


NEXT_NUMBER = """
MERGE (c:CaseCounter {year: $year})
ON CREATE SET c.last = 0
SET c.last = c.last + 1
RETURN c.last AS n
"""

CREATE = """
CREATE (k:Case {id: $id, kind: $kind, target: $target, title: $title, status: 'open', assignee: $assignee, opened: $now,
                updated: $now, opened_by: $by, enterprise_id: $enterprise_id, network_id: $network_id,
                notes: $notes, history: $history, evidence: $evidence})
WITH k
CALL (k) {
  UNWIND $concerns AS eid
  MATCH (e:Enterprise {id: eid})
  CREATE (k)-[:CONCERNS]->(e)
}
RETURN k.id AS id
"""

SCORES = f"""
UNWIND $ids AS eid
MATCH (e:Enterprise {{id: eid}})
{ASSESSMENT}
RETURN e {{.id, .name, .category, risk: a.risk, propagated_risk: a.propagated_risk, community: a.community,
          network_id: a.network_id,
          analysed_at: CASE WHEN a IS NULL THEN null ELSE $analysed_at END}} AS enterprise,
       a.reasons AS reasons
ORDER BY coalesce(a.risk, 0.0) DESC, e.id
"""

_FIELDS = """k {.id, .kind, .target, .title, .status, .outcome, .assignee, .opened_by, .enterprise_id, .network_id,
       opened: toString(k.opened), updated: toString(k.updated), closed: toString(k.closed)}"""

READ = f"""
MATCH (k:Case {{id: $id}})
OPTIONAL MATCH (k)-[:CONCERNS]->(e:Enterprise)
WITH k, e ORDER BY e.id
RETURN {_FIELDS} AS case, k.notes AS notes, k.history AS history, k.evidence AS evidence,
       collect(e.id) AS concerns
"""

LIST = f"""
MATCH (k:Case)
WHERE ($status IS NULL OR k.status = $status) AND ($assignee IS NULL OR k.assignee = $assignee)
  AND ($target IS NULL OR k.target = $target)
  AND {in_jurisdiction(CASE, "k")}
WITH k ORDER BY k.opened DESC, k.id DESC LIMIT $limit
OPTIONAL MATCH (k)-[:CONCERNS]->(e:Enterprise)
WITH k, e ORDER BY e.id
RETURN {_FIELDS} AS case, collect(e.id) AS concerns
ORDER BY case.opened DESC, case.id DESC
"""

# Setting ``updated`` first takes the case's write lock: the read that follows sees the latest commit.
LOCK = "MATCH (k:Case {id: $id}) SET k.updated = $now RETURN count(k) AS n"
CURRENT = (
    "MATCH (k:Case {id: $id}) RETURN k.status AS status, k.assignee AS assignee, k.outcome AS outcome, "
    "k.target AS target, "
    "k.notes AS notes, k.history AS history"
)
SAVE = "MATCH (k:Case {id: $id}) SET k += $props"

VIOLATIONS = """
UNWIND $ids AS eid
MATCH (:Enterprise {id: eid})-[:FILED]->(d:Declaration)
WHERE d.violation = 1
RETURN coalesce(d.violation_type, '') AS type, count(*) AS n
"""


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(now: datetime, by: str, action: str, changes: dict) -> dict:
    return {"at": now.isoformat(), "by": by, "action": action, "changes": changes}


def _scores(driver: neo4j.Driver, database: str, ids: list[str]) -> list[dict]:
    found = []
    for r in driver.execute_query(SCORES, shown_run(driver, database), ids=ids, database_=database).records:
        found.append({**r["enterprise"], "reasons": json.loads(r["reasons"]) if r["reasons"] else []})
    return found


def _violations_by_target(driver: neo4j.Driver, database: str, ids: list[str]) -> dict[str, int]:
    """The concerned enterprises' violations found, counted by risk target (an unknown type counts as other)."""
    records = driver.execute_query(VIOLATIONS, ids=ids, database_=database).records
    targets, _ = target_table().classify(r["type"] for r in records)
    counts: dict[str, int] = {}
    for target, r in zip(targets, records, strict=True):
        counts[target] = counts.get(target, 0) + r["n"]
    return counts


def _check_target(target: str | None) -> None:
    if target is not None and target not in (*targets_in_force(), OTHER):
        raise InvalidCase(f"target {target!r}: choose one of {', '.join((*targets_in_force(), OTHER))}")


def _network_view(found: dict) -> dict:
    return {k: found[k] for k in ("id", "score", "kind", "size", "value_at_stake", "reasons", "analysed_at")} | {
        "members": [m["id"] for m in found["members"]]
    }


def _subject(driver: neo4j.Driver, database: str, enterprise_id: str | None, network_id: int | None):
    """(concerned enterprise ids, their scores, the network view or None) of the thing a case is opened on."""
    if network_id is not None:
        found = explore.network(driver, database, network_id)
        if found is None or not found["members"]:
            raise CaseNotFound(f"no network {network_id} (network ids change with every analysis)")
        network = _network_view(found)
        return network["members"], _scores(driver, database, network["members"]), network
    scores = _scores(driver, database, [enterprise_id])
    if not scores:
        raise CaseNotFound(f"no enterprise {enterprise_id!r}")
    own = scores[0]["network_id"]
    found = explore.network(driver, database, own) if own is not None else None
    return [enterprise_id], scores, _network_view(found) if found else None


def create_case(
    driver: neo4j.Driver,
    database: str,
    *,
    title: str,
    opened_by: str,
    enterprise_id: str | None = None,
    network_id: int | None = None,
    kind: str | None = None,
    target: str | None = None,
    assignee: str | None = None,
    notes: str | None = None,
    scope: Scope | None = None,
) -> dict:
    """Open a case on one enterprise or one network (exactly one) and return it as :func:`read_case` does.

    ``kind`` defaults to the network's kind (the enterprise's network for an enterprise); an enterprise
    in no scored network needs it. ``target`` defaults to the target most of the concerned enterprises'
    violations belong to (``tax`` for an audit without any; none for anti-smuggling). Raises
    :class:`CaseNotFound` for an unknown enterprise or network, :class:`InvalidCase` for a bad combination.
    """
    if (enterprise_id is None) == (network_id is None):
        raise InvalidCase("name exactly one of enterprise_id and network_id")
    if kind is not None and kind not in KINDS:
        raise InvalidCase(f"kind {kind!r}: choose one of {', '.join(KINDS)}")
    _check_target(target)
    concerns, scores, network = _subject(driver, database, enterprise_id, network_id)
    kind = kind or (network or {}).get("kind")
    if kind is None:
        raise InvalidCase(f"enterprise {enterprise_id!r} is in no scored network: give the kind ({' or '.join(KINDS)})")
    found = _violations_by_target(driver, database, concerns)
    target = target or leading_target(found, "tax" if kind == "audit" else None)
    subject = "network" if network_id is not None else "enterprise"
    depth = _EVIDENCE_DEPTH[subject]
    now = _now()
    evidence = {
        "taken_at": now.isoformat(),
        "subject": {"type": subject, "id": network_id if network_id is not None else enterprise_id},
        "network": network,
        "enterprises": scores,
        "violations_by_target": found,
        "graph": {"depth": depth, **explore.neighbourhood(driver, database, concerns, depth, EVIDENCE_NODE_LIMIT)},
    }
    changes = {"status": {"from": None, "to": "open"}, "kind": kind, "target": target, "title": title}
    if assignee:
        changes["assignee"] = {"from": None, "to": assignee}
    if notes:
        changes["note"] = notes
    params = {
        "kind": kind,
        "target": target,
        "title": title,
        "assignee": assignee,
        "now": now,
        "by": opened_by,
        "enterprise_id": enterprise_id,
        "network_id": network_id,
        "notes": json.dumps([{"at": now.isoformat(), "by": opened_by, "text": notes}] if notes else []),
        "history": json.dumps([_entry(now, opened_by, "opened", changes)]),
        "evidence": json.dumps(evidence),
        "concerns": concerns,
    }

    def create_tx(tx: neo4j.ManagedTransaction) -> str:
        number = tx.run(NEXT_NUMBER, year=now.year).single()["n"]
        case_id = f"CASE-{now.year}-{number:06d}"
        tx.run(CREATE, id=case_id, **params).consume()
        return case_id

    with driver.session(database=database) as session:
        case_id = session.execute_write(create_tx)
    return read_case(driver, database, case_id, scope)


OPEN_CASES_OF = """
UNWIND $names AS name
OPTIONAL MATCH (k:Case {assignee: name})
WHERE k.status <> 'closed'
RETURN name, count(k) AS open
"""


def least_loaded(driver: neo4j.Driver, database: str, investigators: list[str]) -> str | None:
    """The investigator with the fewest open cases (the name first on a tie); None for none."""
    if not investigators:
        return None
    rows = driver.execute_query(
        OPEN_CASES_OF, names=investigators, database_=database, routing_=neo4j.RoutingControl.READ
    ).records
    return min(rows, key=lambda r: (r["open"], r["name"]))["name"]


def read_case(driver: neo4j.Driver, database: str, case_id: str, scope: Scope | None = None) -> dict:
    """The case with the statuses it may move to (``moves``), its concerned enterprises, notes, history and
    evidence; :class:`CaseNotFound` if unknown.

    The evidence was taken by whoever opened the case; firms outside ``scope`` are placeholders in it
    (in the subgraph, the scores and the network) and ``None`` among the concerned enterprises.
    """
    scope = scope or unlimited(driver, database)
    records = driver.execute_query(READ, id=case_id, database_=database).records
    if not records:
        raise CaseNotFound(f"no case {case_id!r}")
    r = records[0]
    return {
        **r["case"],
        "moves": list(TRANSITIONS[r["case"]["status"]]),
        "concerns": scope.ids(r["concerns"]),
        "notes": json.loads(r["notes"] or "[]"),
        "history": json.loads(r["history"] or "[]"),
        "evidence": _scoped_evidence(json.loads(r["evidence"] or "{}"), scope),
    }


def _scoped_evidence(evidence: dict, scope: Scope) -> dict:
    if not scope.limited or not evidence:
        return evidence
    scoped = dict(evidence)
    if evidence.get("graph"):
        scoped["graph"] = scope.redact_graph(evidence["graph"])
    scoped["enterprises"] = [
        {**e, "reasons": scope.scrub_reasons(e["reasons"])} for e in scope.firms(evidence.get("enterprises", []))
    ]
    if evidence.get("network"):
        network = evidence["network"]
        scoped["network"] = {
            **network,
            "members": scope.ids(network["members"]),
            "reasons": scope.scrub_reasons(network.get("reasons") or []),
        }
    return scoped


def list_cases(
    driver: neo4j.Driver,
    database: str,
    status: str | None = None,
    assignee: str | None = None,
    limit: int = 50,
    districts: frozenset[str] | None = None,
    target: str | None = None,
) -> list[dict]:
    """Cases newest first, without notes, history or evidence; optionally only those of risk ``target``, or
    those concerning an enterprise that lodged at one of ``districts``."""
    _check_target(target)
    scope = None if districts is None else sorted(districts)
    records = driver.execute_query(
        LIST, status=status, assignee=assignee, target=target, limit=limit, districts=scope, database_=database
    ).records
    seen = Scope(driver, database, districts)
    return [{**r["case"], "concerns": seen.ids(r["concerns"])} for r in records]


def _changes(
    current: dict, status: str | None, assignee: str | None, outcome: str | None, target: str | None, case_id: str
) -> dict:
    """What the request changes, after checking it against the case's current state."""
    if current["status"] == "closed" and any(v is not None for v in (status, assignee, outcome, target)):
        raise IllegalTransition(
            f"case {case_id} is closed ({current['outcome']}): its {', '.join(_FINAL_FIELDS)} are final; "
            "notes can still be added, or open a new case"
        )
    changes = {}
    if status is not None:
        allowed = TRANSITIONS[current["status"]]
        if status not in allowed:
            raise IllegalTransition(
                f"case {case_id} is {current['status']}: it can move to {' or '.join(allowed)}, not {status}"
            )
        changes["status"] = {"from": current["status"], "to": status}
    if status == "closed" and outcome is None:
        raise InvalidCase(f"closing needs an outcome: one of {', '.join(OUTCOMES)}")
    if outcome is not None:
        if status != "closed":
            raise InvalidCase("an outcome is given when the case is closed: send status 'closed' with it")
        changes["outcome"] = {"from": None, "to": outcome}
    if assignee is not None and assignee != current["assignee"]:
        changes["assignee"] = {"from": current["assignee"], "to": assignee}
    if target is not None and target != current["target"]:
        changes["target"] = {"from": current["target"], "to": target}
    return changes


def update_case(
    driver: neo4j.Driver,
    database: str,
    case_id: str,
    *,
    by: str,
    status: str | None = None,
    assignee: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
    target: str | None = None,
    scope: Scope | None = None,
) -> dict:
    """Move the status, reassign, close with an outcome, set the risk target (what the investigation found
    it is about) and/or append a note; one history entry per call.

    Raises :class:`CaseNotFound`, :class:`IllegalTransition` (a status the case cannot move to, a
    change to a closed case) or :class:`InvalidCase` (closing without an outcome, an outcome without
    closing, an unknown value, nothing to change). Nothing is written when it raises.
    """
    if status is not None and status not in STATUSES:
        raise InvalidCase(f"status {status!r}: choose one of {', '.join(STATUSES)}")
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidCase(f"outcome {outcome!r}: choose one of {', '.join(OUTCOMES)}")
    _check_target(target)

    def update_tx(tx: neo4j.ManagedTransaction) -> None:
        now = _now()
        if tx.run(LOCK, id=case_id, now=now).single()["n"] == 0:
            raise CaseNotFound(f"no case {case_id!r}")
        current = tx.run(CURRENT, id=case_id).single().data()
        changes = _changes(current, status, assignee, outcome, target, case_id)
        props = {k: v["to"] for k, v in changes.items()}
        if status == "closed":
            props["closed"] = now
        if note:
            notes = json.loads(current["notes"] or "[]")
            notes.append({"at": now.isoformat(), "by": by, "text": note})
            props["notes"] = json.dumps(notes)
            changes["note"] = note
        if not changes:
            raise InvalidCase(
                "nothing to change: send status, assignee, outcome, target or notes that differ from the case"
            )
        history = json.loads(current["history"] or "[]")
        history.append(_entry(now, by, "updated", changes))
        props["history"] = json.dumps(history)
        tx.run(SAVE, id=case_id, props=props).consume()

    with driver.session(database=database) as session:
        session.execute_write(update_tx)
    return read_case(driver, database, case_id, scope)
