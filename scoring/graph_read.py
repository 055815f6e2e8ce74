"""Reading what the risk engine learns from: declarations with their outcomes, and enterprises.

Read in pages, one read transaction per frame, each page one record holding a list of rows
(``graph.paging``). Mapped extra columns (``feature_*`` properties)
come back as a map per declaration, so the model learns from whatever a mapping added.
Enterprise network properties (``risk``, ``community``, ...) are the ones ``riskgraph analyze``
writes back; they are null until it has run.
"""

from __future__ import annotations

import neo4j
import pandas as pd

from graph.model import schema
from graph.paging import read_pages

__all__ = ["DECLARATION_COLUMNS", "ENTERPRISE_COLUMNS", "read_declarations", "read_enterprises"]

for _label in ("Declaration", "Enterprise"):
    schema().node(_label)

DECLARATION_COLUMNS = (
    "id",
    "date",
    "office",
    "trade_mode",
    "transport_mode",
    "importer_id",
    "seller_id",
    "declarant_id",
    "carrier_id",
    "hs_code",
    "hs6",
    "origin",
    "departure",
    "route",
    "value",
    "currency",
    "quantity",
    "net_mass",
    "tax_rate",
    "licence_ids",
    "inspected",
    "violation",
    "revenue_recovered",
    "features",
)
DECLARATIONS = """
MATCH (d:Declaration)
WITH d SKIP $skip LIMIT $limit
RETURN collect([d.id, toString(d.date), d.office, d.trade_mode, d.transport_mode, d.importer_id, d.seller_id,
                d.declarant_id, d.carrier_id, d.hs_code, d.hs6, d.origin, d.departure, d.route, d.value, d.currency,
                d.quantity, d.net_mass, d.tax_rate, d.licence_ids, d.inspected, d.violation, d.revenue_recovered,
                [k IN keys(d) WHERE k STARTS WITH 'feature_' | [k, toString(d[k])]]]) AS rows
"""

ENTERPRISE_COLUMNS = ("id", "category", "registered", "risk", "community", "community_size", "degree", "pagerank")
ENTERPRISES = """
MATCH (e:Enterprise)
WITH e SKIP $skip LIMIT $limit
RETURN collect([e.id, e.category, toString(e.registered), e.risk, e.community, e.community_size, e.degree,
                e.pagerank]) AS rows
"""


def read_declarations(driver: neo4j.Driver, database: str) -> pd.DataFrame:
    """Every declaration, oldest first; ``feature_*`` properties as columns; outcomes as 0/1 (0 when absent;
    without an inspection field, a declaration carrying a violation flag counts as inspected)."""
    frame = read_pages(driver, database, DECLARATIONS, DECLARATION_COLUMNS)
    extras = pd.DataFrame.from_records([dict(pairs) for pairs in frame.pop("features")], index=frame.index)
    frame = pd.concat([frame, extras], axis=1)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    for column in ("value", "quantity", "net_mass", "tax_rate", "revenue_recovered"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    flag = pd.to_numeric(frame["violation"], errors="coerce")
    # a fraud flag as the only outcome (no inspection field): a declaration with a flag was examined
    inspected = pd.to_numeric(frame["inspected"], errors="coerce").fillna(flag.notna().astype(int))
    frame["inspected"] = inspected.astype(int)
    frame["violation"] = (flag.fillna(0) == 1).astype(int)
    frame["violation"] *= frame["inspected"]
    frame = frame[frame["date"].notna()]
    return frame.sort_values(["date", "id"], kind="stable").reset_index(drop=True)


def read_enterprises(driver: neo4j.Driver, database: str) -> pd.DataFrame:
    frame = read_pages(driver, database, ENTERPRISES, ENTERPRISE_COLUMNS)
    frame["registered"] = pd.to_datetime(frame["registered"], format="%Y-%m-%d", errors="coerce")
    for column in ("risk", "community", "community_size", "degree", "pagerank"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame
