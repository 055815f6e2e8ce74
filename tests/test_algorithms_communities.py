"""Louvain communities on small named graphs."""

from __future__ import annotations

import igraph as ig
import pytest

from algorithms.communities import (
    community_members,
    leiden_communities,
    louvain_communities,
    louvain_communities_python,
)
from sample.scenarios import bridged_cliques


@pytest.mark.parametrize("detect", [louvain_communities, louvain_communities_python, leiden_communities])
def test_two_cliques_are_two_communities(detect):
    membership = detect(bridged_cliques(), seed=7)
    groups = community_members(membership, min_size=2)
    sets = sorted((set(m) - {"hub"} for m in groups.values()), key=min)
    assert sets == [{f"a{i}" for i in range(5)}, {f"b{i}" for i in range(5)}]
    assert sum(v == membership["solo"] for v in membership.values()) == 1  # singleton allowed
    assert membership["a1"] != membership["b1"]


@pytest.mark.parametrize("detect", [louvain_communities, louvain_communities_python, leiden_communities])
def test_fixed_seed_is_deterministic(detect):
    g = ig.Graph.Famous("Zachary")
    g.vs["name"] = [f"v{i:02d}" for i in range(g.vcount())]
    g.es["weight"] = [1.0] * g.ecount()
    assert detect(g, seed=3) == detect(g, seed=3)


def test_numbering_is_canonical_largest_first():
    membership = louvain_communities(bridged_cliques(), seed=1)
    sizes = [sum(1 for v in membership.values() if v == c) for c in sorted(set(membership.values()))]
    assert sizes == sorted(sizes, reverse=True)


def test_unweighted_and_errors():
    g = bridged_cliques()
    assert len(louvain_communities(g, seed=1, weights=None)) == g.vcount()
    with pytest.raises(ValueError, match="no edge attribute 'strength'"):
        louvain_communities(g, seed=1, weights="strength")
    assert louvain_communities(ig.Graph(), seed=1) == {}


def test_leiden_cpm_keeps_a_heavy_triangle_apart_from_light_hangers_on():
    g = ig.Graph([(0, 1), (1, 2), (0, 2), (2, 3), (3, 4)])
    g.vs["name"] = ["r1", "r2", "r3", "x", "y"]
    g.es["weight"] = [2.0, 2.0, 2.0, 0.2, 0.2]
    groups = community_members(leiden_communities(g, seed=1, resolution=0.5), min_size=2)
    assert list(groups.values()) == [["r1", "r2", "r3"]]
    with pytest.raises(ValueError, match="objective must be"):
        leiden_communities(g, seed=1, objective="infomap")
