"""Results too large for one transaction: a clear error at once, and the graph keeps the previous run whole.

At 3M declarations (265,058 enterprises, 42,650 networks) the write-back needed more than the 2.8 GiB a 4 GB
heap allows all transactions, and the driver wrote the whole run again before giving up. Here a local Neo4j of
its own lets all transactions use 10 MB together (``RISKGRAPH_NEO4J_TRANSACTION_MEMORY``): it takes a small
run's results, then refuses the results of 20,000 enterprises.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import pytest

from analysis.write_back import ResultsTooLarge, current_snapshot, write_results
from graph import local_server
from graph.config import Settings
from graph.connection import check
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


def _results(n: int) -> pd.DataFrame:
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
            "risk": 0.5,
            "reasons": [reason] * n,
        }
    )


NETWORK = {
    "id": 1,
    "score": 80.0,
    "kind": "audit",
    "routing": None,
    "members": ["F0", "F1", "F2"],
    "value_at_stake": 1000.0,
    "reasons": [],
}

SHOWN = """
RETURN COUNT { MATCH (e:Enterprise) WHERE e.risk IS NOT NULL } AS analysed,
       COUNT { MATCH (:Enterprise)-[:MEMBER_OF]->(:Network) } AS members
"""


def test_results_too_large_for_one_transaction_are_refused_plainly_and_the_previous_run_stays(small_server):
    write_results(small_server, "neo4j", _results(10), [NETWORK], datetime.now(UTC), snapshot="small-run")
    before = small_server.execute_query(SHOWN).records[0].data()
    assert before == {"analysed": 10, "members": 3}

    began = time.monotonic()
    with pytest.raises(ResultsTooLarge) as refused:
        write_results(small_server, "neo4j", _results(FIRMS), [], datetime.now(UTC), snapshot="large-run")
    message = str(refused.value)
    assert f"{FIRMS:,} enterprises" in message and "RISKGRAPH_NEO4J_HEAP" in message
    assert "previous run whole" in message
    assert refused.value.code == "results_too_large_for_one_transaction"

    assert current_snapshot(small_server, "neo4j") == "small-run"
    assert small_server.execute_query(SHOWN).records[0].data() == before
    # refused once, not written again and again (the driver's retries of a transient error ran for minutes)
    assert time.monotonic() - began < 60
