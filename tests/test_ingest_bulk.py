"""The first load through Neo4j's importer against a real local Neo4j of its own (the importer
restarts the server, so not the session one): the same graph as the Cypher path, property for
property; later loads through Cypher change nothing; an import killed midway is redone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import neo4j
import pandas as pd
import pyarrow as pa
import pytest

from columnar.store import DeclarationStore
from columnar.sync import sync_store
from graph import local_server
from graph.config import Settings
from graph.connection import credentials
from graph.model import schema
from graph.reference import SEED_OFFICES
from graph.setup import ensure_schema, load_reference_data
from ingest.import_files import _numbered
from ingest.readers import IngestError
from sample.generator import generate
from tests.conftest import free_port, run_cli
from tests.store_check import assert_copy_equals_graph


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bulk-sample")
    generate(out, 3000, 5)
    return out


@pytest.fixture(scope="module")
def own_server(rg_env, tmp_path_factory):
    """(environment, settings) of a local Neo4j for this module; a first load of 1,000 rows is a bulk one."""
    home = tmp_path_factory.mktemp("bulk-home")
    env = dict(rg_env, RISKGRAPH_HOME=str(home), RISKGRAPH_BOLT_PORT=str(free_port()), RISKGRAPH_BULK_MIN_ROWS="1000")
    cfg = Settings(
        home=home,
        bolt_port=int(env["RISKGRAPH_BOLT_PORT"]),
        neo4j_heap="2g",
        neo4j_pagecache="1g",
        neo4j_password_file=Path(env["RISKGRAPH_NEO4J_PASSWORD_FILE"]),
    )
    local_server.start(cfg)
    yield env, cfg
    local_server.stop(cfg)


def _query(cfg: Settings, cypher: str) -> list[dict]:
    """A fresh driver each time: after an import the store is new and an old driver's bookmarks are not in it."""
    with neo4j.GraphDatabase.driver(cfg.uri, auth=credentials(cfg)) as drv:
        return _rows(drv, cypher)


def _rows(drv: neo4j.Driver, cypher: str) -> list[dict]:
    return [r.data() for r in drv.execute_query(cypher, database_="neo4j").records]


def _empty(cfg: Settings) -> None:
    with neo4j.GraphDatabase.driver(cfg.uri, auth=credentials(cfg)) as drv:
        with drv.session(database="neo4j") as session:
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        ensure_schema(drv, "neo4j")
        load_reference_data(drv, "neo4j")


def _graph(cfg: Settings) -> dict[str, list[str]]:
    """Every node (key and properties) and relationship (endpoints and properties), sorted, with value types;
    a declaration's ``load`` names the ingest run that wrote it, so it is left out (see ``_loads``)."""

    def typed(props: dict) -> dict:
        return {k: f"{type(v).__name__}:{v}" for k, v in props.items() if k != "load"}

    model = schema()
    out = {}
    keys = " ".join(f"WHEN '{label}' IN labels(x) THEN x.`{node.key}`" for label, node in model.nodes.items())
    with neo4j.GraphDatabase.driver(cfg.uri, auth=credentials(cfg)) as drv:  # one store throughout
        for label in model.nodes:
            rows = _rows(drv, f"MATCH (n:`{label}`) RETURN properties(n) AS p")
            out[label] = sorted(json.dumps(typed(r["p"]), sort_keys=True) for r in rows)
        for rel in model.relationships:
            rows = _rows(
                drv,
                f"MATCH (a)-[r:`{rel}`]->(b) WITH a, r, b, [x IN [a, b] | CASE {keys} END] AS ends "
                "RETURN ends, properties(r) AS p",
            )
            out[rel] = sorted(json.dumps([r["ends"], typed(r["p"])], sort_keys=True) for r in rows)
    return out


def _loads(cfg) -> list[str]:
    return [r["load"] for r in _query(cfg, "MATCH (d:Declaration) RETURN DISTINCT d.load AS load")]


def _summary(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


def _stats(env: dict) -> dict:
    return _summary(run_cli(env, "stats", "--json"))


def _copy_equals_graph(cfg: Settings) -> None:
    """The columnar copy agrees with the graph as written (no re-read needed) and value by value."""
    with neo4j.GraphDatabase.driver(cfg.uri, auth=credentials(cfg)) as drv:
        assert not sync_store(drv, "neo4j", DeclarationStore(cfg.home)).changed
        assert_copy_equals_graph(drv, cfg.home)


def _quarantine(summary: dict) -> pd.DataFrame:
    return pd.read_csv(summary["quarantine_file"], dtype=str)


def test_bulk_first_load_is_the_cypher_graph_and_cypher_reloads_change_nothing(own_server, sample):
    env, cfg = own_server
    _empty(cfg)
    cypher = _summary(run_cli(env, "ingest", str(sample), "--no-bulk", "--json"))
    cypher_stats, cypher_graph = _stats(env), _graph(cfg)
    assert _loads(cfg) == [cypher["load"]]
    assert cypher_stats["nodes"]["Declaration"] == cypher["stored"] > 0

    _empty(cfg)
    done = run_cli(env, "ingest", str(sample), "--json")  # empty graph, 3,000 rows >= 1,000: the importer
    assert "neo4j-admin database import full" in done.stderr
    bulk = _summary(done)
    assert {k: bulk[k] for k in ("read", "stored", "quarantined")} == {
        k: cypher[k] for k in ("read", "stored", "quarantined")
    }
    assert bulk["read"] == bulk["stored"] + bulk["quarantined"] == 3000
    assert bulk["quarantined"] == len(pd.read_csv(sample / "truth" / "bad_rows.csv")) > 0
    assert _quarantine(bulk).equals(_quarantine(cypher))
    assert _stats(env) == cypher_stats
    assert _graph(cfg) == cypher_graph
    assert _loads(cfg) == [bulk["load"]] != [cypher["load"]]
    assert not (cfg.home / "import").exists()
    _copy_equals_graph(cfg)

    again = run_cli(env, "ingest", str(sample), "--json")  # no longer empty: Cypher, updates in place
    assert "neo4j-admin" not in again.stderr
    assert "(0 new)" in again.stderr
    assert _stats(env) == cypher_stats
    assert _graph(cfg) == cypher_graph
    assert _loads(cfg) == [_summary(again)["load"]]  # written again: the analysis will read them again

    refused = run_cli(env, "ingest", str(sample), "--bulk", check=False)
    assert refused.returncode == 1
    assert "--bulk needs an empty graph" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_import_killed_midway_is_redone_by_the_next_run(own_server, sample):
    env, cfg = own_server
    _empty(cfg)
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskgraph", "ingest", str(sample), "--bulk", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    marker = cfg.home / "neo4j" / "bulk-import.pending"
    deadline = time.monotonic() + 180
    # The server stops while the files are written: kill once it is down (files or importer under way).
    while not (marker.exists() and local_server.status(cfg).pid is None):
        assert proc.poll() is None, "ingest finished before the import could be interrupted"
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.02)
    time.sleep(1.0)  # the files being written or the importer replacing the old store
    os.killpg(proc.pid, signal.SIGKILL)  # the ingest and the importer it started
    proc.wait()
    assert not local_server.status(cfg).running

    refused = run_cli(env, "ingest", str(sample), "--no-bulk", check=False)
    assert refused.returncode == 1
    assert "interrupted" in refused.stderr

    final = _summary(run_cli(env, "ingest", str(sample), "--json"))  # redone through the importer
    assert final["read"] == final["stored"] + final["quarantined"] == 3000
    assert not marker.exists()
    counts = _stats(env)
    assert counts["nodes"]["Declaration"] == final["stored"]
    _copy_equals_graph(cfg)  # what the killed import had written was set aside with it
    assert counts["nodes"]["CustomsOffice"] == len(SEED_OFFICES)
    constraints = _query(cfg, "SHOW CONSTRAINTS YIELD labelsOrTypes RETURN labelsOrTypes[0] AS label")
    assert sorted(r["label"] for r in constraints) == sorted(schema().nodes)


def test_relationships_name_each_node_by_its_integer_and_a_node_never_written_stops_the_load():
    """The importer knows nodes by integers only (``--id-type=INTEGER``): a key with no node is refused with a
    clear error before the importer runs, as the importer itself refused a dangling relationship."""
    keys = pa.array(["91A", "91B", "91C"])
    filed = pa.table({"start": ["91C", "91A", "91C"], "end": pa.array([7, 8, 9], pa.int64()), "role": ["x"] * 3})
    numbered = _numbered(filed, "FILED", ((0, keys),))
    assert numbered.column("start").to_pylist() == [2, 0, 2]
    assert numbered.column("end").to_pylist() == [7, 8, 9]
    dangling = filed.set_column(0, "start", pa.array(["91C", "91Z", "91A"]))
    with pytest.raises(IngestError, match=r"FILED: 1 relationships name a node not written \('91Z'\)"):
        _numbered(dangling, "FILED", ((0, keys),))
