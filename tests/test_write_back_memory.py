"""The results of 20,000 enterprises on a server that lets all transactions use 10 MB together, and a reader
polling during the write-back sees the previous run or the new one, never a mix.

At 3M declarations (265,058 enterprises, 42,650 networks) the write-back in one transaction needed more than the
2.8 GiB a 4 GB heap allows all transactions; here a local Neo4j of its own is capped at 10 MB
(``RISKGRAPH_NEO4J_TRANSACTION_MEMORY``), which refused those 20,000 firms in one transaction.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from analysis.write_back import _digests, _result_frame, current_snapshot, sweeping_outdated, write_run
from graph import local_server
from graph.config import Settings
from graph.connection import check
from graph.runs import shown, shown_run
from graph.setup import ensure_schema
from tests.conftest import free_port

FIRMS = 20_000


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("transaction-memory")
    cfg = Settings(
        home=home,
        bolt_port=free_port(),
        neo4j_heap="512m",
        neo4j_pagecache="64m",
        neo4j_transaction_memory="10m",
        neo4j_password_file=home / "neo4j" / "password",
    )
    local_server.start(cfg)
    try:
        driver = check(cfg)
        ensure_schema(driver, "neo4j")
        for start in range(0, FIRMS, 1000):  # small transactions: each well inside the limit
            driver.execute_query(
                "UNWIND range($start, $end) AS i CREATE (:Enterprise {id: 'F' + i})", start=start, end=start + 999
            )
        yield driver
        driver.close()
    finally:
        local_server.stop(cfg)


def _results(n: int, risk: float) -> pd.DataFrame:
    ids = [f"F{i}" for i in range(n)]
    reason = [{"signal": "peer_anomaly", "strength": 0.5, "detail": "below its peers " * 10}]
    return pd.DataFrame(
        {
            "id": ids,
            "community": 0,
            "community_size": n,
            "pagerank": 0.1,
            "betweenness": 0.0,
            "degree": 1.0,
            "propagated_risk": 0.0,
            "risk": risk,
            "reasons": [reason] * n,
        }
    )


def _network(members: list[str], score: float) -> dict:
    return {"id": 1, "score": score, "kind": "audit", "members": members, "value_at_stake": 0.0, "reasons": []}


# What a reader is shown: the run's snapshot, the risks of its firms and its network's members.
SHOWN = f"""
OPTIONAL MATCH (a:Assessment) WHERE {shown("a")}
WITH collect(DISTINCT a.risk) AS risks, count(a) AS firms
OPTIONAL MATCH (e:Enterprise)-[:MEMBER_OF]->(n:Network) WHERE {shown("n")}
WITH risks, firms, n, e ORDER BY e.id
RETURN risks, firms, n.score AS score, collect(e.id) AS members
"""
VERSIONS = "MATCH (a:Assessment) RETURN count(a) AS n"


def _shown(driver) -> tuple:
    """The run a reader is shown (its number, read first, as readers do) and what it sees of it."""
    run = shown_run(driver, "neo4j")
    r = driver.execute_query(SHOWN, **run).records[0]
    return run["run"], tuple(sorted(r["risks"])), r["firms"], r["score"], tuple(r["members"])


def test_a_large_run_is_written_in_bounded_transactions_and_readers_see_one_run(small_server):
    old = _network(["F0", "F1", "F2"], 80.0)
    write_run(small_server, "neo4j", _results(FIRMS, 0.25), [old], datetime.now(UTC), snapshot="run-a")
    run_a = (1, (0.25,), FIRMS, 80.0, ("F0", "F1", "F2"))
    assert _shown(small_server) == run_a

    seen, done = [], threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.append(_shown(small_server))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        new = _network(["F3", "F4"], 60.0)
        written = write_run(
            small_server, "neo4j", _results(FIRMS, 0.75), [new], datetime.now(UTC), snapshot="run-b", batch_size=4000
        )
    finally:
        done.set()
        reader.join()
    run_b = (2, (0.75,), FIRMS, 60.0, ("F3", "F4"))
    assert written["enterprises"] == written["enterprises_closed"] == FIRMS
    assert _shown(small_server) == run_b and current_snapshot(small_server, "neo4j") == "run-b"
    assert len(seen) >= 3 and set(seen) <= {run_a, run_b}, set(seen) - {run_a, run_b}

    # the same results again: nothing written but the pointer; run A's versions, shown by no reader, are gone once
    # the next run sweeps (while it analyses), run B's stay while a reader may still be reading run B
    again = write_run(small_server, "neo4j", _results(FIRMS, 0.75), [new], datetime.now(UTC), snapshot="run-c")
    assert (again["enterprises"], again["enterprises_closed"], again["networks"]) == (0, 0, 0)
    assert _shown(small_server) == (3, *run_b[1:]) and current_snapshot(small_server, "neo4j") == "run-c"
    assert small_server.execute_query(VERSIONS).records[0]["n"] == 2 * FIRMS
    sweeping_outdated(small_server, "neo4j").result()
    assert small_server.execute_query(VERSIONS).records[0]["n"] == FIRMS


def test_a_digest_is_of_the_values_not_of_how_the_table_holds_them():
    """Whole numbers as integers or floats, a missing one as None or NaN, zero with its sign, reasons as a list or
    as the JSON text of it: one digest; a real change of any result, another."""
    firms = _results(3, 0.5)
    frame = _result_frame(firms, [{"id": 7, "members": ["F1"]}])
    digests = _digests(frame)
    assert digests[0] == digests[2] != digests[1]  # F1 is in a network
    held = firms.assign(community=firms["community"].astype("Int64"), betweenness=-0.0)
    held["degree"] = held["degree"].astype(object)
    held.loc[0, "degree"] = None
    firms.loc[0, "degree"] = np.nan
    held["reasons"] = [json.dumps(r) for r in held["reasons"]]
    network = [{"id": 7.0, "members": ["F1"]}]
    assert _digests(_result_frame(held, network)) == _digests(_result_frame(firms, network))
    for column, value in (("community", 1), ("risk", 0.5001), ("reasons", [])):
        changed = firms.copy()
        changed.at[2, column] = value
        assert _digests(_result_frame(changed, network))[2] != _digests(_result_frame(firms, network))[2], column


def test_the_last_bits_of_a_float_are_no_change(small_server):
    """Two runs sum in orders of their own, so a PageRank or a risk differs in its last bits when nothing changed:
    no new version for that, one for a real change."""
    firms = _results(100, 0.5)
    first = write_run(small_server, "neo4j", firms, [], datetime.now(UTC), snapshot="bits-a", mode="incremental")
    assert first["enterprises"] == 100
    for column in ("pagerank", "risk"):
        firms[column] = np.nextafter(firms[column].to_numpy(float), np.inf)
    again = write_run(small_server, "neo4j", firms, [], datetime.now(UTC), snapshot="bits-b", mode="incremental")
    assert again["enterprises"] == again["enterprises_closed"] == 0
    firms["risk"] += 1e-6
    changed = write_run(small_server, "neo4j", firms, [], datetime.now(UTC), snapshot="bits-c", mode="incremental")
    assert changed["enterprises"] == changed["enterprises_closed"] == 100
