"""Idempotent, batched writes of declarations and their entities into Neo4j.

Each batch is one managed write transaction (retried by the driver on transient errors):
entities are merged, declarations not yet in the graph are created together with all their
relationships, and existing ones only have their properties refreshed. Because a declaration
and its relationships commit together, a batch interrupted by a crash is simply written again
on the next run: nothing lost, nothing doubled.
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j

from ingest.batch import Batch

__all__ = ["GraphWriter", "WriteResult"]

EXISTING_DECLARATIONS = """
UNWIND $ids AS id
MATCH (d:Declaration {id: id})
RETURN collect(id) AS ids
"""

MERGE_ENTERPRISES = """
UNWIND $rows AS row
MERGE (e:Enterprise {id: row.id})
SET e.name = coalesce(row.name, e.name), e.name_norm = coalesce(row.name_norm, e.name_norm),
    e.category = coalesce(row.category, e.category), e.country = coalesce(row.country, e.country),
    e.registered = coalesce(date(row.registered), e.registered)
WITH e, row WHERE row.country IS NOT NULL
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

CREATE_DECLARATIONS = """
UNWIND $rows AS row
CREATE (d:Declaration)
SET d = row, d.date = date(row.date)
WITH d, row
MATCH (i:Enterprise {id: row.importer_id})
MATCH (k:Commodity {code: row.hs_code})
CREATE (i)-[:FILED {role: 'consignee'}]->(d), (d)-[:CLASSIFIED_AS]->(k)
WITH d, row
CALL (d, row) {
  WITH d, row WHERE row.seller_id IS NOT NULL
  MATCH (s:Enterprise {id: row.seller_id})
  CREATE (s)-[:FILED {role: 'consignor'}]->(d)
}
CALL (d, row) {
  WITH d, row WHERE row.declarant_id IS NOT NULL
  MATCH (b:Enterprise {id: row.declarant_id})
  CREATE (b)-[:FILED {role: 'declarant'}]->(d)
}
CALL (d, row) {
  WITH d, row WHERE row.carrier_id IS NOT NULL
  MATCH (c:Enterprise {id: row.carrier_id})
  CREATE (c)-[:FILED {role: 'carrier'}]->(d)
}
CALL (d, row) {
  WITH d, row WHERE row.origin IS NOT NULL
  MATCH (c:Country {code: row.origin})
  CREATE (d)-[:ORIGINATES_IN]->(c)
}
CALL (d, row) {
  WITH d, row WHERE row.office IS NOT NULL
  MERGE (o:CustomsOffice {code: row.office})
  ON CREATE SET o.name = row.office, o.level = 'district'
  CREATE (d)-[:LODGED_AT]->(o)
}
CALL (d, row) {
  WITH d, row WHERE row.consignment_id IS NOT NULL
  MATCH (c:Consignment {id: row.consignment_id})
  CREATE (d)-[:COVERS]->(c)
}
"""

UPDATE_DECLARATIONS = """
UNWIND $rows AS row
MATCH (d:Declaration {id: row.id})
SET d += row, d.date = date(row.date)
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
    ("consignments", MERGE_CONSIGNMENTS),
)


@dataclass(frozen=True)
class WriteResult:
    created: int
    updated: int


def _freeze(row: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items()))


def _write_batch_tx(tx: neo4j.ManagedTransaction, entities: dict[str, list[dict]], batch: Batch) -> WriteResult:
    existing = set(tx.run(EXISTING_DECLARATIONS, ids=batch.ids).single()["ids"])
    for name, statement in _ENTITY_STATEMENTS:
        if entities[name]:
            tx.run(statement, rows=entities[name]).consume()
    new = [d for d in batch.declarations if d["id"] not in existing]
    old = [d for d in batch.declarations if d["id"] in existing]
    if new:
        tx.run(CREATE_DECLARATIONS, rows=new).consume()
    if old:
        tx.run(UPDATE_DECLARATIONS, rows=old).consume()
    return WriteResult(len(new), len(old))


# Consignments are nearly one per declaration: remembering them would cost memory and save nothing.
_REMEMBERED = {name for name, _ in _ENTITY_STATEMENTS} - {"consignments"}


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
                    if name in _REMEMBERED:
                        remember.append((key, frozen))
        with self._driver.session(database=self._database) as session:
            result = session.execute_write(_write_batch_tx, fresh, batch)
        # Remember only after the commit, so a retried or failed batch writes its entities again.
        self._written.update(remember)
        return result
