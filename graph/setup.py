"""Constraints, indexes and reference data, created idempotently from the schema declaration."""

from __future__ import annotations

import neo4j

from graph.model import Schema, schema
from graph.reference import offices

__all__ = ["schema_statements", "ensure_schema", "load_reference_data"]

# Labels come from the declared schema only; names are checked as plain identifiers when it loads.
MERGE_OFFICES = """
UNWIND $offices AS o
MERGE (c:CustomsOffice {code: o.code})
SET c.name = o.name, c.level = o.level
"""
# A reloaded hierarchy may move an office: its old parent link goes, the new one comes.
LINK_OFFICES = """
UNWIND $offices AS o
MATCH (c:CustomsOffice {code: o.code})
OPTIONAL MATCH (c)-[old:PART_OF]->(p:CustomsOffice)
WITH c, o, collect(old) AS olds
FOREACH (r IN olds | DELETE r)
WITH c, o WHERE o.parent IS NOT NULL
MATCH (p:CustomsOffice {code: o.parent})
MERGE (c)-[:PART_OF]->(p)
"""
# Offices of a replaced hierarchy that no declaration was lodged at are removed.
DROP_UNUSED_OFFICES = """
MATCH (c:CustomsOffice) WHERE NOT c.code IN $codes AND NOT (c)<-[:LODGED_AT]-()
DETACH DELETE c
"""


def schema_statements(model: Schema | None = None) -> list[str]:
    """One key constraint per label and one range index per indexed property."""
    model = model or schema()
    statements = []
    for node in model.nodes.values():
        statements.append(
            f"CREATE CONSTRAINT {node.label.lower()}_key IF NOT EXISTS "
            f"FOR (n:`{node.label}`) REQUIRE n.`{node.key}` IS UNIQUE"
        )
        for prop in node.indexed:
            statements.append(
                f"CREATE INDEX {node.label.lower()}_{prop} IF NOT EXISTS FOR (n:`{node.label}`) ON (n.`{prop}`)"
            )
    return statements


# A key constraint whose declared key changed (``Network`` was keyed by ``id`` before networks had versions)
STALE_KEYS = """
SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties
WHERE name IN $names AND NOT [labelsOrTypes[0], properties[0]] IN $keys
RETURN name
"""


def _drop_stale_keys(driver: neo4j.Driver, database: str, model: Schema) -> None:
    names = [f"{n.label.lower()}_key" for n in model.nodes.values()]
    keys = [[n.label, n.key] for n in model.nodes.values()]
    for record in driver.execute_query(STALE_KEYS, names=names, keys=keys, database_=database).records:
        name = record["name"]
        if name not in names:  # only our own constraint names reach the statement below
            raise ValueError(name)
        driver.execute_query(f"DROP CONSTRAINT {name} IF EXISTS", database_=database)


# What exists, so only what is missing is created: 41 ``CREATE ... IF NOT EXISTS`` run one by one cost every
# command that connects (each ingest) about 0.6 s of schema round trips on a graph that has them all. Every key
# constraint is a uniqueness constraint, so its backing index names it.
EXISTING_SCHEMA = """
SHOW INDEXES YIELD name, owningConstraint
RETURN CASE WHEN owningConstraint IS NULL THEN 'INDEX' ELSE 'CONSTRAINT' END AS kind,
       coalesce(owningConstraint, name) AS name
"""


def _undeclared_indexes(model: Schema, indexes: set[str]) -> list[str]:
    """The indexes this schema once declared (named as :func:`schema_statements` names them) on a property it no
    longer indexes: each one costs every write of its label and the filling after a bulk import, for no reader."""
    return sorted(
        name
        for node in model.nodes.values()
        for prop in node.properties
        if prop not in (*node.indexed, node.key) and (name := f"{node.label.lower()}_{prop}") in indexes
    )


def _missing(statements: list[str], existing: set[tuple[str, str]]) -> list[str]:
    """The statements whose constraint or index (by kind and name: ``CREATE <kind> <name> IF NOT EXISTS``) is not
    there; a constraint's backing index does not count as the constraint."""
    return [s for s in statements if tuple(s.split()[1:3]) not in existing]


def ensure_schema(driver: neo4j.Driver, database: str) -> None:
    _drop_stale_keys(driver, database, schema())
    records = driver.execute_query(EXISTING_SCHEMA, database_=database).records
    existing = {(r["kind"], r["name"]) for r in records}
    for name in _undeclared_indexes(schema(), {name for kind, name in existing if kind == "INDEX"}):
        driver.execute_query(f"DROP INDEX {name} IF EXISTS", database_=database)
    missing = _missing(schema_statements(), existing)
    for statement in missing:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)


def load_reference_data(driver: neo4j.Driver, database: str) -> int:
    """The hierarchy in force (``graph.reference``) as ``CustomsOffice`` nodes and ``PART_OF`` links."""
    rows = [{"code": o.code, "name": o.name, "level": o.level, "parent": o.parent} for o in offices()]
    driver.execute_query(MERGE_OFFICES, offices=rows, database_=database)
    driver.execute_query(LINK_OFFICES, offices=rows, database_=database)
    driver.execute_query(DROP_UNUSED_OFFICES, codes=[r["code"] for r in rows], database_=database)
    return len(rows)
