"""Where the whole-graph algorithms run: the seam between the analysis and its compute engine.

The analysis needs communities, PageRank and betweenness of the projected enterprise graph.
:class:`InProcessEngine` computes them with igraph's C code in this process; a server with Neo4j
Graph Data Science can run them in the database instead (:class:`analysis.gds.GdsEngine`).
"""

from __future__ import annotations

from typing import Protocol

import igraph as ig
import pandas as pd

from algorithms.centrality import betweenness_centrality, pagerank_centrality
from algorithms.communities import leiden_communities, louvain_communities

__all__ = ["GraphEngine", "InProcessEngine", "DEFAULT_RESOLUTION"]

#: resolution per community method when the caller gives none (CPM link weight per pair; modularity)
DEFAULT_RESOLUTION = {"leiden": 0.5, "louvain": 1.0}
#: Leiden passes: on the 1M-declaration graph (88k firms, 2.6M links) two took 5.7 s and found 14,946
#: communities of 2+; running until stable took 38 s for 14,942.
LEIDEN_ITERATIONS = 2


class GraphEngine(Protocol):
    """Communities and centralities of an igraph graph whose vertices are named by enterprise id."""

    name: str

    def communities(self, g: ig.Graph, *, seed: int, method: str, resolution: float | None) -> dict[str, int]: ...

    def centrality(
        self, g: ig.Graph, *, seed: int, exact_max_vertices: int, samples: int
    ) -> tuple[pd.Series, pd.Series]: ...


class InProcessEngine:
    """igraph in this process: Leiden (CPM) or Louvain, weighted PageRank, exact or sampled betweenness."""

    name = "inprocess"

    def communities(self, g: ig.Graph, *, seed: int, method: str, resolution: float | None) -> dict[str, int]:
        resolution = resolution or DEFAULT_RESOLUTION[method]
        if method == "leiden":
            return leiden_communities(g, seed=seed, resolution=resolution, n_iterations=LEIDEN_ITERATIONS)
        return louvain_communities(g, seed=seed, resolution=resolution)

    def centrality(
        self, g: ig.Graph, *, seed: int, exact_max_vertices: int, samples: int
    ) -> tuple[pd.Series, pd.Series]:
        pagerank = pagerank_centrality(g)
        betweenness = betweenness_centrality(g, exact_max_vertices=exact_max_vertices, samples=samples, seed=seed)
        return pagerank, betweenness
