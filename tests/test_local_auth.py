"""The local Neo4j asks for its generated password, and the project's state is its owner's only."""

from __future__ import annotations

import json
import re
import stat

import httpx
import neo4j
import pytest
from neo4j.exceptions import AuthError

from graph.connection import credentials
from tests.conftest import run_cli
from tests.scoring_setup import Server


def test_the_local_neo4j_refuses_anonymous_and_wrong_password_sessions(neo4j_server, driver):
    cfg = neo4j_server
    secret = cfg.home / "neo4j" / "password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_text().strip()) >= 24
    for auth in (None, ("neo4j", "neo4j"), ("neo4j", secret.read_text().strip() + "x")):
        with neo4j.GraphDatabase.driver(cfg.uri, auth=auth) as stranger, pytest.raises(AuthError):
            stranger.execute_query("MATCH (n) RETURN count(n) AS n")
    with neo4j.GraphDatabase.driver(cfg.uri, auth=credentials(cfg)) as owner:
        assert owner.execute_query("RETURN 1 AS one").records[0]["one"] == 1
    assert driver.execute_query("RETURN 1 AS one").records[0]["one"] == 1  # what every command uses


def test_state_files_and_folders_are_private(neo4j_server, driver, rg_env, tmp_path):
    home = tmp_path / "home"
    env = {**rg_env, "RISKGRAPH_HOME": str(home)}
    rule = tmp_path / "rule.json"
    rule.write_text(
        json.dumps(
            {
                "id": "private-check",
                "description": "private check",
                "target": "tax",
                "weight": 0.2,
                "owner": "SC-HUANGPU",
                "effective_from": "2025-01-01",
                "conditions": {"hs_prefix": ["61"]},
            }
        )
    )
    run_cli(env, "keys", "create", "--role", "investigator")
    proposed = run_cli(env, "rules", "add", str(rule), "--by", "ana").stderr
    run_cli(env, "rules", "approve", re.search(r"chg-[0-9a-f]+", proposed).group(0), "--by", "bo")
    server = Server(env)
    try:
        assert server.client.get("/v1/cases").status_code == 200  # an audited call
        assert httpx.get(server.url + "/health", timeout=30).status_code == 200
    finally:
        server.stop()
    written = [home, *home.rglob("*")]
    names = {p.name for p in written}
    assert {"keys.json", "rules.json", "pending.json", "decisions.sqlite"} <= names and any(
        n.startswith("audit-") for n in names
    )
    loose = [(str(p), oct(stat.S_IMODE(p.stat().st_mode))) for p in written if p.stat().st_mode & 0o077]
    assert not loose
    store = list((neo4j_server.home / "neo4j").rglob("*"))  # the database files, written by the JVM
    assert store and not [str(p) for p in store if p.stat().st_mode & 0o077]
