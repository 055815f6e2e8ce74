"""Communities of the enterprise graph: Louvain (modularity) and Leiden (constant Potts model).

:func:`louvain_communities` runs igraph's C implementation of Louvain;
:func:`louvain_communities_python` runs python-louvain on a networkx copy, kept for
comparison (an order of magnitude slower). Modularity has a resolution limit: on a large graph
it merges small tight groups into big communities (on a synthetic 40k-importer graph, rings of
3-8 firms landed in communities of median size ~300). :func:`leiden_communities` with the
constant Potts model (CPM) has no such limit: a group is kept when its internal link weight per
pair exceeds ``resolution``, so small rings stay small; it is what the analysis uses by default.

Both return a mapping ``enterprise id -> community number``. Numbers are canonical:
communities are numbered by decreasing size, ties broken by the smallest member id, so a
fixed seed gives the same mapping run after run. Isolated vertices are singletons.
:func:`keep_numbers` gives a community found again, with the same members, the number an earlier
run gave it: one new community of five would otherwise move the number of every smaller one, and
every firm's results would read as changed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import igraph as ig
import pandas as pd

__all__ = [
    "keep_numbers",
    "louvain_communities",
    "louvain_communities_python",
    "leiden_communities",
    "community_members",
]


@contextmanager
def _igraph_seed(seed: int | None):
    """Seed igraph's random number generator for the duration of a call, then restore it.

    igraph's generator is process-global, so concurrent calls in threads are not reproducible.
    """
    if seed is None:
        yield
        return
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def keep_numbers(found: Mapping[str, int], before: pd.Series) -> tuple[dict[str, int], set[int]]:
    """``found`` renumbered: a community whose members were all in one community of ``before`` (firm id -> its
    number then, NaN for a firm not analysed then), and were all of it, keeps that number; the others, taken in
    canonical order, get numbers after the highest of ``before``, so a number never names two member sets.

    Returns the membership and the numbers of ``before`` kept.

    >>> before = pd.Series({"a": 0, "b": 0, "c": 1, "d": 1, "e": 2})
    >>> keep_numbers({"a": 0, "b": 0, "c": 1, "d": 2, "e": 3}, before)
    ({'a': 0, 'b': 0, 'c': 3, 'd': 4, 'e': 2}, {0, 2})
    """
    groups: dict[int, list[str]] = {}
    for name, c in found.items():
        groups.setdefault(c, []).append(name)
    sizes = before.value_counts()
    was_in = before.reindex(list(found)).to_dict()
    next_id = int(before.max()) + 1 if before.notna().any() else 0
    membership, kept = {}, set()
    for members in sorted(groups.values(), key=lambda m: (-len(m), min(m))):
        was = {was_in[m] for m in members}
        number = was.pop() if len(was) == 1 else None
        if number is None or pd.isna(number) or sizes[number] != len(members):
            number, next_id = next_id, next_id + 1
        else:
            number = int(number)
            kept.add(number)
        membership.update(dict.fromkeys(members, number))
    return membership, kept


def _canonical(names: Sequence[str], membership: Sequence[int]) -> dict[str, int]:
    groups: dict[int, list[str]] = {}
    for name, label in zip(names, membership, strict=True):
        groups.setdefault(label, []).append(name)
    ordered = sorted(groups.values(), key=lambda members: (-len(members), min(members)))
    return {name: number for number, members in enumerate(ordered) for name in members}


def _weights(g: ig.Graph, weights: str | None) -> str | None:
    if weights is not None and weights not in g.es.attributes():
        if g.ecount() == 0:
            return None
        raise ValueError(f"graph has no edge attribute {weights!r}")
    return weights


def louvain_communities(
    g: ig.Graph, seed: int | None = None, *, weights: str | None = "weight", resolution: float = 1.0
) -> dict[str, int]:
    """Louvain communities (igraph ``community_multilevel``, C implementation).

    Parameters
    ----------
    g : igraph.Graph
        Undirected graph with vertex attribute ``name``.
    seed : int, optional
        Seed for the vertex visiting order; the same seed gives the same communities.
    weights : str or None
        Edge attribute holding weights (``None`` for unweighted).
    resolution : float
        Modularity resolution; higher gives more, smaller communities.

    Returns
    -------
    dict
        ``name -> community number`` (0 is the largest community).

    Examples
    --------
    >>> g = ig.Graph.Famous("Zachary"); g.vs["name"] = [str(i) for i in range(g.vcount())]
    >>> len(set(louvain_communities(g, seed=1, weights=None).values())) >= 3
    True

    References
    ----------
    .. [1] V. D. Blondel, J.-L. Guillaume, R. Lambiotte, E. Lefebvre, "Fast unfolding of
       communities in large networks", J. Stat. Mech. (2008) P10008.
    """
    weights = _weights(g, weights)
    if g.vcount() == 0:
        return {}
    with _igraph_seed(seed):
        clustering = g.community_multilevel(weights=weights, resolution=resolution)
    return _canonical(g.vs["name"], clustering.membership)


def louvain_communities_python(
    g: ig.Graph, seed: int | None = None, *, weights: str | None = "weight", resolution: float = 1.0
) -> dict[str, int]:
    """Louvain communities with python-louvain (pure Python), for comparison.

    Same parameters and result as :func:`louvain_communities`; much slower on large graphs.

    Examples
    --------
    >>> g = ig.Graph.Famous("Zachary"); g.vs["name"] = [str(i) for i in range(g.vcount())]
    >>> len(set(louvain_communities_python(g, seed=1, weights=None).values())) >= 3
    True

    References
    ----------
    .. [1] Blondel et al. (2008), see :func:`louvain_communities`; T. Aynaud, python-louvain.
    """
    import community as community_louvain
    import networkx as nx

    weights = _weights(g, weights)
    if g.vcount() == 0:
        return {}
    nxg = nx.Graph()
    nxg.add_nodes_from(range(g.vcount()))
    edge_weights = g.es[weights] if weights else [1.0] * g.ecount()
    nxg.add_weighted_edges_from((e.source, e.target, w) for e, w in zip(g.es, edge_weights, strict=True))
    partition = community_louvain.best_partition(nxg, weight="weight", resolution=resolution, random_state=seed)
    names = g.vs["name"]
    return _canonical(names, [partition[i] for i in range(g.vcount())])


def leiden_communities(
    g: ig.Graph,
    seed: int | None = None,
    *,
    weights: str | None = "weight",
    resolution: float = 0.5,
    objective: str = "CPM",
    n_iterations: int = -1,
) -> dict[str, int]:
    """Leiden communities (igraph ``community_leiden``, C implementation).

    Parameters
    ----------
    g : igraph.Graph
        Undirected graph with vertex attribute ``name``.
    seed : int, optional
        Seed for the refinement's random choices.
    weights : str or None
        Edge attribute holding weights.
    resolution : float
        For ``"CPM"``: the link weight per member pair a community must exceed (in the units of
        ``weights``; with the default ``idf`` projection 0.5 is one identifier shared by three).
    objective : {"CPM", "modularity"}
        Quality function.
    n_iterations : int
        Leiden iterations; negative runs until stable.

    Returns
    -------
    dict
        ``name -> community number`` (0 is the largest community).

    Examples
    --------
    >>> g = ig.Graph([(0, 1), (1, 2), (0, 2), (2, 3)]); g.vs["name"] = list("abcd"); g.es["weight"] = [1.0] * 4
    >>> leiden_communities(g, seed=1, resolution=0.9)
    {'a': 0, 'b': 0, 'c': 0, 'd': 1}

    References
    ----------
    .. [1] V. A. Traag, L. Waltman, N. J. van Eck, "From Louvain to Leiden: guaranteeing
       well-connected communities", Sci. Rep. 9, 5233 (2019).
    .. [2] S. Fortunato, M. Barthélemy, "Resolution limit in community detection", PNAS 104 (2007).
    """
    if objective not in ("CPM", "modularity"):
        raise ValueError(f"objective must be 'CPM' or 'modularity', got {objective!r}")
    weights = _weights(g, weights)
    if g.vcount() == 0:
        return {}
    with _igraph_seed(seed):
        clustering = g.community_leiden(
            objective_function=objective, weights=weights, resolution=resolution, n_iterations=n_iterations
        )
    return _canonical(g.vs["name"], clustering.membership)


def community_members(membership: Mapping[str, int], min_size: int = 1) -> dict[int, list[str]]:
    """Invert a membership mapping: ``community -> sorted member ids`` with at least ``min_size`` members.

    Examples
    --------
    >>> community_members({"a": 0, "b": 0, "c": 1}, min_size=2)
    {0: ['a', 'b']}
    """
    groups: dict[int, list[str]] = {}
    for name, label in membership.items():
        groups.setdefault(label, []).append(name)
    return {label: sorted(members) for label, members in sorted(groups.items()) if len(members) >= min_size}
