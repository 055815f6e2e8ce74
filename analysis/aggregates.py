"""Reading what the analysis needs from Neo4j already folded to enterprise size.

The declarations stay in the database: Cypher aggregations return, per importer, the counts the
recency and network signals need and, per (importer, broker / seller / route / chapter), how often it
was used (:class:`algorithms.activity.Activity`); consignments come back only when two importers or more
used them. Peer comparison needs every declaration's unit value against its HS6 group, so it runs one
slice of HS6 codes at a time (a peer group never crosses an HS6 code) and keeps only per-importer sums
(:func:`algorithms.peers.peer_stat_parts`). The Python process therefore holds enterprise-sized tables
plus one slice, whatever the number of declarations.

Aggregated results come back in records of :data:`PAGE_ROWS` rows fetched one at a time, so the driver
never buffers a whole result.
"""

from __future__ import annotations

import neo4j
import pandas as pd

from algorithms.activity import (
    CONSIGNMENT_COLUMNS,
    HISTORY_DAYS,
    IMPORTER_COLUMNS,
    USAGE_COLUMNS,
    VIOLATION_COLUMNS,
    Activity,
)
from algorithms.peers import combine_peer_parts, peer_stat_parts, unit_value_anomalies
from analysis.graph_io import CASE_VIOLATORS, CONFIRMED_CASE_OUTCOMES, ENTERPRISE_COLUMNS, ENTERPRISES, LINK_COLUMNS
from analysis.graph_io import LINKS as OWN_LINKS
from analysis.pipeline import AnalysisInputs
from graph.currency import money_basis
from graph.model import schema
from graph.paging import read_pages

__all__ = ["PAGE_ROWS", "PEER_SLICE_ROWS", "latest_declaration_date", "read_analysis_inputs"]

schema().node("Declaration")

#: rows per record of an aggregated result
PAGE_ROWS = 50_000
#: declarations compared per slice of HS6 codes (a single larger HS6 group is one slice)
PEER_SLICE_ROWS = 100_000

LATEST_DATE = "MATCH (d:Declaration) RETURN toString(max(d.date)) AS as_of"

# Every query below ends in this: the server aggregates once, the client fetches it in pages.
_PAGED = """
WITH collect(row) AS rows
UNWIND range(0, size(rows) - 1, $page) AS start
RETURN rows[start..start + $page] AS rows
"""

IMPORTERS = (
    """
MATCH (d:Declaration) WHERE d.importer_id IS NOT NULL
WITH d.importer_id AS id, d.date AS day, d.route AS route, d.violation AS violation
WITH id,
     sum(CASE WHEN day <= $as_of THEN 1 ELSE 0 END) AS n,
     sum(CASE WHEN day > $window_start AND day <= $as_of THEN 1 ELSE 0 END) AS recent,
     sum(CASE WHEN day > $history_start AND day <= $window_start THEN 1 ELSE 0 END) AS history,
     min(CASE WHEN day > $history_start AND day <= $window_start THEN day END) AS first_history,
     sum(CASE WHEN day <= $as_of AND route IS NOT NULL THEN 1 ELSE 0 END) AS routed,
     sum(CASE WHEN day <= $as_of AND size(split(route, '>')) >= 3 THEN 1 ELSE 0 END) AS transit,
     max(CASE WHEN violation = 1 THEN 1 ELSE 0 END) AS violated
WITH [id, n, recent, history, toString(first_history), routed, transit, violated] AS row
"""
    + _PAGED
)

USAGE = (
    """
MATCH (d:Declaration) WHERE d.date <= $as_of AND d.importer_id IS NOT NULL
UNWIND [['declarant', d.declarant_id], ['seller', d.seller_id], ['route', d.route], ['chapter', left(d.hs6, 2)]]
       AS use
WITH d.importer_id AS id, use[0] AS kind, use[1] AS value, d.date AS day
WHERE value IS NOT NULL
WITH id, kind, value, count(*) AS n,
     sum(CASE WHEN day > $window_start THEN 1 ELSE 0 END) AS recent,
     sum(CASE WHEN day > $history_start AND day <= $window_start THEN 1 ELSE 0 END) AS history
WITH [id, kind, value, n, recent, history] AS row
"""
    + _PAGED
)

# Only consignment ids two importers or more used can link anybody; all their uses come back (voyages).
SHARED_CONSIGNMENTS = (
    """
MATCH (d:Declaration) WHERE d.date <= $as_of AND d.consignment_id IS NOT NULL AND d.consignment_id <> ''
  AND d.importer_id IS NOT NULL
WITH d.consignment_id AS consignment, collect([d.importer_id, toString(d.date)]) AS uses,
     count(DISTINCT d.importer_id) AS importers
WHERE importers >= 2
UNWIND uses AS use
WITH [use[0], consignment, use[1]] AS row
"""
    + _PAGED
)

VIOLATIONS = (
    """
MATCH (d:Declaration) WHERE d.violation = 1 AND d.date <= $as_of AND d.violation_type IS NOT NULL
  AND d.importer_id IS NOT NULL
WITH d.importer_id AS id, d.violation_type AS type, count(*) AS n
WITH [id, type, n] AS row
"""
    + _PAGED
)

HS6_COUNTS = (
    """
MATCH (d:Declaration) WHERE d.date <= $as_of AND d.hs6 IS NOT NULL
WITH d.hs6 AS hs6, count(*) AS n
WITH [hs6, n] AS row
"""
    + _PAGED
)

CURRENCIES = """
MATCH (d:Declaration) WHERE d.date <= $as_of AND d.currency IS NOT NULL
RETURN collect(DISTINCT d.currency) AS currencies
"""

PEER_COLUMNS = ("id", "importer_id", "hs6", "origin", "value", "currency", "net_mass", "quantity", "tax_rate")
PEER_ROWS = """
MATCH (d:Declaration) WHERE d.hs6 IN $codes AND d.date <= $as_of
RETURN collect([d.id, d.importer_id, d.hs6, d.origin, d.value, d.currency, d.net_mass, d.quantity, d.tax_rate])
       AS rows
"""


def read_aggregate(tx: neo4j.ManagedTransaction, query: str, columns: tuple[str, ...], **params) -> pd.DataFrame:
    """An aggregation ending in :data:`_PAGED`, one page of rows at a time, as a frame."""
    parts = [
        pd.DataFrame.from_records(r["rows"], columns=list(columns)) for r in tx.run(query, page=PAGE_ROWS, **params)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(columns))


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


def latest_declaration_date(driver: neo4j.Driver, database: str) -> pd.Timestamp | None:
    """The date of the newest declaration, or None when there is none."""
    value = driver.execute_query(LATEST_DATE, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    return pd.Timestamp(value["as_of"]) if value["as_of"] else None


def _slices(counts: pd.DataFrame, size: int) -> list[list[str]]:
    """HS6 codes packed into slices of about ``size`` declarations, in code order."""
    slices, current, rows = [], [], 0
    for code, n in counts.sort_values("hs6").itertuples(index=False):
        current.append(code)
        rows += int(n)
        if rows >= size:
            slices.append(current)
            current, rows = [], 0
    if current:
        slices.append(current)
    return slices


def _peer_stats(tx: neo4j.ManagedTransaction, params: dict, slice_rows: int) -> pd.DataFrame:
    """Per-importer peer statistics, comparing one slice of HS6 codes at a time."""
    money = money_basis(tx.run(CURRENCIES, **params).single()["currencies"])
    counts = read_aggregate(tx, HS6_COUNTS, ("hs6", "n"), **params)
    parts = []
    for codes in _slices(counts, slice_rows):
        rows = tx.run(PEER_ROWS, codes=codes, **params).single()["rows"]
        frame = pd.DataFrame.from_records(rows, columns=list(PEER_COLUMNS))
        for column in ("value", "net_mass", "quantity", "tax_rate"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        parts.append(peer_stat_parts(unit_value_anomalies(frame, money=money)))
    return combine_peer_parts(parts)


def read_analysis_inputs(
    driver: neo4j.Driver,
    database: str,
    as_of=None,
    *,
    window_days: int = 90,
    history_days: int = HISTORY_DAYS,
    slice_rows: int = PEER_SLICE_ROWS,
) -> AnalysisInputs | None:
    """The analysis inputs, aggregated in Neo4j; None when the graph holds no declaration.

    The same enterprises, links and known violators as :func:`analysis.graph_io.read_analysis_input`;
    ``as_of`` defaults to the date of the latest declaration.
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else latest_declaration_date(driver, database)
    if as_of is None:
        return None
    window_start = as_of - pd.Timedelta(days=window_days)
    params = {
        "as_of": as_of.date(),
        "window_start": window_start.date(),
        "history_start": (window_start - pd.Timedelta(days=history_days)).date(),
    }

    def work(tx: neo4j.ManagedTransaction) -> dict:
        importers = read_aggregate(tx, IMPORTERS, (*IMPORTER_COLUMNS, "violated"), **params)
        return {
            "importers": importers,
            "usage": read_aggregate(tx, USAGE, USAGE_COLUMNS, **params),
            "consignments": read_aggregate(tx, SHARED_CONSIGNMENTS, CONSIGNMENT_COLUMNS, **params),
            "violations": read_aggregate(tx, VIOLATIONS, VIOLATION_COLUMNS, **params),
            "peer_stats": _peer_stats(tx, params, slice_rows),
        }

    # fetch_size=1: each record is a page of rows; the driver must not buffer them all.
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=1) as session:
        read = session.execute_read(work)

    importers = read["importers"]
    links = read_pages(driver, database, OWN_LINKS, LINK_COLUMNS)
    enterprises = read_pages(driver, database, ENTERPRISES, ENTERPRISE_COLUMNS)
    keep = set(importers["id"]) | set(links["enterprise"])
    enterprises = enterprises[enterprises["id"].isin(keep)].reset_index(drop=True)
    enterprises["registered"] = _dates(enterprises["registered"])

    violators = set(importers.loc[importers["violated"] == 1, "id"].astype(str))
    cases = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
    violators |= set(cases["id"].dropna().astype(str))

    dated = importers[importers["n"] > 0].drop(columns="violated").reset_index(drop=True)
    dated["first_history"] = _dates(dated["first_history"])
    consignments = read["consignments"]
    consignments["date"] = _dates(consignments["date"])
    activity = Activity(
        importers=dated,
        usage=read["usage"],
        violations=read["violations"],
        consignments=consignments,
        as_of=as_of,
        window_days=window_days,
        history_days=history_days,
    )
    return AnalysisInputs(
        enterprises=enterprises,
        links=links,
        activity=activity,
        peer_stats=read["peer_stats"],
        known_violators=violators,
    )
