"""Risk propagation from known violators."""

from __future__ import annotations

import igraph as ig
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.propagation import propagated_risk


def chain() -> ig.Graph:
    """v - n1 - n2 - n3, and ``far`` on its own."""
    g = ig.Graph()
    g.add_vertices(["v", "n1", "n2", "n3", "far"])
    g.add_edges([("v", "n1"), ("n1", "n2"), ("n2", "n3")])
    g.es["weight"] = [1.0, 1.0, 1.0]
    return g


def test_reaches_neighbours_not_disconnected():
    r = propagated_risk(chain(), {"v"})
    assert r.loc["n1", "propagated_risk"] == pytest.approx(1.0)
    assert r.loc["n1", "propagated_risk"] > r.loc["n2", "propagated_risk"] > r.loc["n3", "propagated_risk"] > 0
    assert r.loc["far", "propagated_risk"] == 0.0
    assert r.loc["n1", "violator_neighbours"] == ("v",) and r.loc["n2", "violator_neighbours"] == ()


def test_violator_is_not_driven_by_its_own_restart():
    r = propagated_risk(chain(), {"v"})
    assert bool(r.loc["v", "is_violator"]) and r.loc["v", "propagated_risk"] == 0.0
    both = propagated_risk(chain(), pd.Series(["v", "n2"]))
    # n2 gets risk only from v and vice versa; each is exposed through n1
    assert both.loc["v", "propagated_risk"] > 0 and both.loc["n2", "propagated_risk"] > 0
    assert both.loc["n1", "propagated_risk"] == pytest.approx(1.0)


def test_approximate_leave_one_out_errs_on_the_side_of_risk():
    exact = propagated_risk(chain(), {"v", "n3"})
    approx = propagated_risk(chain(), {"v", "n3"}, exact_max_violators=1)
    # by symmetry v and n3 feed each other; n3 reaches v only through n1 and n2
    assert exact.loc["v", "propagated_raw"] == pytest.approx(0.10128, abs=1e-4)
    assert approx.loc["v", "propagated_raw"] >= exact.loc["v", "propagated_raw"]
    assert approx.loc[["n1", "n2", "far"], "propagated_raw"].equals(exact.loc[["n1", "n2", "far"], "propagated_raw"])


def test_no_violators_and_unknown_ids():
    r = propagated_risk(chain(), {"nobody"})
    assert (r["propagated_risk"] == 0).all() and not r["is_violator"].any()
    with pytest.raises(ValueError, match="damping"):
        propagated_risk(chain(), {"v"}, damping=0.0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    pairs=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40),
    bad=st.sets(st.integers(0, 11)),
    names=st.permutations([f"e{i:02d}" for i in range(12)]),
)
def test_violator_neighbours_are_each_vertex_s_violator_neighbours_by_name(n, pairs, bad, names):
    """Whatever the vertex order, parallel edges or self-loops: a vertex lists every violator at the other end of
    each of its edges (once per edge), sorted by name."""
    g = ig.Graph(n=n, edges=[(a % n, b % n) for a, b in pairs])
    g.vs["name"] = names[:n]
    g.es["weight"] = [1.0] * g.ecount()
    violators = {names[i % n] for i in bad}
    r = propagated_risk(g, violators)
    for v in g.vs:
        ends = [g.vs[other]["name"] for e in g.es.select(_incident=[v.index]) for other in e.tuple if other != v.index]
        loops = [v["name"]] * 2 * sum(1 for e in g.es.select(_incident=[v.index]) if e.source == e.target)
        expected = sorted(x for x in ends + loops if x in violators)
        assert r.loc[v["name"], "violator_neighbours"] == tuple(expected)
