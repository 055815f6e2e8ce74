"""Writing analysis results back onto the graph, in batches, replacing the previous run's.

Every analysed enterprise gets its community, centralities, risk and reasons in one
``UNWIND $rows ... SET`` per batch; a property that is now empty (say, ``network_id`` of a firm
whose ring dissolved) is sent as null, which removes it. Enterprises the run did not cover lose
every analysis property, and ``Network`` nodes are rebuilt from scratch, so the graph always shows
exactly one run.
"""

from __future__ import annotations

import json
from datetime import datetime

import neo4j
import numpy as np
import pandas as pd

from graph.model import SchemaError, schema

__all__ = ["ENTERPRISE_RESULT_PROPERTIES", "write_results", "write_changes"]

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
    "analysed_at",
)
_undeclared = set(ENTERPRISE_RESULT_PROPERTIES) - set(schema().node("Enterprise").properties)
if _undeclared:
    raise SchemaError(f"Enterprise properties written by the analysis are not declared: {sorted(_undeclared)}")
schema().node("Network")
schema().relationship("MEMBER_OF")

SET_ENTERPRISES = """
UNWIND $rows AS row
MATCH (e:Enterprise {id: row.id})
SET e += row.props
"""

# Names come from the constant tuple above, never from input.
CLEAR_STALE = (
    "MATCH (e:Enterprise) WHERE e.analysed_at IS NOT NULL AND e.analysed_at <> $at "
    "CALL (e) { REMOVE "
    + ", ".join(f"e.{p}" for p in ENTERPRISE_RESULT_PROPERTIES)
    + " } IN TRANSACTIONS OF 10000 ROWS"
)

DROP_NETWORKS = "MATCH (n:Network) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"

CREATE_NETWORKS = """
UNWIND $rows AS row
CREATE (n:Network)
SET n = row.props, n.analysed_at = $at
WITH n, row
UNWIND row.members AS member
MATCH (e:Enterprise {id: member})
CREATE (e)-[:MEMBER_OF]->(n)
"""


DROP_THESE_NETWORKS = "MATCH (n:Network) WHERE n.id IN $ids DETACH DELETE n"


def _plain(value):
    """A Bolt-safe Python value: numpy scalars unwrapped, NaN as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _enterprise_rows(enterprises: pd.DataFrame, networks: list[dict], at: datetime) -> list[dict]:
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
        props.update(network_id=network_of.get(eid), reasons=reasons[i], analysed_at=at)
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
) -> dict[str, int]:
    """Write enterprise results and networks; clear what earlier runs left on enterprises not covered now.

    Returns counts of enterprises and networks written.
    """
    rows = _enterprise_rows(enterprises, networks, at)
    for batch in _batches(rows, batch_size):
        driver.execute_query(SET_ENTERPRISES, rows=batch, database_=database)
    with driver.session(database=database) as session:  # CALL IN TRANSACTIONS needs an auto-commit query
        session.run(CLEAR_STALE, at=at).consume()
        session.run(DROP_NETWORKS).consume()
    network_rows = _network_rows(networks)
    # Networks are small; batch by member count so one transaction stays bounded.
    batch: list[dict] = []
    members = 0
    for row in network_rows:
        batch.append(row)
        members += len(row["members"])
        if members >= batch_size:
            driver.execute_query(CREATE_NETWORKS, rows=batch, at=at, database_=database)
            batch, members = [], 0
    if batch:
        driver.execute_query(CREATE_NETWORKS, rows=batch, at=at, database_=database)
    return {"enterprises": len(rows), "networks": len(network_rows)}


def write_changes(
    driver: neo4j.Driver,
    database: str,
    enterprises: pd.DataFrame,
    networks: list[dict],
    removed_networks: list[int],
    at: datetime,
    batch_size: int = 10_000,
) -> dict[str, int]:
    """An incremental run's results, in one transaction: the rescored enterprises, their networks replacing
    those numbered ``removed_networks``; everything else stays as the last run left it."""
    rows = _enterprise_rows(enterprises, networks, at)
    network_rows = _network_rows(networks)

    def write_tx(tx: neo4j.ManagedTransaction) -> None:
        tx.run(DROP_THESE_NETWORKS, ids=[int(i) for i in removed_networks]).consume()
        for batch in _batches(rows, batch_size):
            tx.run(SET_ENTERPRISES, rows=batch).consume()
        for batch in _batches(network_rows, max(1, batch_size // 50)):
            tx.run(CREATE_NETWORKS, rows=batch, at=at).consume()

    with driver.session(database=database) as session:
        session.execute_write(write_tx)
    return {"enterprises": len(rows), "networks": len(network_rows)}
