"""Centrality of enterprises in the enterprise graph: PageRank, betweenness, degree.

Every function returns a ``pandas.Series`` indexed by vertex name, so results join on
enterprise id. PageRank and degree run on the projection's edge arrays (or an igraph graph's, read out):
PageRank is the walk of :mod:`algorithms.walk`; betweenness needs igraph's graph.

Betweenness is exact (Brandes) up to ``exact_max_vertices`` vertices. Above that it is
*estimated* from shortest paths out of ``samples`` source vertices drawn at random and
scaled by ``n / samples`` (Brandes and Pich's unbiased pivot estimator), using igraph's
``betweenness(sources=...)``. Betweenness counts hops: edge weights here are strengths,
not lengths, so they are not used as distances.
"""

from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from algorithms.projection import EnterpriseEdges, edges_of
from algorithms.walk import stationary

__all__ = [
    "pagerank_centrality",
    "betweenness_centrality",
    "degree_centrality",
]


def _names(g: ig.Graph) -> pd.Index:
    if g.vcount() and "name" not in g.vs.attributes():
        raise ValueError("graph vertices need a 'name' attribute")
    return pd.Index(g.vs["name"] if g.vcount() else [], name="id")


def pagerank_centrality(
    graph: ig.Graph | EnterpriseEdges, *, damping: float = 0.85, weights: str | None = "weight"
) -> pd.Series:
    """Weighted PageRank of every vertex (sums to 1); ``weights`` names an igraph graph's edge attribute.

    Examples
    --------
    >>> g = ig.Graph.Star(4); g.vs["name"] = list("habc")
    >>> pagerank_centrality(g, weights=None).idxmax()
    'h'

    References
    ----------
    .. [1] S. Brin, L. Page, "The anatomy of a large-scale hypertextual Web search engine" (1998).
    """
    if not 0.0 < damping < 1.0:
        raise ValueError(f"damping must be in (0, 1), got {damping}")
    edges = edges_of(graph, weights)
    values = stationary(edges.walk, damping=damping)
    return pd.Series(values, index=pd.Index(edges.names, name="id"), name="pagerank", dtype=float)


def betweenness_centrality(
    g: ig.Graph,
    *,
    normalized: bool = True,
    exact_max_vertices: int = 5000,
    samples: int = 100,
    seed: int | None = None,
) -> pd.Series:
    """Betweenness of every vertex: exact for small graphs, pivot-sampled for large ones.

    Parameters
    ----------
    g : igraph.Graph
        Undirected graph with vertex attribute ``name``.
    normalized : bool
        Divide by ``(n-1)(n-2)/2``, the number of pairs not involving the vertex.
    exact_max_vertices : int
        Graphs with at most this many vertices get exact betweenness.
    samples : int
        Number of source vertices for the estimate on larger graphs.
    seed : int, optional
        Seed for drawing the sample sources.

    Returns
    -------
    Series
        Named ``betweenness``; ``attrs["method"]`` is ``"exact"`` or ``"sampled"``.

    Examples
    --------
    >>> g = ig.Graph([(0, 1), (1, 2)]); g.vs["name"] = list("abc")
    >>> betweenness_centrality(g).tolist()
    [0.0, 1.0, 0.0]

    References
    ----------
    .. [1] U. Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol. 25 (2001).
    .. [2] U. Brandes, C. Pich, "Centrality estimation in large networks", Int. J. Bifurc. Chaos 17 (2007).
    """
    index = _names(g)
    n = g.vcount()
    if n <= exact_max_vertices or samples >= n:
        values = np.asarray(g.betweenness(directed=False), dtype=float) if n else np.zeros(0)
        method = "exact"
    else:
        if samples < 1:
            raise ValueError(f"samples must be positive, got {samples}")
        rng = np.random.default_rng(seed)
        sources = np.sort(rng.choice(n, size=samples, replace=False)).tolist()
        # igraph's per-source contributions add up to the exact value over all sources, so the mean
        # contribution of a uniform sample of sources, times n, is an unbiased estimate.
        partial = np.asarray(g.betweenness(directed=False, sources=sources), dtype=float)
        values = partial * n / samples
        method = "sampled"
    if normalized and n > 2:
        values = values / ((n - 1) * (n - 2) / 2.0)
    series = pd.Series(values, index=index, name="betweenness", dtype=float)
    series.attrs["method"] = method
    return series


def degree_centrality(graph: ig.Graph | EnterpriseEdges, *, weights: str | None = "weight") -> pd.DataFrame:
    """Degree (number of linked enterprises) and weighted degree (strength) of every vertex.

    Examples
    --------
    >>> g = ig.Graph([(0, 1), (0, 2)]); g.vs["name"] = list("abc"); g.es["weight"] = [2.0, 0.5]
    >>> degree_centrality(g).loc["a"].tolist()
    [2.0, 2.5]
    """
    edges = edges_of(graph, weights)
    n, a, b = len(edges.names), edges.ends[:, 0], edges.ends[:, 1]
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    return pd.DataFrame(
        {"degree": degree, "weighted_degree": edges.walk.strength}, index=pd.Index(edges.names, name="id"), dtype=float
    )
