"""A killed ``riskgraph analyze`` leaves the previous results whole: enterprises, networks, memberships, snapshot.

The hand-built graph of ``tests.explore_setup`` is analysed once (run A); then ``CROSS1`` joins the
shell ring through its phone, so the next run's networks differ. That run is killed (SIGKILL, by
``RISKGRAPH_ANALYZE_KILL_AT``) after the analysis, with its snapshot staged, inside the graph
transaction, and after the commit; each time the graph must show exactly one run, every
``network_id`` must resolve to the network the firm is a member of, and the snapshot must be the one
of the run the graph shows (after the commit: once the next run has settled what the killed one left).
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from analysis.run import KILL_POINTS
from analysis.snapshot import load_snapshot
from graph.runs import shown, shown_run
from investigate.queries import top_networks
from tests.conftest import run_cli
from tests.explore_setup import RING_PHONE, _row, load

ENTERPRISES = f"""
MATCH (e:Enterprise)-[:ASSESSED]->(a:Assessment) WHERE {shown("a")}
OPTIONAL MATCH (e)-[:MEMBER_OF]->(n:Network) WHERE {shown("n")}
RETURN e.id AS id, a.risk AS risk, a.network_id AS network_id, collect(n.id) AS member_of
ORDER BY id
"""
RUNS = "MATCH (r:AnalysisRun) RETURN collect(toString(r.analysed_at)) AS pointer, collect(r.snapshot) AS snapshot"


def _state(driver, home) -> dict:
    """The analysis results as readers see them, after checking they come from one run: one pointer, and every
    firm's network that of its membership (the rest is compared with the previous run by the test)."""
    firms = [r.data() for r in driver.execute_query(ENTERPRISES, shown_run(driver, "neo4j"), database_="neo4j").records]
    runs = driver.execute_query(RUNS, database_="neo4j").records[0]
    assert len(runs["pointer"]) == 1, runs
    at = set(runs["pointer"])
    for firm in firms:  # every network_id resolves to the network the firm is a member of
        assert firm["member_of"] == ([] if firm["network_id"] is None else [firm["network_id"]]), firm
    networks = top_networks(driver, "neo4j", 100)
    assert networks, "no networks: readers would see no risk"
    snapshot = load_snapshot(home)
    return {
        "at": at.pop(),
        "firms": [(f["id"], f["risk"], f["network_id"]) for f in firms],
        "networks": [(n["id"], n["score"], n["members"]) for n in networks],
        "snapshot": snapshot.version,
        "snapshot_at": snapshot.metadata["analysed_at"],
        "graph_snapshot": runs["snapshot"][0],
    }


def _same_run(state: dict) -> bool:
    return state["snapshot"] == state["graph_snapshot"]


def test_a_killed_analysis_leaves_the_previous_results_whole(driver, rg_env, tmp_path):
    home = tmp_path / "home"
    env = {**rg_env, "RISKGRAPH_HOME": str(home)}
    load(driver, env, tmp_path)
    before = _state(driver, home)
    assert _same_run(before)

    joined = _row(900, "CROSS1", "2025-12-12", "BRK-R", "SELL-R", importer_phone=RING_PHONE)
    pd.DataFrame([joined]).to_csv(tmp_path / "joined.csv", index=False)
    run_cli(env, "ingest", str(tmp_path / "joined.csv"))

    for point in KILL_POINTS:
        killed = subprocess.run(
            [sys.executable, "-m", "riskgraph", "analyze"],
            env={**env, "RISKGRAPH_ANALYZE_KILL_AT": point},
            capture_output=True,
            text=True,
        )
        assert killed.returncode == -9, (point, killed.returncode, killed.stderr[-500:])
        after = _state(driver, home)
        if point != "committed":
            assert after == before, point
            continue
        # committed: the graph shows the new run whole; its snapshot is staged, published by the next run
        assert after["at"] != before["at"] and after["networks"] != before["networks"]
        assert after["snapshot"] == before["snapshot"] and after["graph_snapshot"] != before["snapshot"]
        staged = after["graph_snapshot"]
        assert (home / "snapshots" / f".{staged}.staged").is_dir()

    run_cli(env, "analyze")
    final = _state(driver, home)
    assert _same_run(final) and final["networks"] != before["networks"]
    assert staged in [p.name for p in (home / "snapshots").iterdir()]  # the killed run's snapshot was published
    assert not list((home / "snapshots").glob(".*"))  # nothing staged or half-written is left
