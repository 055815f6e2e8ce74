"""Reading the four input frames of :func:`analysis.pipeline.analyze_frames` from Neo4j.

Each frame is read page by page, one read transaction per frame, every page returned as a single
record holding a list of rows (``collect``): per-record overhead in the driver made streaming one
record per row four times slower. Dates come back as ISO strings: parsing a column of strings is
far cheaper than converting a million ``neo4j.time.Date`` objects. Labels and relationship types are checked
against the declared schema when this module loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j
import pandas as pd

from analysis.seizures import seizure_violators
from graph.model import schema
from graph.paging import read_pages
from graph.scope import CONFIRMED_OUTCOMES

__all__ = ["AnalysisInput", "CONFIRMED_CASE_OUTCOMES", "read_analysis_input"]

#: a case concerning an enterprise makes it a known violator when its outcome is one of these (graph/scope.py)
CONFIRMED_CASE_OUTCOMES = CONFIRMED_OUTCOMES


# Every label and relationship type used below must be declared; a rename fails here, not at query time.
for _label in ("Enterprise", "Declaration", "Address", "Phone", "Person", "Case"):
    schema().node(_label)
for _rel in ("HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "CONCERNS", "FILED", "PROBABLY_SAME_FIRM"):
    schema().relationship(_rel)

ENTERPRISE_COLUMNS = ("id", "name", "category", "registered", "country")
_ENTERPRISE_ROWS = """
WITH e SKIP $skip LIMIT $limit
RETURN collect([e.id, e.name, e.category, toString(e.registered), e.country]) AS rows
"""
ENTERPRISES = "MATCH (e:Enterprise)" + _ENTERPRISE_ROWS
#: the enterprises among $ids
ENTERPRISES_OF = "MATCH (e:Enterprise) WHERE e.id IN $ids" + _ENTERPRISE_ROWS

DECLARATION_COLUMNS = (
    "id",
    "date",
    "importer_id",
    "declarant_id",
    "seller_id",
    "consignment_id",
    "route",
    "hs6",
    "origin",
    "value",
    "currency",
    "net_mass",
    "quantity",
    "tax_rate",
    "violation",
    "violation_type",
)

DECLARATIONS = """
MATCH (d:Declaration)
WITH d SKIP $skip LIMIT $limit
RETURN collect([d.id, toString(d.date), d.importer_id, d.declarant_id, d.seller_id, d.consignment_id, d.route,
                d.hs6, d.origin, d.value, d.currency, d.net_mass, d.quantity, d.tax_rate, d.violation,
                d.violation_type]) AS rows
"""

LINK_COLUMNS = ("enterprise", "kind", "target")
_LINK_ROWS = """
WITH enterprise, kind, target SKIP $skip LIMIT $limit
RETURN collect([enterprise, kind, target]) AS rows
"""


def _own_identifiers(where: str) -> str:
    """The identifiers enterprises hold from their own records, one row per relationship."""
    where = f" {where}" if where else ""
    return f"""
  MATCH (e:Enterprise)-[:HAS_ADDRESS]->(a:Address){where}
  RETURN e.id AS enterprise, 'address' AS kind, a.key AS target
  UNION ALL
  MATCH (e:Enterprise)-[:HAS_PHONE]->(p:Phone){where}
  RETURN e.id AS enterprise, 'phone' AS kind, p.number AS target
  UNION ALL
  MATCH (e:Enterprise)-[:HAS_LEGAL_REP]->(p:Person){where}
  RETURN e.id AS enterprise, 'legal_rep' AS kind, p.id AS target"""


# A probable-same-firm link is an identifier the two firms share (rejected ones are not).
_SAME_FIRM = """
  MATCH (a:Enterprise)-[r:PROBABLY_SAME_FIRM]->(b:Enterprise) WHERE r.status <> 'rejected'
  UNWIND [a.id, b.id] AS enterprise
  RETURN enterprise, CASE r.status WHEN 'confirmed' THEN 'same_firm' ELSE 'probable_same_firm' END AS kind,
         a.id + '|' + b.id AS target"""

#: every shared-identifier link of the enterprises: own identifiers and probable same firms
LINKS = f"CALL () {{{_own_identifiers('')}\n  UNION ALL{_SAME_FIRM}\n}}" + _LINK_ROWS
#: the own identifiers of every enterprise
OWN_LINKS = f"CALL () {{{_own_identifiers('')}\n}}" + _LINK_ROWS
#: the own identifiers of the enterprises among $ids
OWN_LINKS_OF = f"CALL () {{{_own_identifiers('WHERE e.id IN $ids')}\n}}" + _LINK_ROWS
#: the probable-same-firm links, as identifiers their two firms share
SAME_FIRM_LINKS = f"CALL () {{{_SAME_FIRM}\n}}" + _LINK_ROWS
#: what Neo4j counts of enterprises and their own identifiers without reading them (its count store)
IDENTITY_COUNTS = """
CALL () { MATCH (e:Enterprise) RETURN count(e) AS enterprises }
CALL () { MATCH (:Enterprise)-[r:HAS_ADDRESS]->() RETURN count(r) AS address }
CALL () { MATCH (:Enterprise)-[r:HAS_PHONE]->() RETURN count(r) AS phone }
CALL () { MATCH (:Enterprise)-[r:HAS_LEGAL_REP]->() RETURN count(r) AS legal_rep }
RETURN enterprises, address, phone, legal_rep
"""

# A case may concern the enterprise itself or one of its declarations (then its importer).
CASE_VIOLATORS = """
MATCH (c:Case)-[:CONCERNS]->(x)
WHERE toLower(c.outcome) IN $outcomes
WITH DISTINCT CASE WHEN x:Enterprise THEN x.id ELSE x.importer_id END AS id
SKIP $skip LIMIT $limit
RETURN collect([id]) AS rows
"""


@dataclass
class AnalysisInput:
    """What the analysis reads from the graph, ready for ``analyze_frames``."""

    enterprises: pd.DataFrame
    declarations: pd.DataFrame
    links: pd.DataFrame
    known_violators: set[str]
    as_of: pd.Timestamp | None

    @property
    def counts(self) -> dict[str, int]:
        return {
            "enterprises": len(self.enterprises),
            "declarations": len(self.declarations),
            "links": len(self.links),
            "known_violators": len(self.known_violators),
        }


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


def read_analysis_input(
    driver: neo4j.Driver, database: str, as_of=None, declarations: pd.DataFrame | None = None
) -> AnalysisInput:
    """Read enterprises, declarations, shared-identifier links and known violators.

    A ``PROBABLY_SAME_FIRM`` link counts as an identifier its two firms share: kind ``same_firm`` once
    confirmed, ``probable_same_firm`` while a candidate, left out once rejected.

    Only enterprises that import or hold an address, phone or representative are kept: overseas
    sellers and brokers enter the analysis as shared intermediaries, not as vertices.
    Known violators are importers with a past violation found on a declaration plus enterprises
    concerned by a case whose outcome is in :data:`CONFIRMED_CASE_OUTCOMES`, and those of seizures
    (:mod:`analysis.seizures`).
    ``as_of`` defaults to the date of the latest declaration. ``declarations`` (:data:`DECLARATION_COLUMNS`,
    dates parsed), when the caller holds them already, are used instead of reading them from the graph.
    """
    if declarations is None:
        declarations = read_pages(driver, database, DECLARATIONS, DECLARATION_COLUMNS)
        declarations["date"] = _dates(declarations["date"])
    declarations = declarations[list(DECLARATION_COLUMNS)].copy()
    for column in ("value", "net_mass", "quantity", "tax_rate", "violation"):
        declarations[column] = pd.to_numeric(declarations[column], errors="coerce")

    links = read_pages(driver, database, LINKS, LINK_COLUMNS)
    enterprises = read_pages(driver, database, ENTERPRISES, ENTERPRISE_COLUMNS)
    keep = set(declarations["importer_id"].dropna()) | set(links["enterprise"])
    enterprises = enterprises[enterprises["id"].isin(keep)].reset_index(drop=True)
    enterprises["registered"] = _dates(enterprises["registered"])

    violators = set(declarations.loc[declarations["violation"] == 1, "importer_id"].dropna().astype(str))
    cases = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
    violators |= set(cases["id"].dropna().astype(str))
    violators |= set(seizure_violators(driver, database)["id"].astype(str))

    if as_of is None and declarations["date"].notna().any():
        as_of = declarations["date"].max()
    return AnalysisInput(
        enterprises, declarations, links, violators, pd.Timestamp(as_of) if as_of is not None else None
    )
