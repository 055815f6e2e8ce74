"""Louvain communities on small named graphs."""

from __future__ import annotations

import igraph as ig
import pytest

from algorithms.communities import community_members, louvain_communities, louvain_communities_python
from algorithms.scenarios import bridged_cliques


@pytest.mark.parametrize("detect", [louvain_communities, louvain_communities_python])
def test_two_cliques_are_two_communities(detect):
    membership = detect(bridged_cliques(), seed=7)
    groups = community_members(membership, min_size=2)
    sets = sorted((set(m) - {"hub"} for m in groups.values()), key=min)
    assert sets == [{f"a{i}" for i in range(5)}, {f"b{i}" for i in range(5)}]
    assert sum(v == membership["solo"] for v in membership.values()) == 1  # singleton allowed
    assert membership["a1"] != membership["b1"]


@pytest.mark.parametrize("detect", [louvain_communities, louvain_communities_python])
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
