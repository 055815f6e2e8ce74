"""The columnar copy of the declarations equals the graph: after a Cypher load, a reload, a killed
and resumed load, recorded outcomes and a wiped graph (counts and every stored value, read back through the
engine as the analysis reads it). Bulk loads: ``test_ingest_bulk.py``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from columnar.store import DeclarationStore
from columnar.sync import sync_store
from sample.generator import generate
from tests.conftest import run_cli, wipe
from tests.store_check import assert_copy_equals_graph, graph_declarations


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("columnar")
    generate(out, 3000, 21)
    return out


@pytest.fixture()
def graph(empty_graph, rg_home):
    """An empty graph and an empty columnar copy (earlier tests wiped the graph without their copy)."""
    DeclarationStore(rg_home).clear()
    return empty_graph


def _summary(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


def _status(env) -> dict:
    return json.loads(run_cli(env, "store", "status", "--json").stdout.strip().splitlines()[-1])


def test_a_cypher_load_writes_the_copy_with_the_graph_and_a_reload_replaces_it(graph, rg_env, rg_home, sample):
    run_cli(rg_env, "ingest", str(sample), "--no-bulk")
    assert _status(rg_env)["agree"]
    assert_copy_equals_graph(graph, rg_home)

    run_cli(rg_env, "ingest", str(sample), "--no-bulk")  # every row again, under a new load
    status = _status(rg_env)
    assert not status["agree"]  # the first load's rows now belong to the second
    report = sync_store(graph, "neo4j", DeclarationStore(rg_home))
    assert len(report.dropped) == 1 and not report.reread
    assert _status(rg_env)["agree"]
    assert_copy_equals_graph(graph, rg_home)


def test_outcomes_recorded_later_are_in_the_copy(graph, rg_env, rg_home, sample, tmp_path):
    run_cli(rg_env, "ingest", str(sample), "--no-bulk")
    ids = [r["id"] for r in graph.execute_query("MATCH (d:Declaration) RETURN d.id AS id LIMIT 40").records]
    outcomes = pd.DataFrame(
        {"declaration_id": ids, "violation": [1, 0] * 20, "violation_type": ["undervaluation", None] * 20}
    )
    outcomes["revenue_recovered"] = [1234.5, 0] * 20
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    run_cli(rg_env, "feedback", str(tmp_path / "outcomes.csv"))
    assert_copy_equals_graph(graph, rg_home)
    assert not sync_store(graph, "neo4j", DeclarationStore(rg_home)).changed


def test_a_copy_that_lost_outcomes_or_rows_is_read_again_from_the_graph(graph, rg_env, rg_home, sample, tmp_path):
    load = _summary(run_cli(rg_env, "ingest", str(sample), "--no-bulk", "--json"))["load"]
    store = DeclarationStore(rg_home)
    graph.execute_query(
        "MATCH (d:Declaration) WITH d LIMIT 5 SET d.violation = 1, d.violation_type = 'smuggling',"
        " d.feedback_at = datetime()"
    )  # outcomes written by something that did not write the copy
    store.loads()[load][0].unlink()  # a part lost
    report = sync_store(graph, "neo4j", store)
    assert list(report.reread) == [load] and report.outcomes_reread == 5
    assert_copy_equals_graph(graph, rg_home)


def test_a_killed_load_then_the_same_command_leaves_copy_and_graph_equal(graph, rg_env, rg_home, tmp_path):
    data = tmp_path / "killed"
    generate(data, 12_000, 23)
    env = dict(rg_env, RISKGRAPH_BATCH_SIZE="500")
    proc = subprocess.Popen([sys.executable, "-m", "riskgraph", "ingest", str(data), "--no-bulk"], env=env)
    deadline = time.monotonic() + 120
    while graph.execute_query("MATCH (d:Declaration) RETURN count(d) AS n").records[0]["n"] < 2000:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    sync_store(graph, "neo4j", DeclarationStore(rg_home))
    assert_copy_equals_graph(graph, rg_home)  # what the killed load committed, no more, no less

    run_cli(env, "ingest", str(data), "--no-bulk")
    sync_store(graph, "neo4j", DeclarationStore(rg_home))
    assert_copy_equals_graph(graph, rg_home)
    assert len(graph_declarations(graph)) > 11_000


def test_a_wiped_graph_empties_the_copy(graph, rg_env, rg_home, sample):
    run_cli(rg_env, "ingest", str(sample), "--no-bulk")
    wipe(graph)
    report = sync_store(graph, "neo4j", DeclarationStore(rg_home))
    assert report.dropped
    assert DeclarationStore(rg_home).load_counts() == {}
    assert run_cli(rg_env, "store", "rebuild", "--json").returncode == 0


def test_duckdb_takes_its_memory_from_the_settings_and_spills_into_the_home(tmp_path, monkeypatch):
    from columnar.engine import connect
    from graph.config import settings

    monkeypatch.setenv("RISKGRAPH_DUCKDB_MEMORY", "300MB")
    settings.cache_clear()
    try:
        con = connect(DeclarationStore(tmp_path))
        limit, spill = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
        assert limit.replace(" ", "") in ("286.1MiB", "300.0MB"), limit
        assert spill == str(tmp_path / "spill")
        monkeypatch.setenv("RISKGRAPH_DUCKDB_MEMORY", "lots")
        settings.cache_clear()
        with pytest.raises(ValueError, match="DUCKDB_MEMORY|duckdb_memory"):
            settings()
    finally:
        monkeypatch.undo()
        settings.cache_clear()
