"""A small hand-built graph for the exploration and chart tests, loaded through the real ingest and analyze.

- ``SHELL1..SHELL3``: young firms behind one address, one phone and one legal representative, broker
  ``BRK-R`` and seller ``SELL-R``. ``SHELL1`` changes broker to ``BRK-X`` on 2025-12-01 and route to
  ``THBKK>CNSHA`` on 2025-12-15; its 2025-11-15 declaration was inspected clean, its last one was a
  violation.
- ``BRIDGE`` shares the shells' phone and ``HONEST1``'s address: the only link between the two sides,
  so the shortest connection ``SHELL1`` to ``HONEST1`` is four hops (phone, phone, address, address).
- ``HONEST1``, ``HONEST2``: old firms with their own identifiers, broker ``BRK-BIG``.

Everything is lodged at Shanghai Customs (Shanghai sub-centre) except ``HONEST2``, at Qingdao (Qingdao
sub-centre), so that jurisdiction scoping has something to tell apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.scoring_setup import Server

SHELLS = ["SHELL1", "SHELL2", "SHELL3"]
RING_ADDRESS = "Room 8, No. 88 Harbour Road, Pudong, Shanghai"
RING_PHONE = "+86 21 5555 0001"
PARK_ADDRESS = "No. 1 Industrial Park Avenue, Suzhou"


def _row(n: int, importer: str, date: str, broker: str, seller: str, **extra) -> dict:
    return {
        "declaration_id": f"EXD{n:03d}",
        "date": date,
        "direction": "I",
        "office": "Shanghai",
        "importer_id": importer,
        "importer_name": f"{importer.title()} Trading Co.",
        "importer_registered": "2025-09-01" if importer.startswith("SHELL") else "2006-03-01",
        "seller_id": seller,
        "declarant_id": broker,
        "hs_code": "610910",
        "origin_country": "VN",
        "loading_port": "VNSGN",
        "discharge_port": "CNSHA",
        "consignment_id": f"MSKU{7000000 + n}",
        "quantity": 500.0,
        "net_mass": 1000.0,
        "value": 5000.0,
        "currency": "USD",
        **extra,
    }


def declarations() -> pd.DataFrame:
    ring = {"importer_address": RING_ADDRESS, "importer_phone": RING_PHONE, "importer_legal_rep": "Wang Fang"}
    rows = [
        _row(1, "SHELL1", "2025-11-01", "BRK-R", "SELL-R", **ring),
        _row(2, "SHELL1", "2025-11-15", "BRK-R", "SELL-R", inspected="1", violation="0", **ring),
        _row(3, "SHELL1", "2025-12-01", "BRK-X", "SELL-R", **ring),
        _row(
            4,
            "SHELL1",
            "2025-12-15",
            "BRK-X",
            "SELL-R",
            loading_port="THBKK",
            inspected="1",
            violation="1",
            violation_type="undervaluation",
            **ring,
        ),
    ]
    n = len(rows)
    for firm in ("SHELL2", "SHELL3"):
        for day in ("2025-11-05", "2025-12-05"):
            n += 1
            rows.append(_row(n, firm, day, "BRK-R", "SELL-R", **ring))
    others = {
        "BRIDGE": {"importer_address": PARK_ADDRESS, "importer_phone": RING_PHONE, "importer_legal_rep": "Chen Jie"},
        "HONEST1": {
            "importer_address": PARK_ADDRESS,
            "importer_phone": "+86 512 6000 1111",
            "importer_legal_rep": "Liu Yang",
        },
        "HONEST2": {
            "importer_address": "No. 9 River Road, Ningbo",
            "importer_phone": "+86 574 8000 2222",
            "importer_legal_rep": "Zhao Lei",
            "office": "Qingdao",
        },
    }
    for firm, idents in others.items():
        broker = "BRK-BRIDGE" if firm == "BRIDGE" else "BRK-BIG"
        for day in ("2025-06-01", "2025-09-01", "2025-12-01"):
            n += 1
            rows.append(_row(n, firm, day, broker, f"SELL-{firm}", **idents))
    return pd.DataFrame(rows)


def load(driver, env: dict[str, str], folder: Path) -> dict:
    """Empty the graph, ingest the file with the real CLI, analyze; the analyze summary."""
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    path = folder / "explore.csv"
    declarations().to_csv(path, index=False)
    loaded = json.loads(run_cli(env, "ingest", str(path), "--json").stdout.strip().splitlines()[-1])
    assert loaded["quarantined"] == 0, loaded
    return json.loads(run_cli(env, "analyze", "--json").stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def explore_server(driver, rg_env, tmp_path_factory):
    """(server, analyze summary): the hand-built graph loaded and ``riskgraph serve`` running on it."""
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("explore-home"))}
    summary = load(driver, env, tmp_path_factory.mktemp("explore-data"))
    server = Server(env)
    yield server, summary
    server.stop()
