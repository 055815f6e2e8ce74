"""Cases over real HTTP on the hand-built exploration graph (``tests/explore_setup.py``).

Opening on an enterprise and on a network, the evidence snapshot (and that it outlives a new
analysis and the server process), the status lifecycle, notes and history, concurrent creation and
concurrent notes, the effect of a confirmed outcome on risk propagation, and refused requests.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import run_cli
from tests.scoring_setup import Server

pytest_plugins = ("tests.explore_setup",)

CASE_ID = re.compile(r"^CASE-\d{4}-\d{6}$")


@pytest.fixture(scope="module")
def server(explore_server):
    return explore_server[0]


def _open(server, client=None, **body) -> dict:
    response = (client or server.client).post("/v1/cases", json={"title": "look into it", **body})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/cases/{response.json()['id']}"
    return response.json()


def _patch(server, case_id: str, client=None, **body):
    return (client or server.client).patch(f"/v1/cases/{case_id}", json=body)


def _error(response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    for word in words:
        assert word in error["message"], error


def test_case_on_an_enterprise_snapshots_its_neighbourhood_and_scores(server):
    seen = server.client.get("/v1/enterprises/SHELL1").json()
    case = _open(server, enterprise_id="SHELL1", title="Shell ring importer", assignee="li.wei", notes="first look")

    assert CASE_ID.match(case["id"]) and case["id"][5:9] == case["opened"][:4]
    assert (case["status"], case["assignee"], case["outcome"]) == ("open", "li.wei", None)
    assert case["kind"] == seen["network"]["kind"]  # defaulted from its network
    assert case["concerns"] == ["SHELL1"] and case["enterprise_id"] == "SHELL1" and case["network_id"] is None
    assert case["opened_by"] == f"test-admin ({server.client.key_id})"
    assert [(n["by"], n["text"]) for n in case["notes"]] == [(case["opened_by"], "first look")]
    assert [h["action"] for h in case["history"]] == ["opened"]
    assert case["history"][0]["changes"]["status"] == {"from": None, "to": "open"}

    evidence = case["evidence"]
    assert evidence["subject"] == {"type": "enterprise", "id": "SHELL1"}
    (scores,) = evidence["enterprises"]
    assert (scores["risk"], scores["propagated_risk"], scores["reasons"]) == (
        seen["risk"],
        seen["propagated_risk"],
        seen["reasons"],
    )
    assert scores["reasons"], "the shell has reasons to be shown"
    network = server.client.get(f"/v1/networks/{seen['network']['id']}").json()
    assert {k: evidence["network"][k] for k in ("id", "score", "kind", "reasons")} == {
        k: network[k] for k in ("id", "score", "kind", "reasons")
    }
    chart = server.client.get("/v1/enterprises/SHELL1/network", params={"depth": 2, "limit": 500}).json()
    assert evidence["graph"]["depth"] == 2
    assert {n["id"] for n in evidence["graph"]["nodes"]} == {n["id"] for n in chart["nodes"]}
    assert {"SHELL2", "SHELL3", "BRIDGE", "HONEST1"} <= {n["id"] for n in evidence["graph"]["nodes"]}
    assert len(evidence["graph"]["edges"]) == len(chart["edges"]) > 0

    assert server.client.get(f"/v1/cases/{case['id']}").json() == case
    timeline = server.client.get("/v1/enterprises/SHELL1/timeline").json()
    (listed,) = [c for c in timeline["cases"] if c["id"] == case["id"]]
    assert listed == {
        "id": case["id"],
        "kind": case["kind"],
        "title": "Shell ring importer",
        "status": "open",
        "outcome": None,
        "assignee": "li.wei",
        "opened": case["opened"],
        "closed": None,
    }


def test_case_on_a_network_concerns_every_member(server):
    ring = server.client.get("/v1/networks").json()["items"][0]
    case = _open(server, network_id=ring["id"], title="The Harbour Road ring")

    assert case["kind"] == ring["kind"] and case["network_id"] == ring["id"] and case["enterprise_id"] is None
    assert case["concerns"] == sorted(ring["members"]) and len(ring["members"]) >= 3
    evidence = case["evidence"]
    assert evidence["subject"] == {"type": "network", "id": ring["id"]}
    assert (evidence["network"]["score"], evidence["network"]["reasons"]) == (ring["score"], ring["reasons"])
    assert sorted(e["id"] for e in evidence["enterprises"]) == sorted(ring["members"])
    assert set(ring["members"]) <= {n["id"] for n in evidence["graph"]["nodes"]}
    for member in ring["members"]:
        timeline = server.client.get(f"/v1/enterprises/{member}/timeline").json()
        assert case["id"] in [c["id"] for c in timeline["cases"]]


def test_status_lifecycle_refuses_illegal_moves_and_keeps_history(server):
    case = _open(server, enterprise_id="HONEST2", kind="audit", title="Valuation check")
    cid = case["id"]

    _error(_patch(server, cid, status="referred"), 409, "illegal_transition", "is open", "investigating or closed")
    assert _patch(server, cid, status="investigating", assignee="zhao.min").json()["status"] == "investigating"
    _error(_patch(server, cid, status="open"), 409, "illegal_transition", "referred or closed")
    assert _patch(server, cid, status="referred").status_code == 200
    assert _patch(server, cid, status="investigating").json()["status"] == "investigating"  # referral sent back
    _error(_patch(server, cid, status="closed"), 422, "invalid_request", "needs an outcome")
    _error(_patch(server, cid, outcome="no_violation"), 422, "invalid_request", "status 'closed'")
    closed = _patch(server, cid, status="closed", outcome="no_violation").json()
    assert (closed["status"], closed["outcome"]) == ("closed", "no_violation") and closed["closed"]

    for change in ({"status": "investigating"}, {"status": "open"}, {"assignee": "someone.else"}):
        _error(_patch(server, cid, **change), 409, "illegal_transition", "is closed", "final")
    after = _patch(server, cid, notes="penalty waived; file archived")
    assert after.status_code == 200 and after.json()["status"] == "closed"

    history = server.client.get(f"/v1/cases/{cid}").json()["history"]
    moves = [h["changes"].get("status") for h in history]
    assert moves == [
        {"from": None, "to": "open"},
        {"from": "open", "to": "investigating"},
        {"from": "investigating", "to": "referred"},
        {"from": "referred", "to": "investigating"},
        {"from": "investigating", "to": "closed"},
        None,  # the note
    ]
    assert history[1]["changes"]["assignee"] == {"from": None, "to": "zhao.min"}
    assert history[4]["changes"]["outcome"] == {"from": None, "to": "no_violation"}
    assert history[5]["changes"] == {"note": "penalty waived; file archived"}
    assert all(h["by"] == closed["opened_by"] and h["at"] for h in history)
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)


def test_notes_are_appended_with_author_never_overwritten(server):
    case = _open(server, enterprise_id="BRIDGE", kind="anti-smuggling", notes="shares the ring's phone")
    investigator = server.client_as("investigator")
    _patch(server, case["id"], notes="visited the address: empty office").raise_for_status()
    _patch(server, case["id"], client=investigator, notes="phone answered by the shells' agent").raise_for_status()
    with ThreadPoolExecutor(8) as pool:  # concurrent notes queue on the case's lock, none is lost
        done = list(pool.map(lambda i: _patch(server, case["id"], notes=f"parallel note {i}"), range(8)))
    assert [r.status_code for r in done] == [200] * 8

    notes = server.client.get(f"/v1/cases/{case['id']}").json()["notes"]
    assert [n["text"] for n in notes[:3]] == [
        "shares the ring's phone",
        "visited the address: empty office",
        "phone answered by the shells' agent",
    ]
    assert sorted(n["text"] for n in notes[3:]) == sorted(f"parallel note {i}" for i in range(8))
    assert notes[2]["by"] == f"test-investigator ({investigator.key_id})" and notes[1]["by"] == case["opened_by"]
    history = server.client.get(f"/v1/cases/{case['id']}").json()["history"]
    assert len(history) == 1 + 2 + 8


def test_concurrent_creation_gives_distinct_consecutive_ids(server):
    with ThreadPoolExecutor(16) as pool:
        opened = list(pool.map(lambda i: _open(server, enterprise_id="SHELL2", title=f"parallel {i}"), range(16)))
    ids = [c["id"] for c in opened]
    assert len(set(ids)) == 16
    numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids)
    assert numbers == list(range(numbers[0], numbers[0] + 16))  # one counter, no gaps, no repeats
    listed = server.client.get("/v1/cases", params={"limit": 500}).json()["items"]
    assert set(ids) <= {c["id"] for c in listed}


def test_list_filters_by_status_and_assignee_over_http_and_the_command_line(server, rg_env):
    mine = _open(server, enterprise_id="SHELL3", title="for chen", assignee="chen.jie")
    _open(server, enterprise_id="SHELL3", title="for someone else", assignee="wu.hao")
    _patch(server, mine["id"], status="investigating").raise_for_status()

    by_chen = server.client.get("/v1/cases", params={"assignee": "chen.jie"}).json()
    assert [c["id"] for c in by_chen["items"]] == [mine["id"]] and by_chen["count"] == 1
    assert "evidence" not in by_chen["items"][0] and by_chen["items"][0]["concerns"] == ["SHELL3"]
    investigating = server.client.get("/v1/cases", params={"status": "investigating"}).json()["items"]
    assert mine["id"] in [c["id"] for c in investigating] and {c["status"] for c in investigating} == {"investigating"}
    everything = server.client.get("/v1/cases").json()["items"]
    assert [c["opened"] for c in everything] == sorted((c["opened"] for c in everything), reverse=True)
    assert len(server.client.get("/v1/cases", params={"limit": 1}).json()["items"]) == 1

    env = {**rg_env, "RISKGRAPH_HOME": str(server.home)}
    lines = run_cli(env, "cases", "list", "--assignee", "chen.jie", "--json").stdout.splitlines()
    assert [json.loads(line) for line in lines] == by_chen["items"]
    table = run_cli(env, "cases", "list", "--status", "investigating").stdout
    assert mine["id"] in table and "chen.jie" in table and "for chen" in table
    refused = run_cli(env, "cases", "list", "--status", "lost", check=False)
    assert refused.returncode == 1 and "choose one of open" in refused.stderr


def test_cases_carry_a_risk_target_and_are_filtered_by_it_over_http_and_the_command_line(server, rg_env):
    # SHELL1's one violation is an under-valuation (tax); SHELL3 and HONEST1 have none
    found = _open(server, enterprise_id="SHELL1", kind="anti-smuggling", title="what SHELL1 was caught for")
    assert found["target"] == "tax" and found["evidence"]["violations_by_target"] == {"tax": 1}
    assert found["history"][0]["changes"]["target"] == "tax"
    audit = _open(server, enterprise_id="HONEST1", kind="audit", title="an audit recovers duty")
    assert audit["target"] == "tax" and audit["evidence"]["violations_by_target"] == {}
    unknown = _open(server, enterprise_id="SHELL3", kind="anti-smuggling", title="nothing found yet")
    assert unknown["target"] is None
    given = _open(server, enterprise_id="SHELL2", kind="anti-smuggling", target="drugs", title="a tip-off")
    assert given["target"] == "drugs" and server.client.get(f"/v1/cases/{given['id']}").json()["target"] == "drugs"

    moved = _patch(server, unknown["id"], target="security")
    assert moved.status_code == 200 and moved.json()["target"] == "security", moved.text
    assert moved.json()["history"][-1]["changes"]["target"] == {"from": None, "to": "security"}
    _error(_patch(server, unknown["id"], target="security"), 422, "invalid_request", "nothing to change")
    _error(_patch(server, unknown["id"], target="weather"), 422, "invalid_request", "choose one of tax")
    refused = server.client.post("/v1/cases", json={"title": "x", "enterprise_id": "SHELL2", "target": "weather"})
    _error(refused, 422, "invalid_request", "target 'weather'")
    _error(server.client.get("/v1/cases", params={"target": "weather"}), 422, "unknown_target", "weather")

    for target, case in (("drugs", given), ("security", unknown), ("tax", found)):
        listed = server.client.get("/v1/cases", params={"target": target, "limit": 500}).json()["items"]
        assert case["id"] in [c["id"] for c in listed] and {c["target"] for c in listed} == {target}
    env = {**rg_env, "RISKGRAPH_HOME": str(server.home)}
    lines = run_cli(env, "cases", "list", "--target", "drugs", "--json").stdout.splitlines()
    assert [json.loads(line) for line in lines] == server.client.get("/v1/cases", params={"target": "drugs"}).json()[
        "items"
    ]
    assert given["id"] in run_cli(env, "cases", "list", "--target", "drugs").stdout
    refused = run_cli(env, "cases", "list", "--target", "weather", check=False)
    assert refused.returncode == 1 and "choose one of tax" in refused.stderr


def test_refused_requests_answer_in_the_error_shape_and_change_nothing(server):
    before = server.client.get("/v1/cases", params={"limit": 500}).json()["count"]
    _error(server.client.get("/v1/cases/CASE-1999-000001"), 404, "not_found", "CASE-1999-000001")
    _error(_patch(server, "CASE-1999-000001", status="investigating"), 404, "not_found")
    _error(server.client.post("/v1/cases", json={"enterprise_id": "NOPE", "title": "x"}), 404, "not_found", "NOPE")
    _error(server.client.post("/v1/cases", json={"network_id": 99999, "title": "x"}), 404, "not_found", "99999")
    bad_bodies = [
        {"title": "neither"},
        {"enterprise_id": "SHELL1", "network_id": 1, "title": "both"},
        {"enterprise_id": "SHELL1", "title": "x", "kind": "tax"},
        {"enterprise_id": "SHELL1", "title": "   "},
        {"enterprise_id": "SHELL1"},
        {"enterprise_id": "SHELL1", "title": "x", "status": "closed"},
        {"enterprise_id": "SHELL1", "title": "x" * 201},
    ]
    for body in bad_bodies:
        _error(server.client.post("/v1/cases", json=body), 422, "invalid_request")
    _error(
        server.client.post("/v1/cases", content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "invalid_request",
    )
    assert server.client.get("/v1/cases", params={"limit": 500}).json()["count"] == before

    case = _open(server, enterprise_id="SHELL1")
    for body in ({}, {"status": "lost"}, {"status": "closed", "outcome": "guilty"}, {"notes": ""}, {"id": "x"}):
        _error(_patch(server, case["id"], **body), 422, "invalid_request")
    _error(_patch(server, case["id"], assignee=None), 422, "invalid_request", "nothing to change")
    assert server.client.get(f"/v1/cases/{case['id']}").json() == case
    _error(server.client.get("/v1/cases", params={"status": "lost"}), 422, "invalid_request")
    _error(server.client.get("/v1/cases", params={"limit": 0}), 422, "invalid_request")


def test_confirmed_outcome_raises_a_neighbours_propagated_risk_and_evidence_keeps_old_scores(server, rg_env):
    env = {**rg_env, "RISKGRAPH_HOME": str(server.home)}
    run_cli(env, "analyze")  # scores that include every case closed so far in this module
    before = server.client.get("/v1/enterprises/HONEST1").json()
    watched = _open(server, enterprise_id="HONEST1", kind="audit", title="neighbour of a suspect")

    suspect = _open(server, enterprise_id="HONEST2", kind="audit", title="same broker as HONEST1")
    _patch(server, suspect["id"], status="investigating").raise_for_status()
    _patch(
        server, suspect["id"], status="closed", outcome="confirmed", notes="undervaluation proven"
    ).raise_for_status()
    run_cli(env, "analyze")

    after = server.client.get("/v1/enterprises/HONEST1").json()
    assert after["propagated_risk"] > before["propagated_risk"]

    # The evidence still shows the scores the investigator saw, in this server and in a new process.
    fresh = Server(env)
    try:
        for client in (server.client, fresh.client):
            evidence = client.get(f"/v1/cases/{watched['id']}").json()["evidence"]
            assert evidence == watched["evidence"]
            (scores,) = evidence["enterprises"]
            assert (scores["risk"], scores["propagated_risk"]) == (before["risk"], before["propagated_risk"])
    finally:
        fresh.stop()


def test_a_key_limited_to_a_jurisdiction_opens_and_lists_only_cases_inside_it(server):
    qingdao = server.client_as("investigator", "SC-QINGDAO")  # only HONEST2 lodged at Qingdao
    _error(qingdao.post("/v1/cases", json={"enterprise_id": "SHELL1", "title": "x"}), 403, "outside_jurisdiction")
    ring = server.client.get("/v1/networks").json()["items"][0]
    _error(qingdao.post("/v1/cases", json={"network_id": ring["id"], "title": "x"}), 403, "outside_jurisdiction")
    inside = _open(server, client=qingdao, enterprise_id="HONEST2", kind="audit", title="Qingdao's own")
    outside = _open(server, enterprise_id="SHELL1", title="Shanghai's")

    listed = qingdao.get("/v1/cases", params={"limit": 500}).json()["items"]
    assert inside["id"] in [c["id"] for c in listed] and all(c["concerns"] == ["HONEST2"] for c in listed)
    assert outside["id"] in [c["id"] for c in server.client.get("/v1/cases", params={"limit": 500}).json()["items"]]
    _error(qingdao.get(f"/v1/cases/{outside['id']}"), 403, "outside_jurisdiction")
    _error(
        server.client_as("analyst", "SC-QINGDAO").post("/v1/cases", json={"enterprise_id": "HONEST2", "title": "x"}),
        403,
        "forbidden",
    )
