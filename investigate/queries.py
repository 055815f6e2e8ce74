"""Reading analysis results back from the graph: ranked networks and one enterprise's view."""

from __future__ import annotations

import json

import neo4j

from graph.jurisdiction import Scope, unlimited
from graph.model import schema
from graph.runs import ASSESSMENT, RESULT_FIELDS, shown, shown_run
from graph.scope import NETWORK, in_jurisdiction

__all__ = ["top_networks", "network_count", "enterprise_view"]

for _label in ("Enterprise", "Network", "Address", "Phone", "Person", "AnalysisRun"):
    schema().node(_label)
for _label in ("Declaration", "CustomsOffice"):
    schema().node(_label)
for _rel in ("MEMBER_OF", "HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "FILED", "LODGED_AT"):
    schema().relationship(_rel)

NETWORK_COUNT = f"MATCH (n:Network) WHERE {shown('n')} RETURN count(n) AS n"

TOP_NETWORKS = f"""
MATCH (n:Network)
WHERE {shown("n")} AND ($kind IS NULL OR n.kind = $kind) AND ($min_score IS NULL OR n.score >= $min_score)
  AND {in_jurisdiction(NETWORK, "n")}
WITH n ORDER BY n.score DESC, n.id LIMIT $top
MATCH (e:Enterprise)-[:MEMBER_OF]->(n)
WITH n, e ORDER BY e.id
RETURN n.id AS id, n.score AS score, n.kind AS kind, n.routing AS routing, n.value_at_stake AS value_at_stake,
       collect(e.id) AS members, n.reasons AS reasons
ORDER BY score DESC, id
"""

ENTERPRISE = f"""
MATCH (e:Enterprise {{id: $id}})
{ASSESSMENT}
OPTIONAL MATCH (e)-[:MEMBER_OF]->(n:Network) WHERE {shown("n")}
RETURN e {{.id, .name, .category, .country, {RESULT_FIELDS}, registered: toString(e.registered),
          analysed_at: CASE WHEN a IS NULL THEN null ELSE $analysed_at END}} AS enterprise,
       n {{.id, .score, .kind, .size}} AS network
"""

# Who shares an address, phone or legal representative with it (the identifiers themselves, not declarations).
_SHARED = "HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP"
LINKED = f"""
MATCH (e:Enterprise {{id: $id}})-[r:{_SHARED}]->(x)<-[:{_SHARED}]-(o)
WITH o, collect(DISTINCT type(r)) AS via
OPTIONAL MATCH (o)-[:ASSESSED]->(a:Assessment) WHERE {shown("a")}
WITH o, via, a.risk AS risk
RETURN o.id AS id, o.name AS name, risk, via
ORDER BY size(via) DESC, coalesce(risk, 0.0) DESC, id
LIMIT $limit
"""

_VIA = {"HAS_ADDRESS": "address", "HAS_PHONE": "phone", "HAS_LEGAL_REP": "legal_rep"}


def network_count(driver: neo4j.Driver, database: str) -> int:
    return driver.execute_query(NETWORK_COUNT, shown_run(driver, database), database_=database).records[0]["n"]


def top_networks(
    driver: neo4j.Driver,
    database: str,
    top: int,
    kind: str | None = None,
    scope: Scope | None = None,
    min_score: float | None = None,
    within: frozenset[str] | None = None,
) -> list[dict]:
    """The ``top`` highest-scoring networks (optionally of one kind, scoring at least ``min_score``, or with a
    member that lodged at one of the districts ``within``), members sorted, reasons decoded.

    A limited ``scope`` gets the networks with a member it sees; the others read ``None`` in ``members``
    and are not named in the reasons.
    """
    scope = scope or unlimited(driver, database)
    districts = scope.districts
    if within is not None:
        districts = sorted(within if districts is None else within & set(districts))
    records = driver.execute_query(
        TOP_NETWORKS,
        **shown_run(driver, database),
        top=top,
        kind=kind,
        districts=districts,
        min_score=min_score,
        database_=database,
    ).records
    return [
        {
            **r.data(),
            "members": scope.ids(r["members"]),
            "reasons": scope.scrub_reasons(json.loads(r["reasons"] or "[]")),
        }
        for r in records
    ]


def enterprise_view(
    driver: neo4j.Driver, database: str, enterprise_id: str, linked_limit: int = 20, scope: Scope | None = None
) -> dict | None:
    """One enterprise's analysis results, its network and the firms it shares identifiers with; ``None`` if unknown.
    Linked firms outside ``scope`` are placeholders saying only how they are linked."""
    scope = scope or unlimited(driver, database)
    run = shown_run(driver, database)
    records = driver.execute_query(ENTERPRISE, run, id=enterprise_id, database_=database).records
    if not records:
        return None
    view = dict(records[0]["enterprise"])
    view["reasons"] = scope.scrub_reasons(json.loads(view["reasons"]) if view.get("reasons") else [])
    view["network"] = records[0]["network"]
    linked = driver.execute_query(LINKED, run, id=enterprise_id, limit=linked_limit, database_=database).records
    view["linked"] = scope.firms([{**r.data(), "via": sorted(_VIA[v] for v in r["via"])} for r in linked])
    return view
