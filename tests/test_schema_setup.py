"""ensure_schema creates what is missing (it skips, by name, what the server already has)."""

from __future__ import annotations

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
