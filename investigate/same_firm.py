"""Probable same firms for an investigator: the links around an enterprise, and a verdict on one.

``riskgraph resolve`` (``analysis/resolve.py``) writes ``PROBABLY_SAME_FIRM`` candidates; here they
are listed and confirmed or rejected, who and when kept on the link. A confirmed link carries risk in
the next analysis like a shared identifier; a rejected one no longer counts and is never proposed again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import neo4j

from graph.errors import RiskGraphError
from graph.model import schema

__all__ = ["REL", "STATUSES", "DECISIONS", "LinkNotFound", "evidence", "list_links", "review_link"]

REL = "PROBABLY_SAME_FIRM"
STATUSES = ("candidate", "confirmed", "rejected")
DECISIONS = ("confirmed", "rejected")
schema().relationship(REL)
schema().node("Enterprise")


class LinkNotFound(RiskGraphError, LookupError):
    """No probable-same-firm link between the two enterprises."""

    status, code = 404, "not_found"


LIST = f"""
MATCH (a:Enterprise)-[r:{REL}]->(b:Enterprise)
WHERE ($id IS NULL OR a.id = $id OR b.id = $id) AND ($status IS NULL OR r.status = $status)
RETURN a.id AS a, a.name AS a_name, b.id AS b, b.name AS b_name, properties(r) AS r
ORDER BY r.match_weight DESC, a, b
LIMIT $limit
"""

REVIEW = f"""
MATCH (x:Enterprise {{id: $a}})-[r:{REL}]-(y:Enterprise {{id: $b}})
SET r.status = $decision, r.reviewed_by = $by, r.reviewed_at = $now, r.note = $note
WITH r, startNode(r) AS s, endNode(r) AS t
RETURN s.id AS a, s.name AS a_name, t.id AS b, t.name AS b_name, properties(r) AS r
"""


def evidence(weights: str | None, levels: str | None) -> list[dict]:
    """What the model weighed, strongest first: each compared field, how it agreed (its level's label; None on
    links written before levels were kept) and the match weight it added (log2 Bayes factor)."""
    weighed, reached = json.loads(weights or "{}"), json.loads(levels or "{}")
    return [
        {"field": f, "level": reached.get(f), "weight": w}
        for f, w in sorted(weighed.items(), key=lambda item: (-item[1], item[0]))
    ]


def _link(record) -> dict:
    r = dict(record["r"])
    return {
        "a": record["a"],
        "a_name": record["a_name"],
        "b": record["b"],
        "b_name": record["b_name"],
        "match_weight": r.get("match_weight"),
        "match_probability": r.get("match_probability"),
        "agreed": [f for f in (r.get("agreed") or "").split(",") if f],
        "weights": json.loads(r.get("weights") or "{}"),
        "evidence": evidence(r.get("weights"), r.get("levels")),
        "status": r.get("status"),
        "found_at": r["found_at"].to_native() if r.get("found_at") else None,
        "reviewed_by": r.get("reviewed_by"),
        "reviewed_at": r["reviewed_at"].to_native() if r.get("reviewed_at") else None,
        "note": r.get("note"),
    }


def list_links(
    driver: neo4j.Driver, database: str, enterprise_id: str | None = None, status: str | None = None, limit: int = 50
) -> list[dict]:
    """Links touching ``enterprise_id`` (all when None), strongest first; ``a`` is the older registration."""
    records = driver.execute_query(
        LIST, id=enterprise_id, status=status, limit=limit, database_=database, routing_=neo4j.RoutingControl.READ
    ).records
    return [_link(r) for r in records]


def review_link(
    driver: neo4j.Driver, database: str, a: str, b: str, decision: str, by: str, note: str | None = None
) -> dict:
    """Confirm or reject the link between ``a`` and ``b`` (either order); raises :class:`LinkNotFound`."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
    records = driver.execute_query(
        REVIEW, a=a, b=b, decision=decision, by=by, note=note, now=datetime.now(UTC), database_=database
    ).records
    if not records:
        raise LinkNotFound(f"no probable-same-firm link between {a!r} and {b!r}")
    return _link(records[0])
