"""Probable-same-firm links in the graph: what linkage reads, what it writes, and an investigator's review.

A link is a ``PROBABLY_SAME_FIRM`` relationship from the older registration to the newer, with the
model's match weight and probability, the fields that agreed, and a ``status``: ``candidate`` as
found, ``confirmed`` or ``rejected`` by an investigator (who and when kept on the link). A new
linkage run refreshes candidates (and drops the ones it no longer finds) but never touches a
reviewed link: an investigator's decision outlives the model.
"""

from __future__ import annotations

from datetime import UTC, datetime

import neo4j
import pandas as pd

from graph.model import schema
from graph.paging import read_pages

__all__ = [
    "REL",
    "STATUSES",
    "DECISIONS",
    "LinkNotFound",
    "read_link_input",
    "write_candidates",
    "list_links",
    "review_link",
]

REL = "PROBABLY_SAME_FIRM"
STATUSES = ("candidate", "confirmed", "rejected")
DECISIONS = ("confirmed", "rejected")

for _rel in (REL, "HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "FILED"):
    schema().relationship(_rel)
for _label in ("Enterprise", "Address", "Phone", "Person"):
    schema().node(_label)


class LinkNotFound(LookupError):
    """No probable-same-firm link between the two enterprises."""


INPUT_COLUMNS = ("id", "name", "address", "phone", "legal_rep", "registered")
# Importers only (a consignee of some declaration, or holder of an identifier): overseas sellers and
# brokers are counterparties, not firms that re-register here. One address, phone and representative each.
INPUT = """
MATCH (e:Enterprise)
WHERE EXISTS { (e)-[:HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP]->() } OR EXISTS { (e)-[:FILED {role: 'consignee'}]->() }
WITH e SKIP $skip LIMIT $limit
OPTIONAL CALL (e) { MATCH (e)-[:HAS_ADDRESS]->(a:Address) RETURN a.key AS address ORDER BY address LIMIT 1 }
OPTIONAL CALL (e) { MATCH (e)-[:HAS_PHONE]->(p:Phone) RETURN p.number AS phone ORDER BY phone LIMIT 1 }
OPTIONAL CALL (e) { MATCH (e)-[:HAS_LEGAL_REP]->(p:Person) RETURN p.id AS rep ORDER BY rep LIMIT 1 }
RETURN collect([e.id, e.name_norm, address, phone, rep, toString(e.registered)]) AS rows
"""

WRITE = f"""
UNWIND $rows AS row
MATCH (a:Enterprise {{id: row.a}}), (b:Enterprise {{id: row.b}})
MERGE (a)-[r:{REL}]->(b)
ON CREATE SET r.status = 'candidate'
SET r.match_weight = row.match_weight, r.match_probability = row.match_probability, r.agreed = row.agreed,
    r.found_at = $now
"""
# Candidates this run did not find again go; reviewed links stay whatever the model now says.
DROP_STALE = f"""
MATCH (:Enterprise)-[r:{REL} {{status: 'candidate'}}]->(:Enterprise)
WHERE r.found_at < $now
DELETE r
"""

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


def read_link_input(driver: neo4j.Driver, database: str) -> pd.DataFrame:
    """Importers with their normalised name, one address key, phone key and representative, registration date."""
    return read_pages(driver, database, INPUT, INPUT_COLUMNS)


def _ordered(pairs: pd.DataFrame, registered: pd.Series) -> pd.DataFrame:
    """Each pair from the older registration to the newer (by id when a date is missing or equal)."""
    when = pd.to_datetime(registered, errors="coerce")
    a_when, b_when = pairs["a"].map(when), pairs["b"].map(when)
    swap = (b_when < a_when).fillna(False).to_numpy(dtype=bool)
    out = pairs.copy()
    out.loc[swap, ["a", "b"]] = pairs.loc[swap, ["b", "a"]].to_numpy()
    return out


def write_candidates(
    driver: neo4j.Driver, database: str, pairs: pd.DataFrame, registered: pd.Series, batch_size: int = 5000
) -> int:
    """Write (or refresh) candidate links and drop the candidates no longer found; returns links written.

    ``registered`` maps enterprise id to registration date, to point each link at the newer firm.
    """
    now = datetime.now(UTC)
    rows = _ordered(pairs, registered)[["a", "b", "match_weight", "match_probability", "agreed"]]
    records = rows.to_dict("records")

    def write_tx(tx: neo4j.ManagedTransaction, chunk: list[dict]) -> None:
        tx.run(WRITE, rows=chunk, now=now).consume()

    with driver.session(database=database) as session:
        for start in range(0, len(records), batch_size):
            session.execute_write(write_tx, records[start : start + batch_size])
        session.execute_write(lambda tx: tx.run(DROP_STALE, now=now).consume())
    return len(records)


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
        "status": r.get("status"),
        "found_at": r["found_at"].to_native() if r.get("found_at") else None,
        "reviewed_by": r.get("reviewed_by"),
        "reviewed_at": r["reviewed_at"].to_native() if r.get("reviewed_at") else None,
        "note": r.get("note"),
    }


def list_links(
    driver: neo4j.Driver, database: str, enterprise_id: str | None = None, status: str | None = None, limit: int = 50
) -> list[dict]:
    """Links touching ``enterprise_id`` (all when None), strongest first."""
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
