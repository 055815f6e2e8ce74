"""Phoenix firms as filings write them, found by ``ingest`` + ``analyze`` alone (no ``resolve`` step).

A generated year (12,000 declarations, seed 5) whose new firms write their representative given name first,
with a comma or split ("Jianguo Gao", "GAO, Jianguo", "Gao Jian guo"), their name in another registration
form and their room in another address form. Then a later load: one more new firm filing as an old one's
representative written another way, which the next (incremental) analysis resolves alone.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import run_cli, wipe

DECLARATIONS, SEED = 12_000, 5

LINKS = """
UNWIND $pairs AS pair
MATCH (a:Enterprise {id: pair[0]}), (b:Enterprise {id: pair[1]})
RETURN pair,
       EXISTS { (a)-[:PROBABLY_SAME_FIRM]-(b) } AS candidate,
       EXISTS { (a)-[:HAS_LEGAL_REP]->(:Person)<-[:HAS_LEGAL_REP]-(b) } AS same_person_node,
       EXISTS { (a)-[:HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP]->()<-[:HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP]-(b) } AS shared
"""


def _last_json(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def year(driver, rg_env, tmp_path_factory):
    """(folder, env, phoenix pairs, the first analysis's JSON summary)."""
    folder = tmp_path_factory.mktemp("phoenix-year")
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("phoenix-home"))}
    run_cli(env, "generate", "--out", str(folder), "--declarations", str(DECLARATIONS), "--seed", str(SEED))
    wipe(driver)
    run_cli(env, "ingest", str(folder))
    analysed = _last_json(run_cli(env, "analyze", "--json"))
    phoenix = pd.read_csv(folder / "truth" / "phoenix.csv", dtype=str)
    return folder, env, list(zip(phoenix["old_id"], phoenix["new_id"], strict=True)), analysed


def _links(driver, pairs) -> list[dict]:
    return [dict(r) for r in driver.execute_query(LINKS, pairs=[list(p) for p in pairs]).records]


def test_analyze_links_every_phoenix_pair_at_depth_one(year, driver):
    _, _, pairs, analysed = year
    assert analysed["resolution"]["mode"] == "full" and analysed["resolution"]["candidates"] >= 1
    links = _links(driver, pairs)
    assert len(links) == len(pairs) >= 3
    assert all(link["candidate"] or link["shared"] for link in links), links


def test_a_representative_written_another_way_is_linked_as_the_same_firm(year, driver):
    _, _, pairs, _ = year
    rewritten = [link for link in _links(driver, pairs) if not link["same_person_node"]]
    assert rewritten  # the graph holds two Person nodes for one person written two ways
    assert all(link["candidate"] for link in rewritten), rewritten


def test_a_later_load_is_resolved_by_the_next_analysis_alone(year, driver, tmp_path):
    folder, env, pairs, _ = year
    again = _last_json(run_cli(env, "analyze", "--json"))["resolution"]
    assert (again["mode"], again["read"], again["resolved"], again["candidates"]) == ("incremental", 0, 0, 0)

    rows = pd.concat([pd.read_csv(f, dtype=str) for f in sorted(folder.glob("declarations-*.csv"))])
    old = pairs[0][0]
    row = rows[rows["importer_id"] == old].dropna(subset=["importer_legal_rep"]).tail(1).copy()
    surname, _, given = row["importer_legal_rep"].iloc[0].partition(" ")
    row["declaration_id"] = "LATER-LOAD-1"
    row["importer_id"] = "91310000LATER0001X"
    row["importer_legal_rep"] = f"{given} {surname.upper()}"  # given name first, the surname in capitals
    row["importer_registered"] = "2025-12-20"
    row.to_csv(tmp_path / "later.csv", index=False)
    run_cli(env, "ingest", str(tmp_path / "later.csv"))

    later = _last_json(run_cli(env, "analyze", "--json"))["resolution"]
    # only the later load's firm is read from the graph and resolved, against every firm
    assert (later["mode"], later["read"], later["resolved"]) == ("incremental", 1, 1) and later["candidates"] >= 1
    link = _links(driver, [(old, "91310000LATER0001X")])[0]
    assert link["candidate"] and not link["same_person_node"]

    full = _last_json(run_cli(env, "analyze", "--full", "--json"))["resolution"]
    assert full["mode"] == "full" and full["read"] == full["resolved"] == full["enterprises"]
