"""Another administration's year, end to end, through the CLI and the HTTP API with one mapping.

``riskgraph generate --profile minimal`` (2,000 declarations, seed 4): own column names, numeric office
codes, TZS (no built-in rate), numeric transport-mode codes, a fraud flag as the only outcome, no party
names or addresses. The module's steps share one graph and one ``RISKGRAPH_HOME`` and run in order:
ingest → offices load → analyze → model train → score (CLI, API) → leads → report.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import add_rule, run_cli

pytest_plugins = ("tests.scoring_setup",)  # start_server

DECLARATIONS, SEED = 2000, 4


def _last_json(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def minimal(driver, rg_env, tmp_path_factory):
    """(folder, env, generator summary, ingest summary), the graph holding only this administration's year."""
    from graph.setup import ensure_schema, load_reference_data

    folder = tmp_path_factory.mktemp("minimal")
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("minimal-home"))}
    generated = _last_json(
        run_cli(
            env,
            "generate",
            "--profile",
            "minimal",
            "--out",
            str(folder),
            "--declarations",
            str(DECLARATIONS),
            "--seed",
            str(SEED),
        )  # fmt: skip
    )
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    ensure_schema(driver, "neo4j")
    load_reference_data(driver, "neo4j")
    mapping = str(folder / "mapping.yaml")
    ingested = _last_json(run_cli(env, "ingest", str(folder / "declarations.csv"), "--mapping", mapping, "--json"))
    return folder, env, generated, ingested


def test_ingest_quarantines_only_the_truly_bad_rows(minimal, driver):
    folder, _, generated, ingested = minimal
    truth = pd.read_csv(folder / "truth" / "bad_rows.csv", dtype=str)
    assert ingested["quarantined"] == generated["bad_rows"] == len(truth) > 0
    assert ingested["stored"] == DECLARATIONS - len(truth)
    quarantined = pd.read_csv(ingested["quarantine_file"], dtype=str)
    assert sorted(json.loads(o)["ENTRY_NO"] for o in quarantined["original"]) == sorted(truth["declaration_id"])
    # the stations nobody declared are added as unassigned districts and said so; TZS needs no rate
    assert ingested["new_offices"] == sorted(o for o in generated["offices"] if len(o) == 2)
    assert ingested["money_unit"] == "TZS" and ingested["without_rate"] == 0
    modes = dict(driver.execute_query("MATCH (d:Declaration) RETURN d.transport_mode AS mode, count(*) AS n").records)
    assert {"sea", "air", "30", "20"} == set(modes)  # translated where the mapping says, kept where not
    lodged = driver.execute_query("MATCH (:Declaration)-[r:LODGED_AT]->() RETURN count(r) AS n").records[0]["n"]
    assert lodged == ingested["stored"]


def test_offices_load_places_the_administrations_stations(minimal, driver):
    folder, env, _, _ = minimal
    run_cli(env, "offices", "load", str(folder / "offices.csv"))
    listed = json.loads(run_cli(env, "offices", "list", "--json").stdout)
    assert {o["code"] for o in listed} == set(pd.read_csv(folder / "offices.csv", dtype=str)["code"])
    assert not any(o["unassigned"] for o in listed)
    rows = driver.execute_query(
        "MATCH (d:CustomsOffice {level: 'district'})-[:PART_OF]->(s:CustomsOffice)-[:PART_OF]->"
        "(:CustomsOffice {level: 'department'}) RETURN s.code AS sc, count(d) AS n"
    ).records
    assert dict(rows) == {"2": 4, "3": 4}
    seed_left = driver.execute_query("MATCH (o:CustomsOffice) WHERE o.code STARTS WITH 'CD-' RETURN count(o) AS n")
    assert seed_left.records[0]["n"] == 0


def test_analyze_and_train_on_a_fraud_flag_alone(minimal, driver):
    _, env, generated, _ = minimal
    resolution = _last_json(run_cli(env, "analyze", "--json"))["resolution"]
    # no names, addresses, phones or representatives: resolution runs with the analysis and says why it links none
    assert resolution["mode"] == "full" and resolution["candidates"] == 0
    assert resolution["message"].startswith("nothing to link")
    # it weighed every importer all the same: with no identifier of their own, the consignees (from the columnar copy)
    consignees = driver.execute_query(
        "MATCH (e:Enterprise) WHERE EXISTS { (e)-[:FILED {role: 'consignee'}]->() } RETURN count(e) AS n"
    )
    assert resolution["enterprises"] == consignees.records[0]["n"] > 0
    # the next run keeps the firms' records it read (no addresses, phones or representatives here) and they agree
    # with the graph's counts, so nothing new is read again
    again = _last_json(run_cli(env, "analyze", "--json"))
    assert again["mode"] == "incremental" and again["counts"]["identities_read_whole"] == 0
    trained = _last_json(run_cli(env, "model", "train", "--json"))
    metrics = trained["metrics"]
    assert metrics["violations"] > 0 and metrics["auc"] > 0.8  # propensities of importers and brokers, undervaluing
    assert metrics["precision@5%"] > 2 * metrics["base_rate"]
    # a fraud flag and no violation types: one risk target, any, learned as the overall model is, and said
    assert metrics["targets"]["source"] == "flag" and list(metrics["targets"]["models"]) == ["any"]
    assert metrics["targets"]["models"]["any"]["published"] in ("model", "blend", "baseline")


def test_score_new_declarations_with_the_same_mapping_and_a_rule_on_own_codes(minimal):
    folder, env, _, _ = minimal
    rule = {
        "id": "road-at-namanga",
        "description": "Road crossings at Namanga (mode code 30, kept untranslated)",
        "target": "tax",
        "weight": 0.5,
        "owner": "Inland Region",  # a sub-centre of the loaded hierarchy, by name
        "offices": ["40"],
        "effective_from": "2025-01-01",
        "conditions": {"transport_mode": ["30"]},
    }
    (folder / "rule.yaml").write_text(json.dumps(rule))
    add_rule(env, folder / "rule.yaml")
    out = folder / "decisions.csv"
    done = run_cli(env, "score", str(folder / "new.csv"), "--mapping", str(folder / "mapping.yaml"), "--out", str(out))
    decisions = {d["declaration_id"]: d for d in csv.DictReader(out.open())}
    new = pd.read_csv(folder / "new.csv", dtype=str)
    assert set(decisions) == set(new["ENTRY_NO"]) and "quarantined 0" in done.stderr
    at_namanga = set(new.loc[(new["STATION"] == "40") & (new["MODE"] == "30"), "ENTRY_NO"])
    hit = {i for i, d in decisions.items() if "road-at-namanga" in d["reasons"]}
    assert at_namanga and hit == at_namanga
    assert "one risk target, any" in done.stderr
    assert all(set(d) >= {"score_any", "leading_target"} and d["leading_target"] == "any" for d in decisions.values())


def test_the_api_scores_every_row_ingest_stores_and_lists_the_offices(minimal, start_server):
    from ingest.mapping import load_mapping

    folder, env, _, _ = minimal
    server = start_server(env)
    offices = server.client.get("/v1/offices").json()
    assert offices["count"] == 11 and {o["kind"] for o in offices["data"]} == {"department", "sub-centre", "district"}
    frame = pd.read_csv(folder / "new.csv", dtype=str, keep_default_na=False)
    mapped = load_mapping(folder / "mapping.yaml").apply(frame, "new.csv")
    rows = [
        {k: str(v) for k, v in row.items() if v is not None and v == v and str(v) != ""}
        for row in mapped.to_dict("records")
    ]
    answers = server.client.post("/v1/score/batch", json={"declarations": rows})
    assert answers.status_code == 200, answers.text
    assert answers.json()["count"] == len(rows)
    one = server.client.post("/v1/score", json=rows[0])
    assert one.status_code == 200 and 0 <= one.json()["score"] <= 100
    assert list(one.json()["targets"]) == ["any"] and one.json()["leading_target"] == "any"
    refused = server.client.post("/v1/score", json={**rows[0], "value": "see invoice"})
    assert refused.status_code == 422 and "non-numeric 'value': 'see invoice'" in refused.text


def test_an_importer_the_graph_does_not_know_stands_at_new_firms_rate(minimal, start_server):
    """No party fields in this administration's data: a new importer has no tie through its own identifiers,
    and its probability is at most the new firms' violation rate the snapshot estimated from representative
    outcomes; the model card says what the probability was calibrated on."""
    folder, env, _, _ = minimal
    server = start_server(env)
    estimate = server.client.get("/v1/rules/new-firms").json()["estimate"]
    assert estimate is not None and 0 < estimate < 1
    row = {**_new_rows(folder)[0], "declaration_id": "TZ-NEWFIRM-1", "importer_id": "TZ-NEVER-SEEN"}
    decision = server.client.post("/v1/score", json=row).json()
    reason = next(r for r in decision["reasons"] if r["kind"] == "new_firm")
    assert decision["probability"] <= estimate and reason["tie"] == 0 and reason["policy"] == "built-in"
    from ingest.mapping import load_mapping

    history = pd.read_csv(folder / "declarations.csv", dtype=str, keep_default_na=False)
    seen = set(load_mapping(folder / "mapping.yaml").apply(history, "declarations.csv")["importer_id"])
    known = server.client.post("/v1/score", json=next(r for r in _new_rows(folder) if r.get("importer_id") in seen))
    known = known.json()
    assert not [r for r in known["reasons"] if r["kind"] == "new_firm"]
    card = server.client.get("/health").json()["model"]
    assert card["calibrated_on"] and card["hit_rates"]["basis"] == card["calibrated_on"]
    assert card["hit_rates"]["new_firms"]["representative_rate"] == estimate


def test_the_command_decides_as_the_api_one_declaration_at_a_time(minimal, start_server, tmp_path):
    """``riskgraph score new.csv --mapping`` and ``POST /v1/score`` per mapped row, each in a copy of the home
    (same snapshot and rule): same scores, channels, reasons and decision log."""
    from tests.batch_agreement import assert_same_decisions

    rows = _new_rows(minimal[0])
    out, answers, refused, batch, api = _decided_both_ways(minimal, start_server, tmp_path, rows)
    assert not refused and len(answers) == len(rows)
    assert any("road-at-namanga" in a["rule_hits"] for a in answers.values())
    assert_same_decisions(out, answers, batch["RISKGRAPH_HOME"], api["RISKGRAPH_HOME"])


def _new_rows(folder: Path) -> list[dict]:
    """Next month's file mapped, as a clearance system sends its rows."""
    from ingest.mapping import load_mapping
    from tests.batch_agreement import api_rows

    frame = pd.read_csv(folder / "new.csv", dtype=str, keep_default_na=False)
    return api_rows(load_mapping(folder / "mapping.yaml").apply(frame, "new.csv").to_dict("records"))


def _decided_both_ways(minimal, start_server, tmp_path, rows: list[dict]) -> tuple:
    """(decisions file, API answers by id, ids refused, batch env, API env): ``riskgraph score new.csv`` and
    ``POST /v1/score`` per row, each in its own copy of the module's home."""
    from tests.batch_agreement import score_one_by_one
    from tests.scoring_setup import home_copy

    folder, env, _, _ = minimal
    (tmp_path / "batch-home").mkdir(), (tmp_path / "api-home").mkdir()
    batch = home_copy(env, tmp_path / "batch-home")
    out = tmp_path / "decisions.csv"
    run_cli(batch, "score", str(folder / "new.csv"), "--mapping", str(folder / "mapping.yaml"), "--out", str(out))
    api = home_copy(env, tmp_path / "api-home")
    server = start_server(api)
    answers, refused = score_one_by_one(server.client, rows)
    server.stop()  # a clean stop commits its decision log
    return out, answers, refused, batch, api


def test_leads_and_report_in_the_administrations_currency(minimal):
    folder, env, _, _ = minimal
    run_cli(env, "leads", "--kind", "audit", "--out", str(folder / "leads.csv"))
    leads = pd.read_csv(folder / "leads.csv", encoding="utf-8-sig")
    assert len(leads) > 0 and "Expected value (TZS)" in leads.columns
    assert not math.isnan(leads["Expected value (TZS)"].iloc[0]) and leads["Expected value (TZS)"].iloc[0] > 0
    report = folder / "report.html"
    run_cli(env, "report", "--out", str(report))
    assert Path(report).stat().st_size > 10_000


def test_feedback_with_the_fraud_flag_alone_feeds_performance(minimal):
    folder, env, _, _ = minimal
    mapping = str(folder / "mapping.yaml")
    run_cli(env, "ingest", str(folder / "new.csv"), "--mapping", mapping)  # lodged: now in the graph
    new = pd.read_csv(folder / "new.csv", dtype=str)
    outcomes = pd.DataFrame({"ENTRY_NO": new["ENTRY_NO"][:40], "FRAUD": ["1", "0", "0", "0"] * 10})
    outcomes.to_csv(folder / "outcomes.csv", index=False)
    counts = _last_json(run_cli(env, "feedback", str(folder / "outcomes.csv"), "--mapping", mapping, "--json"))
    assert counts["recorded"] == 40 and counts["with_decision"] == 40 and counts["quarantined"] == 0
    report = json.loads(run_cli(env, "performance", "--json").stdout)
    offices = report["offices"]
    assert sum(o["inspected"] for o in offices.values()) == 40
    assert sum(o["violations"] for o in offices.values()) == 10
    assert set(report["sub_centres"]) <= {"2", "3"}  # the loaded hierarchy's regions


def test_a_station_s_capacity_holds_its_day_and_an_inspection_act_with_the_least_fields_feeds_performance(
    minimal, start_server, tmp_path
):
    """The administration's own station codes: capacity 2 a day at its busiest station, next month's declarations
    lodged one by one as one day there stay within it, each inspected decision names its inspection, and an act
    with only the required fields becomes an outcome counted per officer (the graph holds new.csv by now)."""
    from collections import Counter

    from tests.scoring_setup import home_copy

    folder, env, _, _ = minimal
    rows = _new_rows(folder)
    station = Counter(r["office"] for r in rows if r.get("office")).most_common(1)[0][0]
    (tmp_path / "home").mkdir()
    env = home_copy(env, tmp_path / "home")
    run_cli(env, "capacity", "set", station, "--physical", "2")
    server = start_server(env)
    answers = [server.client.post("/v1/score", json={**r, "office": station, "date": "2026-02-02"}) for r in rows]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:1]
    decisions = [a.json() for a in answers]
    physical = [d for d in decisions if d["channel"] == "physical inspection" and not d["random"]]
    assert 1 <= len(physical) <= 2 and all(d["inspection"]["type"] == "physical" for d in physical)
    assert all(d["inspection"] is None for d in decisions if d["channel"] == "fast release")
    [use] = server.client.get("/v1/capacity", params={"date": "2026-02-02"}).json()["data"]
    assert (use["lodged"], use["physical"], use["physical_capacity"]) == (len(rows), len(physical), 2)
    act = {
        "declaration_id": physical[0]["declaration_id"],
        "inspection_type": "physical",
        "officer": "station-officer",
        "started_at": "2026-02-02T08:00:00",
        "ended_at": "2026-02-02T08:45:00+00:00",
        "result": "clear",
    }
    recorded = server.client.post("/v1/inspections", json=act)
    assert recorded.status_code == 201 and recorded.json()["minutes"] == 45.0, recorded.text
    officer = server.client.get("/v1/performance").json()["officers"]["station-officer"]
    assert (officer["inspected"], officer["violations"], officer["hours"]) == (1, 0, 0.75)


def test_a_station_s_roster_is_its_capacity_and_names_the_inspectors_of_its_selected_declarations(
    minimal, start_server, tmp_path
):
    """The administration's own station codes: two inspectors of an hour each on a day's roster (loaded from a
    file with a shift and hours) give the station a capacity of 2 that day; every decision not released there
    names one of them, and an act by the named officer shows in utilisation."""
    from collections import Counter

    from tests.scoring_setup import home_copy

    folder, env, _, _ = minimal
    rows = _new_rows(folder)
    station = Counter(r["office"] for r in rows if r.get("office")).most_common(1)[0][0]
    (tmp_path / "home").mkdir()
    env = home_copy(env, tmp_path / "home")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"office,date,officer,hours,start,end\n{station},2026-02-03,s-1,1,,\n{station},2026-02-03,s-2,,07:00,08:00\n"
    )
    run_cli(env, "roster", "load", str(roster))
    server = start_server(env)
    answers = [server.client.post("/v1/score", json={**r, "office": station, "date": "2026-02-03"}) for r in rows]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:1]
    decisions = [a.json() for a in answers]
    selected = [d for d in decisions if d["channel"] != "fast release"]
    assert selected and all(d["inspection"]["officer"] in ("s-1", "s-2") for d in selected)
    [use] = server.client.get("/v1/capacity", params={"date": "2026-02-03"}).json()["data"]
    assert (use["source"], use["physical_capacity"], use["inspector_hours"]) == ("roster", 2, 2.0)
    first = selected[0]
    act = {"declaration_id": first["declaration_id"], "inspection_type": first["inspection"]["type"],
           "officer": first["inspection"]["officer"], "started_at": "2026-02-03T07:10:00",
           "ended_at": "2026-02-03T07:40:00", "result": "clear"}  # fmt: skip
    assert server.client.post("/v1/inspections", json=act).status_code == 201
    figures = server.client.get("/v1/utilisation", params={"from": "2026-02-03", "to": "2026-02-03"}).json()
    officers = {o["officer"]: o for o in figures["officers"]}
    assert officers[act["officer"]]["done"] == 1 and officers[act["officer"]]["hours"] == 1.0
    assert sum(o["assigned"] for o in officers.values()) == len(selected)


def test_a_lookout_on_an_agent_sends_its_declarations_to_inspection_in_the_command_and_the_api_alike(
    minimal, start_server, tmp_path, driver
):
    """A lookout loaded by the command line on a broker's TIN (written with stray spaces): ``riskgraph score`` and
    ``POST /v1/score`` send exactly the declarations naming it to physical inspection, the record's id in their
    reasons, and otherwise decide alike; the API's hits raise one alert per importer (last: the lookout stays in
    this module's home)."""
    from collections import Counter

    from tests.batch_agreement import assert_same_decisions

    folder, env, _, _ = minimal
    rows = _new_rows(folder)
    agent = Counter(r["declarant_id"] for r in rows if r.get("declarant_id")).most_common(1)[0][0]
    named = {r["declaration_id"] for r in rows if agent in (r.get("declarant_id"), r.get("importer_id"))}
    assert 0 < len(named) < len(rows)
    record = {
        "id": "TZ-LOOKOUT-1",
        "kind": "lookout",
        "target": "drugs",
        "summary": "agent filing for a trafficking network",
        "entities": [{"type": "enterprise", "value": f" {agent}  "}],
        "scale": "5x5x5",
        "source_grade": "B",
        "info_grade": "2",
        "handling": "3",
    }
    (tmp_path / "lookout.jsonl").write_text(json.dumps(record) + "\n")
    run_cli(env, "intel", "load", str(tmp_path / "lookout.jsonl"))
    out, answers, refused, batch, api = _decided_both_ways(minimal, start_server, tmp_path, rows)
    assert not refused
    assert {i for i, a in answers.items() if a["intel_hits"]} == named
    assert all(answers[i]["channel"] == "physical inspection" for i in named)
    assert all(any(r.get("record") == "TZ-LOOKOUT-1" for r in answers[i]["reasons"]) for i in named)
    assert_same_decisions(out, answers, batch["RISKGRAPH_HOME"], api["RISKGRAPH_HOME"])
    alerts = driver.execute_query(  # the stopped server wrote its last hits as it stopped
        "MATCH (a:Alert {record: 'TZ-LOOKOUT-1', source: 'lodging'}) RETURN a.declaration AS d", database_="neo4j"
    ).records
    importers = {r["importer_id"] for r in rows if r["declaration_id"] in named}
    assert {r["d"] for r in alerts} <= named and len(alerts) == len(importers) > 0


def test_an_operation_selects_alike_from_the_command_and_the_api(minimal, start_server, tmp_path):
    """A special operation on this administration's own hierarchy (its head office by name): ``riskgraph score``
    and ``POST /v1/score`` select the same declarations, at about its rate, the riskiest first."""
    from tests.batch_agreement import assert_same_decisions
    from tests.scoring_setup import home_copy

    folder, env, _, _ = minimal
    (tmp_path / "operation-home").mkdir()
    op_env = home_copy(env, tmp_path / "operation-home")
    operation = {
        "name": "Everything, this year",
        "target": "tax",
        "owner": "Revenue Authority Customs Head Office",
        "start": "2025-01-01",
        "end": "2026-12-31",
        "inspection_rate": 0.3,
        "scope": {"value_min": 0},
    }
    (tmp_path / "operation.json").write_text(json.dumps(operation))
    proposed = run_cli(op_env, "operations", "add", str(tmp_path / "operation.json"), "--by", "first analyst")
    change = re.search(r"proposed change (chg-\w+)", proposed.stderr).group(1)
    run_cli(op_env, "rules", "approve", change, "--by", "second analyst")
    rows = _new_rows(folder)
    out, answers, refused, batch, api = _decided_both_ways((folder, op_env, None, None), start_server, tmp_path, rows)
    assert not refused and len(answers) == len(rows)
    assert_same_decisions(out, answers, batch["RISKGRAPH_HOME"], api["RISKGRAPH_HOME"])
    chosen = {i for i, a in answers.items() if any(r["kind"] == "operation" for r in a["reasons"])}
    assert abs(len(chosen) / len(answers) - 0.3) < 0.1, (len(chosen), len(answers))
    scores = sorted(answers, key=lambda i: answers[i]["targets"]["any"]["score"], reverse=True)
    assert len(chosen & set(scores[: len(scores) // 10])) >= 0.8 * (len(scores) // 10)
