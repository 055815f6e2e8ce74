"""The API the workbench reads, over real HTTP on the hand-built graph of ``tests.explore_setup``: network
filters, a network's neighbourhood as JSON, the dates on declaration links, a case's allowed moves, and the
page's static files served open and offline."""

from __future__ import annotations

import httpx

from tests.explore_setup import SHELLS

pytest_plugins = ("tests.explore_setup",)


def test_networks_filter_by_minimum_score_and_office(explore_server):
    server, _ = explore_server
    api = server.client
    everything = api.get("/v1/networks", params={"limit": 100}).json()["items"]
    assert len(everything) >= 2 and all(n["size"] == len(n["members"]) for n in everything)
    threshold = everything[0]["score"]
    top = api.get("/v1/networks", params={"min_score": threshold}).json()["items"]
    assert top and all(n["score"] >= threshold for n in top) and len(top) < len(everything)
    # The ring lodged at Shanghai only: a Shanghai filter keeps it, the Qingdao one keeps only networks with
    # a member that lodged there (HONEST2's), by code or by name.
    ring = next(n for n in everything if set(SHELLS) <= set(n["members"]))
    in_shanghai = api.get("/v1/networks", params={"office": "Shanghai Parameter Sub-centre"}).json()["items"]
    assert ring["id"] in [n["id"] for n in in_shanghai]
    for qingdao in ("Qingdao", "SC-QINGDAO"):
        found = api.get("/v1/networks", params={"office": qingdao}).json()["items"]
        assert ring["id"] not in [n["id"] for n in found]
        assert all("HONEST2" in n["members"] for n in found)
    refused = api.get("/v1/networks", params={"office": "Atlantis"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_request"
    assert api.get("/v1/networks", params={"min_score": 101}).status_code == 422


def test_office_filter_stays_within_the_keys_jurisdiction(explore_server):
    server, _ = explore_server
    qingdao = server.client_as("investigator", "Qingdao")
    # a Qingdao key asking for Shanghai's networks gets none, not Shanghai's
    assert qingdao.get("/v1/networks", params={"office": "Shanghai"}).json()["items"] == []


def test_network_neighbourhood_is_the_members_and_what_they_share(explore_server):
    server, _ = explore_server
    api = server.client
    ring = next(n for n in api.get("/v1/networks").json()["items"] if set(SHELLS) <= set(n["members"]))
    graph = api.get(f"/v1/networks/{ring['id']}/neighbourhood").json()
    ids = {n["id"] for n in graph["nodes"]}
    assert set(SHELLS) <= ids and "BRK-R" in ids and graph["depth"] == 1 and graph["truncated"] is False
    assert {"HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "FILED"} <= {e["type"] for e in graph["edges"]}
    assert all(e["source"] in ids and e["target"] in ids for e in graph["edges"])
    cut = api.get(f"/v1/networks/{ring['id']}/neighbourhood", params={"limit": 3}).json()
    assert len(cut["nodes"]) == 3 and cut["truncated"] is True
    assert api.get("/v1/networks/987654/neighbourhood").status_code == 404
    assert "/v1/networks/{network_id}/neighbourhood" in api.get("/openapi.json").json()["paths"]


def test_declaration_links_carry_their_first_and_last_dates(explore_server):
    server, _ = explore_server
    edges = server.client.get("/v1/enterprises/SHELL1/network").json()["edges"]
    filed = {
        (e["source"], e["role"]): (e["first"], e["last"], e["declarations"]) for e in edges if e["type"] == "FILED"
    }
    # SHELL1 used broker BRK-R in November and BRK-X in December (tests.explore_setup)
    assert filed[("BRK-R", "declarant")] == ("2025-11-01", "2025-11-15", 2)
    assert filed[("BRK-X", "declarant")] == ("2025-12-01", "2025-12-15", 2)
    assert filed[("SELL-R", "consignor")] == ("2025-11-01", "2025-12-15", 4)
    assert all("first" not in e for e in edges if e["type"] != "FILED")


def test_a_case_lists_the_status_moves_it_allows(explore_server):
    server, _ = explore_server
    api = server.client
    case = api.post("/v1/cases", json={"enterprise_id": "SHELL2", "title": "moves", "kind": "audit"}).json()
    assert case["moves"] == ["investigating", "closed"]
    assert api.patch(f"/v1/cases/{case['id']}", json={"status": "investigating"}).json()["moves"] == [
        "referred",
        "closed",
    ]
    closed = api.patch(f"/v1/cases/{case['id']}", json={"status": "closed", "outcome": "no_violation"}).json()
    assert closed["moves"] == [] and api.get(f"/v1/cases/{case['id']}").json()["moves"] == []


def test_the_workbench_files_are_served_without_a_key(explore_server):
    server, _ = explore_server
    for path in (
        "/static/workbench/main.js",
        "/static/vendor/vis-timeline/vis-timeline-graph2d.min.js",
        "/static/vendor/vis-timeline/LICENSE.md",
        "/static/vendor/vis-network/vis-network.min.js",
    ):
        response = httpx.get(server.url + path, timeout=30)
        assert response.status_code == 200 and response.content, path
    assert httpx.get(server.url + "/static/workbench/nothing.js", timeout=30).status_code == 404
    # the client folds the dots (/api/keys.py): outside the open static folders, refused before any route
    assert httpx.get(server.url + "/static/../api/keys.py", timeout=30).status_code in (401, 404)
