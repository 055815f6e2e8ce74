"""``riskgraph backup`` and ``restore`` round-trip the graph (cases included) and the state files; the
audit log keeps the months its retention says."""

from __future__ import annotations

import json
import sqlite3

import neo4j

from api.audit_log import AuditLog
from api.keys import KeyStore
from graph.connection import credentials
from investigate.cases import create_case, read_case
from tests.conftest import add_rule, run_cli
from tests.explore_setup import load

COUNTS = "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n ORDER BY label"
RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n ORDER BY type"


def _graph(cfg) -> tuple:
    """Counts per label and type, through a fresh driver: after a restore the store is another one and an old
    driver's bookmarks are not in it."""
    with neo4j.GraphDatabase.driver(cfg.uri, auth=credentials(cfg)) as fresh:
        nodes = [tuple(r.values()) for r in fresh.execute_query(COUNTS, database_="neo4j").records]
        rels = [tuple(r.values()) for r in fresh.execute_query(RELS, database_="neo4j").records]
    return nodes, rels


def test_backup_and_restore_round_trip_a_graph_with_cases_and_keys(neo4j_server, driver, rg_env, tmp_path):
    home = neo4j_server.home
    load(driver, rg_env, tmp_path)  # ingest and analyze into the session's home: graph, snapshot
    case = create_case(driver, "neo4j", title="round trip", opened_by="tester", enterprise_id="SHELL1")
    key, secret = KeyStore(home).create("investigator", "SC-SHANGHAI", name="kept")
    rule = tmp_path / "rule.json"
    rule.write_text(
        json.dumps(
            {
                "id": "kept-rule",
                "description": "kept rule",
                "target": "tax",
                "weight": 0.3,
                "owner": "SC-SHANGHAI",
                "effective_from": "2025-01-01",
                "conditions": {"hs_prefix": ["61"]},
            }
        )
    )
    add_rule(rg_env, rule, by="ana", approver="bo")
    AuditLog(home).append({"at": "2026-11-30T10:00:00+00:00", "key": key.id, "path": "/v1/cases"})
    with sqlite3.connect(home / "decisions.sqlite") as db:
        db.execute("CREATE TABLE IF NOT EXISTS kept (id TEXT)")
        db.execute("INSERT INTO kept VALUES ('D1')")
    before = _graph(neo4j_server)
    snapshot = (home / "snapshots" / "latest").read_text()
    state = {name: (home / name).read_bytes() for name in ("keys.json", "rules/rules.json")}
    audit = AuditLog(home).tail(10)

    backup = tmp_path / "backup"
    done = run_cli(rg_env, "backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["graph_bytes"] > 0 and {"keys.json", "rules", "snapshots", "audit", "decisions.sqlite"} <= set(
        manifest["state"]
    ), done.stderr
    assert not [p for p in [backup, *backup.rglob("*")] if p.stat().st_mode & 0o077]  # private like the home

    with driver.session(database="neo4j") as session:  # lose everything
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    for name in ("keys.json", "rules/rules.json", "snapshots/latest"):
        (home / name).unlink()
    for month in (home / "audit").iterdir():
        month.unlink()
    (home / "decisions.sqlite").unlink()
    assert _graph(neo4j_server) != before

    run_cli(rg_env, "restore", str(backup))
    assert _graph(neo4j_server) == before
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=credentials(neo4j_server)) as fresh:
        restored = read_case(fresh, "neo4j", case["id"])
    assert restored["evidence"] == case["evidence"] and restored["concerns"] == ["SHELL1"]
    assert {name: (home / name).read_bytes() for name in state} == state
    assert KeyStore(home).lookup(secret).id == key.id
    assert (home / "snapshots" / "latest").read_text() == snapshot
    assert AuditLog(home).tail(10) == audit
    with sqlite3.connect(home / "decisions.sqlite") as db:
        assert db.execute("SELECT id FROM kept").fetchall() == [("D1",)]
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=credentials(neo4j_server)) as fresh:  # up, with auth
        assert fresh.execute_query("RETURN 1 AS one", database_="neo4j").records[0]["one"] == 1


def test_the_audit_log_keeps_the_months_of_its_retention(tmp_path):
    log = AuditLog(tmp_path, retention_months=3)
    for month in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05"):
        log.append({"at": f"{month}-15T08:00:00+00:00", "key": "k", "path": "/v1/cases"})
    assert sorted(p.name for p in (tmp_path / "audit").iterdir()) == [
        "audit-2026-03.jsonl",
        "audit-2026-04.jsonl",
        "audit-2026-05.jsonl",
    ]
    keep_all = AuditLog(tmp_path / "all")
    for month in ("2025-11", "2025-12", "2026-01"):
        keep_all.append({"at": f"{month}-01T00:00:00+00:00", "key": "k", "path": "/"})
    assert len(list((tmp_path / "all" / "audit").iterdir())) == 3
    assert AuditLog(tmp_path, 2).prune("2027-01") == [
        "audit-2026-03.jsonl",
        "audit-2026-04.jsonl",
        "audit-2026-05.jsonl",
    ]
