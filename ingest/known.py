"""What the graph already holds of a batch, read in the batch's transaction before it writes.

A later load mostly names entities the graph has: a day at 1M repeated 7,042 of its 7,101 enterprises, nearly all
its addresses, phones, representatives and routes. Merging those again cost more than creating the day's
declarations (locking seeks, an eager read/set barrier per enterprise property, an expansion per link), so one read
finds them and only rows that would change something are sent to the merges. The merges keep their own checks:
this read only leaves out rows that are surely no-ops, and a concurrent writer is still serialised by them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import neo4j

from graph.model import schema

__all__ = ["Known", "known", "unknown_rows"]

for _label in ("Declaration", "Enterprise", "Country", "Port", "Route", "Commodity"):
    schema().node(_label)
for _rel in ("HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "LOCATED_IN", "FROM", "TO"):
    schema().relationship(_rel)

KNOWN = """
CALL () {
  UNWIND $ids AS id
  MATCH (d:Declaration {id: id})
  RETURN collect(id) AS declarations
}
CALL () {
  UNWIND $enterprises AS id
  MATCH (e:Enterprise {id: id})
  RETURN collect({id: id, name: e.name, name_norm: e.name_norm, category: e.category, country: e.country,
                  registered: toString(e.registered)}) AS enterprises
}
CALL () {
  UNWIND $linked AS id
  MATCH (e:Enterprise {id: id})
  RETURN collect([id, [(e)-[r:HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP]->(x) |
    [type(r), CASE type(r) WHEN 'HAS_ADDRESS' THEN x.key WHEN 'HAS_PHONE' THEN x.number ELSE x.id END]]]) AS links
}
CALL () {
  UNWIND $countries AS code
  MATCH (c:Country {code: code})
  RETURN collect(code) AS countries
}
CALL () {
  UNWIND $ports AS code
  MATCH (p:Port {code: code})-[:LOCATED_IN]->(c:Country)
  WHERE c.code = p.country
  RETURN collect({code: code, country: p.country}) AS ports
}
CALL () {
  UNWIND $routes AS id
  MATCH (r:Route {id: id})
  WHERE EXISTS { (r)-[:FROM]->() } AND EXISTS { (r)-[:TO]->() }
  RETURN collect(id) AS routes
}
CALL () {
  UNWIND $commodities AS code
  MATCH (k:Commodity {code: code})
  RETURN collect({code: code, hs6: k.hs6, chapter: k.chapter}) AS commodities
}
RETURN declarations, enterprises, links, countries, ports, routes, commodities
"""

#: entity list → the key its rows give the linked node by, and the enterprise's relationship to that node
_LINKS = {"addresses": ("key", "HAS_ADDRESS"), "phones": ("number", "HAS_PHONE"), "legal_reps": ("id", "HAS_LEGAL_REP")}


@dataclass
class Known:
    """The batch's declarations and entities the graph holds, keyed as the batch's rows are."""

    declarations: set[str] = field(default_factory=set)
    enterprises: dict[str, dict] = field(default_factory=dict)
    links: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # enterprise → {(relationship, key)}
    countries: set[str] = field(default_factory=set)
    ports: dict[str, str] = field(default_factory=dict)  # code → country
    routes: set[str] = field(default_factory=set)
    commodities: dict[str, dict] = field(default_factory=dict)


def known(tx: neo4j.ManagedTransaction, ids: list[str], entities: dict[str, list[dict]]) -> Known:
    linked = sorted({row["enterprise"] for name in _LINKS for row in entities[name]})
    record = tx.run(
        KNOWN,
        ids=ids,
        enterprises=[row["id"] for row in entities["enterprises"]],
        linked=linked,
        countries=[row["code"] for row in entities["countries"]],
        ports=[row["code"] for row in entities["ports"]],
        routes=[row["id"] for row in entities["routes"]],
        commodities=[row["code"] for row in entities["commodities"]],
    ).single()
    return Known(
        declarations=set(record["declarations"]),
        enterprises={e["id"]: e for e in record["enterprises"]},
        links={id: {(kind, key) for kind, key in links} for id, links in record["links"]},
        countries=set(record["countries"]),
        ports={p["code"]: p["country"] for p in record["ports"]},
        routes=set(record["routes"]),
        commodities={k["code"]: k for k in record["commodities"]},
    )


def _same(row: dict, held: dict | None) -> bool:
    """Whether merging ``row`` would change nothing: the node exists and holds every value the row brings (a null
    in a row never erases)."""
    return held is not None and all(v is None or held.get(k) == v for k, v in row.items())


def _changes(name: str, row: dict, graph: Known) -> bool:
    if name == "enterprises":
        return not _same(row, graph.enterprises.get(row["id"]))
    if name in _LINKS:
        key, relationship = _LINKS[name]
        return (relationship, row[key]) not in graph.links.get(row["enterprise"], ())
    if name == "countries":
        return row["code"] not in graph.countries
    if name == "ports":
        return graph.ports.get(row["code"]) != row["country"]
    if name == "routes":
        return row["id"] not in graph.routes
    if name == "commodities":
        return not _same(row, graph.commodities.get(row["code"]))
    return True


def unknown_rows(entities: dict[str, list[dict]], graph: Known) -> dict[str, list[dict]]:
    """Of each entity list, the rows that would create or change something in the graph."""
    return {name: [row for row in rows if _changes(name, row, graph)] for name, rows in entities.items()}
