"""Running the whole-graph algorithms inside Neo4j with Graph Data Science (GDS).

The enterprise graph is still projected by :func:`algorithms.projection.enterprise_graph` (the
damping of common identifiers is the analysis's own); its weighted edges are handed to GDS through a
Cypher projection from a parameter list, and Leiden, PageRank and betweenness run in the database.
GDS's Leiden optimises modularity, not the constant Potts model, so ``resolution`` is its ``gamma``
(GDS Louvain takes none). Sampled betweenness is GDS's own estimate from ``samplingSize`` sources.
"""

from __future__ import annotations

import uuid

import igraph as ig
import neo4j
import numpy as np
import pandas as pd
from neo4j.exceptions import ClientError

from algorithms.communities import _canonical
from analysis.engines import Centrality
from graph.errors import RiskGraphError
from graph.model import schema

__all__ = ["GdsEngine", "GdsUnavailable", "gds_version"]

schema().node("Enterprise")

#: modularity resolution (gamma) of GDS Leiden when the caller gives none
DEFAULT_GAMMA = 1.0

PROJECT = """
UNWIND $edges AS edge
MATCH (a:Enterprise {id: edge[0]})
MATCH (b:Enterprise {id: edge[1]})
WITH gds.graph.project($name, a, b, {relationshipProperties: {weight: edge[2]}},
                       {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
"""

COMMUNITIES = {
    "leiden": "CALL gds.leiden.stream($name, $config) YIELD nodeId, communityId "
    "RETURN gds.util.asNode(nodeId).id AS id, communityId AS community",
    "louvain": "CALL gds.louvain.stream($name, $config) YIELD nodeId, communityId "
    "RETURN gds.util.asNode(nodeId).id AS id, communityId AS community",
}

PAGERANK = (
    "CALL gds.pageRank.stream($name, {relationshipWeightProperty: 'weight', dampingFactor: 0.85}) "
    "YIELD nodeId, score RETURN gds.util.asNode(nodeId).id AS id, score"
)

BETWEENNESS = (
    "CALL gds.betweenness.stream($name, $config) YIELD nodeId, score RETURN gds.util.asNode(nodeId).id AS id, score"
)

DROP = "CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName"


class GdsUnavailable(RiskGraphError, RuntimeError):
    """The server has no Graph Data Science procedures."""

    status, code = 503, "gds_unavailable"


def gds_version(driver: neo4j.Driver, database: str) -> str | None:
    """The GDS version installed on the server, or ``None`` when it has none."""
    try:
        return driver.execute_query("RETURN gds.version() AS v", database_=database).records[0]["v"]
    except ClientError:
        return None


class GdsEngine:
    """Communities and centralities computed by GDS on a projection of the enterprise graph.

    Use as a context manager: the in-memory GDS graph is projected on first use and dropped on exit.
    """

    name = "gds"

    def __init__(self, driver: neo4j.Driver, database: str):
        version = gds_version(driver, database)
        if version is None:
            raise GdsUnavailable(
                "Graph Data Science is not installed on the Neo4j server: run `riskgraph analyze` without "
                "--engine gds, or start the local Neo4j with RISKGRAPH_NEO4J_GDS=1"
            )
        self.version = version
        self._driver = driver
        self._database = database
        self._graph_name = f"riskgraph-{uuid.uuid4().hex[:12]}"
        self._projected: ig.Graph | None = None

    def __enter__(self) -> GdsEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._projected is not None:
            self._driver.execute_query(DROP, name=self._graph_name, database_=self._database)
            self._projected = None

    def _run(self, query: str, **params) -> list[neo4j.Record]:
        return self._driver.execute_query(query, name=self._graph_name, database_=self._database, **params).records

    def _project(self, g: ig.Graph) -> None:
        if self._projected is g:
            return
        self.close()
        names = g.vs["name"]
        edges = [[names[a], names[b], float(w)] for (a, b), w in zip(g.get_edgelist(), g.es["weight"], strict=True)]
        if not edges:
            raise GdsUnavailable("the enterprise graph has no edges: nothing for GDS to project")
        # One aggregation per projection: GDS's Cypher projection builds the graph from a single query.
        self._run(PROJECT, edges=edges)
        self._projected = g

    def communities(self, g: ig.Graph, *, seed: int, method: str, resolution: float | None) -> dict[str, int]:
        if g.ecount() == 0:
            return _canonical(g.vs["name"], list(range(g.vcount())))
        self._project(g)
        config = {"relationshipWeightProperty": "weight", "randomSeed": seed, "concurrency": 1}
        if method == "leiden":
            config["gamma"] = resolution or DEFAULT_GAMMA
        found = {r["id"]: r["community"] for r in self._run(COMMUNITIES[method], config=config)}
        # Vertices without an edge are not in the projection: each is its own community.
        offset = max(found.values(), default=-1) + 1
        labels = [found.get(n, offset + i) for i, n in enumerate(g.vs["name"])]
        return _canonical(g.vs["name"], labels)

    def start_centrality(
        self, g: ig.Graph, *, seed: int, exact_max_vertices: int, samples: int, edges=None
    ) -> Centrality:
        """In the database, after the communities (the server's cores are its own): the returned call runs it
        (``edges``, the graph's arrays, are not needed there)."""
        return lambda: self._centrality(g, seed=seed, exact_max_vertices=exact_max_vertices, samples=samples)

    def _centrality(
        self, g: ig.Graph, *, seed: int, exact_max_vertices: int, samples: int
    ) -> tuple[pd.Series, pd.Series]:
        index = pd.Index(g.vs["name"], name="id")
        n = g.vcount()
        if g.ecount() == 0:
            pagerank = pd.Series(1.0 / max(n, 1), index=index, name="pagerank")
            betweenness = pd.Series(0.0, index=index, name="betweenness")
            betweenness.attrs["method"] = "exact"
            return pagerank, betweenness
        self._project(g)
        scores = pd.Series({r["id"]: r["score"] for r in self._run(PAGERANK)}, dtype=float)
        # An isolated vertex keeps the teleport share only; rescale so the whole sums to 1 like igraph's.
        pagerank = scores.reindex(index).fillna(0.15).rename("pagerank")
        pagerank = pagerank / pagerank.sum()
        config: dict = {}
        method = "exact"
        if n > exact_max_vertices and samples < n:
            config = {"samplingSize": samples, "samplingSeed": seed}
            method = "sampled"
        raw = pd.Series({r["id"]: r["score"] for r in self._run(BETWEENNESS, config=config)}, dtype=float)
        values = raw.reindex(index).fillna(0.0)
        if n > 2:
            values = values / ((n - 1) * (n - 2) / 2.0)
        betweenness = values.astype(np.float64).rename("betweenness")
        betweenness.attrs["method"] = method
        return pagerank, betweenness
