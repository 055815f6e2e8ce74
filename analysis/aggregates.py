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

__all__ = [
    "PAGE_ROWS",
    "PEER_SLICE_ROWS",
    "ALL_DECLARATIONS",
    "THEIR_DECLARATIONS",
    "CONSIGNMENT_DECLARATIONS",
    "THEIR_CONSIGNMENTS",
    "latest_declaration_date",
    "read_analysis_inputs",
    "read_activity",
    "activity_of",
    "peer_parts",
    "reading_session",
    "window_params",
]

for _label in ("Declaration", "Enterprise", "Consignment"):
    schema().node(_label)
for _rel in ("FILED", "COVERS"):
    schema().relationship(_rel)

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

# Where the declarations come from: all of them, or those of the importers in $ids (from their FILED links).
ALL_DECLARATIONS = "MATCH (d:Declaration) WHERE d.importer_id IS NOT NULL\n"
THEIR_DECLARATIONS = (
    "MATCH (e:Enterprise)-[:FILED {role: 'consignee'}]->(d:Declaration) WHERE e.id IN $ids AND d.importer_id = e.id\n"
)

IMPORTERS = """
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

USAGE = """
WITH d WHERE d.date <= $as_of
UNWIND [['declarant', d.declarant_id], ['seller', d.seller_id], ['route', d.route], ['chapter', left(d.hs6, 2)]]
       AS use
WITH d.importer_id AS id, use[0] AS kind, use[1] AS value, d.date AS day
WHERE value IS NOT NULL
WITH id, kind, value, count(*) AS n,
     sum(CASE WHEN day > $window_start THEN 1 ELSE 0 END) AS recent,
     sum(CASE WHEN day > $history_start AND day <= $window_start THEN 1 ELSE 0 END) AS history
WITH [id, kind, value, n, recent, history] AS row
"""

VIOLATIONS = """
WITH d WHERE d.violation = 1 AND d.date <= $as_of AND d.violation_type IS NOT NULL
WITH d.importer_id AS id, d.violation_type AS type, count(*) AS n
WITH [id, type, n] AS row
"""

# Only consignment ids two importers or more used can link anybody; all their uses come back (voyages).
SHARED_CONSIGNMENTS = """
WITH d WHERE d.date <= $as_of AND d.consignment_id IS NOT NULL AND d.consignment_id <> ''
WITH d.consignment_id AS consignment, collect([d.importer_id, toString(d.date)]) AS uses,
     count(DISTINCT d.importer_id) AS importers
WHERE importers >= 2
UNWIND uses AS use
WITH [use[0], consignment, use[1]] AS row
"""

# Every use of the consignments in $consignments (those the importers in $ids used).
CONSIGNMENT_DECLARATIONS = """
MATCH (c:Consignment) WHERE c.id IN $consignments
MATCH (d:Declaration)-[:COVERS]->(c) WHERE d.importer_id IS NOT NULL
"""
THEIR_CONSIGNMENTS = """
MATCH (e:Enterprise)-[:FILED {role: 'consignee'}]->(d:Declaration) WHERE e.id IN $ids AND d.importer_id = e.id
  AND d.consignment_id IS NOT NULL AND d.date <= $as_of
RETURN collect(DISTINCT d.consignment_id) AS consignments
"""

HS6_COUNTS = """
WITH d WHERE d.date <= $as_of AND d.hs6 IS NOT NULL
WITH d.hs6 AS hs6, count(*) AS n
WITH [hs6, n] AS row
"""

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


def read_aggregate(
    tx: neo4j.ManagedTransaction, scope: str, body: str, columns: tuple[str, ...], **params
) -> pd.DataFrame:
    """``scope`` (which declarations) then ``body`` (an aggregation into ``row``), fetched a page at a time."""
    query = scope + body + _PAGED
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


def peer_parts(tx: neo4j.ManagedTransaction, params: dict, slice_rows: int, codes: list[str] | None = None):
    """Peer sums per (importer, HS6 code) (:func:`algorithms.peers.peer_stat_parts`) for the HS6 ``codes``
    (default: all), comparing one slice of codes at a time against the whole peer groups."""
    money = money_basis(tx.run(CURRENCIES, **params).single()["currencies"])
    counts = read_aggregate(tx, ALL_DECLARATIONS, HS6_COUNTS, ("hs6", "n"), **params)
    if codes is not None:
        counts = counts[counts["hs6"].isin(codes)]
    parts = []
    for chunk in _slices(counts, slice_rows):
        rows = tx.run(PEER_ROWS, codes=chunk, **params).single()["rows"]
        frame = pd.DataFrame.from_records(rows, columns=list(PEER_COLUMNS))
        for column in ("value", "net_mass", "quantity", "tax_rate"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        parts.append(peer_stat_parts(unit_value_anomalies(frame, money=money), hs6=frame["hs6"]))
    if not parts:
        return pd.DataFrame(
            columns=["compared", "below", "short", "tax", "taxed"],
            index=pd.MultiIndex.from_tuples([], names=["importer_id", "hs6"]),
        )
    return pd.concat(parts)


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

    params = window_params(as_of, window_days, history_days)

    def work(tx: neo4j.ManagedTransaction) -> dict:
        read = read_activity(tx, ALL_DECLARATIONS, ALL_DECLARATIONS, params)
        read["peer_parts"] = peer_parts(tx, params, slice_rows)
        return read

    with reading_session(driver, database) as session:
        read = session.execute_read(work)

    importers = read["importers"]
    links = read_pages(driver, database, OWN_LINKS, LINK_COLUMNS)
    links["kind"] = links["kind"].astype(str)
    enterprises = read_pages(driver, database, ENTERPRISES, ENTERPRISE_COLUMNS)
    keep = set(importers["id"]) | set(links["enterprise"])
    enterprises = enterprises[enterprises["id"].isin(keep)].reset_index(drop=True)
    enterprises["registered"] = _dates(enterprises["registered"])

    violators = set(importers.loc[importers["violated"] == 1, "id"].astype(str))
    cases = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
    violators |= set(cases["id"].dropna().astype(str))

    return AnalysisInputs(
        enterprises=enterprises,
        links=links,
        activity=activity_of(read, as_of, window_days, history_days),
        peer_stats=combine_peer_parts([read["peer_parts"]]),
        known_violators=violators,
        peer_parts=read["peer_parts"],
    )


def window_params(as_of: pd.Timestamp, window_days: int, history_days: int) -> dict:
    window_start = as_of - pd.Timedelta(days=window_days)
    return {
        "as_of": as_of.date(),
        "window_start": window_start.date(),
        "history_start": (window_start - pd.Timedelta(days=history_days)).date(),
    }


def reading_session(driver: neo4j.Driver, database: str) -> neo4j.Session:
    # fetch_size=1: each record is a page of rows; the driver must not buffer them all.
    return driver.session(database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=1)


def read_activity(tx: neo4j.ManagedTransaction, scope: str, consignment_scope: str, params: dict) -> dict:
    """The raw activity tables of the declarations in ``scope``; shared consignments from ``consignment_scope``."""
    return {
        "importers": read_aggregate(tx, scope, IMPORTERS, (*IMPORTER_COLUMNS, "violated"), **params),
        "usage": read_aggregate(tx, scope, USAGE, USAGE_COLUMNS, **params),
        "consignments": read_aggregate(tx, consignment_scope, SHARED_CONSIGNMENTS, CONSIGNMENT_COLUMNS, **params),
        "violations": read_aggregate(tx, scope, VIOLATIONS, VIOLATION_COLUMNS, **params),
    }


def activity_of(read: dict, as_of: pd.Timestamp, window_days: int, history_days: int) -> Activity:
    """An :class:`Activity` from :func:`read_activity`'s tables (importers with nothing by ``as_of`` left out)."""
    importers = read["importers"]
    dated = importers[importers["n"] > 0].drop(columns="violated").reset_index(drop=True)
    dated["first_history"] = _dates(dated["first_history"])
    consignments = read["consignments"]
    consignments["date"] = _dates(consignments["date"])
    return Activity(
        importers=dated,
        usage=read["usage"],
        violations=read["violations"],
        consignments=consignments,
        as_of=as_of,
        window_days=window_days,
        history_days=history_days,
    )
