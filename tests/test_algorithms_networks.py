"""Network and enterprise risk, end to end on the named shell-ring scenario."""

from __future__ import annotations

import igraph as ig
import pandas as pd
import pytest

from algorithms.networks import enterprise_risk, network_risk
from analysis.pipeline import AnalysisResult, analyze_frames
from sample.scenarios import shell_ring_scenario

RING = [f"RING{i}" for i in range(1, 6)]
BUSINESS_CENTRE = [f"BC{i:02d}" for i in range(1, 41)]


@pytest.fixture(scope="module")
def scenario():
    return shell_ring_scenario()


@pytest.fixture(scope="module")
def result(scenario) -> AnalysisResult:
    s = scenario
    return analyze_frames(s["enterprises"], s["declarations"], s["links"], s["known_violators"], s["as_of"], seed=1)


def test_shell_ring_is_one_community_and_the_top_network(result):
    top = result.networks[0]
    assert top["members"] == RING
    assert top["score"] >= 70 and top["kind"] == "anti-smuggling"
    signals = [r["signal"] for r in top["reasons"]]
    assert signals[0] == "shell_ring" and {"young_members", "strong_links", "exclusive_intermediaries"} <= set(signals)
    assert all(0 < r["strength"] <= 1 and r["detail"] for r in top["reasons"])
    assert "RING1" in next(r["detail"] for r in top["reasons"] if r["signal"] == "young_members")
    table = result.enterprises.set_index("id")
    assert table.loc[RING, "community"].nunique() == 1 and (table.loc[RING, "community_size"] == 5).all()


def test_honest_look_alikes_score_low(result):
    table = result.enterprises.set_index("id")
    for net in result.networks:
        if set(net["members"]) & set(BUSINESS_CENTRE + ["BIGIMP"]):
            assert net["score"] < 20, net
    assert table.loc[BUSINESS_CENTRE + ["BIGIMP"], "risk"].max() < 0.1
    assert table.loc[RING, "risk"].min() > 0.5


def test_propagation_reaches_neighbours_of_the_violator_only(result):
    table = result.enterprises.set_index("id")
    assert table.loc["NEAR1", "propagated_risk"] > table.loc["NEAR2", "propagated_risk"] > 0
    assert table.loc["ALONE", "propagated_risk"] == 0 and table.loc["RING1", "propagated_risk"] == 0
    assert table.loc["VIOL", "is_violator"] and table.loc["VIOL", "propagated_risk"] == 0
    near = next(n for n in result.networks if "VIOL" in n["members"])
    assert near["kind"] == "anti-smuggling"  # its past violation was smuggling


def test_cheap_declaration_shows_in_the_enterprise_reasons(result):
    table = result.enterprises.set_index("id")
    assert table.loc["CHEAP", "peer_share_below"] == 1.0 and table.loc["CHEAP", "tax_at_stake"] > 0
    assert any(r["signal"] == "undervaluation" for r in table.loc["CHEAP", "reasons"])
    assert table.loc["OLD05", "peer_share_below"] == 0.0


def test_result_shape_and_timings(result):
    columns = {
        "id",
        "community",
        "pagerank",
        "betweenness",
        "degree",
        "propagated_risk",
        "peer_share_below",
        "young",
        "volume_spike",
        "new_route",
        "broker_switch",
        "risk",
        "reasons",
    }
    assert columns <= set(result.enterprises.columns)
    assert result.enterprises["risk"].between(0, 1).all()
    assert result.enterprises["risk"].is_monotonic_decreasing
    assert set(result.timings) >= {"projection", "communities", "centrality", "propagation", "peers", "recency"}
    assert all(0 <= n["score"] <= 100 for n in result.networks)
    assert result.betweenness_method == "exact"


def test_deterministic_for_a_fixed_seed(scenario, result):
    s = scenario
    again = analyze_frames(s["enterprises"], s["declarations"], s["links"], s["known_violators"], s["as_of"], seed=1)
    assert again.networks == result.networks
    pd.testing.assert_frame_equal(again.enterprises, result.enterprises)


def test_future_declarations_are_ignored(scenario, result):
    s = scenario
    future = (
        s["declarations"]
        .iloc[:1]
        .assign(
            id="FUT",
            date=s["as_of"] + pd.Timedelta(days=3),
            importer_id="ALONE",
            declarant_id="BRK-RING",
            seller_id="SELL-RING",
        )
    )
    d = pd.concat([s["declarations"], future], ignore_index=True)
    again = analyze_frames(s["enterprises"], d, s["links"], s["known_violators"], s["as_of"], seed=1)
    assert again.networks == result.networks


def test_louvain_finds_the_ring_too(scenario):
    s = scenario
    r = analyze_frames(
        s["enterprises"],
        s["declarations"],
        s["links"],
        s["known_violators"],
        s["as_of"],
        seed=1,
        community_method="louvain",
    )
    assert r.networks[0]["members"] == RING
    assert all(n["score"] < 20 for n in r.networks if set(n["members"]) & set(BUSINESS_CENTRE))


def test_undervaluing_pair_routes_to_audit():
    g = ig.Graph([(0, 1)])
    g.vs["name"] = ["x", "y"]
    g.es["weight"], g.es["kinds"] = [0.6], [("seller",)]
    table = pd.DataFrame(
        {
            "community": [0, 0],
            "young": [False, False],
            "peer_share_below": [0.6, 0.4],
            "peer_compared": [10, 10],
            "value_shortfall": [5e5, 2e5],
            "tax_at_stake": [5e4, 2e4],
        },
        index=["x", "y"],
    )
    (net,) = network_risk(g, table)
    assert net["kind"] == "audit" and net["reasons"][0]["signal"] == "undervaluation"
    assert net["value_at_stake"] == pytest.approx(7e4)
    risk = enterprise_risk(table, [net])
    assert risk.loc["x", "risk"] > risk.loc["y", "risk"] > 0


def test_bad_input(scenario):
    s = scenario
    with pytest.raises(ValueError, match="enterprises is missing columns: registered"):
        analyze_frames(s["enterprises"].drop(columns="registered"), s["declarations"], s["links"], set(), s["as_of"])
    with pytest.raises(ValueError, match="declarations is missing columns: hs6"):
        analyze_frames(s["enterprises"], s["declarations"].drop(columns="hs6"), s["links"], set(), s["as_of"])
    with pytest.raises(ValueError, match="links must be a pandas DataFrame"):
        analyze_frames(s["enterprises"], s["declarations"], [("a", "phone", "p")], set(), s["as_of"])
    with pytest.raises(ValueError, match="community_method must be"):
        analyze_frames(s["enterprises"], s["declarations"], s["links"], set(), s["as_of"], community_method="kmeans")
    with pytest.raises(ValueError, match="table is missing columns: community"):
        network_risk(ig.Graph(), pd.DataFrame({"x": [1]}))


def _coincidence_and_ring():
    """Young firms L1, L2 whose only ties are one container on one voyage and a seller of 20 buyers; old
    firms R1-R3 sharing a phone, an address and a seller of their own, declaring far below peer prices."""
    honest = [f"F{i:02d}" for i in range(18)]
    ring = ["R1", "R2", "R3"]
    firms = ["L1", "L2", *ring, *honest]
    registered = ["2025-09-01", "2025-09-15", *["2012-01-01"] * (len(firms) - 2)]
    enterprises = pd.DataFrame(
        {"id": firms, "name": firms, "category": None, "registered": pd.to_datetime(registered), "country": None}
    )
    rows = []
    for i, f in enumerate(honest + ["L1", "L2"]):
        for k in range(3):
            rows.append((f, "BIG", f"CN{i:03d}{k}", 100.0))
    for f in ring:
        for k in range(3):
            rows.append((f, "RS", f"RING{f}{k}", 25.0))
    rows.append(("L1", "BIG", "TGHU9876540", 100.0))
    rows.append(("L2", "BIG", "TGHU9876540", 100.0))
    declarations = pd.DataFrame(rows, columns=["importer_id", "seller_id", "consignment_id", "value"])
    declarations["id"] = [f"D{i}" for i in range(len(declarations))]
    declarations["date"] = pd.Timestamp("2025-11-02")
    declarations["hs6"], declarations["origin"], declarations["net_mass"] = "220421", "FR", 1.0
    declarations["route"] = ["FRLEH>SGSIN>CNSHA" if f in ring else "FRLEH>CNSHA" for f in declarations["importer_id"]]
    links = pd.DataFrame(
        [(f, kind, target) for f in ring for kind, target in (("phone", "P-RING"), ("address", "A-RING"))],
        columns=["enterprise", "kind", "target"],
    )
    return enterprises, declarations, links


def test_coincidental_container_and_common_seller_rank_below_rare_shared_identifiers():
    enterprises, declarations, links = _coincidence_and_ring()
    r = analyze_frames(enterprises, declarations, links, set(), "2025-12-01", seed=1)
    rank = {m: i for i, net in enumerate(r.networks) for m in net["members"]}
    ring_net = r.networks[rank["R1"]]
    assert set(ring_net["members"]) == {"R1", "R2", "R3"}
    assert rank.get("L1", len(r.networks)) > rank["R1"]
    coincidence = [n for n in r.networks if {"L1", "L2"} <= set(n["members"])]
    assert all(n["score"] < ring_net["score"] for n in coincidence)
    # a ring of rare shared identifiers declaring far below its peers is smuggling, not a valuation audit
    assert ring_net["kind"] == "anti-smuggling" and ring_net["routing"].startswith("ring:")
    assert "under-valuation" in ring_net["routing"] and "transshipment" in ring_net["routing"]


def _family_and_trio():
    """Old firms declaring far below peer prices through a seller of their own: a pair (P1, P2: one
    family sharing phone, address and supplier) and a trio (T1-T3 the same), beside 18 honest buyers of
    one big seller at the usual price. No young firm, no transit port."""
    honest = [f"F{i:02d}" for i in range(18)]
    pair, trio = ["P1", "P2"], ["T1", "T2", "T3"]
    firms = [*pair, *trio, *honest]
    enterprises = pd.DataFrame(
        {"id": firms, "name": firms, "category": None, "registered": pd.Timestamp("2012-01-01"), "country": None}
    )
    rows = [(f, "BIG", 100.0) for f in honest for _ in range(3)]
    rows += [(f, "PS", 25.0) for f in pair for _ in range(3)] + [(f, "TS", 25.0) for f in trio for _ in range(3)]
    declarations = pd.DataFrame(rows, columns=["importer_id", "seller_id", "value"])
    declarations["id"] = [f"D{i}" for i in range(len(declarations))]
    declarations["date"] = pd.Timestamp("2025-11-02")
    declarations["hs6"], declarations["origin"], declarations["net_mass"] = "220421", "FR", 1.0
    declarations["route"] = "FRLEH>CNSHA"
    links = pd.DataFrame(
        [(f, kind, f"{kind}-{group[0]}") for group in (pair, trio) for f in group for kind in ("phone", "address")],
        columns=["enterprise", "kind", "target"],
    )
    return enterprises, declarations, links


def test_an_exclusive_seller_marks_a_ring_only_from_three_members():
    enterprises, declarations, links = _family_and_trio()
    r = analyze_frames(enterprises, declarations, links, set(), "2025-12-01", seed=1)
    of = {m: net for net in r.networks for m in net["members"]}
    pair, trio = of["P1"], of["T1"]
    assert set(pair["members"]) == {"P1", "P2"} and set(trio["members"]) == {"T1", "T2", "T3"}
    # one family buying from its own supplier below peer prices: a valuation audit, not a ring
    assert pair["kind"] == "audit" and "exclusive" not in pair["routing"]
    assert trio["kind"] == "anti-smuggling" and "an exclusive broker or seller" in trio["routing"]


def test_networks_read_alike_from_the_edge_arrays_and_from_the_graphs_attributes(result):
    """The analysis hands network scoring its edge arrays (kinds as bit masks); a caller with only a graph whose
    edges carry ``weight`` and ``kinds`` gets the same networks, reasons included."""
    table = result.enterprises.set_index("id")
    edges = result.edges
    g = edges.graph()
    assert "kinds" not in g.es.attributes()
    with_kinds = edges.graph()
    with_kinds.es["kinds"] = edges.kinds
    from_arrays = network_risk(edges, table)
    assert from_arrays == network_risk(with_kinds, table)
    assert any("strong_links" in [r["signal"] for r in n["reasons"]] for n in from_arrays)
    # a graph without kinds reads as links of no kind: no strong links
    assert not any("strong_links" in [r["signal"] for r in n["reasons"]] for n in network_risk(g, table))


def test_the_same_with_betweenness_and_recency_in_forked_children(scenario, result, always_beside):
    """What a graph of 100,000 edges or more runs on the other core: the same figures."""
    s = scenario
    forked = analyze_frames(s["enterprises"], s["declarations"], s["links"], s["known_violators"], s["as_of"], seed=1)
    assert forked.networks == result.networks
    pd.testing.assert_frame_equal(forked.enterprises, result.enterprises)


def test_a_community_found_again_keeps_its_number_when_a_bigger_one_appears():
    """Canonical numbers go by size: a new family of four would move the trio's and the pair's numbers (and every
    member would read as changed); given the earlier run's numbers, they keep theirs and the family gets a new one."""
    enterprises, declarations, links = _family_and_trio()
    first = analyze_frames(enterprises, declarations, links, set(), "2025-12-01", seed=1)
    numbers = first.enterprises.set_index("id")["community"]
    family = ["Q1", "Q2", "Q3", "Q4"]
    enterprises = pd.concat([enterprises, enterprises.iloc[:4].assign(id=family, name=family)], ignore_index=True)
    rows = declarations.iloc[:12].assign(importer_id=[f for f in family for _ in range(3)], seller_id="QS")
    declarations = pd.concat([declarations, rows.assign(id=[f"Q{i}" for i in range(12)])], ignore_index=True)
    shared = [(f, kind, f"{kind}-Q") for f in family for kind in ("phone", "address")]
    links = pd.concat([links, pd.DataFrame(shared, columns=links.columns)], ignore_index=True)
    canonical = analyze_frames(enterprises, declarations, links, set(), "2025-12-01", seed=1)
    kept = analyze_frames(enterprises, declarations, links, set(), "2025-12-01", seed=1, numbers=numbers)
    moved = canonical.enterprises.set_index("id")["community"]
    again = kept.enterprises.set_index("id")["community"]
    assert moved["T1"] != numbers["T1"] and moved["P1"] != numbers["P1"]
    assert all(again[f] == numbers[f] for f in numbers.index)
    assert len({again[f] for f in family}) == 1 and again["Q1"] > numbers.max()
    assert {net["id"] for net in kept.networks} == {numbers["P1"], numbers["T1"], again["Q1"]}
