"""The exploration API over real HTTP: ``riskgraph serve`` on the hand-built graph of ``tests.explore_setup``.

Every answer is known from how the graph was built: the shell ring, the bridge firm linking it to an
honest firm's address, and SHELL1's change of broker and route.
"""

from __future__ import annotations

from ingest import normalize as nz

pytest_plugins = ("tests.explore_setup",)

SHELLS = ["SHELL1", "SHELL2", "SHELL3"]

RING_PHONE = "Phone:" + nz.normalize_phone("+86 21 5555 0001", "CN")
PARK = "Address:" + nz.address_key("No. 1 Industrial Park Avenue, Suzhou", "CN")


def _get(server, path: str, status: int = 200, **params) -> dict:
    response = server.client.get(path, params=params, timeout=30)
    assert response.status_code == status, response.text
    return response.json()


def test_search_finds_enterprises_addresses_phones_and_containers(explore_server):
    server, _ = explore_server
    firms = _get(server, "/v1/search", q="ShElL")["items"]
    assert {n["id"] for n in firms} == set(SHELLS) and all(n["label"] == "Enterprise" for n in firms)
    assert [n["label"] for n in _get(server, "/v1/search", q="harbour road")["items"]] == ["Address"]
    assert [n["id"] for n in _get(server, "/v1/search", q="5555")["items"]] == [RING_PHONE]
    containers = _get(server, "/v1/search", q="msku700000", limit=3)
    assert containers["count"] == 3 and {n["label"] for n in containers["items"]} == {"Consignment"}
    assert _get(server, "/v1/search", q="shell1")["items"][0]["id"] == "SHELL1"  # the exact key first
    assert _get(server, "/v1/search", q="nothing-like-this")["items"] == []


def test_enterprise_profile_with_risk_reasons_and_network(explore_server):
    server, summary = explore_server
    view = _get(server, "/v1/enterprises/SHELL1")
    assert view["risk"] > 0.5 and view["network"]["id"] == summary["top_networks"][0]["id"]
    assert view["network"]["kind"] == "anti-smuggling"
    assert "network" in [r["signal"] for r in view["reasons"]]
    assert {o["id"] for o in view["linked"]} == {"SHELL2", "SHELL3", "BRIDGE"}


def test_network_depth_one_and_two(explore_server):
    server, _ = explore_server
    one = _get(server, "/v1/enterprises/SHELL1/network", depth=1)
    ids = {n["id"] for n in one["nodes"]}
    assert {"SHELL1", "SHELL2", "SHELL3", "BRIDGE", "BRK-R", "BRK-X", "SELL-R", RING_PHONE} <= ids
    assert "HONEST1" not in ids and not one["truncated"]
    edges = {(e["source"], e["target"], e["type"], e.get("role")) for e in one["edges"]}
    assert ("BRIDGE", RING_PHONE, "HAS_PHONE", None) in edges
    broker = next(e for e in one["edges"] if e["source"] == "BRK-R" and e["target"] == "SHELL1")
    assert broker["type"] == "FILED" and broker["role"] == "declarant" and broker["declarations"] == 2
    assert all(e["source"] in ids and e["target"] in ids for e in one["edges"])
    shell = next(n for n in one["nodes"] if n["id"] == "SHELL2")
    assert {"id", "label", "caption", "risk", "community"} <= set(shell) and shell["risk"] > 0.5

    two = _get(server, "/v1/enterprises/SHELL1/network", depth=2)
    assert {"HONEST1", PARK, "BRK-BRIDGE"} <= {n["id"] for n in two["nodes"]}
    assert "HONEST2" not in {n["id"] for n in two["nodes"]}

    cut = _get(server, "/v1/enterprises/SHELL1/network", depth=2, limit=3)
    assert len(cut["nodes"]) == 3 and cut["truncated"] and cut["nodes"][0]["id"] == "SHELL1"


def test_shortest_connection_respects_the_hop_bound(explore_server):
    server, _ = explore_server
    found = _get(server, "/v1/paths", **{"from": "SHELL1", "to": "HONEST1", "max_hops": 4})
    assert found["count"] == 1
    path = found["paths"][0]
    assert [n["id"] for n in path["nodes"]] == ["SHELL1", RING_PHONE, "BRIDGE", PARK, "HONEST1"]
    assert [(e["source"], e["target"], e["type"]) for e in path["edges"]] == [
        ("SHELL1", RING_PHONE, "HAS_PHONE"),
        ("BRIDGE", RING_PHONE, "HAS_PHONE"),
        ("BRIDGE", PARK, "HAS_ADDRESS"),
        ("HONEST1", PARK, "HAS_ADDRESS"),
    ]
    assert _get(server, "/v1/paths", **{"from": "SHELL1", "to": "HONEST1", "max_hops": 3})["paths"] == []
    # Any entity by Label:key; three shortest ways from SHELL1 to SHELL2 (address, phone, representative).
    to_phone = _get(server, "/v1/paths", **{"from": "HONEST1", "to": RING_PHONE})
    assert to_phone["paths"][0]["hops"] == 3
    assert _get(server, "/v1/paths", **{"from": "SHELL1", "to": "SHELL2", "max_hops": 2})["count"] >= 3


def test_networks_list_filters_and_one_network(explore_server):
    server, summary = explore_server
    listed = _get(server, "/v1/networks")
    assert [n["id"] for n in listed["items"]] == [n["id"] for n in summary["top_networks"]]
    top = listed["items"][0]
    assert {"id", "score", "kind", "routing", "members", "reasons"} <= set(top)
    assert top["members"] == SHELLS and top["kind"] == "anti-smuggling"
    assert top["reasons"][0]["signal"] == "shell_ring"
    audit = _get(server, "/v1/networks", kind="audit")["items"]
    assert audit and all(n["kind"] == "audit" for n in audit) and top["id"] not in [n["id"] for n in audit]
    assert _get(server, "/v1/networks", limit=1)["count"] == 1

    one = _get(server, f"/v1/networks/{top['id']}")
    assert sorted(m["id"] for m in one["members"]) == SHELLS and one["score"] == top["score"]
    assert one["reasons"] == top["reasons"] and one["size"] == 3


def test_timeline_shows_outcomes_and_changes(explore_server):
    server, _ = explore_server
    line = _get(server, "/v1/enterprises/SHELL1/timeline")
    rows = line["declarations"]
    assert [r["date"] for r in rows] == ["2025-11-01", "2025-11-15", "2025-12-01", "2025-12-15"]
    assert rows[1]["inspected"] == 1 and rows[1]["violation"] == 0
    assert rows[3]["violation"] == 1 and rows[3]["violation_type"] == "undervaluation"
    assert rows[0]["route"] == "VNSGN>CNSHA" and rows[0]["broker"] == "BRK-R" and rows[0]["seller"] == "SELL-R"
    assert line["changes"] == [
        {"date": "2025-12-01", "declaration": "EXD003", "field": "broker", "from": "BRK-R", "to": "BRK-X"},
        {"date": "2025-12-15", "declaration": "EXD004", "field": "route", "from": "VNSGN>CNSHA", "to": "THBKK>CNSHA"},
    ]
    assert line["cases"] == []


def test_timeline_lists_cases(explore_server, driver):
    server, _ = explore_server
    driver.execute_query(
        "MATCH (e:Enterprise {id: 'SHELL1'}), (d:Declaration {id: 'EXD004'}) "
        "CREATE (c:Case {id: 'CASE-X1', kind: 'anti-smuggling', status: 'open', opened: datetime('2025-12-20T00:00Z')}) "
        "CREATE (c)-[:CONCERNS]->(e), (c)-[:CONCERNS]->(d)"
    )
    try:
        line = _get(server, "/v1/enterprises/SHELL1/timeline")
    finally:
        driver.execute_query("MATCH (c:Case {id: 'CASE-X1'}) DETACH DELETE c")
    assert [c["id"] for c in line["cases"]] == ["CASE-X1"] and line["cases"][0]["status"] == "open"
    assert [r["cases"] for r in line["declarations"]] == [[], [], [], ["CASE-X1"]]


def test_unknown_ids_are_404_in_the_one_error_shape(explore_server):
    server, _ = explore_server
    for path in (
        "/v1/enterprises/NO-SUCH",
        "/v1/enterprises/NO-SUCH/network",
        "/v1/enterprises/NO-SUCH/timeline",
        "/v1/enterprises/NO-SUCH/chart",
        "/v1/networks/424242",
        "/v1/networks/424242/chart",
    ):
        body = _get(server, path, status=404)
        assert body["error"]["code"] == "not_found", path
    missing = _get(server, "/v1/paths", status=404, **{"from": "SHELL1", "to": "Phone:000"})
    assert "Phone" in missing["error"]["message"]


def test_bad_parameters_are_422(explore_server):
    server, _ = explore_server
    for depth in (0, 4, "two"):
        body = _get(server, "/v1/enterprises/SHELL1/network", status=422, depth=depth)
        assert body["error"]["code"] == "invalid_request" and "depth" in body["error"]["message"]
    _get(server, "/v1/enterprises/SHELL1/network", status=422, limit=501)
    _get(server, "/v1/paths", status=422, **{"from": "SHELL1", "to": "HONEST1", "max_hops": 7})
    _get(server, "/v1/paths", status=422, **{"from": "SHELL1", "to": "SHELL1"})
    _get(server, "/v1/paths", status=422, **{"from": "SHELL1"})
    _get(server, "/v1/search", status=422, q="x")
    _get(server, "/v1/search", status=422, q="   ")
    _get(server, "/v1/networks", status=422, kind="tax")
    _get(server, "/v1/networks/abc", status=422)
