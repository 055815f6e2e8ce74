"""Where the whole-graph algorithms run: the seam between the analysis and its compute engine.

The analysis needs communities, PageRank and betweenness of the projected enterprise graph.
:class:`InProcessEngine` computes them with igraph's C code in this process; a server with Neo4j
Graph Data Science can run them in the database instead (:class:`analysis.gds.GdsEngine`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import igraph as ig
import numpy as np
import pandas as pd

from algorithms.alongside import Alongside, Done, alongside, done
from algorithms.centrality import betweenness_centrality, pagerank_centrality
from algorithms.communities import leiden_communities, louvain_communities
from algorithms.projection import EnterpriseEdges
from graph.config import settings

__all__ = ["GraphEngine", "InProcessEngine", "DEFAULT_RESOLUTION", "beside"]

#: resolution per community method when the caller gives none (CPM link weight per pair; modularity)
DEFAULT_RESOLUTION = {"leiden": 0.5, "louvain": 1.0}
#: Leiden passes: on the 1M-declaration graph (88k firms, 2.6M links) two took 5.7 s and found 14,946
#: communities of 2+; running until stable took 38 s for 14,942.
LEIDEN_ITERATIONS = 2
#: a centrality started beside the communities: called, it returns PageRank and betweenness
Centrality = Callable[[], tuple[pd.Series, pd.Series]]


class GraphEngine(Protocol):
    """Communities and centralities of an igraph graph whose vertices are named by enterprise id."""

    name: str

    def communities(self, g: ig.Graph, *, seed: int, method: str, resolution: float | None) -> dict[str, int]: ...

    def start_centrality(
        self, g: ig.Graph, *, seed: int, exact_max_vertices: int, samples: int, edges: EnterpriseEdges | None = None
    ) -> Centrality:
        """PageRank and betweenness, started before the communities are found so an engine may run them alongside;
        the returned call waits for them. ``edges`` are ``g``'s arrays when the caller has them."""
        ...


class InProcessEngine:
    """igraph in this process: Leiden (CPM) or Louvain, weighted PageRank, exact or sampled betweenness (on a
    large graph in a forked child while this process finds the communities: :func:`beside`)."""

    name = "inprocess"

    def communities(self, g: ig.Graph, *, seed: int, method: str, resolution: float | None) -> dict[str, int]:
        resolution = resolution or DEFAULT_RESOLUTION[method]
        if method == "leiden":
            return leiden_communities(g, seed=seed, resolution=resolution, n_iterations=LEIDEN_ITERATIONS)
        return louvain_communities(g, seed=seed, resolution=resolution)

    def start_centrality(
        self, g: ig.Graph, *, seed: int, exact_max_vertices: int, samples: int, edges: EnterpriseEdges | None = None
    ) -> Centrality:
        how = {"exact_max_vertices": exact_max_vertices, "samples": samples, "seed": seed}
        child = beside(g.ecount())(_betweenness_values, g, **how)

        def centrality() -> tuple[pd.Series, pd.Series]:
            pagerank = pagerank_centrality(g if edges is None else edges)  # here: a child has the other core
            values, method = child.result()
            betweenness = pd.Series(values, index=pagerank.index, name="betweenness", dtype=float)
            betweenness.attrs["method"] = method
            return pagerank, betweenness

        return centrality


def beside(links: int) -> Callable[..., Alongside | Done]:
    """How to start work beside work on a graph of ``links`` edges (igraph's, or the walk's: both hold the GIL): in
    a forked child, on another core, when it has ``RISKGRAPH_ALONGSIDE_MIN_EDGES`` edges or more (on the
    1M-declaration graph, 2.6M edges, betweenness takes 8 s and Leiden 6 s), else here and now (a small graph is
    not worth the fork). The work in the child must not be OpenMP code (igraph's PRPACK PageRank was, before the
    walk replaced it): libgomp hangs in a child forked after the parent ran it."""
    return alongside if links >= settings().alongside_min_edges else done


def _betweenness_values(g: ig.Graph, **how) -> tuple[np.ndarray, str]:
    """Betweenness as the child sends it back: its values in vertex order (not a Series of 887,000 names)."""
    series = betweenness_centrality(g, **how)
    return series.to_numpy(), series.attrs["method"]
