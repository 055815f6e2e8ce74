"""Writing analysis results back onto the graph, replacing the previous run's in one transaction.

Every analysed enterprise gets its community, centralities, risk and reasons in one
``UNWIND $rows ... SET`` per batch; a property that is now empty (say, ``network_id`` of a firm
whose ring dissolved) is sent as null, which removes it. Enterprises the run did not cover lose
every analysis property, and ``Network`` nodes are rebuilt from scratch, so the graph always shows
exactly one run. The run's time lives on the ``AnalysisRun`` pointer, not on every firm: an incremental run
writes only what it rescored.

All of it, and the ``AnalysisRun`` pointer naming the run's snapshot, is one write transaction:
readers see the previous run whole until the commit and the new one whole after it, and a run
killed at any point before the commit leaves the previous results untouched (Neo4j rolls the
transaction back). The price is one transaction's memory in the server: about a kilobyte per
enterprise and member.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import neo4j
import numpy as np
import pandas as pd

from graph.errors import RiskGraphError
from graph.model import SchemaError, schema

__all__ = [
    "ENTERPRISE_RESULT_PROPERTIES",
    "ResultsTooLarge",
    "write_results",
    "write_changes",
    "current_snapshot",
]

#: what Neo4j answers when a transaction needs more memory than it may have (one transaction's limit, or all
#: transactions' together: 70 % of the heap by default)
MEMORY_REFUSALS = (
    "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
    "Neo.TransientError.General.TransactionMemoryLimit",
)


class ResultsTooLarge(RiskGraphError, RuntimeError):
    """The run's results need more transaction memory than the server allows; the previous run stays whole."""

    status, code = 507, "results_too_large_for_one_transaction"


#: Enterprise properties owned by the analysis (declared in graph/schema/Enterprise.yaml)
ENTERPRISE_RESULT_PROPERTIES = (
    "community",
    "community_size",
    "network_id",
    "pagerank",
    "betweenness",
    "degree",
    "propagated_risk",
    "risk",
    "reasons",
)
_undeclared = set(ENTERPRISE_RESULT_PROPERTIES) - set(schema().node("Enterprise").properties)
if _undeclared:
    raise SchemaError(f"Enterprise properties written by the analysis are not declared: {sorted(_undeclared)}")
schema().node("Network")
schema().node("AnalysisRun")
schema().relationship("MEMBER_OF")

SET_ENTERPRISES = """
UNWIND $rows AS row
MATCH (e:Enterprise {id: row.id})
SET e += row.props
"""

# Names come from the constant tuple above, never from input. ``analysed_at`` was stamped on every firm before
# the stamp moved to the run (graphs analysed by earlier versions lose it here).
CLEAR_STALE = (
    "MATCH (e:Enterprise) WHERE (e.risk IS NOT NULL AND NOT e.id IN $ids) OR e.analysed_at IS NOT NULL REMOVE "
    + ", ".join(f"e.{p}" for p in (*ENTERPRISE_RESULT_PROPERTIES, "analysed_at"))
)

DROP_NETWORKS = "MATCH (n:Network) DETACH DELETE n"

POINT_AT_RUN = """
MERGE (r:AnalysisRun {id: 'current'})
SET r.analysed_at = $at, r.snapshot = $snapshot, r.mode = $mode
"""
DROP_THESE_NETWORKS = "MATCH (n:Network) WHERE n.id IN $ids DETACH DELETE n"
CURRENT_RUN = "MATCH (r:AnalysisRun {id: 'current'}) RETURN r.snapshot AS snapshot, r.analysed_at AS analysed_at"

CREATE_NETWORKS = """
UNWIND $rows AS row
CREATE (n:Network)
SET n = row.props
WITH n, row
UNWIND row.members AS member
MATCH (e:Enterprise {id: member})
CREATE (e)-[:MEMBER_OF]->(n)
"""


def _plain(value):
    """A Bolt-safe Python value: numpy scalars unwrapped, NaN as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _enterprise_rows(enterprises: pd.DataFrame, networks: list[dict]) -> list[dict]:
    network_of = {m: net["id"] for net in networks for m in net["members"]}
    ids = enterprises["id"].astype(str).tolist()
    columns = {
        "community": enterprises["community"],
        "community_size": enterprises["community_size"],
        "pagerank": enterprises["pagerank"],
        "betweenness": enterprises["betweenness"],
        "degree": enterprises["degree"],
        "propagated_risk": enterprises["propagated_risk"],
        "risk": enterprises["risk"],
    }
    values = {k: [_plain(v) for v in col.tolist()] for k, col in columns.items()}
    for k in ("community", "community_size"):
        values[k] = [None if v is None else int(v) for v in values[k]]
    reasons = [json.dumps(r) for r in enterprises["reasons"]]
    rows = []
    for i, eid in enumerate(ids):
        props = {k: values[k][i] for k in values}
        props.update(network_id=network_of.get(eid), reasons=reasons[i])
        rows.append({"id": eid, "props": props})
    return rows


def _network_rows(networks: list[dict]) -> list[dict]:
    return [
        {
            "props": {
                "id": int(net["id"]),
                "score": float(net["score"]),
                "kind": net["kind"],
                "routing": net.get("routing"),
                "size": len(net["members"]),
                "value_at_stake": float(net["value_at_stake"]),
                "reasons": json.dumps(net["reasons"]),
            },
            "members": net["members"],
        }
        for net in networks
    ]


def _batches(rows: list[dict], size: int):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_results(
    driver: neo4j.Driver,
    database: str,
    enterprises: pd.DataFrame,
    networks: list[dict],
    at: datetime,
    batch_size: int = 10_000,
    snapshot: str | None = None,
    before_commit=None,
) -> dict[str, int]:
    """Replace the graph's analysis results with these, in one transaction, pointing ``AnalysisRun`` at
    ``snapshot``; ``before_commit()`` runs inside it, last (a test's fault injection).

    Returns counts of enterprises and networks written.
    """
    rows = _enterprise_rows(enterprises, networks)
    network_rows = _network_rows(networks)

    def write_tx(tx: neo4j.Transaction) -> None:
        tx.run(DROP_NETWORKS).consume()
        for batch in _batches(rows, batch_size):
            tx.run(SET_ENTERPRISES, rows=batch).consume()
        tx.run(CLEAR_STALE, ids=[row["id"] for row in rows]).consume()
        batch: list[dict] = []
        members = 0
        for row in network_rows:  # batched by member count so each statement stays bounded
            batch.append(row)
            members += len(row["members"])
            if members >= batch_size:
                tx.run(CREATE_NETWORKS, rows=batch).consume()
                batch, members = [], 0
        if batch:
            tx.run(CREATE_NETWORKS, rows=batch).consume()
        tx.run(POINT_AT_RUN, at=at, snapshot=snapshot, mode="full").consume()
        if before_commit is not None:
            before_commit()

    _write(driver, database, write_tx, len(rows), len(network_rows))
    return {"enterprises": len(rows), "networks": len(network_rows)}


def _write(driver: neo4j.Driver, database: str, work, enterprises: int, networks: int, attempts: int = 5) -> None:
    """Run ``work`` as one write transaction, again after a transient failure (a deadlock with a concurrent load);
    a refusal for memory is said plainly at once: written again it would take as long and be refused again."""
    for attempt in range(attempts):
        try:
            with driver.session(database=database) as session, session.begin_transaction() as tx:
                work(tx)
                tx.commit()
            return
        except neo4j.exceptions.TransientError as exc:
            if exc.code in MEMORY_REFUSALS:
                raise ResultsTooLarge(
                    f"Neo4j refused the memory to write the results of {enterprises:,} enterprises and "
                    f"{networks:,} networks in one transaction, so the graph still shows the previous run whole "
                    f"({exc.message}). Give the server more: RISKGRAPH_NEO4J_HEAP for the local Neo4j (70 % of "
                    "the heap is the default limit of all transactions together), or raise "
                    "dbms.memory.transaction.total.max and db.memory.transaction.max on your own server."
                ) from exc
            if attempt == attempts - 1:
                raise
        time.sleep(0.5 * 2**attempt)


def write_changes(
    driver: neo4j.Driver,
    database: str,
    enterprises: pd.DataFrame,
    networks: list[dict],
    removed_networks: list[int],
    at: datetime,
    batch_size: int = 10_000,
    snapshot: str | None = None,
    before_commit=None,
) -> dict[str, int]:
    """An incremental run's results, in one transaction: the rescored enterprises, their networks replacing
    those numbered ``removed_networks``, and ``AnalysisRun`` pointing at ``snapshot`` with mode
    ``incremental``; everything else keeps the last run's results (the run's time is on ``AnalysisRun``: the graph
    shows one run)."""
    rows = _enterprise_rows(enterprises, networks)
    network_rows = _network_rows(networks)

    def write_tx(tx: neo4j.Transaction) -> None:
        tx.run(DROP_THESE_NETWORKS, ids=[int(i) for i in removed_networks]).consume()
        for batch in _batches(rows, batch_size):
            tx.run(SET_ENTERPRISES, rows=batch).consume()
        for batch in _batches(network_rows, max(1, batch_size // 50)):
            tx.run(CREATE_NETWORKS, rows=batch).consume()
        tx.run(POINT_AT_RUN, at=at, snapshot=snapshot, mode="incremental").consume()
        if before_commit is not None:
            before_commit()

    _write(driver, database, write_tx, len(rows), len(network_rows))
    return {"enterprises": len(rows), "networks": len(network_rows)}


def current_snapshot(driver: neo4j.Driver, database: str) -> str | None:
    """The snapshot version of the run the graph shows, or None before the first run."""
    records = driver.execute_query(CURRENT_RUN, database_=database).records
    return records[0]["snapshot"] if records else None
