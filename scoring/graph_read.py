"""Reading what the risk engine learns from: declarations with their outcomes, and enterprises.

Read in pages, one read transaction per frame, each page one record holding a list of rows
(``graph.paging``). Mapped extra columns (``feature_*`` properties)
come back as a map per declaration, so the model learns from whatever a mapping added.
Enterprise network properties (``risk``, ``community``, ...) are the ones ``riskgraph analyze``
writes back; they are null until it has run.
"""

from __future__ import annotations

from datetime import UTC, datetime

import neo4j
import pandas as pd
import pyarrow as pa

from analysis.graph_io import LINK_COLUMNS, LINKS  # the analysis's shared-identifier links, read the same way
from analysis.seizures import seizure_violators
from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore
from columnar.sync import sync_store
from columnar.views import quoted
from graph.model import schema
from graph.paging import read_pages
from graph.runs import ASSESSMENT, shown
from graph.scope import CONFIRMED_OUTCOMES
from scoring.links import LinkIndex, build_link_index, party_links

__all__ = [
    "DECLARATION_COLUMNS",
    "ENTERPRISE_COLUMNS",
    "read_declarations",
    "stored_declarations",
    "read_enterprises",
    "read_link_index",
    "reading_started",
]

for _label in ("Declaration", "Enterprise", "Case", "Network"):
    schema().node(_label)
schema().relationship("CONCERNS")

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
    "consignment_id",
    "inspected",
    "violation",
    "violation_type",
    "revenue_recovered",
)

ENTERPRISE_COLUMNS = (
    "id",
    "category",
    "registered",
    "risk",
    "community",
    "community_size",
    "degree",
    "pagerank",
    "network_id",
    "name_norm",
)
ENTERPRISES = f"""
MATCH (e:Enterprise)
WITH e SKIP $skip LIMIT $limit
{ASSESSMENT}
RETURN collect([e.id, e.category, toString(e.registered), a.risk, a.community, a.community_size, a.degree,
                a.pagerank, a.network_id, e.name_norm]) AS rows
"""

CONFIRMED_CASE_COLUMNS = ("enterprise", "case_id", "closed")
# A case may concern the enterprise itself or one of its declarations (then its importer), as in the analysis.
CONFIRMED_CASES = """
MATCH (c:Case)-[:CONCERNS]->(x)
WHERE toLower(c.outcome) IN $outcomes
WITH c, CASE WHEN x:Enterprise THEN x.id ELSE x.importer_id END AS enterprise
SKIP $skip LIMIT $limit
RETURN collect([enterprise, c.id, toString(date(c.closed))]) AS rows
"""

NETWORK_COLUMNS = ("id", "kind", "score")
NETWORKS = f"""
MATCH (n:Network) WHERE {shown("n")}
WITH n SKIP $skip LIMIT $limit
RETURN collect([n.id, n.kind, n.score]) AS rows
"""


def read_declarations(driver: neo4j.Driver, database: str, store: DeclarationStore) -> pd.DataFrame:
    """Every declaration, oldest first, from the columnar copy, checked against the graph first
    (:func:`stored_declarations`)."""
    sync_store(driver, database, store)
    return stored_declarations(store)


def stored_declarations(store: DeclarationStore) -> pd.DataFrame:
    """Every declaration of the columnar copy, oldest first: mapped ``feature_*`` columns as they were loaded;
    outcomes as 0/1 (0 when absent; without an inspection field, a declaration carrying a violation flag counts
    as inspected), as :data:`scoring.history.HISTORY_COUNTS` reads them too."""
    with DuckDBDeclarations(store) as engine:
        present = engine.columns()
        features = [n for n in present if n.startswith("feature_")]
        selection = [c for c in ("random_selected",) if c in present]  # decisions logged back (feedback)
        columns = ", ".join(quoted(c) for c in (*DECLARATION_COLUMNS, *selection, *features))
        table = engine.arrow(f"SELECT {columns} FROM declarations")
    frame = table.to_pandas(date_as_object=False, types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    del table
    frame = frame.drop(columns=[c for c in features if frame[c].isna().all()])  # none loaded with a value
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce").astype("datetime64[us]")
    for column in ("value", "quantity", "net_mass", "tax_rate", "revenue_recovered"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    flag = pd.to_numeric(frame["violation"], errors="coerce")
    # a fraud flag as the only outcome (no inspection field): a declaration with a flag was examined
    inspected = pd.to_numeric(frame["inspected"], errors="coerce").fillna(flag.notna().astype(int))
    frame["inspected"] = inspected.astype(int)
    frame["violation"] = (flag.fillna(0) == 1).astype(int)
    frame["violation"] *= frame["inspected"]
    frame = frame[frame["date"].notna()]
    return frame.sort_values(["date", "id"], kind="stable").reset_index(drop=True)


def read_enterprises(driver: neo4j.Driver, database: str, run: dict) -> pd.DataFrame:
    """The enterprises with the results of ``run`` (:func:`graph.runs.shown_run`, read once by the caller, so
    the networks of :func:`read_link_index` come from the same run)."""
    frame = read_pages(driver, database, ENTERPRISES, ENTERPRISE_COLUMNS, **run)
    frame["registered"] = pd.to_datetime(frame["registered"], format="%Y-%m-%d", errors="coerce")
    for column in ("risk", "community", "community_size", "degree", "pagerank", "network_id"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def reading_started() -> str:
    """Now, as the time a snapshot's graph read began: violators recorded later are applied on top of it."""
    return datetime.now(UTC).isoformat()


def read_link_index(
    driver: neo4j.Driver,
    database: str,
    declarations: pd.DataFrame,
    enterprises: pd.DataFrame,
    read_at: str,
    run: dict,
) -> LinkIndex:
    """The identifier index of the scoring snapshot (``scoring.links``) from the graph and the frames read above.

    Identifiers per importer: its address, phone and legal representative (as ingest linked them), its
    normalised name, and from its declarations the sellers (by id and by name), brokers and consignments.
    Known violators: importers with a violation found on a declaration (dated), enterprises concerned by
    a confirmed case and those of a seizure (``analysis.seizures``; the record's id stands for the case).
    Data without party fields gives an index without those kinds (possibly empty).
    ``read_at`` is when reading the graph began (see :func:`reading_started`); ``run`` the run the
    enterprises were read with.
    """
    identifiers = read_pages(driver, database, LINKS, LINK_COLUMNS).rename(columns={"target": "key"})
    cases = read_pages(driver, database, CONFIRMED_CASES, CONFIRMED_CASE_COLUMNS, outcomes=list(CONFIRMED_OUTCOMES))
    seized = seizure_violators(driver, database).set_axis(list(CONFIRMED_CASE_COLUMNS), axis=1)
    cases = pd.concat([cases, seized], ignore_index=True) if len(seized) else cases
    networks = read_pages(driver, database, NETWORKS, NETWORK_COLUMNS, **run)
    names = enterprises.set_index("id")["name_norm"].dropna()
    links = party_links(identifiers, declarations, names)
    violations = declarations.loc[declarations["violation"] == 1, ["importer_id", "date"]]
    as_of = declarations["date"].max() if len(declarations) else pd.Timestamp.now()
    return build_link_index(
        links,
        enterprises,
        violations,
        cases,
        networks.itertuples(index=False, name=None),
        as_of=pd.Timestamp(as_of).date(),
        read_at=read_at,
    )
