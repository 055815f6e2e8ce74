"""Links at lodging over real HTTP: a firm the graph has never seen is scored by the identifiers it shares.

Uses ``trained`` (tests/scoring_setup.py: 6,000 generated declarations analysed and trained on) with a
copy of its home and the sample loaded into the graph again; ``riskgraph serve`` runs against the real
Neo4j, because feedback and cases write to it. Identifiers are picked from the graph, and each new
firm's declaration is compared with the same declaration without its party fields.
"""

from __future__ import annotations

import json
import time

import pandas as pd
import phonenumbers
import pytest

from scoring.decision_log import DecisionLog
from scoring.links import declaration_identifiers
from tests.conftest import run_cli
from tests.scoring_setup import home_copy
from tests.test_api_score import DECLARATION as SCORED

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

# test_api_score's declaration without its ids and route (a rule of that module targets the route)
DECLARATION = {
    k: v for k, v in SCORED.items() if k not in ("declaration_id", "importer_id", "loading_port", "discharge_port")
}

# Phones used by exactly one importer, with whether it had a violation found and one of its declarations.
PHONES = """
MATCH (p:Phone)<-[:HAS_PHONE]-(e:Enterprise)
WITH p, collect(e) AS firms WHERE size(firms) = 1
WITH p, firms[0] AS e
MATCH (e)-[:FILED]->(d:Declaration)
WITH p, e, max(coalesce(d.violation, 0)) AS violator, collect(d.id)[0] AS declaration
RETURN p.number AS phone, e.id AS firm, violator, declaration ORDER BY p.number
"""
BUSIEST_ADDRESS = """
MATCH (a:Address)<-[:HAS_ADDRESS]-(e:Enterprise)
WITH a, count(e) AS firms ORDER BY firms DESC, a.key LIMIT 1
RETURN a.key AS key, a.text AS text, firms
"""


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory, driver):
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("links-home"))
    reload_graph(env, sample)
    phones = [r.data() for r in driver.execute_query(PHONES, database_="neo4j").records]
    return start_server(env), phones, env


def _score(server, declaration: dict) -> dict:
    response = server.client.post("/v1/score", json=declaration, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _new_firm(n: int, **party) -> dict:
    return {**DECLARATION, "declaration_id": f"LINK-{n}", "importer_id": f"NEWFIRM{n:04d}", **party}


def _spelled(phone: str) -> str:
    """The phone (an E.164 key) as a clearance clerk might type it: national form, trunk prefix, spaces."""
    return phonenumbers.format_number(phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL)


def _links(decision: dict) -> list[dict]:
    return [r for r in decision["reasons"] if r["kind"] == "link"]


def test_new_firm_sharing_a_violators_phone_is_seen_at_lodging(setup):
    server, phones, _ = setup
    violator = next(p for p in phones if p["violator"] == 1)
    assert declaration_identifiers({"importer_phone": _spelled(violator["phone"])}) == [("phone", violator["phone"])]
    plain = _score(server, _new_firm(1))
    linked = _score(server, _new_firm(2, importer_phone=_spelled(violator["phone"])))
    [link] = _links(linked)
    assert link["identifier"] == "phone" and link["value"] == violator["phone"] and link["with"] == [violator["firm"]]
    assert link["violators"] == 1 and "known violator" in link["detail"]
    assert link["detail"].startswith(f"shares phone {violator['phone']} with 1 firm")
    assert link["weight"] >= 0.1 and linked["score"] > plain["score"]  # network risk added to the score
    assert linked["links"][0]["identifier"] == "phone" and plain["links"] == []
    log = DecisionLog(server.home)  # the server's decision log keeps which links were used
    deadline = time.monotonic() + 5
    while not (logged := log.find(["LINK-2"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    log.close()
    assert logged["LINK-2"]["links"] == linked["links"]


def test_busy_business_centre_address_barely_moves(setup, driver):
    server, _, _ = setup
    busiest = driver.execute_query(BUSIEST_ADDRESS, database_="neo4j").records[0]
    assert busiest["firms"] >= 10  # the sample's business centre
    plain = _score(server, _new_firm(3))
    shared = _score(server, _new_firm(4, importer_address=busiest["text"]))
    [link] = [x for x in _links(shared) if x["identifier"] == "address"]
    assert link["strength"] < 0.167  # the rarity divides it: log2(1 + firms at the address)
    # a new firm's own identifiers weigh in full (its new-firm policy, scoring.new_firms), below the bar of a tie
    assert link["weight"] == link["strength"] and (shared["channel"] != "physical inspection" or shared["random"])
    # the score keeps (1 - weight) of what it left unflagged: under 100 x weight points
    assert shared["score"] - plain["score"] < 100 * link["weight"] + 0.01


def test_feedback_confirming_a_violation_changes_the_next_decision(setup):
    server, phones, _ = setup
    clean = next(p for p in phones if p["violator"] == 0)
    before = _score(server, _new_firm(5, importer_phone=clean["phone"]))
    assert not any(link["violators"] for link in _links(before))
    body = {"outcomes": [{"declaration_id": clean["declaration"], "violation": 1, "revenue_recovered": 500.0}]}
    recorded = server.client.post("/v1/feedback", json=body, timeout=60)
    assert recorded.status_code == 200 and recorded.json()["recorded"] == 1
    after = _score(server, _new_firm(6, importer_phone=clean["phone"]))  # no restart, no new snapshot
    [link] = _links(after)
    assert link["violators"] == 1 and link["with"] == [clean["firm"]]
    assert after["score"] > before["score"] and after["snapshot"] == before["snapshot"]


def test_confirmed_case_names_the_case_for_the_next_declaration(setup):
    server, phones, _ = setup
    firm = [p for p in phones if p["violator"] == 0][1]
    opened = server.client.post(
        "/v1/cases", json={"enterprise_id": firm["firm"], "title": "phoenix check", "kind": "anti-smuggling"}
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    closed = server.client.patch(f"/v1/cases/{case_id}", json={"status": "closed", "outcome": "confirmed"})
    assert closed.status_code == 200, closed.text
    deadline = time.monotonic() + 1.0
    while True:  # applied at once by this server; any other server process reads it within a second
        [link] = _links(_score(server, _new_firm(7, importer_phone=_spelled(firm["phone"]))))
        if case_id in link["cases"] or time.monotonic() > deadline:
            break
    assert link["cases"] == [case_id] and f"case {case_id}" in link["detail"]


def test_a_partial_journal_line_does_not_swallow_the_next_violation(setup):
    """A crash mid-write leaves a line without its end; the next event must still count."""
    server, phones, _ = setup
    clean = [p for p in phones if p["violator"] == 0][2]
    journal = server.home / "violators.jsonl"
    with journal.open("ab") as damaged:
        damaged.write(b'{"at": "2026-12-01T00:00:00+00:00", "enterprise": "HALF')
    body = {"outcomes": [{"declaration_id": clean["declaration"], "violation": 1}]}
    recorded = server.client.post("/v1/feedback", json=body, timeout=60)
    assert recorded.status_code == 200 and recorded.json()["recorded"] == 1, recorded.text
    [link] = _links(_score(server, _new_firm(8, importer_phone=_spelled(clean["phone"]))))
    assert link["violators"] == 1 and link["with"] == [clean["firm"]]


def test_score_command_links_party_fields_of_a_file(setup, tmp_path):
    _, phones, env = setup
    violator = next(p for p in phones if p["violator"] == 1)
    rows = [
        {**_new_firm(8), "importer_phone": _spelled(violator["phone"]), "importer_name": "Fresh Trading Co., Ltd."},
        _new_firm(9),
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "new.csv", index=False)
    env = {**env, "NEO4J_URI": "bolt://127.0.0.1:1"}  # scoring a file needs no graph
    run_cli(env, "score", str(tmp_path / "new.csv"), "--out", str(tmp_path / "decisions.csv"))
    decisions = pd.read_csv(tmp_path / "decisions.csv", dtype={"declaration_id": str}).set_index("declaration_id")
    reasons = {i: json.loads(r) for i, r in decisions["reasons"].items()}
    [link] = [r for r in reasons["LINK-8"] if r["kind"] == "link"]
    assert link["identifier"] == "phone" and link["with"] == [violator["firm"]]
    assert not any(r["kind"] == "link" for r in reasons["LINK-9"])
