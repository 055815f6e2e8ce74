"""Special operations over real HTTP: four eyes, selection at its rate riskiest first, results from feedback.

The trained sample (``tests.scoring_setup``: 6,000 declarations of 2025) is served; an operation of the Shanghai
sub-centre on plastics, electrical machinery, machinery and footwear (HS 39, 85, 84, 64) at a rate of 30 % starts on
2025-07-01, so the second half of the sample is scored within it and the first half is its baseline.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta

import httpx
import pandas as pd
import pytest

from analysis.trends import detect_trends
from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore, declaration_table
from graph.reference import department_code, jurisdiction

pytest_plugins = ("tests.scoring_setup",)

RATE = 0.3
SCOPE = {"hs_prefix": ["39", "85", "84", "64"]}
OPERATION = {
    "name": "Plastics and electronics, second half",
    "target": "tax",
    "owner": "SC-SHANGHAI",
    "start": "2025-07-01",
    "end": "2026-12-31",
    "inspection_rate": RATE,
    "scope": SCOPE,
    "description": "a test campaign",
}


def _client(server, name: str, role: str = "analyst", office: str | None = "SC-SHANGHAI") -> httpx.Client:
    """A client with a key of its own name (four eyes compares names as well as keys)."""
    from api.keys import KeyStore

    _, secret = KeyStore(server.home).create(role, office, name=name)
    client = httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": secret})
    server._clients.append(client)
    return client


@pytest.fixture(scope="module")
def served(live_server, trained):
    """(server, proposer, approver, clearance client, 1,500 rows of the sample's second half without outcomes,
    the ids of those in scope, the whole sample)."""
    server = live_server()
    _, sample, _ = trained
    frame = pd.concat([pd.read_csv(p, dtype=str) for p in sorted(sample.glob("declarations-*.csv"))])
    bad = set(pd.read_csv(sample / "truth" / "bad_rows.csv", dtype=str)["declaration_id"])
    frame = frame[~frame["declaration_id"].isin(bad)]  # the rows ingest quarantines
    # some dates are written 20250225, as some administrations do: read them as ingest does
    frame["when"] = pd.to_datetime(frame["date"], format="mixed", dayfirst=False).dt.strftime("%Y-%m-%d")
    later = frame[frame["when"] >= OPERATION["start"]].head(1500).drop(columns="when")
    rows = [
        {
            k: v
            for k, v in row.items()
            if v == v and k not in ("inspected", "violation", "violation_type", "revenue_recovered")
        }
        for row in later.to_dict("records")
    ]
    districts = jurisdiction("SC-SHANGHAI")
    in_scope = {
        r["declaration_id"]
        for r in rows
        if r["office"] in districts and r["hs_code"].startswith(tuple(SCOPE["hs_prefix"]))
    }
    return (
        server,
        _client(server, "analyst li"),
        _client(server, "analyst wang"),
        _client(server, "clearance", "clearance-system", None),
        rows,
        in_scope,
        frame,
    )


def _score(clearance, rows) -> dict[str, dict]:
    answer = clearance.post("/v1/score/batch", json={"declarations": rows})
    assert answer.status_code == 200, answer.text
    return {d["declaration_id"]: d for d in answer.json()["data"]}


def _selected_by(decision: dict, operation_id: str) -> bool:
    return any(r["kind"] == "operation" and r["operation"] == operation_id for r in decision["reasons"])


def test_an_operation_needs_a_second_analyst_then_selects_its_rate_riskiest_first(served):
    server, li, wang, clearance, rows, in_scope, _ = served
    before = _score(clearance, rows)

    refused = li.post("/v1/operations", json={**OPERATION, "inspection_rate": 1.5})
    assert refused.status_code == 422
    foreign = _client(server, "analyst zhao", office="SC-QINGDAO").post("/v1/operations", json=OPERATION)
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "outside_jurisdiction"

    proposed = li.post("/v1/operations", json=OPERATION)
    assert proposed.status_code == 202, proposed.text
    change, operation_id = proposed.json()["change"], proposed.json()["operation"]["id"]
    assert change.startswith("chg-") and proposed.headers["location"] == f"/v1/rules/changes/{change}"
    assert li.get("/v1/operations").json()["count"] == 0  # not in force before approval
    own = li.post(f"/v1/rules/changes/{change}/approve")
    assert own.status_code == 403 and "someone else approves it" in own.json()["error"]["message"]
    approved = wang.post(f"/v1/rules/changes/{change}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["id"] == operation_id and approved.json()["approved_by"] == "analyst wang"
    listed = li.get("/v1/operations").json()["data"]
    assert [(o["id"], o["status"], o["proposed_by"]) for o in listed] == [(operation_id, "running", "analyst li")]
    qingdao = _client(server, "analyst sun", office="SC-QINGDAO")  # another sub-centre's operation is not shown
    assert qingdao.get("/v1/operations").json()["count"] == 0
    assert qingdao.get(f"/v1/operations/{operation_id}").status_code == 403

    after = _score(clearance, rows)
    selected = {i for i, d in after.items() if _selected_by(d, operation_id)}
    assert selected <= in_scope and len(in_scope) > 200
    share = len(selected) / len(in_scope)
    assert abs(share - RATE) < 0.06, share
    for i in selected:
        assert after[i]["channel"] == "physical inspection"
    for i in set(after) - in_scope:  # out of scope: the very same decision
        assert {k: after[i][k] for k in ("score", "channel", "level", "reasons")} == {
            k: before[i][k] for k in ("score", "channel", "level", "reasons")
        }
    # riskiest first by the tax score: the top tenth of the scope nearly all, the bottom half hardly any
    ranked = sorted(in_scope, key=lambda i: after[i]["targets"]["tax"]["score"], reverse=True)
    top, bottom = ranked[: len(ranked) // 10], ranked[len(ranked) // 2 :]
    assert len(selected & set(top)) >= 0.9 * len(top)
    assert len(selected & set(bottom)) <= 0.05 * len(bottom)


def test_results_follow_the_feedback_and_compare_with_the_scope_before(served):
    server, li, wang, clearance, rows, in_scope, frame = served
    operation_id = li.get("/v1/operations").json()["data"][0]["id"]
    after = _score(clearance, rows)
    selected = sorted(i for i, d in after.items() if _selected_by(d, operation_id))
    hits, misses = selected[:6], selected[6:10]
    outcomes = [
        {"declaration_id": i, "violation": 1, "violation_type": "undervaluation", "revenue_recovered": 1000}
        for i in hits[:4]
    ] + [{"declaration_id": i, "violation": 1, "violation_type": "drugs"} for i in hits[4:]]
    outcomes += [{"declaration_id": i, "violation": 0} for i in misses]
    recorded = li.post("/v1/feedback", json={"outcomes": outcomes})
    assert recorded.status_code == 403  # an analyst reads feedback; the clearance system and auditors record it
    assert clearance.post("/v1/feedback", json={"outcomes": outcomes}).json()["recorded"] == 10

    body = li.get(f"/v1/operations/{operation_id}").json()
    assert body["status"] == "running" and body["operation"]["id"] == operation_id
    assert body["results"] == {
        "selected": len(selected),
        "inspected": 10,
        "hits": 6,
        "hit_rate": 0.6,
        "revenue_recovered": 4000.0,
        "by_type": {"undervaluation": 4, "drugs": 2},
    }
    assert body["in_scope_seen"] >= 2 * len(in_scope)  # scored twice in this module
    # half time (274 of 548 days) has passed: the interim review counts what was selected before it (nothing yet)
    assert body["interim"]["as_of"] == "2026-04-01" and body["interim"]["selected"] == 0
    # the baseline: the same scope's inspections in the year before 2025-07-01, counted here from the sample
    districts = jurisdiction("SC-SHANGHAI")
    earlier = frame[
        (frame["when"] < "2025-07-01")
        & frame["office"].isin(districts)
        & frame["hs_code"].str.startswith(tuple(SCOPE["hs_prefix"]))
        & (frame["inspected"] == "1")
    ]
    hits_before = int((earlier["violation"] == "1").sum())
    assert body["baseline"]["from"] == "2024-07-01" and body["baseline"]["to"] == "2025-06-30"
    assert (body["baseline"]["inspected"], body["baseline"]["hits"]) == (len(earlier), hits_before) and len(earlier)

    # the report for decision makers carries the same results, and its page shows them
    report = li.get("/v1/reports/analysis", params={"format": "json"})
    assert report.status_code == 200, report.text
    assert [o["results"] for o in report.json()["operations"]] == [body["results"]]
    page = li.get("/v1/reports/analysis").text
    assert "Special operations" in page and operation_id in page and "Interim review at half time" in page


def test_ending_an_operation_takes_four_eyes_and_stops_its_selection(served):
    server, li, wang, clearance, rows, in_scope, _ = served
    operation_id = li.get("/v1/operations").json()["data"][0]["id"]
    after = _score(clearance, [r for r in rows if r["declaration_id"] in in_scope])
    riskiest = max(after.values(), key=lambda d: d["targets"]["tax"]["score"])["declaration_id"]
    lodged = date.today().isoformat()
    today = next({**r, "declaration_id": "OP-TODAY-1", "date": lodged} for r in rows if r["declaration_id"] == riskiest)
    assert _selected_by(_score(clearance, [today])["OP-TODAY-1"], operation_id)

    ending = li.post(f"/v1/operations/{operation_id}/end")
    assert ending.status_code == 202 and ending.json()["action"] == "end_operation"
    assert li.post(f"/v1/rules/changes/{ending.json()['change']}/approve").status_code == 403
    assert wang.post(f"/v1/rules/changes/{ending.json()['change']}/approve").status_code == 200
    listed = li.get("/v1/operations").json()["data"][0]
    assert listed["status"] == "ended" and listed["ended_on"] == date.today().isoformat()
    assert listed["ended_by"] == "analyst li, approved by analyst wang"
    assert not _selected_by(_score(clearance, [{**today, "declaration_id": "OP-TODAY-2"}])["OP-TODAY-2"], operation_id)
    again = li.post(f"/v1/operations/{operation_id}/end")
    assert again.status_code == 422 and "ended already" in again.json()["error"]["message"]
    assert li.get("/v1/operations/op-unknown").status_code == 404


def test_the_cli_proposes_lists_and_shows_operations(served, trained):
    from tests.conftest import run_cli

    server, li, *_ = served
    env = {**trained[0], "RISKGRAPH_HOME": str(server.home)}
    folder = server.home / "cli-operation"
    folder.mkdir()
    (folder / "bad.yaml").write_text(json.dumps({**OPERATION, "owner": "SC-NOWHERE"}))
    refused = run_cli(env, "operations", "add", str(folder / "bad.yaml"), "--by", "analyst li", check=False)
    assert (
        refused.returncode == 1
        and "owner" in refused.stderr
        and "is not the department, a sub-centre or a district" in refused.stderr
    )
    (folder / "op.yaml").write_text(json.dumps({**OPERATION, "name": "from the command line", "inspection_rate": 0.1}))
    proposed = run_cli(env, "operations", "add", str(folder / "op.yaml"), "--by", "analyst li")
    change = re.search(r"proposed change (chg-\w+)", proposed.stderr).group(1)
    own = run_cli(env, "rules", "approve", change, "--by", "analyst li", check=False)
    assert own.returncode == 1 and "someone else approves it" in own.stderr
    run_cli(env, "rules", "approve", change, "--by", "analyst wang")
    listed = json.loads(run_cli(env, "operations", "list", "--json").stdout)
    added = next(o for o in listed if o["name"] == "from the command line")
    assert added["status"] == "running" and added["approved_by"] == "analyst wang"
    assert added["id"] in [o["id"] for o in li.get("/v1/operations").json()["data"]]  # the server follows the file
    shown = json.loads(run_cli(env, "operations", "show", added["id"]).stdout)
    assert shown["results"]["selected"] == 0 and shown["baseline"]["inspected"] > 0
    ending = run_cli(env, "operations", "end", added["id"], "--by", "analyst li")
    assert "end_operation" in ending.stderr


def test_a_trend_warnings_drafted_operation_is_submitted_in_one_step(served, tmp_path):
    from analysis.trends import store_warnings
    from tests.test_trends import START, _flow

    server, li, wang, *_ = served
    flow = _flow(220, 40, 2)
    surge = flow.iloc[:45].assign(
        id=[f"S-{i}" for i in range(45)],
        date=[START + timedelta(days=205 + i // 3) for i in range(45)],
        route="ECGYE>PAONX>CNTAO",
    )
    recent = flow["date"] >= START + timedelta(days=206)
    flow.loc[recent & (flow["declarant_id"] == "BRK-7"), ["inspected", "violation"]] = 1
    store = DeclarationStore(tmp_path)
    store.write(declaration_table(pd.concat([flow, surge], ignore_index=True)), "planted")
    with DuckDBDeclarations(store) as engine:
        raised = detect_trends(engine)
    store_warnings(server.home, raised)
    route = next(w for w in raised if w["dimension"] == "route")
    broker = next(w for w in raised if w["dimension"] == "broker")

    listed = li.get("/v1/trends").json()
    assert route["id"] in [w["id"] for w in listed["data"]]
    assert broker["id"] not in [w["id"] for w in listed["data"]]  # a firm: not for a key limited to a sub-centre
    unlimited = _client(server, "analyst zhou", office=department_code())  # the department: not limited
    assert broker["id"] in [w["id"] for w in unlimited.get("/v1/trends").json()["data"]]
    refused = unlimited.post(f"/v1/trends/{broker['id']}/operation")
    assert refused.status_code == 422 and "broker" in refused.json()["error"]["message"]
    assert li.post("/v1/trends/TW-unknown/operation").status_code == 404

    submitted = li.post(f"/v1/trends/{route['id']}/operation")
    assert submitted.status_code == 202, submitted.text
    operation = submitted.json()["operation"]
    assert operation["scope"]["route"] == ["ECGYE>PAONX>CNTAO"] and operation["owner"] == "SC-SHANGHAI"
    assert li.post(f"/v1/rules/changes/{submitted.json()['change']}/approve").status_code == 403
    assert wang.post(f"/v1/rules/changes/{submitted.json()['change']}/approve").status_code == 200
    assert operation["id"] in [o["id"] for o in li.get("/v1/operations").json()["data"]]


def test_the_ranking_holds_over_a_restart_and_across_two_workers(served, start_server, trained):
    server, li, *_, rows, in_scope, _ = served
    operation_id = li.get("/v1/operations").json()["data"][0]["id"]
    seen = li.get(f"/v1/operations/{operation_id}").json()["in_scope_seen"]
    server.stop()  # a clean stop hands its last counts to the shared tally
    again = start_server({**trained[0], "RISKGRAPH_HOME": str(server.home)}, "--workers", "2")
    analyst = _client(again, "analyst qian")
    assert analyst.get(f"/v1/operations/{operation_id}").json()["in_scope_seen"] == seen
    clearance = _client(again, "clearance two", "clearance-system", None)
    selected = set()
    for start in range(0, len(rows), 100):  # a hundred at a time, so both workers take some
        answer = clearance.post("/v1/score/batch", json={"declarations": rows[start : start + 100]})
        assert answer.status_code == 200, answer.text
        selected |= {d["declaration_id"] for d in answer.json()["data"] if _selected_by(d, operation_id)}
    assert abs(len(selected) / len(in_scope) - RATE) < 0.06 and selected <= in_scope
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # each worker adds its counts and reads everyone's once a second
        counted = {analyst.get(f"/v1/operations/{operation_id}").json()["in_scope_seen"] for _ in range(6)}
        if counted == {seen + len(in_scope)}:
            break
        time.sleep(1)
    assert counted == {seen + len(in_scope)}
