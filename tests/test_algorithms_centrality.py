"""Centrality on small named graphs."""

from __future__ import annotations

import igraph as ig
import numpy as np
import pytest

from algorithms.centrality import betweenness_centrality, degree_centrality, pagerank_centrality
from algorithms.propagation import propagated_risk
from sample.scenarios import bridged_cliques


def test_bridge_has_highest_betweenness():
    b = betweenness_centrality(bridged_cliques())
    assert b.idxmax() == "hub"
    assert b.attrs["method"] == "exact"
    assert b["solo"] == 0.0 and b["a1"] == 0.0
    # hub lies on every shortest path between the 5 a's and the 5 b's
    n = 12
    assert b["hub"] == pytest.approx(25 / ((n - 1) * (n - 2) / 2))


def test_sampled_betweenness_keeps_the_bridge_on_top():
    b = betweenness_centrality(bridged_cliques(), exact_max_vertices=3, samples=8, seed=5)
    assert b.attrs["method"] == "sampled"
    assert b.idxmax() in {"hub", "a0", "b0"}
    assert b.equals(betweenness_centrality(bridged_cliques(), exact_max_vertices=3, samples=8, seed=5))
    with pytest.raises(ValueError, match="samples must be positive"):
        betweenness_centrality(bridged_cliques(), exact_max_vertices=3, samples=0)


def test_pagerank_and_degree():
    g = bridged_cliques()
    g.es[g.get_eid("a1", "a2")]["weight"] = 10.0
    pr = pagerank_centrality(g)
    assert pr.sum() == pytest.approx(1.0)
    assert pr["a1"] > pr["a3"]
    deg = degree_centrality(g)
    assert deg.loc["hub", "degree"] == 2 and deg.loc["a0", "degree"] == 5
    assert deg.loc["a1", "weighted_degree"] == pytest.approx(13.0)
    with pytest.raises(ValueError, match="damping"):
        pagerank_centrality(g, damping=1.5)


def test_pagerank_and_propagation_give_the_same_digits_on_every_run():
    """Summed over two threads, in a varying order (igraph's OpenMP PageRank did: runs differed by ~1e-16 here,
    1e-12 at 1M declarations; the walk's BLAS dot products may), an unchanged firm's results moved and were written
    back; on one thread they do not."""
    draw = np.random.default_rng(3)
    g = ig.Graph(n=2000, edges=draw.integers(0, 2000, (20_000, 2)).tolist())
    g.vs["name"] = [f"E{i}" for i in range(g.vcount())]
    g.es["weight"] = draw.random(g.ecount()).tolist()
    ranks = [pagerank_centrality(g).to_numpy() for _ in range(5)]
    risks = [propagated_risk(g, {"E1", "E5", "E9"})["propagated_risk"].to_numpy() for _ in range(5)]
    assert all(np.array_equal(ranks[0], r) for r in ranks[1:])
    assert all(np.array_equal(risks[0], r) for r in risks[1:])
