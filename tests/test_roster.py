"""Rosters, assignment by workload and utilisation over real HTTP, against the real Neo4j.

Uses ``trained`` (tests/scoring_setup.py) with a copy of its home and a server of two workers: the busiest
office gets a roster for a Monday (three inspectors, one of them on a four-hour shift, and two investigators),
and that day's declarations are lodged one by one across both workers. Every decision not released names one
of the rostered inspectors, their loads stay within one examination of each other, the rostered hours are the
day's capacity, inspection acts show in utilisation (per officer, and short or idle days as the day use counted
them) and in the report; a case without an assignee goes to the investigator with the fewest open cases; rosters
are put only within the key's jurisdiction, bad ones are refused with the reason and change nothing; the CLI
loads a file whole or refuses it naming its bad rows.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from graph.reference import jurisdiction
from ingest.validate import validate
from tests.conftest import remove_intel, run_cli
from tests.scoring_setup import home_copy
from tests.test_capacity import _declaration, _lodge, _on_two_workers

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

DAY = "2025-12-15"  # a Monday within the sample's last quarter, so the report's period holds it
PER_DAY = 120
ROSTER = [
    {"officer": "insp-a", "hours": 8},
    {"officer": "insp-b", "role": "inspector", "hours": 8},
    {"officer": "insp-c", "start": "08:00", "end": "12:00"},
    {"officer": "inv-x", "role": "investigator", "hours": 8},
]
INSPECTORS = {"insp-a": 8.0, "insp-b": 8.0, "insp-c": 4.0}


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory, driver):
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("roster-home"))
    reload_graph(env, sample)
    remove_intel(driver)
    raw = pd.read_csv(sample / "declarations-2025Q4.csv", dtype=str, keep_default_na=False)
    rows, _ = validate(raw, "sample")
    office = rows["office"].value_counts().index[0]
    rows = rows[~rows["declaration_id"].duplicated() & (rows["office"] == office)].head(PER_DAY)
    server = start_server(env, "--workers", "2")
    analyst = server.client_as("analyst", "GACC-DARM")
    put = analyst.put(f"/v1/roster/{office}", params={"date": DAY}, json={"officers": ROSTER})
    assert put.status_code == 200, put.text
    code = put.json()["office"]
    clearance = server.client_as("clearance-system")
    workers = _on_two_workers(server, clearance.headers)
    decisions = []
    for i, r in enumerate(rows.to_dict("records")):
        decisions += _lodge(workers[i % 2], [_declaration(r, DAY, office)])
    records = {r["declaration_id"]: r for r in rows.to_dict("records")}
    yield {"env": env, "server": server, "office": office, "code": code, "decisions": decisions, "put": put.json(),
           "records": records}  # fmt: skip
    remove_intel(driver)


def test_the_roster_is_stored_and_its_inspector_hours_are_the_day_s_capacity(setup):
    put = setup["put"]
    assert put["day"] == DAY and put["inspector_hours"] == 20.0
    assert (put["physical_capacity"], put["capacity_source"]) == (20, "roster")  # 20 h at 60 min an examination
    assert {d["officer"]: (d["role"], d["hours"]) for d in put["officers"]} == {
        "insp-a": ("inspector", 8.0), "insp-b": ("inspector", 8.0), "insp-c": ("inspector", 4.0),
        "inv-x": ("investigator", 8.0),
    }  # fmt: skip
    use = setup["server"].client_as("auditor").get("/v1/capacity", params={"date": DAY})
    [row] = [r for r in use.json()["data"] if r["office"] == setup["code"]]
    assert (row["source"], row["physical_capacity"], row["inspector_hours"], row["lodged"]) == (
        "roster", 20, 20.0, PER_DAY
    )  # fmt: skip
    chosen = [d for d in setup["decisions"] if d["channel"] == "physical inspection" and not d["random"]]
    assert row["physical"] == len(chosen) <= 20


def test_every_selected_declaration_names_a_rostered_inspector_and_loads_balance(setup):
    selected = [d for d in setup["decisions"] if d["channel"] != "fast release"]
    assert selected, "nothing selected on a day of 120 declarations"
    for d in setup["decisions"]:
        if d["channel"] == "fast release":
            assert d["inspection"] is None
        else:
            assert d["inspection"]["officer"] in INSPECTORS, d["inspection"]
    roster = setup["server"].client_as("auditor").get(f"/v1/roster/{setup['office']}", params={"date": DAY})
    assert roster.status_code == 200, roster.text
    duties = {d["officer"]: d for d in roster.json()["officers"]}
    assert sum(d["assigned"] for d in duties.values()) == len(selected)  # over both workers, none counted twice
    assert duties["inv-x"]["assigned"] == 0
    for officer in INSPECTORS:
        assert duties[officer]["assigned"] == sum(d["inspection"]["officer"] == officer for d in selected)
    loads = [duties[o]["assigned_minutes"] / (h * 60) for o, h in INSPECTORS.items()]
    assert max(loads) - min(loads) <= 60 / (4 * 60) + 1e-9  # within one physical examination of the short shift
    # scoring a declaration again names the same officer and assigns nothing more
    first = selected[0]
    body = _declaration(setup["records"][first["declaration_id"]], DAY, setup["office"])
    again = setup["server"].client_as("clearance-system").post("/v1/score", json=body)
    assert again.status_code == 200, again.text
    if again.json()["channel"] != "fast release":  # the day's capacity may have been used up since
        assert again.json()["inspection"]["officer"] == first["inspection"]["officer"]
    after = setup["server"].client_as("auditor").get(f"/v1/roster/{setup['office']}", params={"date": DAY}).json()
    assert sum(d["assigned"] for d in after["officers"]) == len(selected)


def test_acts_show_in_utilisation_per_officer_and_in_the_report(setup):
    server, code = setup["server"], setup["code"]
    selected = [d for d in setup["decisions"] if d["channel"] != "fast release"][:3]
    clearance = server.client_as("clearance-system")
    for i, d in enumerate(selected):
        act = {
            "declaration_id": d["declaration_id"], "inspection_type": d["inspection"]["type"],
            "officer": d["inspection"]["officer"], "started_at": f"{DAY}T09:00:00Z", "ended_at": f"{DAY}T10:00:00Z",
            "result": "violation" if i == 0 else "clear", "violation_type": "under-valuation" if i == 0 else None,
        }  # fmt: skip
        done = clearance.post("/v1/inspections", json={k: v for k, v in act.items() if v is not None})
        assert done.status_code == 201, done.text
    figures = server.client_as("auditor").get("/v1/utilisation", params={"from": DAY, "to": DAY})
    assert figures.status_code == 200, figures.text
    body = figures.json()
    officers = {o["officer"]: o for o in body["officers"] if o["office"] == code}
    for officer, hours in INSPECTORS.items():
        acts = [d for d in selected if d["inspection"]["officer"] == officer]
        found = int(bool(acts) and acts[0] is selected[0])
        assert (officers[officer]["hours"], officers[officer]["done"], officers[officer]["violations"]) == (
            hours, len(acts), found
        )  # fmt: skip
        assert officers[officer]["hits_per_officer_hour"] == round(found / hours, 4)
    [office] = [o for o in body["offices"] if o["office"] == code]
    assert (office["officers"], office["hours"], office["done"], office["violations"]) == (4, 28.0, 3, 1)
    # short or idle as the day use counted it: more high-risk than the capacity, or capacity left unused
    use = server.client_as("auditor").get("/v1/capacity", params={"date": DAY}).json()
    [row] = [r for r in use["data"] if r["office"] == code]
    assert (DAY in [d["day"] for d in office["short_days"]]) == (row["high"] > 20)
    assert (DAY in [d["day"] for d in office["idle_days"]]) == (row["high"] <= 20 and row["physical"] < 20)
    report = server.client_as("auditor").get("/v1/reports/analysis", params={"format": "json"}).json()
    assert [o for o in report["utilisation"]["offices"] if o["office"] == code][0]["done"] == 3
    page = server.client_as("auditor").get("/v1/reports/analysis", params={"format": "html"}).text
    assert 'id="utilisation-officers"' in page and "insp-c" in page


def test_a_case_without_an_assignee_goes_to_the_least_loaded_investigator(setup):
    server, office = setup["server"], setup["office"]
    analyst = server.client_as("analyst", "GACC-DARM")
    today = analyst.put(f"/v1/roster/{office}", json={"officers": [
        {"officer": "inv-b", "role": "investigator", "hours": 8}, {"officer": "inv-a", "role": "investigator", "hours": 8},
    ]})  # fmt: skip
    assert today.status_code == 200, today.text
    investigator = server.client_as("investigator")
    firm = setup["records"][setup["decisions"][0]["declaration_id"]]["importer_id"]
    opened = []
    for assignee in ("inv-a", None, None):
        body = {"enterprise_id": firm, "title": "roster test", "kind": "audit"} | (
            {"assignee": assignee} if assignee else {}
        )
        created = investigator.post("/v1/cases", json=body)
        assert created.status_code == 201, created.text
        opened.append(created.json()["assignee"])
    assert opened == ["inv-a", "inv-b", "inv-a"]  # inv-a had one open: inv-b; then one each: the name breaks the tie


def test_rosters_are_put_within_the_jurisdiction_and_bad_ones_change_nothing(setup):
    server, office = setup["server"], setup["office"]
    elsewhere = next(s for s in ("SC-QINGDAO", "SC-SHANGHAI", "SC-HUANGPU") if setup["code"] not in jurisdiction(s))
    limited = server.client_as("analyst", elsewhere)
    outside = limited.put(f"/v1/roster/{office}", params={"date": DAY}, json={"officers": ROSTER[:1]})
    assert outside.status_code == 403 and "outside the jurisdiction" in outside.text, outside.text
    assert limited.get(f"/v1/roster/{office}", params={"date": DAY}).status_code == 403
    assert all(o["office"] != setup["code"] for o in limited.get("/v1/utilisation").json()["offices"])
    assert (
        server.client_as("investigator")
        .put(f"/v1/roster/{office}", params={"date": DAY}, json={"officers": ROSTER})
        .status_code
        == 403
    )
    analyst = server.client_as("analyst", "GACC-DARM")
    for officers, says in (
        ([{"officer": "x", "hours": 30}], "hours"),
        ([{"officer": "x", "start": "08:00"}], "hours: missing"),
        ([{"officer": "x", "hours": 8, "start": "08:00", "end": "16:00"}], "not both"),
        ([{"officer": "x", "hours": 8}, {"officer": "x", "hours": 4}], "twice"),
        ([{"officer": "x", "role": "driver", "hours": 8}], "role"),
    ):
        refused = analyst.put(f"/v1/roster/{office}", params={"date": DAY}, json={"officers": officers})
        assert refused.status_code == 422 and says in refused.text, refused.text
    kept = analyst.get(f"/v1/roster/{office}", params={"date": DAY}).json()
    assert {d["officer"] for d in kept["officers"]} == {"insp-a", "insp-b", "insp-c", "inv-x"}
    assert analyst.get("/v1/roster/Atlantis").status_code == 404
    assert analyst.get("/v1/utilisation", params={"from": DAY, "to": "2025-01-01"}).status_code == 422


def test_the_roster_command_loads_a_file_whole_or_refuses_its_bad_rows(setup, tmp_path):
    env, code = setup["env"], setup["code"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"office,date,officer,hours\n{code},2025-12-16,p1,8\nAtlantis,2025-12-16,p2,8\n{code},2025-12-16,p3,x\n"
    )
    refused = run_cli(env, "roster", "load", str(bad), check=False)
    assert refused.returncode == 1 and "row 3: office" in refused.stderr and "row 4: hours" in refused.stderr
    assert "Traceback" not in refused.stderr
    shown = run_cli(env, "roster", "show", code, "--date", "2025-12-16", "--json").stdout
    assert shown.strip() == ""  # nothing of the refused file was written
    good = tmp_path / "good.csv"
    good.write_text(
        f"office,date,officer,role,start,end\n{code},2025-12-16,p1,,22:00,06:00\n{code},2025-12-16,p2,investigator,08:00,16:00\n"
    )
    assert "2 officers on duty" in run_cli(env, "roster", "load", str(good)).stdout
    shown = [
        json.loads(line)
        for line in run_cli(env, "roster", "show", code, "--date", "2025-12-16", "--json").stdout.splitlines()
    ]
    assert {(d["officer"], d["role"], d["hours"]) for d in shown} == {
        ("p1", "inspector", 8.0),
        ("p2", "investigator", 8.0),
    }
    figures = json.loads(run_cli(env, "roster", "utilisation", "--from", DAY, "--to", DAY, "--json").stdout)
    assert any(o["officer"] == "insp-a" and o["office"] == code for o in figures["officers"])
