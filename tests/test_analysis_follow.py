"""A running API follows an incremental ``riskgraph analyze`` without a restart.

On the trained sample, ``riskgraph serve`` runs; a day of declarations in which one quiet importer is
found smuggling is loaded, ``riskgraph analyze`` runs incrementally, and within seconds the same
declaration scored over HTTP comes back from a new scoring snapshot with the importer's new, higher
network risk.
"""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.snapshot import load_snapshot
from scoring.snapshot import latest_version
from tests.conftest import run_cli
from tests.scoring_setup import home_copy

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture


def _network_risk(decision: dict) -> float:
    reason = next((r for r in decision["reasons"] if r.get("kind") == "network"), None)
    return float(reason["detail"].split("network risk ")[1].split(" ")[0]) if reason else 0.0


def test_the_server_follows_an_incremental_analysis(live_server, trained, tmp_path):
    env, sample, _ = trained
    server = live_server()
    env = {**env, "RISKGRAPH_HOME": str(server.home)}
    analysed = load_snapshot(server.home).enterprises.set_index("id")
    quiet = analysed[(analysed["risk"] < 0.05) & analysed["network_id"].isna()].index
    rows = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(sample.glob("*.csv"))])
    theirs = rows[rows["importer_id"].isin(quiet)]
    firm = theirs["importer_id"].value_counts().index[0]
    mine = theirs[theirs["importer_id"] == firm]
    declaration = {k: v for k, v in mine.iloc[-1].to_dict().items() if v != ""}
    declaration["declaration_id"] = "FOLLOW-0001"
    for key in ("inspected", "violation", "violation_type", "revenue_recovered"):
        declaration.pop(key, None)

    before = server.client.post("/v1/score", json=declaration, timeout=30).json()

    day = mine.head(3).assign(
        declaration_id=[f"FOLLOW-D{i}" for i in range(3)], inspected="1", violation="1", violation_type="smuggling"
    )
    path = tmp_path / "day.csv"
    day.to_csv(path, index=False)
    run_cli(env, "ingest", str(path))
    done = json.loads(run_cli(env, "analyze", "--json").stdout.strip().splitlines()[-1])
    assert done["mode"] == "incremental" and done["counts"]["touched_importers"] == 1
    risk = load_snapshot(Path(server.home)).enterprises.set_index("id").loc[firm, "risk"]
    assert risk > analysed.loc[firm, "risk"] + 0.2

    deadline = time.monotonic() + 30
    while True:
        after = server.client.post("/v1/score", json=declaration, timeout=30).json()
        if after["snapshot"] != before["snapshot"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert after["snapshot"] != before["snapshot"]
    assert after["score"] > before["score"]
    if any(r["kind"] == "network" for r in after["reasons"]):  # else a shared identifier carries more risk
        assert _network_risk(after) == round(risk, 2) > _network_risk(before)


def test_a_refresh_a_killed_analyze_missed_is_caught_up(trained, tmp_path):
    """An ``analyze`` killed after publishing its analysis and before refreshing the scoring snapshot leaves that
    snapshot carrying an older analysis: the next incremental run refreshes every firm there, not only those it
    rescored."""
    env, sample, _ = trained
    (tmp_path / "home").mkdir()
    env = home_copy(env, tmp_path / "home")
    home = Path(env["RISKGRAPH_HOME"])
    run_cli(env, "analyze", "--full", "--no-resolve")  # the graph shows this home's run; the snapshot carries it
    folder = home / "scoring" / latest_version(home)
    config = json.loads((folder / "config.json").read_text())
    assert config["analysis"] == load_snapshot(home).version
    # what a killed run leaves: figures of another analysis
    state = pickle.loads((folder / "state.pkl").read_bytes())
    rows = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(sample.glob("*.csv"))])
    importer = rows["importer_id"].value_counts().index[0]
    community = load_snapshot(home).enterprises.set_index("id")["community"]
    # a firm the day cannot rescore: in another community (the day records no outcome to propagate)
    untouched = next(e for e in sorted(state.enterprises) if community.get(e) != community[importer])
    state.enterprises[untouched]["risk"] = -1.0
    (folder / "state.pkl").write_bytes(pickle.dumps(state))
    (folder / "config.json").write_text(json.dumps({**config, "analysis": "an analysis whose refresh never ran"}))

    day = rows[rows["importer_id"] == importer].head(2)
    day = day.assign(declaration_id=["CATCHUP-0", "CATCHUP-1"], inspected="", violation="", violation_type="")
    day.to_csv(tmp_path / "day.csv", index=False)
    run_cli(env, "ingest", str(tmp_path / "day.csv"))
    done = json.loads(run_cli(env, "analyze", "--no-resolve", "--json").stdout.strip().splitlines()[-1])
    assert done["mode"] == "incremental"

    refreshed = home / "scoring" / latest_version(home)
    state = pickle.loads((refreshed / "state.pkl").read_bytes())
    analysed = load_snapshot(home).enterprises.set_index("id")["risk"]
    assert state.enterprises[untouched]["risk"] == pytest.approx(analysed[untouched])
    assert json.loads((refreshed / "config.json").read_text())["analysis"] == load_snapshot(home).version
