"""Idempotent, batched writes of declarations and their entities into Neo4j.

Each batch is one managed write transaction (retried by the driver on transient errors):
entities are merged, declarations not yet in the graph are created together with all their
relationships, and existing ones only have their properties refreshed. Because a declaration
and its relationships commit together, a batch interrupted by a crash is simply written again
on the next run: nothing lost, nothing doubled.

Most of a later load's cost is Neo4j's, and about half of that is the commit (the new nodes, their eight
relationships, property records and index entries; a JFR profile of a day): new declarations go in one statement
that looks up each node they link to once per batch (an office, country or commodity is shared by thousands of
rows) and merges their consignments, an entity row equal to the one last written is not sent again, and one read
at the start of the transaction leaves out the entity rows the graph already holds (``ingest.known``).
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j

from graph.errors import RiskGraphError
from graph.model import schema
from ingest.batch import Batch
from ingest.known import known, unknown_rows

__all__ = ["GraphWriter", "IncompleteBatch", "WriteResult"]

# An enterprise is only written when a row brings a value it lacks or changes (a later load mostly repeats what the
# graph holds, and a write locks the node and logs the change); a null in a row never erases. Its country and its
# BASED_IN link are written together (here and by the bulk importer), so one already in the country has the link:
# only a country that changes is looked for among the links.
MERGE_ENTERPRISES = """
UNWIND $rows AS row
MERGE (e:Enterprise {id: row.id})
WITH e, row, e.country AS before, date(row.registered) AS registered
CALL (e, row, registered) {
  WITH e, row, registered
  WHERE (row.name IS NOT NULL AND (e.name IS NULL OR e.name <> row.name))
     OR (row.name_norm IS NOT NULL AND (e.name_norm IS NULL OR e.name_norm <> row.name_norm))
     OR (row.category IS NOT NULL AND (e.category IS NULL OR e.category <> row.category))
     OR (row.country IS NOT NULL AND (e.country IS NULL OR e.country <> row.country))
     OR (registered IS NOT NULL AND (e.registered IS NULL OR e.registered <> registered))
  SET e.name = coalesce(row.name, e.name), e.name_norm = coalesce(row.name_norm, e.name_norm),
      e.category = coalesce(row.category, e.category), e.country = coalesce(row.country, e.country),
      e.registered = coalesce(registered, e.registered)
}
WITH e, row, before WHERE row.country IS NOT NULL AND (before IS NULL OR before <> row.country)
MERGE (c:Country {code: row.country})
MERGE (e)-[:BASED_IN]->(c)
"""

MERGE_ADDRESSES = """
UNWIND $rows AS row
MATCH (e:Enterprise {id: row.enterprise})
MERGE (a:Address {key: row.key})
ON CREATE SET a.text = row.text
MERGE (e)-[:HAS_ADDRESS]->(a)
"""

MERGE_PHONES = """
UNWIND $rows AS row
MATCH (e:Enterprise {id: row.enterprise})
MERGE (p:Phone {number: row.number})
MERGE (e)-[:HAS_PHONE]->(p)
"""

MERGE_LEGAL_REPS = """
UNWIND $rows AS row
MATCH (e:Enterprise {id: row.enterprise})
MERGE (p:Person {id: row.id})
ON CREATE SET p.name = row.name
MERGE (e)-[:HAS_LEGAL_REP]->(p)
"""

MERGE_COUNTRIES = """
UNWIND $rows AS row
MERGE (:Country {code: row.code})
"""

MERGE_PORTS = """
UNWIND $rows AS row
MERGE (p:Port {code: row.code})
SET p.country = row.country
MERGE (c:Country {code: row.country})
MERGE (p)-[:LOCATED_IN]->(c)
"""

MERGE_ROUTES = """
UNWIND $rows AS row
MERGE (r:Route {id: row.id})
ON CREATE SET r.transit_count = size(row.via)
WITH r, row
MATCH (a:Port {code: row.from}), (b:Port {code: row.to})
MERGE (r)-[:FROM]->(a)
MERGE (r)-[:TO]->(b)
WITH r, row
UNWIND range(0, size(row.via) - 1) AS i
MATCH (v:Port {code: row.via[i]})
MERGE (r)-[:VIA {order: i + 1}]->(v)
"""

MERGE_COMMODITIES = """
UNWIND $rows AS row
MERGE (k:Commodity {code: row.code})
SET k.hs6 = row.hs6, k.chapter = row.chapter
"""

MERGE_CONSIGNMENTS = """
UNWIND $rows AS row
MERGE (c:Consignment {id: row.id})
WITH c, row WHERE row.route IS NOT NULL
MATCH (r:Route {id: row.route})
MERGE (c)-[:FOLLOWS]->(r)
"""


def _looked_up(label: str, nodes: str, alias: str) -> str:
    """A subquery collecting, as ``alias``, the ``label`` nodes whose keys are ``$nodes``, in that order (the key
    and the label from the schema declaration)."""
    key = schema().node(label).key
    return f"""CALL () {{
  UNWIND range(0, size(${nodes}) - 1) AS j
  MATCH (n:{label} {{{key}: ${nodes}[j]}})
  WITH j, n ORDER BY j
  RETURN collect(n) AS {alias}
}}
"""


# An office is created when the hierarchy does not know it (ingest registers it as an unassigned district).
_OFFICES = """CALL () {
  UNWIND range(0, size($offices) - 1) AS j
  MERGE (n:CustomsOffice {code: $offices[j]})
  ON CREATE SET n.name = $offices[j], n.level = 'district'
  WITH j, n ORDER BY j
  RETURN collect(n) AS os
}
"""
# The nodes a batch's new declarations link to, each looked up once per batch (a day's rows share few offices,
# countries and commodities, and an enterprise often files several), then reached by position: ``$rows`` carry
# indexes into these lists, not keys (``$links[n]``: importer, commodity, seller, declarant, carrier, origin,
# office and consignment of ``$rows[n]``). Consignments are merged here, with their route, for the same reason.
# Every list must be whole, or positions would point at the wrong node: a statement that finds fewer nodes
# than it was given creates nothing, and the writer refuses a batch whose count comes back short.
CREATE_DECLARATIONS = (
    _looked_up("Enterprise", "enterprises", "es")
    + _looked_up("Commodity", "commodities", "ks")
    + _looked_up("Country", "countries", "cs")
    + _OFFICES
    + _looked_up("Route", "routes", "rs")
    + """WITH es, ks, cs, os, rs
WHERE size(es) = size($enterprises) AND size(ks) = size($commodities) AND size(cs) = size($countries)
  AND size(rs) = size($routes)
CALL (rs) {
  UNWIND range(0, size($consignments) - 1) AS j
  WITH j, $consignments[j] AS row
  MERGE (n:Consignment {id: row.id})
  FOREACH (r IN CASE WHEN row.route IS NULL THEN [] ELSE [rs[row.route]] END | MERGE (n)-[:FOLLOWS]->(r))
  WITH j, n ORDER BY j
  RETURN collect(n) AS gs
}
UNWIND range(0, size($rows) - 1) AS n
WITH es, ks, cs, os, gs, $rows[n] AS row, $links[n] AS link
CREATE (d:Declaration)
SET d = row
WITH d, link, es, cs, os, gs, es[link[0]] AS i, ks[link[1]] AS k
CREATE (i)-[:FILED {role: 'consignee'}]->(d), (d)-[:CLASSIFIED_AS]->(k)
FOREACH (s IN CASE WHEN link[2] IS NULL THEN [] ELSE [es[link[2]]] END | CREATE (s)-[:FILED {role: 'consignor'}]->(d))
FOREACH (b IN CASE WHEN link[3] IS NULL THEN [] ELSE [es[link[3]]] END | CREATE (b)-[:FILED {role: 'declarant'}]->(d))
FOREACH (c IN CASE WHEN link[4] IS NULL THEN [] ELSE [es[link[4]]] END | CREATE (c)-[:FILED {role: 'carrier'}]->(d))
FOREACH (c IN CASE WHEN link[5] IS NULL THEN [] ELSE [cs[link[5]]] END | CREATE (d)-[:ORIGINATES_IN]->(c))
FOREACH (o IN CASE WHEN link[6] IS NULL THEN [] ELSE [os[link[6]]] END | CREATE (d)-[:LODGED_AT]->(o))
FOREACH (c IN CASE WHEN link[7] IS NULL THEN [] ELSE [gs[link[7]]] END | CREATE (d)-[:COVERS]->(c))
RETURN count(d) AS created
"""
)

UPDATE_DECLARATIONS = """
UNWIND $rows AS row
MATCH (d:Declaration {id: row.id})
SET d += row
"""

_ENTITY_STATEMENTS = (
    ("enterprises", MERGE_ENTERPRISES),
    ("addresses", MERGE_ADDRESSES),
    ("phones", MERGE_PHONES),
    ("legal_reps", MERGE_LEGAL_REPS),
    ("countries", MERGE_COUNTRIES),
    ("ports", MERGE_PORTS),
    ("routes", MERGE_ROUTES),
    ("commodities", MERGE_COMMODITIES),
)


@dataclass(frozen=True)
class WriteResult:
    created: int
    updated: int


class IncompleteBatch(RiskGraphError, RuntimeError):
    """A batch whose new declarations could not all be linked to their entities; none of it was written."""


def _freeze(row: dict) -> tuple:
    """A row as a comparable value. Not sorted: the rows of one entity list have their keys in one order
    (``ingest.batch``), and two orders would only make equal rows look different (written again)."""
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items())


class _Positions:
    """Keys in first-seen order, each given its position in that list; no key (None) has no position."""

    def __init__(self) -> None:
        self.keys: list = []
        self._at: dict = {}

    def __call__(self, key: object) -> int | None:
        if key is None:
            return None
        at = self._at.get(key)
        if at is None:
            at = self._at[key] = len(self.keys)
            self.keys.append(key)
        return at


def _creation(new: list[dict], consignments: list[dict]) -> dict:
    """The parameters of :data:`CREATE_DECLARATIONS`: each node the new declarations link to once, by position.

    An empty party, origin or consignment links nothing, as an absent one (the batch merges no entity for it).
    """
    enterprises, commodities, countries, offices, routes, shipments = (_Positions() for _ in range(6))
    links = [
        [
            enterprises(declaration["importer_id"]),
            commodities(declaration["hs_code"]),
            enterprises(declaration.get("seller_id") or None),
            enterprises(declaration.get("declarant_id") or None),
            enterprises(declaration.get("carrier_id") or None),
            countries(declaration.get("origin") or None),
            offices(declaration.get("office")),
            shipments(declaration.get("consignment_id") or None),
        ]
        for declaration in new
    ]
    route_of = {c["id"]: c["route"] for c in consignments}
    return {
        "rows": new,
        "links": links,
        "enterprises": enterprises.keys,
        "commodities": commodities.keys,
        "countries": countries.keys,
        "offices": offices.keys,
        "consignments": [{"id": key, "route": routes(route_of.get(key))} for key in shipments.keys],
        "routes": routes.keys,
    }


def _write_batch_tx(tx: neo4j.ManagedTransaction, entities: dict[str, list[dict]], batch: Batch) -> WriteResult:
    graph = known(tx, batch.ids, entities)
    existing = graph.declarations
    entities = unknown_rows(entities, graph)
    for name, statement in _ENTITY_STATEMENTS:
        if entities[name]:
            tx.run(statement, rows=entities[name]).consume()
    new = [d for d in batch.declarations if d["id"] not in existing]
    old = [d for d in batch.declarations if d["id"] in existing]
    if new:
        parameters = _creation(new, batch.consignments)
        created = tx.run(CREATE_DECLARATIONS, parameters).single()["created"]
        if created != len(new):
            raise IncompleteBatch(
                f"{len(new) - created:,} of {len(new):,} new declarations of a batch (first {new[0]['id']}) could not "
                "be linked to their enterprises, commodity, country or route; the batch was not written"
            )
    if old:
        # consignments of new declarations were merged with them
        linked = {d.get("consignment_id") for d in new}
        rest = [c for c in batch.consignments if c["id"] not in linked]
        if rest:
            tx.run(MERGE_CONSIGNMENTS, rows=rest).consume()
        tx.run(UPDATE_DECLARATIONS, rows=old).consume()
    return WriteResult(len(new), len(old))


def _identity(name: str, row: dict, frozen: tuple) -> object:
    """What a remembered row stands for: an enterprise by its id (a later row overwrites its
    properties), anything else by the whole row (merging it again changes nothing)."""
    return row["id"] if name == "enterprises" else frozen


class GraphWriter:
    """Writes batches; skips an entity row equal to the last one this process wrote for that entity.

    Only the last row counts: an enterprise written as A, then B, then A again ends as A, as it
    does when the files are loaded again or by the bulk importer.
    """

    def __init__(self, driver: neo4j.Driver, database: str):
        self._driver = driver
        self._database = database
        self._written: dict[tuple, tuple] = {}

    def write(self, batch: Batch) -> WriteResult:
        fresh: dict[str, list[dict]] = {name: [] for name, _ in _ENTITY_STATEMENTS}
        remember = []
        for name, _ in _ENTITY_STATEMENTS:
            for row in getattr(batch, name):
                frozen = _freeze(row)
                key = (name, _identity(name, row, frozen))
                if self._written.get(key) != frozen:
                    fresh[name].append(row)
                    remember.append((key, frozen))
        with self._driver.session(database=self._database) as session:
            result = session.execute_write(_write_batch_tx, fresh, batch)
        # Remember only after the commit, so a retried or failed batch writes its entities again.
        self._written.update(remember)
        return result
