"""Reading what the analysis needs from Neo4j, folded to enterprise size as it streams.

Every declaration is read once, a narrow projection of the columns the analysis uses, in pages of whole
HS6 codes (:data:`PAGE_ROWS` declarations or so, found through the ``hs6`` index; a page is one record
holding its rows, far cheaper in the driver than a record per row). Each page is folded into the per-importer
activity counts (:class:`algorithms.activity.ActivityFold`) and, since a peer group never crosses an HS6 code,
compared with its peers there and then, keeping only per-(importer, HS6 code) sums
(:func:`algorithms.peers.peer_stat_parts`). The Python process therefore holds enterprise-sized tables, one
page, and the uses of consignment ids (an Arrow string and two integers each) until the shared ones are known.

Aggregating in Cypher instead was measured about four times slower on Neo4j Community than streaming the
rows and folding them here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pandas as pd

from algorithms.activity import FOLD_COLUMNS, HISTORY_DAYS, ActivityFold
from algorithms.peers import combine_peer_parts, peer_stat_parts, unit_value_anomalies
from analysis.graph_io import CASE_VIOLATORS, CONFIRMED_CASE_OUTCOMES, ENTERPRISE_COLUMNS, ENTERPRISES, LINK_COLUMNS
from analysis.graph_io import LINKS as OWN_LINKS
from analysis.peer_rows import PeerRowWriter
from analysis.pipeline import AnalysisInputs
from graph.currency import Money, money_basis
from graph.model import schema
from graph.paging import read_pages

__all__ = [
    "PAGE_ROWS",
    "PAGE_COLUMNS",
    "latest_declaration_date",
    "read_analysis_inputs",
    "fold_pages",
    "peer_sums",
    "code_pages",
    "importer_pages",
    "analysis_currencies",
    "day_pages",
    "reading_session",
]

for _label in ("Declaration", "Enterprise"):
    schema().node(_label)
schema().relationship("FILED")

#: declarations per page (a single larger HS6 code is one page)
PAGE_ROWS = 100_000

LATEST_DATE = "MATCH (d:Declaration) RETURN toString(max(d.date)) AS as_of"

#: what a page holds per declaration: the activity columns, then what the peer comparison needs
PEER_COLUMNS = ("origin", "value", "currency", "net_mass", "quantity", "tax_rate")
PAGE_COLUMNS = (*FOLD_COLUMNS, *PEER_COLUMNS)
_ROW = (
    "[d.importer_id, toString(d.date), d.declarant_id, d.seller_id, d.consignment_id, d.route, d.hs6, d.violation,"
    " d.violation_type, d.origin, d.value, d.currency, d.net_mass, d.quantity, d.tax_rate]"
)
_NUMBERS = ("value", "net_mass", "quantity", "tax_rate")

HS6_COUNTS = "MATCH (d:Declaration) WHERE d.hs6 IS NOT NULL RETURN d.hs6 AS hs6, count(*) AS n"
TOTAL = "MATCH (d:Declaration) RETURN count(d) AS n"
BY_CODES = f"MATCH (d:Declaration) WHERE d.hs6 IN $codes RETURN collect({_ROW}) AS rows"
WITHOUT_CODE = f"MATCH (d:Declaration) WHERE d.hs6 IS NULL RETURN collect({_ROW}) AS rows"
# the declarations the importers in $ids filed as consignee (through their FILED links)
BY_IMPORTERS = f"""
MATCH (e:Enterprise)-[:FILED {{role: 'consignee'}}]->(d:Declaration) WHERE e.id IN $ids AND d.importer_id = e.id
RETURN collect({_ROW}) AS rows
"""
FROM_LOADS = f"MATCH (d:Declaration) WHERE d.load IN $loads RETURN collect({_ROW}) AS rows"
UNLOADED = f"MATCH (d:Declaration) WHERE d.load IS NULL RETURN collect({_ROW}) AS rows"
CURRENCIES = """
MATCH (d:Declaration) WHERE d.date <= $as_of AND d.currency IS NOT NULL
RETURN collect(DISTINCT d.currency) AS currencies
"""


def latest_declaration_date(driver: neo4j.Driver, database: str) -> pd.Timestamp | None:
    """The date of the newest declaration, or None when there is none."""
    value = driver.execute_query(LATEST_DATE, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    return pd.Timestamp(value["as_of"]) if value["as_of"] else None


def reading_session(driver: neo4j.Driver, database: str) -> neo4j.Session:
    return driver.session(database=database, default_access_mode=neo4j.READ_ACCESS)


def analysis_currencies(tx: neo4j.ManagedTransaction, as_of: pd.Timestamp) -> list[str]:
    """The currencies of the declarations up to ``as_of`` (their :func:`graph.currency.money_basis` is the unit)."""
    return sorted(tx.run(CURRENCIES, as_of=as_of.date()).single()["currencies"])


def _page(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(PAGE_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    for column in _NUMBERS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


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


def code_pages(
    tx: neo4j.ManagedTransaction, page_rows: int = PAGE_ROWS, codes: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The declarations of the HS6 ``codes`` (default: every declaration), a page of whole codes at a time."""
    counts = pd.DataFrame([r.values() for r in tx.run(HS6_COUNTS)], columns=["hs6", "n"])
    if codes is not None:
        counts = counts[counts["hs6"].isin(set(codes))]
    for chunk in _slices(counts, page_rows):
        yield _page(tx.run(BY_CODES, codes=chunk).single()["rows"])
    if codes is None and counts["n"].sum() < tx.run(TOTAL).single()["n"]:
        yield _page(tx.run(WITHOUT_CODE).single()["rows"])


def day_pages(tx: neo4j.ManagedTransaction, loads: list[str]) -> Iterator[pd.DataFrame]:
    """The declarations of the loads ``loads`` (``""``: those written without a load)."""
    yield _page(tx.run(FROM_LOADS, loads=loads).single()["rows"])
    if "" in loads:
        yield _page(tx.run(UNLOADED).single()["rows"])


def importer_pages(tx: neo4j.ManagedTransaction, ids: list[str], per_page: int = 2_000) -> Iterator[pd.DataFrame]:
    """The declarations the importers ``ids`` filed, ``per_page`` importers at a time."""
    for start in range(0, len(ids), per_page):
        yield _page(tx.run(BY_IMPORTERS, ids=ids[start : start + per_page]).single()["rows"])


def fold_pages(
    pages: Iterator[pd.DataFrame],
    as_of: pd.Timestamp,
    *,
    fold: ActivityFold | None = None,
    money: Money | None = None,
    rows: PeerRowWriter | None = None,
) -> pd.DataFrame | None:
    """Fold each page into ``fold``, with ``money`` compare it with its peers (pages of whole HS6 codes), and
    write its peer columns to ``rows``; returns the peer sums per (importer, HS6 code), or None without ``money``."""
    parts = []
    for page in pages:
        if fold is not None:
            fold.add(page)
        dated = page[page["date"] <= as_of]
        if rows is not None:
            rows.write(dated)
        if money is not None:
            parts.append(peer_sums(dated, money))
    if money is None:
        return None
    return pd.concat(parts) if parts else peer_sums(pd.DataFrame(columns=list(PAGE_COLUMNS)), money)


def peer_sums(declarations: pd.DataFrame, money: Money) -> pd.DataFrame:
    """:func:`algorithms.peers.peer_stat_parts` per (importer, HS6 code) of declarations holding whole HS6 codes."""
    if declarations.empty:
        return pd.DataFrame(
            columns=["compared", "below", "short", "tax", "taxed"],
            index=pd.MultiIndex.from_tuples([], names=["importer_id", "hs6"]),
        )
    compared = unit_value_anomalies(declarations.assign(id=None), money=money)
    return peer_stat_parts(compared, hs6=declarations["hs6"])


def read_analysis_inputs(
    driver: neo4j.Driver,
    database: str,
    as_of=None,
    *,
    window_days: int = 90,
    history_days: int = HISTORY_DAYS,
    page_rows: int = PAGE_ROWS,
    peer_rows: Path | None = None,
) -> AnalysisInputs | None:
    """The analysis inputs, every declaration read once and folded; None when the graph holds no declaration.

    The same enterprises, links and known violators as :func:`analysis.graph_io.read_analysis_input`;
    ``as_of`` defaults to the date of the latest declaration. With ``peer_rows`` (a folder), the declarations'
    peer columns are written there too (:mod:`analysis.peer_rows`), for the incremental runs that follow.
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else latest_declaration_date(driver, database)
    if as_of is None:
        return None
    fold = ActivityFold(as_of, window_days=window_days, history_days=history_days)

    writer = PeerRowWriter(peer_rows) if peer_rows is not None else None
    currencies: list[str] = []

    def work(tx: neo4j.ManagedTransaction) -> pd.DataFrame:
        currencies[:] = analysis_currencies(tx, as_of)
        return fold_pages(code_pages(tx, page_rows), as_of, fold=fold, money=money_basis(currencies), rows=writer)

    with reading_session(driver, database) as session:
        parts = session.execute_read(work)
    if writer is not None:
        writer.close()

    links = read_pages(driver, database, OWN_LINKS, LINK_COLUMNS)
    links["kind"] = links["kind"].astype(str)
    enterprises = read_pages(driver, database, ENTERPRISES, ENTERPRISE_COLUMNS)
    keep = fold.importer_ids | set(links["enterprise"])
    enterprises = enterprises[enterprises["id"].isin(keep)].reset_index(drop=True)
    enterprises["registered"] = pd.to_datetime(enterprises["registered"], format="%Y-%m-%d", errors="coerce")

    cases = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
    return AnalysisInputs(
        enterprises=enterprises,
        links=links,
        activity=fold.activity(),
        peer_stats=combine_peer_parts([parts]),
        known_violators=fold.violated | set(cases["id"].dropna().astype(str)),
        peer_parts=parts,
        peer_rows=peer_rows,
        currencies=currencies,
    )
