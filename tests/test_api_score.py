"""The scoring API over real HTTP: ``riskgraph serve`` in a subprocess, called with httpx.

The server's ``NEO4J_URI`` points at a port where nothing listens, so every answer here is proof
that clearance scoring, rules and snapshot reloads never need the graph.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

DECLARATION = {
    "declaration_id": "API-0001",
    "date": "2026-01-05",
    "importer_id": "91440300MA5XXXXXX",
    "hs_code": "8517130000",
    "value": 12000,
    "net_mass": 30,
    "quantity": 100,
    "origin_country": "VN",
    "office": "Shenzhen",
    "loading_port": "VNHPH",
    "discharge_port": "CNYTN",
    "transport_mode": "sea",
}
RULE = {
    "id": "phones-via-yantian",
    "description": "Phones shipped from Haiphong into Shenzhen",
    "target": "tax",
    "weight": 0.8,
    "owner": "SC-HUANGPU",
    "offices": ["CD-SHENZHEN"],
    "effective_from": "2025-01-01",
    "conditions": {"hs_prefix": ["8517"], "port": ["VNHPH"]},
}

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture


@pytest.fixture(scope="module")
def server(trained, start_server):
    env, _, _ = trained
    with socket.socket() as s:  # a port that nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        dead = {**env, "NEO4J_URI": f"bolt://127.0.0.1:{s.getsockname()[1]}"}
    return start_server(dead)


def _score(server, declaration=DECLARATION) -> dict:
    response = server.client.post("/v1/score", json=declaration, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_health_names_the_snapshot(server, trained):
    body = server.client.get("/health").json()
    assert body["status"] == "ok" and body["snapshot"] == trained[2]["snapshot"]
    assert body["model_version"] == trained[2]["model_version"]
    card, metrics = body["model"], trained[2]["metrics"]  # the published model against its baseline
    assert card["published"] == metrics["published"] in ("model", "blend", "baseline") and card["why"]
    for rate in ("5%", "10%"):
        assert card["baseline"][f"precision@{rate}"] == metrics["baseline"][f"precision@{rate}"]
        assert card["model"][f"precision@{rate}"] >= card["baseline"][f"precision@{rate}"]


def test_score_one_declaration(server):
    decision = _score(server)
    assert decision["declaration_id"] == "API-0001" and 0 <= decision["score"] <= 100
    channel = {"low": "fast release", "medium": "document check", "high": "physical inspection"}[decision["level"]]
    assert decision["channel"] == ("physical inspection" if decision["random"] else channel)
    # the model's contributions explain every declaration that is not released
    assert any(r["kind"] == "model" for r in decision["reasons"]) == (decision["channel"] != "fast release")


def test_batch_keeps_order_and_agrees_with_single_scores(server):
    batch = [{**DECLARATION, "declaration_id": f"API-{i}", "value": 1000 * (i + 1)} for i in range(50)]
    body = server.client.post("/v1/score/batch", json={"declarations": batch}, timeout=30).json()
    assert body["count"] == 50 and [d["declaration_id"] for d in body["data"]] == [f"API-{i}" for i in range(50)]
    single = _score(server, batch[7])
    assert body["data"][7]["score"] == single["score"] and body["data"][7]["level"] == single["level"]


def test_bad_requests_answer_in_one_error_shape(server):
    bad = server.client.post("/v1/score", json={**DECLARATION, "hs_code": "85", "colour": "red", "value": -1})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_request"
    assert {d["field"] for d in error["details"]} == {"hs_code", "colour", "value"}
    assert "Traceback" not in bad.text
    missing = server.client.get("/v1/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "http_404"
    not_json = server.client.post("/v1/score", content=b"{oops", headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "invalid_request"
    huge = server.client.post("/v1/score/batch", content=b" " * (17 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    empty = server.client.post("/v1/score/batch", json={"declarations": []})
    assert empty.status_code == 422


def test_rules_through_the_api_take_effect_without_restart(server):
    before = _score(server)
    assert "phones-via-yantian" not in before["rule_hits"]
    outside = server.client.post("/v1/rules", json={**RULE, "offices": ["Ningbo"]})
    assert outside.status_code == 422
    assert "CD-NINGBO is outside the jurisdiction of SC-HUANGPU" in outside.json()["error"]["message"]
    proposed = server.client.post("/v1/rules", json=RULE)
    assert proposed.status_code == 202
    time.sleep(1.2)
    assert _score(server)["rule_hits"] == []  # proposed, not yet approved
    second = httpx.Client(base_url=server.url, timeout=60, headers={"X-API-Key": _named_key(server, "second admin")})
    created = second.post(f"/v1/rules/changes/{proposed.json()['id']}/approve")
    assert created.status_code == 200 and created.json()["version"] == 1
    time.sleep(1.2)  # the live scorer looks for changes at most once a second
    hit = _score(server)
    assert hit["rule_hits"] == ["phones-via-yantian"]
    assert hit["score"] == pytest.approx(100 - (100 - before["score"]) * 0.2, abs=0.02)
    assert any(r["kind"] == "rule" and r["rule"] == "phones-via-yantian" for r in hit["reasons"])
    listed = server.client.get("/v1/rules").json()
    assert listed["count"] == 1 and listed["data"][0]["changed_by"] == "test-admin"
    assert listed["data"][0]["approved_by"] == "second admin"
    refused = server.client.post("/v1/rules/phones-via-yantian/disable", json={"acting_for": "SC-QINGDAO"})
    assert refused.status_code == 403 and "belongs to SC-HUANGPU" in refused.json()["error"]["message"]
    proposed = server.client.post("/v1/rules/phones-via-yantian/disable", json={"acting_for": "SC-HUANGPU"})
    disabled = second.post(f"/v1/rules/changes/{proposed.json()['id']}/approve")
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    time.sleep(1.2)
    assert _score(server)["rule_hits"] == []


def test_a_new_snapshot_is_picked_up_without_restart(server, trained):
    from scoring.snapshot import load_scorer, save_snapshot

    env, _, summary = trained
    scorer, meta = load_scorer(env["RISKGRAPH_HOME"])
    share, scorer.config.random_share = scorer.config.random_share, 1.0  # a snapshot selecting all at random
    version = save_snapshot(env["RISKGRAPH_HOME"], meta["model_version"], scorer.state, scorer.config)
    time.sleep(1.2)
    assert server.client.get("/health").json()["snapshot"] == version
    decision = _score(server)
    assert decision["random"] is True and decision["channel"] == "physical inspection"
    assert decision["snapshot"] == version and decision["reasons"][0]["kind"] == "random"
    scorer.config.random_share = share  # publish the usual share again for the tests that follow
    save_snapshot(env["RISKGRAPH_HOME"], meta["model_version"], scorer.state, scorer.config)


def test_feedback_needs_the_graph_and_says_so(server):
    response = server.client.post("/v1/feedback", json={"outcomes": [{"declaration_id": "X", "violation": 1}]})
    assert response.status_code == 503 and response.json()["error"]["code"] == "graph_unavailable"


def _named_key(server, name: str) -> str:
    """The secret of a new admin key called ``name`` (a second person)."""
    from api.keys import KeyStore

    return KeyStore(server.home).create("admin", name=name)[1]
