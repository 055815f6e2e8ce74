"""Enterprise graph projection on hand-built link tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from algorithms.centrality import degree_centrality, pagerank_centrality
from algorithms.projection import declaration_links, enterprise_edges, enterprise_graph
from algorithms.propagation import propagated_risk


def _links(rows):
    return pd.DataFrame(rows, columns=["enterprise", "kind", "target"])


def _edge(g, a, b):
    return g.es[g.get_eid(a, b)]


def test_declaration_links_derives_broker_seller_consignment():
    d = pd.DataFrame(
        {
            "importer_id": ["a", "a", "b"],
            "declarant_id": ["BRK", "BRK", None],
            "seller_id": ["S1", "S2", "S1"],
            "consignment_id": ["C1", "C2", "C3"],
        }
    )
    out = declaration_links(d)
    assert set(out.columns) == {"enterprise", "kind", "target", "n"}
    assert out[out.kind == "declarant"].values.tolist() == [["a", "declarant", "BRK", 2]]
    assert sorted(out[out.kind == "seller"][["enterprise", "target"]].values.tolist()) == [
        ["a", "S1"],
        ["a", "S2"],
        ["b", "S1"],
    ]
    assert len(out[out.kind == "consignment"]) == 3


def test_several_shared_identifiers_add_up():
    g = enterprise_graph(
        _links(
            [
                ("a", "address", "A"),
                ("b", "address", "A"),
                ("a", "phone", "P"),
                ("b", "phone", "P"),
                ("c", "phone", "Q"),
            ]
        )
    )
    assert g.vs["name"] == ["a", "b", "c"]
    e = _edge(g, "a", "b")
    assert e["kinds"] == ("address", "phone")
    assert e["shared"] == 2
    assert e["weight"] == pytest.approx(2 / math.log2(3))
    assert g.degree(g.vs.find(name="c").index) == 0  # an identifier nobody else holds links nobody


def test_common_identifier_is_damped_and_capped():
    rows = [("x", "address", "RARE"), ("y", "address", "RARE")]
    rows += [(f"f{i}", "declarant", "BIG") for i in range(10)] + [("x", "declarant", "BIG"), ("y", "declarant", "BIG")]
    g = enterprise_graph(_links(rows), max_degree=50)
    rare_and_big = _edge(g, "x", "y")["weight"]
    big_only = _edge(g, "f0", "f1")["weight"]
    assert big_only == pytest.approx(1 / math.log2(13))
    assert rare_and_big > 2 * big_only
    capped = enterprise_graph(_links(rows), max_degree=5)
    assert capped.ecount() == 1 and _edge(capped, "x", "y")["kinds"] == ("address",)


def test_two_sellers_count_once_as_kind_twice_in_weight():
    rows = [(e, "seller", s) for e in "ab" for s in ("S1", "S2")]
    e = _edge(enterprise_graph(_links(rows), weighting="resource_allocation"), "a", "b")
    assert e["kinds"] == ("seller",) and e["shared"] == 2 and e["weight"] == pytest.approx(2.0)


def test_kind_weights_and_isolated_enterprises():
    rows = [("a", "consignment", "C"), ("b", "consignment", "C")]
    g = enterprise_graph(
        _links(rows), enterprises=["z"], kind_weights={"consignment": 0.5}, weighting="resource_allocation"
    )
    assert g.vs["name"] == ["a", "b", "z"]
    assert _edge(g, "a", "b")["weight"] == pytest.approx(0.5)


def test_duplicate_rows_do_not_inflate_degree():
    rows = [("a", "phone", "P")] * 3 + [("b", "phone", "P")]
    assert enterprise_graph(_links(rows), weighting="resource_allocation").es[0]["weight"] == pytest.approx(1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="links is missing columns: target"):
        enterprise_graph(pd.DataFrame({"enterprise": ["a"], "kind": ["phone"]}))
    with pytest.raises(ValueError, match="weighting must be"):
        enterprise_graph(_links([("a", "phone", "P")]), weighting="jaccard")
    with pytest.raises(ValueError, match="max_degree"):
        enterprise_graph(_links([("a", "phone", "P")]), max_degree=1)
    with pytest.raises(ValueError, match="declarations is missing columns: importer_id"):
        declaration_links(pd.DataFrame({"seller_id": ["S"]}))


def test_empty_links():
    g = enterprise_graph(_links([]), enterprises=["a"])
    assert g.vcount() == 1 and g.ecount() == 0


def test_a_container_links_importers_only_within_one_voyage():
    d = pd.DataFrame(
        {
            "importer_id": ["a", "b", "c", "x", "y"],
            "consignment_id": ["MSCU1234565", "MSCU1234565", "MSCU1234565", "COSU6012345678", "COSU6012345678"],
            "date": pd.to_datetime(["2025-01-02", "2025-01-05", "2025-05-20", "2025-01-01", "2025-06-01"]),
        }
    )
    g = enterprise_graph(declaration_links(d)[["enterprise", "kind", "target"]])
    linked = {tuple(sorted((g.vs[e.source]["name"], g.vs[e.target]["name"]))) for e in g.es}
    # a and b: one voyage; c months later: reuse by the line; x and y: one bill of lading, whenever lodged
    assert linked == {("a", "b"), ("x", "y")}


def test_a_rare_shared_phone_outweighs_a_reused_container_and_a_common_seller():
    rows = [("p", "phone", "P1"), ("q", "phone", "P1")]  # a phone only two firms use
    rows += [(e, "seller", "BIG") for e in ["u", "v", *(f"f{i}" for i in range(18))]]  # a seller of 20 buyers
    links = _links(rows)
    container = pd.DataFrame(
        {
            "importer_id": ["u", "v"],
            "consignment_id": ["TGHU9876540", "TGHU9876540"],
            "date": pd.to_datetime(["2025-02-01", "2025-08-01"]),
        }
    )
    reused = enterprise_graph(pd.concat([links, declaration_links(container)[["enterprise", "kind", "target"]]]))
    assert _edge(reused, "u", "v")["kinds"] == ("seller",)  # the container months apart is no link
    assert _edge(reused, "p", "q")["weight"] > _edge(reused, "u", "v")["weight"]
    container["date"] = pd.to_datetime(["2025-02-01", "2025-02-03"])  # even on one voyage (co-loading)
    same_voyage = enterprise_graph(pd.concat([links, declaration_links(container)[["enterprise", "kind", "target"]]]))
    coincidence = _edge(same_voyage, "u", "v")
    assert coincidence["kinds"] == ("consignment", "seller")
    assert _edge(same_voyage, "p", "q")["weight"] > coincidence["weight"]


def test_the_edge_arrays_are_the_graphs_edges_and_the_walk_reads_them_alike():
    links = _links(
        [("a", "phone", "P1"), ("b", "phone", "P1"), ("b", "address", "A1"), ("c", "address", "A1"),
         ("c", "seller", "S1"), ("d", "seller", "S1"), ("e", "seller", "S1")]
    )  # fmt: skip
    edges = enterprise_edges(links, enterprises=["z"])
    g = edges.graph()
    assert [tuple(e) for e in edges.ends.tolist()] == g.get_edgelist()
    assert edges.weight.tolist() == g.es["weight"] and list(edges.names) == g.vs["name"]
    for violators in ({"a"}, {"a", "d"}):
        given = propagated_risk(edges, violators, exact_max_violators=1)
        pd.testing.assert_frame_equal(given, propagated_risk(g, violators, exact_max_violators=1))
        assert given.loc["c", "propagated_risk"] > 0 and given.loc["z", "propagated_risk"] == 0
    pd.testing.assert_series_equal(pagerank_centrality(edges), pagerank_centrality(g))
    pd.testing.assert_frame_equal(degree_centrality(edges), degree_centrality(g))
    with pytest.raises(ValueError, match="no edge attribute 'strength'"):
        propagated_risk(g, {"a"}, weights="strength")


def test_edge_weights_do_not_depend_on_the_order_of_the_links():
    """Two readings of one graph come back in other orders; their weights must be equal to the last bit, or ties in
    risk fall another way."""
    rng = np.random.default_rng(3)
    links = _links(
        [(f"e{rng.integers(40)}", str(rng.choice(["phone", "address", "seller"])), f"x{rng.integers(25)}")
         for _ in range(400)]
    )  # fmt: skip
    first = enterprise_edges(links)
    for seed in range(5):
        again = enterprise_edges(links.sample(frac=1.0, random_state=seed))
        assert again.ends.tolist() == first.ends.tolist() and again.weight.tolist() == first.weight.tolist()


@pytest.mark.parametrize(("given", "huge"), [(None, False), ("1", True)])
def test_the_command_runs_numpy_without_huge_pages_unless_told(given, huge):
    """Huge pages doubled the projection's first pass over fresh memory here; the setting is the command's own
    default, so a value set outside must still win."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given
    code = "import riskgraph.cli, numpy; print(numpy._core.multiarray._get_madvise_hugepage())"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == str(huge)
