"""Ingest end to end against the real Neo4j: counts add up, reloads change nothing,
interrupted loads resume, mappings and entity resolution work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from graph import local_server
from graph.stats import graph_stats
from ingest.batch import build_batch
from ingest.readers import read_chunks
from ingest.validate import validate
from ingest.writer import GraphWriter, IncompleteBatch
from sample.generator import generate
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out, 3000, 5)
    return out


def _summary(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


def _declaration_count(driver) -> int:
    return driver.execute_query("MATCH (d:Declaration) RETURN count(d) AS n").records[0]["n"]


def test_counts_add_up_and_reload_changes_nothing(empty_graph, rg_env, sample):
    first = _summary(run_cli(rg_env, "ingest", str(sample), "--json"))
    assert first["read"] == 3000
    assert first["read"] == first["stored"] + first["quarantined"]
    bad = pd.read_csv(sample / "truth" / "bad_rows.csv", dtype=str)
    assert first["quarantined"] == len(bad) > 0
    quarantined = pd.read_csv(first["quarantine_file"], dtype=str)
    assert len(quarantined) == first["quarantined"]
    assert {"source", "row", "field", "reason", "original"} <= set(quarantined.columns)
    assert quarantined["reason"].str.len().min() > 10

    stats_before = _summary(run_cli(rg_env, "stats", "--json"))
    assert stats_before["nodes"]["Declaration"] == first["stored"]
    assert stats_before["relationships"]["FILED"] >= first["stored"]

    second = _summary(run_cli(rg_env, "ingest", str(sample), "--json"))
    assert {k: second[k] for k in ("read", "stored", "quarantined")} == {
        k: first[k] for k in ("read", "stored", "quarantined")
    }
    assert _summary(run_cli(rg_env, "stats", "--json")) == stats_before


def test_every_declaration_has_its_relationships(empty_graph, rg_env, sample):
    run_cli(rg_env, "ingest", str(sample))
    orphans = empty_graph.execute_query(
        "MATCH (d:Declaration) WHERE NOT EXISTS { (:Enterprise)-[:FILED {role: 'consignee'}]->(d) } "
        "OR NOT EXISTS { (d)-[:CLASSIFIED_AS]->(:Commodity) } RETURN count(d) AS n"
    ).records[0]["n"]
    assert orphans == 0
    doubled = empty_graph.execute_query(
        "MATCH (d:Declaration)<-[f:FILED {role: 'consignee'}]-() WITH d, count(f) AS n WHERE n > 1 RETURN count(d) AS n"
    ).records[0]["n"]
    assert doubled == 0


def test_a_batch_missing_an_entity_writes_nothing(empty_graph, sample):
    """New declarations reach their entities by position in per-batch lists: one that cannot be found must
    refuse the batch, never link a declaration to the wrong node or leave it unlinked."""
    chunk = next(read_chunks([sample], 200))
    clean, _ = validate(chunk.frame, chunk.source, chunk.rows)
    batch = build_batch(clean)
    missing = batch.declarations[0]["importer_id"]
    batch.enterprises = [e for e in batch.enterprises if e["id"] != missing]
    with pytest.raises(IncompleteBatch, match="could not be linked"):
        GraphWriter(empty_graph, "neo4j").write(batch)
    assert _declaration_count(empty_graph) == 0


def _count(driver, query: str, **params) -> int:
    return driver.execute_query(query, params).records[0]["n"]


def test_a_later_load_sends_only_but_all_that_changes_entities_the_graph_holds(empty_graph, sample):
    """A new writer (a later run) leaves out the entity rows the graph already holds, and still writes every value
    and link a row brings that the graph lacks, without doubling one it has."""
    chunk = next(read_chunks([sample], 200))
    clean, _ = validate(chunk.frame, chunk.source, chunk.rows)
    batch = build_batch(clean)
    GraphWriter(empty_graph, "neo4j").write(batch)
    addressed = {a["enterprise"] for a in batch.addresses}
    row = next(e for e in batch.enterprises if e["id"] in addressed and e.get("category") and e.get("name"))
    empty_graph.execute_query(
        "MATCH (e:Enterprise {id: $id}) REMOVE e.category SET e.name = 'an older name'", id=row["id"]
    )
    phones = _count(empty_graph, "MATCH (p:Phone) RETURN count(p) AS n")
    batch.phones.append({"enterprise": row["id"], "number": "+86 000 0000 0001"})
    batch.ports += [{"code": "XXAAA", "country": "XX"}, {"code": "XXBBB", "country": "XX"}]
    batch.routes.append({"id": "XXAAA>XXBBB", "from": "XXAAA", "to": "XXBBB", "via": []})

    result = GraphWriter(empty_graph, "neo4j").write(batch)

    assert result.created == 0 and result.updated == len(batch.declarations)
    held = empty_graph.execute_query("MATCH (e:Enterprise {id: $id}) RETURN e", id=row["id"]).records[0]["e"]
    assert (held["name"], held["category"]) == (row["name"], row["category"])
    assert _count(empty_graph, "MATCH (p:Phone) RETURN count(p) AS n") == phones + 1
    assert (
        _count(
            empty_graph,
            "MATCH (:Enterprise {id: $id})-[:HAS_PHONE]->(p:Phone {number: $number}) RETURN count(p) AS n",
            id=row["id"],
            number="+86 000 0000 0001",
        )
        == 1
    )
    assert (
        _count(
            empty_graph,
            "MATCH (:Port {code: 'XXAAA'})<-[:FROM]-(r:Route {id: 'XXAAA>XXBBB'})-[:TO]->(:Port {code: 'XXBBB'}), "
            "(:Port {code: 'XXAAA'})-[:LOCATED_IN]->(:Country {code: 'XX'}) RETURN count(r) AS n",
        )
        == 1
    )
    doubled = (
        "MATCH (a)-[r]->(b) WITH a, b, type(r) AS kind, r.role AS role, r.order AS at, count(*) AS n WHERE n > 1 "
        "RETURN count(*) AS n"
    )
    assert _count(empty_graph, doubled) == 0


def _wait_for_declarations(driver, at_least: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _declaration_count(driver) >= at_least:
            return
        assert proc.poll() is None, "ingest finished before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("ingest made no progress")


#: rows of the interrupted loads: enough batches of 500 that a kill after a few lands mid-load
KILLED_ROWS = 5_000  # the kill comes after 2,000 are written: 3,000 still to write


def _ingest_in_background(data, rg_env) -> tuple[subprocess.Popen, dict[str, str]]:
    env = dict(rg_env, RISKGRAPH_BATCH_SIZE="500")
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskgraph", "ingest", str(data), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, env


def test_killed_ingest_resumes_with_nothing_lost_or_doubled(empty_graph, rg_env, tmp_path):
    data = tmp_path / "big"
    generate(data, KILLED_ROWS, 9)
    proc, env = _ingest_in_background(data, rg_env)
    _wait_for_declarations(empty_graph, 2000, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _declaration_count(empty_graph)
    assert 0 < partial < KILLED_ROWS

    final = _summary(run_cli(env, "ingest", str(data), "--json"))
    assert final["read"] == final["stored"] + final["quarantined"] == KILLED_ROWS
    assert _declaration_count(empty_graph) == final["stored"]
    again = graph_stats(empty_graph, "neo4j")
    run_cli(env, "ingest", str(data))
    assert graph_stats(empty_graph, "neo4j") == again


def test_database_killed_mid_load_then_resumed(empty_graph, rg_env, neo4j_server, tmp_path):
    data = tmp_path / "db-kill"
    generate(data, KILLED_ROWS, 13)
    proc, env = _ingest_in_background(data, dict(rg_env, RISKGRAPH_WRITE_RETRY="1"))  # not 30 s of retries
    _wait_for_declarations(empty_graph, 2000, proc)
    pid = local_server.status(neo4j_server).pid
    os.kill(pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert "Traceback" not in err
    local_server.start(neo4j_server)
    final = _summary(run_cli(env, "ingest", str(data), "--json"))
    assert final["read"] == final["stored"] + final["quarantined"] == KILLED_ROWS
    assert final["quarantined"] == len(pd.read_csv(data / "truth" / "bad_rows.csv"))
    assert _declaration_count(empty_graph) == final["stored"]


MAPPED_CSV = """ENTRY_NO,ENTRY_DATE,CONSIGNEE,CONSIGNEE_NAME,ADDR,TEL,HS,CIF,CTYPE
E-1,2026/05/30,91310000AAA,Shanghai Alpha Trading Co. Ltd,"Room 12, No. 8 Huaihai Rd, Shanghai",+86 21 5555 1234,90121,1000,40HC
E-2,20260531,91310000BBB,SHANGHAI BETA TRADING CO LTD,No.8 Huaihai Road Rm 12 Shanghai,0086-21-55551234,0901210000,2500.5,20GP
E-3,2026-06-01,91310000CCC,Gamma Ltd,No.9 Huaihai Road Rm 12 Shanghai,021 5555 9999,851712,300,20GP
E-4,not a date,91310000DDD,Delta Ltd,,,851712,300,20GP
"""

MAPPING_YAML = """
fields:
  declaration_id: ENTRY_NO
  date: ENTRY_DATE
  importer_id: CONSIGNEE
  importer_name: CONSIGNEE_NAME
  importer_address: ADDR
  importer_phone: TEL
  hs_code: HS
  value: CIF
constants:
  direction: I
  currency: USD
features:
  - CTYPE
"""


def test_mapping_dates_hs_repair_and_entity_resolution(empty_graph, rg_env, tmp_path):
    (tmp_path / "entries.csv").write_text(MAPPED_CSV)
    (tmp_path / "mapping.yaml").write_text(MAPPING_YAML)
    summary = _summary(
        run_cli(rg_env, "ingest", str(tmp_path / "entries.csv"), "--mapping", str(tmp_path / "mapping.yaml"), "--json")
    )
    assert summary == {
        "read": 4,
        "stored": 3,
        "quarantined": 1,
        "quarantine_file": summary["quarantine_file"],
        "new_offices": [],
        "money_unit": "USD",
        "without_rate": 0,
        "load": summary["load"],
    }
    loads = empty_graph.execute_query("MATCH (d:Declaration) RETURN collect(DISTINCT d.load) AS loads").records
    assert loads[0]["loads"] == [summary["load"]]  # every row it stored carries its load
    bad = pd.read_csv(summary["quarantine_file"], dtype=str)
    assert bad.loc[0, "row"] == "4" and bad.loc[0, "field"] == "date"

    rows = empty_graph.execute_query(
        "MATCH (d:Declaration) RETURN d.id AS id, toString(d.date) AS date, d.hs_code AS hs, d.currency AS cur, "
        "d.feature_CTYPE AS ctype ORDER BY id"
    ).records
    assert [(r["id"], r["date"], r["hs"], r["cur"], r["ctype"]) for r in rows] == [
        ("E-1", "2026-05-30", "090121", "USD", "40HC"),
        ("E-2", "2026-05-31", "0901210000", "USD", "20GP"),
        ("E-3", "2026-06-01", "851712", "USD", "20GP"),
    ]
    shared = empty_graph.execute_query(
        "MATCH (e:Enterprise)-[:HAS_ADDRESS]->(a:Address) RETURN a.key AS key, collect(e.id) AS firms"
    ).records
    firms = sorted(sorted(r["firms"]) for r in shared)
    assert firms == [["91310000AAA", "91310000BBB"], ["91310000CCC"]]
    phones = empty_graph.execute_query(
        "MATCH (e:Enterprise)-[:HAS_PHONE]->(p:Phone) RETURN p.number AS n, count(e) AS firms ORDER BY firms DESC"
    ).records
    assert phones[0]["firms"] == 2 and len(phones) == 2


def test_bad_mapping_is_refused_with_a_clear_line(rg_env, tmp_path):
    (tmp_path / "entries.csv").write_text(MAPPED_CSV)
    (tmp_path / "mapping.yaml").write_text("fields:\n  declaration_number: ENTRY_NO\n")
    done = run_cli(
        rg_env, "ingest", str(tmp_path / "entries.csv"), "--mapping", str(tmp_path / "mapping.yaml"), check=False
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "declaration_number" in done.stderr


def test_rows_without_a_known_currency_are_stored_and_flagged(empty_graph, rg_env, tmp_path):
    rows = pd.DataFrame(
        {
            "declaration_id": ["C-1", "C-2", "C-3", "C-4"],
            "date": ["2026-05-30"] * 4,
            "importer_id": ["IMP-1"] * 4,
            "hs_code": ["851712"] * 4,
            "value": [100.0, 15000.0, 50.0, 70.0],
            "currency": ["USD", "jpy", "XYZ", None],
        }
    )
    rows.to_csv(tmp_path / "money.csv", index=False)
    done = run_cli(rg_env, "ingest", str(tmp_path / "money.csv"), "--json")
    assert _summary(done)["stored"] == 4
    assert "warning: 2 stored rows have no currency, or one without a" in " ".join(done.stderr.split())
    assert _summary(done)["without_rate"] == 2
    rows[rows["currency"].isin(["USD", "jpy"])].to_csv(tmp_path / "known.csv", index=False)
    assert "warning" not in run_cli(rg_env, "ingest", str(tmp_path / "known.csv")).stderr
