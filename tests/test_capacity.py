"""Inspection capacity, inspection types and inspection acts over real HTTP, against the real Neo4j.

Uses ``trained`` (tests/scoring_setup.py) with a copy of its home and a server of two workers: an office's
capacity is set to N a day, two Mondays of declarations are lodged one by one (the first teaches the office's
volume on a Monday), and the second day's non-random physical inspections must stay within N and go to the
riskiest, across the workers and a restart; a lookout hit still goes through and is counted; every decision
not released names an inspection; a target's route changes under four eyes; an inspection act becomes the
declaration's outcome and shows in performance per officer.
"""

from __future__ import annotations

import json
import time

import httpx
import pandas as pd
import pytest

from ingest.validate import validate
from tests.conftest import remove_intel, run_cli
from tests.scoring_setup import home_copy

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

N = 8
DAY_A, DAY_B = "2026-01-05", "2026-01-12"  # two Mondays
PER_DAY = 150
PHYSICAL = "physical inspection"


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory, driver):
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("capacity-home"))
    reload_graph(env, sample)
    remove_intel(driver)
    raw = pd.read_csv(sample / "declarations-2025Q4.csv", dtype=str, keep_default_na=False)
    rows, _ = validate(raw, "sample")
    office = rows["office"].value_counts().index[0]
    # the busiest office's own declarations, so the day's scores are drawn as its history's were
    rows = rows[~rows["declaration_id"].duplicated() & (rows["office"] == office)].head(2 * PER_DAY + 20)
    assert len(rows) == 2 * PER_DAY + 20, len(rows)
    ctx = {"env": env, "server": start_server(env, "--workers", "2"), "rows": rows, "office": office}
    ctx["start"] = start_server
    yield ctx
    remove_intel(driver)


def _declaration(row: dict, day: str, office: str) -> dict:
    fields = ("declaration_id", "importer_id", "hs_code", "value", "origin_country", "net_mass", "quantity")
    d = {k: row[k] for k in fields if not pd.isna(row.get(k))}
    return {**d, "date": day, "office": office}


def _lodge(client, rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        answer = client.post("/v1/score", json=row)
        assert answer.status_code == 200, answer.text
        out.append(answer.json())
    return out


def _selected(decisions: list[dict]) -> list[dict]:
    return [d for d in decisions if d["channel"] == PHYSICAL and not d["random"]]


@pytest.fixture(scope="module")
def lodged(setup):
    """Capacity N at the office, then two Mondays lodged one by one: (day A decisions, day B decisions)."""
    server, rows, office = setup["server"], setup["rows"], setup["office"]
    analyst = server.client_as("analyst", "GACC-DARM")  # the department's analyst: any office
    put = analyst.put(f"/v1/capacity/{office}", json={"physical": N})
    assert put.status_code == 200, put.text
    assert put.json()["physical_capacity"] == N and put.json()["entry"]["set_by"] == "test-analyst"
    records = rows.to_dict("records")
    clearance = server.client_as("clearance-system")
    day_a = _lodge(clearance, [_declaration(r, DAY_A, office) for r in records[:PER_DAY]])
    first, second = _on_two_workers(server, clearance.headers)  # the second day alternates between the workers
    day_b = []
    for i, r in enumerate(records[PER_DAY : 2 * PER_DAY]):
        day_b += _lodge((first, second)[i % 2], [_declaration(r, DAY_B, office)])
    return day_a, day_b


def _on_two_workers(server, headers) -> tuple[httpx.Client, httpx.Client]:
    """Two clients whose connections two different worker processes accepted (a connection stays with its
    worker; ``/health`` names it)."""
    by_worker: dict[int, httpx.Client] = {}
    for _ in range(60):
        client = httpx.Client(base_url=server.url, headers=headers, timeout=60)
        worker = client.get("/health").json()["worker"]
        if worker in by_worker:
            client.close()
            continue
        by_worker[worker] = client
        server._clients.append(client)  # closed with the server
        if len(by_worker) == 2:
            return tuple(by_worker.values())
    raise AssertionError("only one worker answered in 60 new connections")


def test_a_day_of_declarations_stays_within_the_capacity_and_goes_to_the_riskiest(setup, lodged):
    server, office = setup["server"], setup["office"]
    day_a, day_b = lodged
    assert N - 2 <= len(_selected(day_a)) <= N  # a Monday without history: the snapshot's volume, the hard limit
    chosen = _selected(day_b)
    assert N - 2 <= len(chosen) <= N, [d["score"] for d in chosen]
    ranked = sorted((d["score"] for d in day_b if not d["random"]), reverse=True)  # random selection is aside
    # the second Monday knows its volume: what it selects is among the riskiest, and most of the top N
    assert min(d["score"] for d in chosen) >= ranked[3 * N - 1], (sorted(d["score"] for d in chosen), ranked[: 3 * N])
    top = {d["declaration_id"] for d in day_b if d["score"] >= ranked[N - 1] and not d["random"]}
    assert len(top & {d["declaration_id"] for d in chosen}) >= N // 2
    for d in chosen:
        capacity = next(r for r in d["reasons"] if r["kind"] == "capacity")
        assert capacity["office"] == office and capacity["day"] == DAY_B and capacity["physical_capacity"] == N
    # the whole day over both workers, as the shared day use counted it
    use = server.client_as("auditor").get("/v1/capacity", params={"date": DAY_B})
    assert use.status_code == 200, use.text
    [row] = [r for r in use.json()["data"] if r["office"] == office]
    assert (row["lodged"], row["physical"], row["forced"]) == (PER_DAY, len(chosen), 0)
    assert row["random"] == sum(d["random"] and d["channel"] == PHYSICAL for d in day_b)
    assert row["expected"] == PER_DAY  # the first Monday


def test_every_decision_not_released_names_an_inspection_type_and_an_instruction(lodged):
    for d in (*lodged[0], *lodged[1]):
        if d["channel"] == "fast release":
            assert d["inspection"] is None
        else:
            assert d["inspection"]["type"] in ("documentary", "scan", "physical", "sample"), d["inspection"]
            assert len(d["inspection"]["instruction"]) > 10 and d["inspection"]["source"], d["inspection"]
    inspected = [d for d in (*lodged[0], *lodged[1]) if d["channel"] == PHYSICAL]
    assert inspected and any(d["inspection"]["source"].startswith("target:") for d in inspected)


def test_the_day_use_holds_across_a_restart_and_a_lookout_hit_still_goes_through_and_counts(setup, lodged):
    office = setup["office"]
    setup["server"].stop()
    again = setup["server"] = setup["start"](
        setup["env"]
    )  # one worker now: the day's use is on disk, not in the old processes
    records = setup["rows"].to_dict("records")[2 * PER_DAY :]
    more = _lodge(again.client, [_declaration(r, DAY_B, office) for r in records[:10]])
    use = {r["office"]: r for r in again.client.get("/v1/capacity", params={"date": DAY_B}).json()["data"]}[office]
    assert use["lodged"] == PER_DAY + 10 and use["physical"] <= N
    assert use["physical"] == len(_selected(lodged[1])) + len(_selected(more))

    firm = records[10]["importer_id"]
    lookout = {
        "kind": "lookout",
        "target": "drugs",
        "summary": "importer named by a seizure",
        "entities": [{"type": "enterprise", "value": firm}],
        "source_grade": "B",
        "info_grade": "2",
        "valid_from": "2026-01-01",
    }
    assert again.client.post("/v1/intel", json=lookout).status_code == 201
    full = {"physical": use["physical"]}
    again.client.put(f"/v1/capacity/{office}", json={"physical": full["physical"], "date": DAY_B})  # no place left
    [hit] = _lodge(again.client, [_declaration({**records[10], "declaration_id": "CAP-LOOKOUT-1"}, DAY_B, office)])
    assert hit["channel"] == PHYSICAL and hit["intel_hits"], hit
    assert any(r["kind"] == "capacity" and "must be inspected" in r["detail"] for r in hit["reasons"])
    assert hit["inspection"]["source"] == "target:drugs" and "concealment" in hit["inspection"]["instruction"]
    after = {r["office"]: r for r in again.client.get("/v1/capacity", params={"date": DAY_B}).json()["data"]}[office]
    assert (after["physical"], after["forced"]) == (full["physical"] + 1, 1)
    assert after["physical_capacity"] == full["physical"]
    assert after["entry"]["dates"][DAY_B]["physical"] == full["physical"]
    setup["lookout_row"] = records[10]


def test_capacity_is_set_by_analysts_of_the_office_s_sub_centre_only(setup):
    from graph.reference import jurisdiction, sub_centres

    server, office = setup["server"], setup["office"]
    assert server.client_as("clearance-system").put(f"/v1/capacity/{office}", json={"physical": 3}).status_code == 403
    assert server.client_as("investigator").get("/v1/capacity").status_code == 200
    other = next(sc.code for sc in sub_centres() if office not in jurisdiction(sc.code))
    district = sorted(jurisdiction(other))[0]
    analyst = server.client_as("analyst", other)
    outside = analyst.put(f"/v1/capacity/{office}", json={"physical": 3})
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "outside_jurisdiction"
    own = analyst.put(f"/v1/capacity/{district}", json={"physical": 3})
    assert own.status_code == 200 and own.json()["office"] == district
    listed = analyst.get("/v1/capacity").json()
    assert office not in [r["office"] for r in listed["data"]] and district in [r["office"] for r in listed["data"]]
    for body, says in (
        ({"physical": -1}, "physical"),
        ({"physical": 2, "weekday": "someday"}, "weekday"),
        ({"physical": 2, "weekday": "mon", "date": "2026-01-05"}, "weekday or a date"),
    ):
        refused = server.client.put("/v1/capacity/Shenzhen", json=body)
        assert refused.status_code == 422 and says in refused.text, refused.text
    assert server.client.put("/v1/capacity/Atlantis", json={"physical": 1}).status_code == 404
    assert server.client.put("/v1/capacity/SC-HUANGPU", json={"physical": 1}).status_code == 422  # not a district


def test_a_target_route_changes_under_four_eyes_and_names_the_inspection(setup, lodged):
    server, office = setup["server"], setup["office"]
    target = "drugs"  # the lookout's target: its declaration goes to physical inspection whatever its score
    route = {"target": target, "channel": PHYSICAL, "inspection_type": "swab", "instruction": "trace swab of the load"}
    first, second = server.client_as("analyst", "GACC-DARM"), server.client  # another person: the admin
    proposed = first.post("/v1/rules/routes", json=route)
    assert proposed.status_code == 202, proposed.text
    change = proposed.json()["id"]
    assert first.post(f"/v1/rules/changes/{change}/approve").status_code == 403  # the proposer cannot
    approved = second.post(f"/v1/rules/changes/{change}/approve")
    assert approved.status_code == 200 and approved.json()["inspection_type"] == "swab", approved.text
    assert [r["target"] for r in first.get("/v1/rules/routes").json()["data"]] == [target]
    row = setup["lookout_row"]
    started = time.monotonic()  # every server follows the rule store within a second
    for n in range(100):
        [again] = _lodge(server.client, [_declaration({**row, "declaration_id": f"CAP-LOOKOUT-2-{n}"}, DAY_B, office)])
        if again["inspection"]["type"] == "swab" or time.monotonic() - started > 3:
            break
        time.sleep(0.2)
    assert again["channel"] == PHYSICAL  # no rule here carries an instruction of its own, which would come first
    assert again["inspection"] == {
        "type": "swab",
        "instruction": "trace swab of the load",
        "source": "target:drugs",
        "officer": None,
    }  # fmt: skip  (no roster at the office: no officer)
    bad = first.post("/v1/rules/routes", json={**route, "target": "weather"})
    assert bad.status_code == 422 and "not a risk target" in bad.text


def test_an_inspection_act_becomes_the_outcome_and_shows_in_performance(setup, lodged, driver):
    server = setup["server"]
    decision = _selected(lodged[1])[0]
    act = {
        "declaration_id": decision["declaration_id"],
        "inspection_type": "physical",
        "officer": "officer-li",
        "started_at": "2026-01-12T09:00:00Z",
        "ended_at": "2026-01-12T10:30:00Z",
        "result": "violation",
        "violation_type": "under-valuation",
        "findings": "invoice shows a third of the contract price",
        "seized": [{"goods": "garments", "quantity": 120, "unit": "pieces"}],
        "revenue": 4200.0,
    }
    clearance = server.client_as("clearance-system")
    done = clearance.post("/v1/inspections", json=act)
    assert done.status_code == 201, done.text
    assert done.json() == {
        "declaration_id": act["declaration_id"],
        "recorded": True,
        "with_decision": True,
        "minutes": 90.0,
    }
    stored = driver.execute_query(
        "MATCH (d:Declaration {id: $id}) RETURN d.violation AS v, d.revenue_recovered AS revenue, d.officer AS officer, "
        "d.inspection_type AS kind, d.inspection_minutes AS minutes, d.seized AS seized, d.channel AS channel, "
        "d.inspection_ordered AS ordered",
        id=act["declaration_id"],
        database_="neo4j",
    ).records[0]
    assert (stored["v"], stored["revenue"], stored["officer"], stored["kind"], stored["minutes"]) == (
        1, 4200.0, "officer-li", "physical", 90.0,
    )  # fmt: skip
    assert json.loads(stored["seized"])[0]["quantity"] == 120 and stored["channel"] == PHYSICAL
    assert stored["ordered"] == decision["inspection"]["type"]
    report = server.client.get("/v1/performance").json()
    assert report["officers"]["officer-li"] == {
        "inspected": 1, "violations": 1, "revenue_recovered": report["officers"]["officer-li"]["revenue_recovered"],
        "hours": 1.5, "hit_rate": 1.0, "violations_per_hour": round(1 / 1.5, 4),
    }  # fmt: skip
    assert report["officers"]["officer-li"]["revenue_recovered"] > 0
    assert report["inspection_types"]["physical"]["inspected"] >= 1
    lodged_at = setup["rows"].set_index("declaration_id").loc[act["declaration_id"], "office"]  # as the graph has it
    assert report["offices"][lodged_at]["violations"] >= 1
    for hit in decision["rule_hits"]:
        assert report["rules"][hit]["violations"] >= 1

    for body, status, says in (
        ({**act, "ended_at": "2026-01-12T08:00:00Z"}, 422, "before started_at"),
        ({**act, "result": "clear"}, 422, "result should be violation"),
        ({**act, "declaration_id": "NOT-IN-THE-GRAPH"}, 404, "no declaration"),
        ({**act, "officer": ""}, 422, "officer"),
    ):
        refused = clearance.post("/v1/inspections", json=body)
        assert refused.status_code == status and says in refused.text, refused.text
    assert server.client_as("investigator").post("/v1/inspections", json=act).status_code == 403


def test_the_capacity_command_sets_and_lists_and_refuses_a_bad_office(setup):
    env = setup["env"]
    run_cli(env, "capacity", "set", "Ningbo", "--physical", "12", "--documentary", "30", "--weekday", "sat")
    listed = [
        json.loads(line)
        for line in run_cli(env, "capacity", "list", "--date", "2026-01-10", "--json").stdout.splitlines()
    ]
    ningbo = next(r for r in listed if r["office"] == "CD-NINGBO")
    assert (ningbo["physical_capacity"], ningbo["documentary_capacity"]) == (12, 30)  # a Saturday
    refused = run_cli(env, "capacity", "set", "Atlantis", "--physical", "3", check=False)
    assert refused.returncode == 1 and "not a customs office" in refused.stderr and "Traceback" not in refused.stderr
