"""ensure_schema creates what is missing (it skips, by name, what the server already has)."""

from __future__ import annotations

from graph.model import schema
from graph.setup import ensure_schema, schema_statements


def _names(driver, kind: str) -> set[str]:
    query = "SHOW CONSTRAINTS YIELD name" if kind == "CONSTRAINT" else "SHOW INDEXES YIELD name, owningConstraint"
    records = driver.execute_query(query, database_="neo4j").records
    return {r["name"] for r in records if kind == "CONSTRAINT" or r["owningConstraint"] is None}


def test_a_dropped_constraint_and_index_are_created_again(driver):
    ensure_schema(driver, "neo4j")
    statements = schema_statements()
    constraint = next(s.split()[2] for s in statements if s.startswith("CREATE CONSTRAINT"))
    index = next(s.split()[2] for s in statements if s.startswith("CREATE INDEX"))
    assert constraint in _names(driver, "CONSTRAINT") and index in _names(driver, "INDEX")

    driver.execute_query(f"DROP CONSTRAINT {constraint}", database_="neo4j")
    driver.execute_query(f"DROP INDEX {index}", database_="neo4j")
    assert constraint not in _names(driver, "CONSTRAINT") and index not in _names(driver, "INDEX")

    ensure_schema(driver, "neo4j")
    assert constraint in _names(driver, "CONSTRAINT") and index in _names(driver, "INDEX")
    declared = {s.split()[2] for s in statements}
    assert declared <= _names(driver, "CONSTRAINT") | _names(driver, "INDEX")


def test_an_index_no_longer_declared_is_dropped_and_one_named_otherwise_is_kept(driver):
    """An index the schema once declared costs every write of its label and the filling after a bulk import: the
    next connection drops it. An index someone made under another name is not the schema's to drop."""
    ensure_schema(driver, "neo4j")
    node = schema().nodes["Declaration"]
    prop = next(p for p in node.properties if p not in (*node.indexed, node.key))
    ours, theirs = f"{node.label.lower()}_{prop}", f"kept_by_hand_{prop}"
    driver.execute_query(f"CREATE INDEX {ours} IF NOT EXISTS FOR (n:{node.label}) ON (n.{prop})", database_="neo4j")
    driver.execute_query(
        f"CREATE INDEX {theirs} IF NOT EXISTS FOR (n:{node.label}) ON (n.{prop}, n.{node.key})", database_="neo4j"
    )
    try:
        assert {ours, theirs} <= _names(driver, "INDEX")
        ensure_schema(driver, "neo4j")
        indexes = _names(driver, "INDEX")
        assert ours not in indexes and theirs in indexes
        assert {s.split()[2] for s in schema_statements() if s.startswith("CREATE INDEX")} <= indexes
    finally:
        driver.execute_query(f"DROP INDEX {theirs} IF EXISTS", database_="neo4j")
        driver.execute_query(f"DROP INDEX {ours} IF EXISTS", database_="neo4j")
