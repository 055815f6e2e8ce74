"""Screening the graph against the watchlists: which known firms and legal representatives a list names.

The firms' and persons' names are read from the graph (enterprise-sized, a page at a time) and screened with
the same keys, scores and thresholds as at lodging (``scoring.watchlists``), so a firm flagged here is one a
declaration naming it would be flagged for.
"""

from __future__ import annotations

import neo4j

from graph.model import schema
from graph.paging import read_pages
from scoring.watchlists import WatchlistIndex

__all__ = ["screen_graph"]

for _label in ("Enterprise", "Person"):
    schema().node(_label)
schema().relationship("HAS_LEGAL_REP")

FIRMS = """
MATCH (e:Enterprise) WHERE e.name IS NOT NULL
WITH e SKIP $skip LIMIT $limit
RETURN collect([e.id, e.name]) AS rows
"""
PERSONS = """
MATCH (p:Person) WHERE p.name IS NOT NULL
WITH p SKIP $skip LIMIT $limit
RETURN collect([p.id, p.name, [(e:Enterprise)-[:HAS_LEGAL_REP]->(p) | e.id][..20]]) AS rows
"""


def screen_graph(driver: neo4j.Driver, database: str, index: WatchlistIndex) -> list[dict]:
    """Matches ``{label, id, name, list, entry, score, firms}``, best score first (``firms``: a person's)."""
    out = []
    for label, query, columns, kind in (
        ("Enterprise", FIRMS, ("id", "name"), "organisation"),
        ("Person", PERSONS, ("id", "name", "firms"), "person"),
    ):
        for row in read_pages(driver, database, query, columns).to_dict("records"):
            for listed, score in index.screen(row["name"], kind):
                out.append(
                    {
                        "label": label,
                        "id": row["id"],
                        "name": row["name"],
                        "list": listed.list,
                        "entry": listed.id,
                        "score": score,
                        "firms": row.get("firms", [row["id"]]),
                    }
                )
    return sorted(out, key=lambda m: (-m["score"], m["label"], m["id"]))
