"""Probable same firms in the graph and through the API, on the hand-built graph of ``tests.explore_setup``.

A candidate link HONEST1 -> BRIDGE is written as ``riskgraph resolve`` writes it; the tests read it back
through the API, the neighbourhood, the chart and the analysis input, then an investigator confirms
and rejects it (audit-logged), and a new resolve run leaves the verdict alone.
"""

from __future__ import annotations

import json

import neo4j
import pandas as pd
import pytest

from analysis.graph_io import read_analysis_input
from analysis.resolve import write_candidates
from investigate import same_firm
from tests.conftest import run_cli

pytest_plugins = ("tests.explore_setup",)

LINK = "/v1/enterprises/{}/same-firm"


@pytest.fixture(scope="module")
def linked(explore_server, driver):
    server, _ = explore_server
    pairs = pd.DataFrame(
        {
            "a": ["BRIDGE"],
            "b": ["HONEST1"],
            "match_weight": [14.25],
            "match_probability": [0.99993],
            "agreed": ["address"],
            "weights": ['{"address": 14.25}'],
            "levels": ['{"address": "a room within three floors of the same building"}'],
        }
    )
    registered = pd.Series({"BRIDGE": "2006-03-01", "HONEST1": "2001-01-01"})
    assert write_candidates(driver, "neo4j", pairs, registered) == 1
    return server


def _kinds(driver) -> dict[str, set[str]]:
    links = read_analysis_input(driver, "neo4j").links
    rows = links[links["kind"].isin(["same_firm", "probable_same_firm"]) & links["target"].eq("HONEST1|BRIDGE")]
    return {kind: set(group["enterprise"]) for kind, group in rows.groupby("kind")}


def test_candidate_is_listed_from_the_older_firm_with_its_weight(linked):
    body = linked.client.get(LINK.format("BRIDGE")).json()
    assert body["count"] == 1
    link = body["data"][0]
    assert (link["a"], link["b"]) == ("HONEST1", "BRIDGE")  # older registration first
    assert link["status"] == "candidate" and link["match_weight"] == 14.25 and link["agreed"] == ["address"]
    assert link["weights"] == {"address": 14.25}
    assert link["evidence"] == [
        {"field": "address", "level": "a room within three floors of the same building", "weight": 14.25}
    ]
    assert linked.client.get(LINK.format("HONEST2")).json() == {"data": [], "count": 0}


def test_candidate_is_drawn_dashed_with_its_weight(linked):
    hood = linked.client.get("/v1/enterprises/HONEST1/network", params={"depth": 1}).json()
    edge = next(e for e in hood["edges"] if e["type"] == "PROBABLY_SAME_FIRM")
    assert (edge["source"], edge["target"], edge["weight"], edge["status"]) == ("HONEST1", "BRIDGE", 14.25, "candidate")
    html = linked.client.get("/v1/enterprises/HONEST1/chart", params={"depth": 1}).text
    assert '"label": "14.2"' in html or '"label": "14.3"' in html
    assert "probably the same firm (candidate), match weight" in html and '"dashes": true' in html
    # what each field weighed and how it compared, on hover
    assert edge["evidence"] == [
        {"field": "address", "level": "a room within three floors of the same building", "weight": 14.25}
    ]
    assert "\\naddress +14.2 (a room within three floors of the same building)" in html


def test_analysis_counts_a_candidate_as_a_shared_identifier(linked, driver):
    assert _kinds(driver) == {"probable_same_firm": {"HONEST1", "BRIDGE"}}


def test_investigator_confirms_then_rejects_and_resolve_keeps_the_verdict(linked, driver, rg_env):
    env = {**rg_env, "RISKGRAPH_HOME": str(linked.home)}
    investigator = linked.client_as("investigator")
    confirmed = investigator.post(
        LINK.format("BRIDGE") + "/HONEST1", json={"decision": "confirmed", "note": "same boss"}
    )
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (
        body["status"] == "confirmed"
        and body["reviewed_by"].startswith("test-investigator")
        and body["note"] == "same boss"
    )
    assert _kinds(driver) == {"same_firm": {"HONEST1", "BRIDGE"}}

    lines = run_cli(env, "audit", "--resource", "BRIDGE", "--json").stdout.splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(e["method"] == "POST" and e["status"] == 200 and "HONEST1" in e["path"] for e in entries), entries

    # A new resolve run keeps the reviewed link, whatever the model now finds.
    summary = json.loads(run_cli(env, "resolve", "--json").stdout.strip().splitlines()[-1])
    assert summary["enterprises"] >= 6 and set(summary) >= {"candidates", "fields", "message", "timings"}
    assert same_firm.list_links(driver, "neo4j", "BRIDGE")[0]["status"] == "confirmed"

    rejected = investigator.post(LINK.format("HONEST1") + "/BRIDGE", json={"decision": "rejected"})
    assert rejected.json()["status"] == "rejected"
    assert _kinds(driver) == {}  # a rejected link no longer counts
    hood = linked.client.get("/v1/enterprises/HONEST1/network", params={"depth": 1}).json()
    assert not [e for e in hood["edges"] if e["type"] == "PROBABLY_SAME_FIRM"]


def test_review_errors(linked):
    investigator = linked.client_as("investigator")
    missing = investigator.post(LINK.format("HONEST2") + "/HONEST1", json={"decision": "confirmed"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert investigator.post(LINK.format("BRIDGE") + "/HONEST1", json={"decision": "merge"}).status_code == 422
    assert (
        linked.client_as("auditor").post(LINK.format("BRIDGE") + "/HONEST1", json={"decision": "confirmed"}).status_code
        == 403
    )
    outside = linked.client_as("investigator", "SC-QINGDAO").get(LINK.format("BRIDGE"))
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "outside_jurisdiction"


def test_a_resolution_that_fails_midway_leaves_the_last_one_whole(linked, driver):
    """Candidates are written in one transaction: the second statement failing takes the first one back, and
    the candidates the failed run would have dropped stay."""
    links = "MATCH (a)-[r:PROBABLY_SAME_FIRM]->(b) RETURN a.id AS a, b.id AS b, properties(r) AS r ORDER BY a, b"
    stale = pd.DataFrame(
        {"a": ["HONEST2"], "b": ["BRIDGE"], "match_weight": [9.5], "match_probability": [0.99], "agreed": ["name"]}
    )
    registered = pd.Series({"BRIDGE": "2006-03-01", "HONEST1": "2001-01-01", "HONEST2": "2002-01-01"})
    write_candidates(driver, "neo4j", stale, registered)
    before = [dict(r) for r in driver.execute_query(links).records]
    assert ("HONEST2", "BRIDGE") in {(r["a"], r["b"]) for r in before}

    failing = pd.DataFrame(
        {
            "a": ["HONEST1", "HONEST2"],
            "b": ["HONEST2", "HONEST1"],
            "match_weight": [12.0, {"not": "a number"}],  # a map is no property value: the server refuses it
            "match_probability": [0.999, 0.999],
            "agreed": ["phone", "phone"],
        }
    )
    with pytest.raises(neo4j.exceptions.Neo4jError):
        write_candidates(driver, "neo4j", failing, registered, batch_size=1)
    assert [dict(r) for r in driver.execute_query(links).records] == before
