"""``riskgraph backup`` and ``restore`` round-trip the graph (cases included) and the state files; the
audit log keeps the months its retention says."""

from __future__ import annotations

import json
import shutil
import sqlite3

import neo4j
import pytest

from api.audit_log import AuditLog
from api.keys import KeyStore
from graph import local_server
from graph.connection import credentials
from investigate.alerts import raise_alerts
from investigate.cases import create_case, read_case
from tests.conftest import add_rule, remove_intel, run_cli
from tests.explore_setup import load
from tests.scoring_setup import Server

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
    lookout = {"kind": "lookout", "target": "drugs", "summary": "kept lookout", "scale": "admiralty",
               "source_grade": "B", "info_grade": "2", "entities": [{"type": "enterprise", "value": "SHELL1"}]}  # fmt: skip
    (tmp_path / "intel.jsonl").write_text(json.dumps(lookout) + "\n")
    run_cli(rg_env, "intel", "load", str(tmp_path / "intel.jsonl"))
    assert raise_alerts(driver, "neo4j") >= 1  # an alert for SHELL1, in the graph
    (tmp_path / "kept.csv").write_text("name,kind\nKept Sanctioned Trading Ltd,organisation\n")
    run_cli(rg_env, "watchlist", "load", str(tmp_path / "kept.csv"), "--list", "kept")
    with sqlite3.connect(home / "decisions.sqlite") as db:
        db.execute("CREATE TABLE IF NOT EXISTS kept (id TEXT)")
        db.execute("INSERT INTO kept VALUES ('D1')")
    roster = tmp_path / "roster.csv"  # kept in the capacity's SQLite file, beside the day use
    roster.write_text("office,date,officer,hours\nCD-NINGBO,2026-11-30,kept-inspector,8\n")
    run_cli(rg_env, "roster", "load", str(roster))
    before = _graph(neo4j_server)
    snapshot = (home / "snapshots" / "latest").read_text()
    kept = ("keys.json", "rules/rules.json", "lookouts.json", "watchlists/kept.json")
    state = {name: (home / name).read_bytes() for name in kept}
    assert [x["id"] for x in json.loads(state["lookouts.json"])["lookouts"]]  # published for the scorers
    audit = AuditLog(home).tail(10)

    backup = tmp_path / "backup"
    done = run_cli(rg_env, "backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["graph_bytes"] > 0 and {
        "keys.json", "rules", "snapshots", "audit", "decisions.sqlite", "lookouts.json", "watchlists"
    } <= set(manifest["state"]), done.stderr  # fmt: skip
    assert not [p for p in [backup, *backup.rglob("*")] if p.stat().st_mode & 0o077]  # private like the home

    with driver.session(database="neo4j") as session:  # lose everything
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    for name in (*kept, "snapshots/latest"):
        (home / name).unlink()
    for month in (home / "audit").iterdir():
        month.unlink()
    (home / "decisions.sqlite").unlink()
    for lost in home.glob("capacity.sqlite*"):
        lost.unlink()
    assert _graph(neo4j_server) != before

    run_cli(rg_env, "restore", str(backup))
    assert _graph(neo4j_server) == before
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=credentials(neo4j_server)) as fresh:
        restored = read_case(fresh, "neo4j", case["id"])
        alerts = fresh.execute_query(
            "MATCH (a:Alert {enterprise: 'SHELL1'})-[:RAISED_BY]->(i:Intel {summary: 'kept lookout'}) RETURN count(a)",
            database_="neo4j",
        ).records[0][0]
    assert restored["evidence"] == case["evidence"] and restored["concerns"] == ["SHELL1"] and alerts == 1
    assert {name: (home / name).read_bytes() for name in state} == state
    assert KeyStore(home).lookup(secret).id == key.id
    assert (home / "snapshots" / "latest").read_text() == snapshot
    assert AuditLog(home).tail(10) == audit
    with sqlite3.connect(home / "decisions.sqlite") as db:
        assert db.execute("SELECT id FROM kept").fetchall() == [("D1",)]
    shown = run_cli(rg_env, "roster", "show", "CD-NINGBO", "--date", "2026-11-30", "--json").stdout
    assert json.loads(shown)["officer"] == "kept-inspector"
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=credentials(neo4j_server)) as fresh:  # up, with auth
        assert fresh.execute_query("RETURN 1 AS one", database_="neo4j").records[0]["one"] == 1
        remove_intel(fresh)  # the session's home is shared: the lookout must not hit another module's declarations
    (home / "lookouts.json").unlink()
    shutil.rmtree(home / "watchlists")


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


# --- a restore can neither destroy the live store nor roll security back (issue 28) ---

SECRET_KEYS = "keys.json"


@pytest.fixture(scope="module")
def saved(neo4j_server, driver, rg_env, tmp_path_factory):
    """(backup folder, the secret of a key made before it): the hand-built graph, a key, an audit line and a
    decision, backed up through the real CLI."""
    home = neo4j_server.home
    load(driver, rg_env, tmp_path_factory.mktemp("saved-data"))
    _, secret = KeyStore(home).create("investigator", "SC-SHANGHAI", name="before the backup")
    AuditLog(home).append({"at": "2026-11-01T10:00:00+00:00", "key": None, "path": "/before-backup"})
    _decide(home, "BEFORE-1")
    folder = tmp_path_factory.mktemp("saved") / "backup"
    run_cli(rg_env, "backup", str(folder))
    return folder, secret


def _decide(home, declaration_id: str) -> None:
    from scoring.decision_log import DecisionLog

    DecisionLog(home).close()  # the table, as the API makes it
    with sqlite3.connect(home / "decisions.sqlite") as db:
        db.execute("INSERT INTO decisions (declaration_id, scored_at) VALUES (?, ?)", (declaration_id, "2026-11-01"))


def _decisions(home) -> set[str]:
    with sqlite3.connect(home / "decisions.sqlite") as db:
        return {row[0] for row in db.execute("SELECT declaration_id FROM decisions")}


def _copy_of(saved, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(saved[0], target)
    return target


def _untouched(neo4j_server, rg_env, backup, message: str) -> None:
    """``restore backup`` fails saying ``message``, and the live graph, its server and the keys are as before."""
    home = neo4j_server.home
    before, pid, keys = _graph(neo4j_server), local_server.status(neo4j_server).pid, (home / SECRET_KEYS).read_bytes()
    done = run_cli(rg_env, "restore", str(backup), check=False)
    assert done.returncode != 0 and message in done.stderr, done.stderr
    assert local_server.status(neo4j_server).pid == pid  # never stopped: the check came first
    assert _graph(neo4j_server) == before and (home / SECRET_KEYS).read_bytes() == keys


def test_a_truncated_dump_is_refused_and_the_live_graph_keeps_serving(saved, neo4j_server, rg_env, tmp_path):
    backup = _copy_of(saved, tmp_path)
    dump = backup / "graph" / "neo4j.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    _untouched(neo4j_server, rg_env, backup, "graph/neo4j.dump")  # shorter than the manifest says
    manifest = json.loads((backup / "manifest.json").read_text())
    (backup / "manifest.json").write_text(json.dumps({**manifest, "graph_bytes": dump.stat().st_size}))
    _untouched(neo4j_server, rg_env, backup, "Truncated source")  # the dump itself does not read to its end


def test_a_corrupt_keys_file_in_a_backup_is_refused_before_anything_changes(saved, neo4j_server, rg_env, tmp_path):
    backup = _copy_of(saved, tmp_path)
    (backup / SECRET_KEYS).write_text('[{"id": "0badc0de", "role": "adm')
    _untouched(neo4j_server, rg_env, backup, SECRET_KEYS)


def test_restore_keeps_revocations_and_what_was_recorded_after_the_backup(saved, neo4j_server, rg_env, tmp_path):
    home, (_, old_secret) = neo4j_server.home, saved
    store = KeyStore(home)
    store.revoke(store.lookup(old_secret).id)
    new_key, new_secret = store.create("auditor", name="after the backup")
    AuditLog(home).append({"at": "2026-11-20T10:00:00+00:00", "key": new_key.id, "path": "/after-backup"})
    AuditLog(home).append({"at": "2026-12-02T10:00:00+00:00", "key": new_key.id, "path": "/next-month"})
    _decide(home, "AFTER-1")
    for month in (home / "audit").glob("*.jsonl"):  # the backup's line is lost from the live log
        month.write_text("".join(line for line in month.open() if "/before-backup" not in line))

    run_cli(rg_env, "restore", str(_copy_of(saved, tmp_path)))

    store = KeyStore(home)
    assert store.lookup(old_secret) is None  # revoked after the backup: stays revoked
    assert store.lookup(new_secret).id == new_key.id  # made after the backup: still works
    entries = AuditLog(home).tail(10_000)
    paths = [e["path"] for e in entries]
    assert {"/before-backup", "/after-backup", "/next-month"} <= set(paths)
    assert len({json.dumps(e, sort_keys=True) for e in entries}) == len(entries)  # no line twice
    assert paths.index("/next-month") < paths.index("/after-backup") < paths.index("/before-backup")  # newest first
    assert {"BEFORE-1", "AFTER-1"} <= _decisions(home)


def test_restore_refuses_while_an_api_serves_the_same_home(saved, neo4j_server, rg_env, tmp_path):
    server = Server(rg_env)
    try:
        _untouched(neo4j_server, rg_env, _copy_of(saved, tmp_path), "riskgraph serve")
        assert server.client.get("/health").status_code == 200
    finally:
        server.stop()


def test_a_store_that_does_not_start_is_replaced_by_the_previous_one(saved, neo4j_server, monkeypatch, tmp_path):
    """Neo4j starts on any store; whether the restored database comes online is what is checked (here, made to
    fail once) and the previous store is put back and started."""
    from riskgraph.backup import restore

    before = _graph(neo4j_server)
    calls = []

    def fails_first(cfg, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise local_server.LocalServerError("the restored database did not come online")
        return online(cfg, *args, **kwargs)

    online = local_server.wait_online
    monkeypatch.setattr(local_server, "wait_online", fails_first)
    monkeypatch.setattr("riskgraph.backup.disconnect", lambda cfg: None)  # the session's driver stays open
    with pytest.raises(local_server.LocalServerError, match="did not come online"):
        restore(neo4j_server, _copy_of(saved, tmp_path))
    assert len(calls) == 2 and _graph(neo4j_server) == before
