"""``riskgraph resolve`` as a job: read the importers, link probable same firms, write the candidates.

A candidate is a ``PROBABLY_SAME_FIRM`` relationship from the older registration to the newer, with the
model's match weight and probability, the fields that agreed, and ``status`` ``candidate``. A new run
refreshes candidates and drops the ones it no longer finds, but never touches a link an investigator
confirmed or rejected (``investigate/same_firm.py``): the verdict outlives the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import neo4j
import pandas as pd

from algorithms.same_firm import same_firm_candidates
from graph.model import schema
from graph.paging import read_pages

__all__ = ["REL", "ResolutionRun", "read_link_input", "write_candidates", "run_resolution"]

REL = "PROBABLY_SAME_FIRM"
for _rel in (REL, "HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "FILED"):
    schema().relationship(_rel)
for _label in ("Enterprise", "Address", "Phone", "Person"):
    schema().node(_label)

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


@dataclass
class ResolutionRun:
    enterprises: int
    candidates: int
    fields: tuple[str, ...]
    message: str
    timings: dict[str, float] = field(default_factory=dict)


def read_link_input(driver: neo4j.Driver, database: str) -> pd.DataFrame:
    """Importers with their normalised name, one address key, phone key and representative, registration date."""
    return read_pages(driver, database, INPUT, INPUT_COLUMNS)


def _ordered(pairs: pd.DataFrame, registered: pd.Series) -> pd.DataFrame:
    """Each pair from the older registration to the newer (as found when a date is missing or equal)."""
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

    def drop_tx(tx: neo4j.ManagedTransaction) -> None:
        tx.run(DROP_STALE, now=now).consume()

    with driver.session(database=database) as session:
        for start in range(0, len(records), batch_size):
            session.execute_write(write_tx, records[start : start + batch_size])
        session.execute_write(drop_tx)
    return len(records)


def run_resolution(driver: neo4j.Driver, database: str, *, threshold: float = 0.9, seed: int = 7) -> ResolutionRun:
    """Link the graph's importers and write ``PROBABLY_SAME_FIRM`` candidates (reviewed links are kept).

    With nothing to link (no names, addresses, phones or representatives shared) nothing is written
    and the run says so in ``message``; stale candidates are still dropped.
    """
    clock = time.perf_counter()
    enterprises = read_link_input(driver, database)
    timings = {"read": round(time.perf_counter() - clock, 3)}
    found = same_firm_candidates(enterprises, threshold=threshold, seed=seed)
    timings.update({f"link_{k}": v for k, v in found.timings.items()})
    lap = time.perf_counter()
    written = write_candidates(driver, database, found.pairs, enterprises.set_index("id")["registered"])
    timings["write"] = round(time.perf_counter() - lap, 3)
    timings["total"] = round(time.perf_counter() - clock, 3)
    return ResolutionRun(len(enterprises), written, found.fields, found.message, timings)
