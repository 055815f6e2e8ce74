"""The local Neo4j and the one-line error when the database is away."""

from __future__ import annotations

import json

from graph import local_server
from graph.model import schema
from graph.reference import SEED_OFFICES
from tests.conftest import free_port, run_cli


def test_start_is_harmless_when_running(neo4j_server):
    before = local_server.status(neo4j_server)
    again = local_server.start(neo4j_server)
    assert before.running and again.running
    assert again.pid == before.pid


def test_status_command_reports_running(neo4j_server, rg_env):
    done = run_cli(rg_env, "neo4j", "status")
    assert "running" in done.stderr


def test_unreachable_database_is_one_clear_line(rg_env, tmp_path):
    env = dict(rg_env, RISKGRAPH_BOLT_PORT=str(free_port()), RISKGRAPH_HOME=str(tmp_path))
    done = run_cli(env, "stats", "--json", check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert f"bolt://127.0.0.1:{env['RISKGRAPH_BOLT_PORT']}" in lines[0]
    assert "riskgraph neo4j start" in lines[0]


def test_external_uri_starts_nothing(rg_env, tmp_path):
    port = free_port()
    env = dict(rg_env, NEO4J_URI=f"bolt://127.0.0.1:{port}", RISKGRAPH_HOME=str(tmp_path))
    done = run_cli(env, "neo4j", "start")
    assert "NEO4J_URI is set" in done.stderr
    assert not (tmp_path / "neo4j").exists()
    failed = run_cli(env, "stats", check=False)
    assert failed.returncode == 1 and "NEO4J_URI" in failed.stderr


def test_routing_uri_with_credentials_and_database_reaches_the_server(empty_graph, neo4j_server, rg_env, tmp_path):
    """``neo4j://`` (routing, as for a cluster or Aura) with user, password and database: the same graph."""
    env = dict(
        rg_env,
        NEO4J_URI=f"neo4j://127.0.0.1:{neo4j_server.bolt_port}",
        NEO4J_USER=local_server.USER,
        NEO4J_PASSWORD=local_server.password(neo4j_server),
        NEO4J_DATABASE="neo4j",
        RISKGRAPH_HOME=str(tmp_path),
    )
    assert f"neo4j answering at {env['NEO4J_URI']}" in run_cli(env, "neo4j", "status").stderr
    counts = json.loads(run_cli(env, "stats", "--json").stdout)
    assert counts["nodes"]["CustomsOffice"] == len(SEED_OFFICES)  # the reference data, read through routing
    for wrong in ({"NEO4J_DATABASE": "nosuchdb"}, {"NEO4J_PASSWORD": "not-the-password"}):
        refused = run_cli(dict(env, **wrong), "stats", "--json", check=False)
        assert refused.returncode != 0, wrong  # each setting is used, not ignored


def test_constraints_and_offices_from_schema(empty_graph):
    names = {r["name"] for r in empty_graph.execute_query("SHOW CONSTRAINTS YIELD name").records}
    assert {f"{label.lower()}_key" for label in schema().nodes} <= names
    rows = empty_graph.execute_query(
        "MATCH (d:CustomsOffice {level: 'district'})-[:PART_OF]->(s:CustomsOffice {level: 'sub-centre'})"
        "-[:PART_OF]->(:CustomsOffice {level: 'department'}) RETURN s.code AS sc, count(d) AS n"
    ).records
    counts = {r["sc"]: r["n"] for r in rows}
    subs = [o for o in SEED_OFFICES if o.level == "sub-centre"]
    assert counts == {sc.code: sum(d.parent == sc.code and d.level == "district" for d in SEED_OFFICES) for sc in subs}
    assert counts["SC-QINGDAO"] == 14 and counts["SC-SHANGHAI"] == 12 and counts["SC-HUANGPU"] == 16
