"""Keeping the columnar copy equal to the graph, which is the system of record.

Before the copy is read, its declarations per load and its recorded outcomes are compared with the graph's
(counts from indexes, and the time of the latest outcome); a load the graph no longer holds is dropped, a load
whose count differs (a load killed between the graph's commit and the copy's write, rows written again by a later
load, a graph emptied and loaded again) is read again from the graph alone, and the outcomes are read again
when theirs differ. ``riskgraph store rebuild`` reads every load again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import neo4j
import pandas as pd
import pyarrow as pa

from columnar.store import OUTCOME_COLUMNS, DeclarationStore, declaration_table, outcome_table
from graph.model import schema

__all__ = ["SyncReport", "graph_load_counts", "sync_store", "rebuild_store"]

schema().node("Declaration")

#: declarations per page when a load is read again from the graph
PAGE_ROWS = 50_000

LOAD_COUNTS = "MATCH (d:Declaration) WHERE d.load IS NOT NULL RETURN d.load AS load, count(*) AS n"
TOTAL = "MATCH (d:Declaration) RETURN count(d) AS n"
OUTCOMES_SHOWN = """
MATCH (d:Declaration) WHERE d.feedback_at IS NOT NULL
RETURN count(d) AS n, max(d.feedback_at) AS latest
"""
# every declared property is listed (dates as text): a map projection of the schema's names, never input
_PROJECTION = ", ".join(
    f"{name}: toString(d.{name})" if kind in ("date", "datetime") else f"{name}: d.{name}"
    for name, kind in schema().node("Declaration").properties.items()
)
_ROW = f"[d {{{_PROJECTION}}}, [k IN keys(d) WHERE k STARTS WITH 'feature_' | [k, toString(d[k])]]]"
OF_LOAD = f"MATCH (d:Declaration) WHERE d.load = $load WITH d SKIP $skip LIMIT $limit RETURN collect({_ROW}) AS rows"
UNLOADED = f"MATCH (d:Declaration) WHERE d.load IS NULL WITH d SKIP $skip LIMIT $limit RETURN collect({_ROW}) AS rows"
_DATETIMES = {n for n, kind in schema().node("Declaration").properties.items() if kind == "datetime"}
OUTCOMES = f"""
MATCH (d:Declaration) WHERE d.feedback_at IS NOT NULL
RETURN collect([{", ".join(f"toString(d.{c})" if c in _DATETIMES else f"d.{c}" for c in OUTCOME_COLUMNS)}]) AS rows
"""


@dataclass
class SyncReport:
    """What checking the copy against the graph changed."""

    dropped: list[str] = field(default_factory=list)  # loads the graph no longer holds
    reread: dict[str, int] = field(default_factory=dict)  # loads read again from the graph: rows
    outcomes_reread: int | None = None  # outcomes read again (None: they agreed)

    @property
    def changed(self) -> bool:
        return bool(self.dropped or self.reread or self.outcomes_reread is not None)


def graph_load_counts(driver: neo4j.Driver, database: str) -> dict[str, int]:
    """Declarations per load in the graph (``""`` for those written without one), from the ``load`` index."""
    read = neo4j.RoutingControl.READ
    counts = {r["load"]: r["n"] for r in driver.execute_query(LOAD_COUNTS, database_=database, routing_=read).records}
    total = driver.execute_query(TOTAL, database_=database, routing_=read).records[0]["n"]
    unloaded = total - sum(counts.values())
    return counts | ({"": unloaded} if unloaded else {})


_COLUMNS = list(schema().node("Declaration").properties)


def _load_tables(driver: neo4j.Driver, database: str, load: str) -> Iterator[pa.Table]:
    """The declarations of ``load`` as the graph holds them, a page at a time, in one read transaction."""
    query, params = (UNLOADED, {}) if load == "" else (OF_LOAD, {"load": load})
    written_at = datetime.now(UTC)
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        tx = session.begin_transaction()
        try:
            skip = 0
            while True:
                rows = tx.run(query, skip=skip, limit=PAGE_ROWS, **params).single()["rows"]
                frame = pd.DataFrame.from_records([props for props, _ in rows], columns=_COLUMNS)
                features: dict[str, list] = {}
                for i, (_, pairs) in enumerate(rows):
                    for key, value in pairs:
                        features.setdefault(key, [None] * len(rows))[i] = value
                yield declaration_table(frame.assign(**features), written_at)
                if len(rows) < PAGE_ROWS:
                    return
                skip += PAGE_ROWS
        finally:
            tx.close()


def _outcomes_agree(driver: neo4j.Driver, database: str, store: DeclarationStore) -> bool:
    record = driver.execute_query(OUTCOMES_SHOWN, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    files = store.outcome_files()
    if not files:
        return record["n"] == 0
    query = "SELECT count(DISTINCT id), max(feedback_at) FROM read_parquet($files)"
    with duckdb.connect() as con:
        n, latest = con.execute(query, {"files": [str(p) for p in files]}).fetchone()
    shown = record["latest"].to_native() if record["latest"] is not None else None
    return n == record["n"] and latest == shown


def _reread_outcomes(driver: neo4j.Driver, database: str, store: DeclarationStore) -> int:
    rows = driver.execute_query(OUTCOMES, database_=database, routing_=neo4j.RoutingControl.READ).records[0]["rows"]
    store.replace_outcomes(outcome_table(pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))))
    return len(rows)


def sync_store(
    driver: neo4j.Driver, database: str, store: DeclarationStore, *, counts: dict[str, int] | None = None
) -> SyncReport:
    """Make the copy agree with the graph (``counts``: the graph's declarations per load, when already read)."""
    store.remove_leftovers()
    counts = graph_load_counts(driver, database) if counts is None else counts
    kept = store.load_counts()
    report = SyncReport()
    for load in sorted(set(kept) - set(counts)):
        store.drop_load(load)
        report.dropped.append(load)
    for load, n in sorted(counts.items()):
        if kept.get(load) != n:
            report.reread[load] = store.replace_load(load, _load_tables(driver, database, load))
    if not _outcomes_agree(driver, database, store):
        report.outcomes_reread = _reread_outcomes(driver, database, store)
    return report


def rebuild_store(driver: neo4j.Driver, database: str, store: DeclarationStore) -> SyncReport:
    """Read every declaration and outcome again from the graph."""
    store.clear()
    return sync_store(driver, database, store)
