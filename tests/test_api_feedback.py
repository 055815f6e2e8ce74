"""Feedback and performance end to end: score over HTTP, record outcomes, read hit rates from the real Neo4j.

Uses ``trained`` (tests/scoring_setup.py) with a copy of its home, so rules and snapshots published
here do not leak into other modules; the sample is loaded into the graph again first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from ingest.validate import validate
from scoring.snapshot import load_scorer, save_snapshot
from tests.conftest import add_rule, run_cli
from tests.scoring_setup import home_copy

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory):
    env, sample, _ = trained
    home = tmp_path_factory.mktemp("feedback-home")
    env = home_copy(env, home)
    reload_graph(env, sample)
    raw = pd.read_csv(sample / "declarations-2025Q4.csv", dtype=str, keep_default_na=False).head(300)
    rows, _ = validate(raw, "sample")  # canonical, normalised values, as a clearance system sends them
    rows = rows[~rows["declaration_id"].duplicated()].head(200)
    prefix = rows["hs_code"].str[:4].value_counts().index[0]
    rule = {
        "id": "busy-heading",
        "description": f"Every declaration under heading {prefix}",
        "target": "tax",
        "weight": 0.5,
        "owner": "GACC-DARM",
        "effective_from": "2020-01-01",
        "conditions": {"hs_prefix": [prefix]},
    }
    rules = tmp_path_factory.mktemp("rules")
    (rules / "busy.json").write_text(json.dumps(rule))
    add_rule(env, rules / "busy.json")
    idle = {**rule, "id": "never-hits", "description": "Goods from nowhere", "conditions": {"origin": ["AQ"]}}
    (rules / "idle.json").write_text(json.dumps(idle))
    add_rule(env, rules / "idle.json")
    store = home / "rules" / "rules.json"  # back-date the idle rule: stored 200 days ago, never hit since
    doc = json.loads(store.read_text())
    for r in doc["rules"]:
        if r["id"] == "never-hits":
            r["changed_at"] = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    store.write_text(json.dumps(doc))
    scorer, meta = load_scorer(home)  # half the declarations at random, so the random sample has something in it
    scorer.config.random_share = 0.5
    save_snapshot(home, meta["model_version"], scorer.state, scorer.config)
    return env, start_server(env), rows, prefix


def _declarations(rows: pd.DataFrame) -> list[dict]:
    fields = ("declaration_id", "date", "importer_id", "hs_code", "value", "office", "origin_country", "net_mass")
    out = []
    for row in rows.to_dict("records"):
        d = {k: row[k] for k in fields if not pd.isna(row[k])}
        d["net_mass"] = d.get("net_mass", 0.0)
        out.append(d)
    return out


def test_outcomes_flow_back_into_hit_rates(setup, driver):
    env, server, rows, prefix = setup
    scored = server.client.post("/v1/score/batch", json={"declarations": _declarations(rows)}, timeout=60)
    assert scored.status_code == 200, scored.text
    decisions = {d["declaration_id"]: d for d in scored.json()["data"]}
    hit = {i for i, d in decisions.items() if d["rule_hits"] == ["busy-heading"]}
    assert hit == {
        i for i, code in zip(rows["declaration_id"], rows["hs_code"], strict=True) if code.startswith(prefix)
    }

    fed = list(decisions)[:120]
    # violations of two targets, by how they are written: tax (under-valuation) and drugs (drug smuggling)
    kinds = {i: ("under-valuation", "tax") if n % 2 else ("Drug smuggling", "drugs") for n, i in enumerate(sorted(hit))}
    outcomes = [
        {"declaration_id": i, "violation": int(i in hit), "revenue_recovered": 100.0 * (i in hit)}
        | ({"violation_type": kinds[i][0]} if i in hit else {})
        for i in fed
    ]
    outcomes.append({"declaration_id": "NOT-IN-THE-GRAPH", "violation": 0})
    body = {"outcomes": outcomes}
    first = server.client.post("/v1/feedback", json=body, timeout=60).json()
    assert first == {"recorded": 120, "with_decision": 120, "unknown": ["NOT-IN-THE-GRAPH"]}
    server.client.post("/v1/feedback", json=body, timeout=60)  # the same outcomes again change nothing

    stored = driver.execute_query(
        "MATCH (d:Declaration {id: $id}) RETURN d.channel AS channel, d.score AS score, d.rule_hits AS hits",
        id=fed[0],
        database_="neo4j",
    ).records[0]
    assert stored["channel"] == decisions[fed[0]]["channel"] and stored["score"] == decisions[fed[0]]["score"]

    report = server.client.get("/v1/performance", timeout=60).json()
    assert report["outcomes"] == 120
    assert sum(c["inspected"] for c in report["channels"].values()) == 120
    busy = report["rules"]["busy-heading"]
    n_hit = len(hit & set(fed))
    assert (busy["inspected"], busy["violations"], busy["hits"]) == (n_hit, n_hit, len(hit))
    assert busy["hit_rate"] == (1.0 if n_hit else None) and busy["retire_candidate"] is None
    assert report["rules"]["never-hits"]["retire_candidate"] == "no hit in the last 90 days"
    random_low = [i for i in fed if decisions[i]["random"] and decisions[i]["level"] == "low"]
    missed = report["random_sample"]["missed_in_fast_release"]
    assert missed["inspected"] == len(random_low) > 0
    assert missed["violation_rate"] == round(len(hit & set(random_low)) / len(random_low), 4)
    assert sum(e["inspected"] for e in report["sub_centres"].values()) == 120

    random_fed = [i for i in fed if decisions[i]["random"]]
    for target in ("tax", "security", "ipr", "drugs"):
        led = [i for i in fed if decisions[i]["leading_target"] == target]
        of_target = [i for i in fed if i in hit and kinds[i][1] == target]
        expected = {
            "inspected": len(led),
            "violations": len(set(led) & set(of_target)),
            "found": len(of_target),
            "random_violation_rate": round(len(set(random_fed) & set(of_target)) / len(random_fed), 4),
        }
        expected["hit_rate"] = round(expected["violations"] / len(led), 4) if led else None
        assert report["targets"][target] == expected, target
    assert sum(e["inspected"] for e in report["targets"].values()) == 120  # every decision led with a target
    assert report["targets"]["drugs"]["found"] > 0 and report["targets"]["tax"]["found"] > 0

    dated = server.client.get("/v1/performance", params={"from": "2030-01-01"}).json()
    assert dated["outcomes"] == 0 and dated["period"]["from"] == "2030-01-01"


def test_feedback_command_quarantines_bad_rows(setup, tmp_path):
    env, _, rows, _ = setup
    ids = rows["declaration_id"].tolist()
    file = tmp_path / "outcomes.csv"
    file.write_text(
        "declaration_id,violation,violation_type,revenue_recovered\n"
        f"{ids[150]},1,under-valuation,2500\n{ids[151]},0,,\n{ids[152]},maybe,,\n,1,,\n"
    )
    done = run_cli(env, "feedback", str(file), "--json")
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert (counts["read"], counts["recorded"], counts["quarantined"]) == (4, 2, 2)
    assert counts["with_decision"] == 2  # the server's decisions, read from the shared decision log
    quarantined = pd.read_csv(counts["quarantine_file"])
    assert quarantined["row"].tolist() == [3, 4]
    assert quarantined["reason"].tolist()[0] == "must be 0 or 1, got 'maybe'"
    report = json.loads(run_cli(env, "performance", "--json").stdout)
    assert report["outcomes"] >= 120  # the CLI reads the same graph and decision log as the API
    assert Path(env["RISKGRAPH_HOME"], "decisions.sqlite").exists()
