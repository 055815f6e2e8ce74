"""Node counts per label and relationship counts per type, for every declared label and type."""

from __future__ import annotations

import neo4j

from graph.model import schema

__all__ = ["graph_stats"]


def graph_stats(driver: neo4j.Driver, database: str) -> dict[str, dict[str, int]]:
    model = schema()
    # Names come from the schema declaration (checked identifiers); counts come from the count store.
    nodes = {
        label: driver.execute_query(f"MATCH (n:`{label}`) RETURN count(n) AS n", database_=database).records[0]["n"]
        for label in model.nodes
    }
    rels = {
        rel: driver.execute_query(f"MATCH ()-[r:`{rel}`]->() RETURN count(r) AS n", database_=database).records[0]["n"]
        for rel in model.relationships
    }
    return {"nodes": nodes, "relationships": rels}
