"""Constraints, indexes and reference data, created idempotently from the schema declaration."""

from __future__ import annotations

import neo4j

from graph.model import Schema, schema
from graph.reference import OFFICES

__all__ = ["schema_statements", "ensure_schema", "load_reference_data"]

# Labels come from the declared schema only; names are checked as plain identifiers when it loads.
MERGE_OFFICES = """
UNWIND $offices AS o
MERGE (c:CustomsOffice {code: o.code})
SET c.name = o.name, c.level = o.level
WITH c, o WHERE o.parent IS NOT NULL
MATCH (p:CustomsOffice {code: o.parent})
MERGE (c)-[:PART_OF]->(p)
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


def ensure_schema(driver: neo4j.Driver, database: str) -> None:
    for statement in schema_statements():
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)


def load_reference_data(driver: neo4j.Driver, database: str) -> int:
    rows = [{"code": o.code, "name": o.name, "level": o.level, "parent": o.parent} for o in OFFICES]
    driver.execute_query(MERGE_OFFICES, offices=rows, database_=database)
    return len(rows)
