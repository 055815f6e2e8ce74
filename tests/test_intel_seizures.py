"""A seizure counts like a confirmed violation: at once for the scorers, and in the next analysis's propagation.

On the hand-built graph of ``tests.explore_setup`` (``HONEST1`` and ``HONEST2`` are no violators there): a
seizure naming the container of one of ``HONEST1``'s declarations, dated two days after it, makes ``HONEST1``
a known violator; one naming ``HONEST2``'s container but dated months after its use (the box served others
since) makes nobody one; withdrawn, the seizure counts for nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import remove_intel, run_cli
from tests.explore_setup import load
from tests.scoring_setup import Server

CONTAINER = """
MATCH (d:Declaration {importer_id: $firm})-[:COVERS]->(c:Consignment) WHERE d.date = date($day) RETURN c.id AS id
"""


@pytest.fixture(scope="module")
def seized(driver, rg_env, tmp_path_factory):
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("seizure-home"))}
    load(driver, env, tmp_path_factory.mktemp("seizure-data"))
    server = Server(env)
    yield env, server
    server.stop()
    remove_intel(driver)


def _seizure(container: str, day: str) -> dict:
    return {
        "kind": "seizure",
        "target": "drugs",
        "summary": "cocaine in the cooling unit",
        "entities": [{"type": "consignment", "value": container}],
        "valid_from": day,
        "source_grade": "A",
        "info_grade": "1",
    }


def _signals(server, firm: str) -> set[str]:
    answer = server.client.get(f"/v1/enterprises/{firm}")
    assert answer.status_code == 200, answer.text
    return {r["signal"] for r in answer.json()["reasons"]}


def _journal(env) -> list[dict]:
    path = Path(env["RISKGRAPH_HOME"]) / "violators.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_seizure_of_a_container_makes_the_firm_that_used_it_then_a_violator(seized, driver):
    env, server = seized
    assert "past_violation" not in _signals(server, "HONEST1") | _signals(server, "HONEST2")
    mine = driver.execute_query(CONTAINER, firm="HONEST1", day="2025-09-01", database_="neo4j").records[0]["id"]
    theirs = driver.execute_query(CONTAINER, firm="HONEST2", day="2025-06-01", database_="neo4j").records[0]["id"]

    found = server.client.post("/v1/intel", json=_seizure(mine, "2025-09-03"))
    assert found.status_code == 201, found.text
    record = found.json()["id"]
    late = server.client.post("/v1/intel", json=_seizure(theirs, "2026-03-01"))  # the box was used 9 months earlier
    assert late.status_code == 201, late.text

    # the scorers learn at once, through the journal they all follow (as with a confirmed case)
    assert [(e["enterprise"], e["case"], e["day"]) for e in _journal(env)] == [("HONEST1", record, "2025-09-03")]

    run_cli(env, "analyze")
    assert "past_violation" in _signals(server, "HONEST1")
    assert "past_violation" not in _signals(server, "HONEST2")

    assert server.client.post(f"/v1/intel/{record}/withdraw").status_code == 200
    run_cli(env, "analyze", "--full")
    assert "past_violation" not in _signals(server, "HONEST1")


def test_a_seizure_raises_an_alert_for_the_firm_that_used_the_container_after_the_next_analysis(seized, driver):
    env, server = seized
    box = driver.execute_query(CONTAINER, firm="HONEST1", day="2025-12-01", database_="neo4j").records[0]["id"]
    record = server.client.post("/v1/intel", json={**_seizure(box, "2025-12-02"), "jurisdiction": "SC-SHANGHAI"})
    assert record.status_code == 201, record.text
    record = record.json()["id"]
    assert record not in server.client.get("/v1/alerts").text  # raised by the analysis, not by the record

    summary = json.loads(run_cli(env, "analyze", "--json").stdout.strip().splitlines()[-1])
    assert summary["alerts"] >= 1
    raised = [
        a for a in server.client.get("/v1/alerts", params={"status": "new"}).json()["data"] if a["record"] == record
    ]
    assert [(a["enterprise"], a["hops"], a["via"]) for a in raised] == [("HONEST1", 1, f"consignment:{box}")]
    alert = raised[0]
    assert record in alert["why"] and alert["kind"] == "seizure" and alert["target"] == "drugs"
    again = json.loads(run_cli(env, "analyze", "--json").stdout.strip().splitlines()[-1])
    assert again["alerts"] == 0  # a pair is alerted once

    qingdao, shanghai = server.client_as("investigator", "SC-QINGDAO"), server.client_as("investigator", "SC-SHANGHAI")
    assert alert["id"] not in qingdao.get("/v1/alerts").text
    assert qingdao.post(f"/v1/alerts/{alert['id']}/acknowledge").status_code == 404
    assert shanghai.get("/v1/alerts").json()["data"][0]["id"] == alert["id"]  # newest first
    seen = shanghai.post(f"/v1/alerts/{alert['id']}/acknowledge")
    assert seen.status_code == 200 and seen.json()["status"] == "acknowledged"
    opened = shanghai.post(f"/v1/alerts/{alert['id']}/case", json={"title": "seized cooling unit"})
    assert opened.status_code == 201, opened.text
    case = opened.json()["case_id"]
    assert opened.json()["status"] == "case" and opened.headers["Location"] == f"/v1/cases/{case}"
    opened_case = shanghai.get(f"/v1/cases/{case}").json()
    assert opened_case["concerns"] == ["HONEST1"] and opened_case["target"] == "drugs"  # the seizure's target
    assert shanghai.post(f"/v1/alerts/{alert['id']}/case", json={}).json()["case_id"] == case  # one case

    wider = json.loads(
        run_cli({**env, "RISKGRAPH_INTEL_HOPS": "2"}, "analyze", "--json").stdout.strip().splitlines()[-1]
    )
    assert wider["alerts"] >= 1
    bridged = [a for a in server.client.get("/v1/alerts").json()["data"] if a["record"] == record and a["hops"] == 2]
    assert "BRIDGE" in {a["enterprise"] for a in bridged}  # it shares HONEST1's address
