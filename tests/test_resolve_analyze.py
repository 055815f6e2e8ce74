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


IMPORTERS = """
MATCH (e:Enterprise)
RETURN count(e) AS every,
       count(CASE WHEN EXISTS { (e)-[:HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP]->() }
                    OR EXISTS { (e)-[:FILED {role: 'consignee'}]->() } THEN e END) AS importers
"""


def test_the_resolution_weighs_every_importer_and_no_counterparty(year, driver):
    """Consignees and holders of an identifier of their own, counted here in the graph; the resolution takes the
    consignees from the columnar copy. Overseas sellers, brokers and carriers do not re-register here."""
    _, _, _, analysed = year
    counted = driver.execute_query(IMPORTERS).records[0]
    assert counted["every"] > counted["importers"] > 0
    assert analysed["resolution"]["enterprises"] == counted["importers"]


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


SUCCESSION = """
MATCH (a:Enterprise {id: $a})-[r:PROBABLY_SAME_FIRM]-(b:Enterprise {id: $b})
RETURN r.weights AS weights, r.levels AS levels
"""


def _honest_importers(folder, pairs) -> pd.DataFrame:
    """Importers planted as nothing (no phoenix, ring or look-alike) that traded over more than three months,
    with a representative and a name whose second word is its brand, longest trading first."""
    rows = pd.concat([pd.read_csv(f, dtype=str) for f in sorted(folder.glob("declarations-*.csv"))])
    rows["day"] = pd.to_datetime(rows["date"], format="mixed", errors="coerce")
    planted = {*pd.read_csv(folder / "truth" / "lookalikes.csv", dtype=str)["entity_id"]}
    planted |= {*pd.read_csv(folder / "truth" / "rings.csv", dtype=str)["enterprise_id"]}
    planted |= {firm for pair in pairs for firm in pair}
    rows = rows[~rows["importer_id"].isin(planted)].dropna(subset=["importer_legal_rep", "day"])
    span = rows.groupby("importer_id")["day"].agg(["min", "max", "count"])
    span = span[(span["max"] - span["min"] > pd.Timedelta(days=120)) & (span["count"] >= 4)]
    last = rows.sort_values("day").drop_duplicates("importer_id", keep="last").set_index("importer_id")
    return last.loc[span.index].assign(first=span["min"], last=span["max"]).sort_values("importer_id")


def _written_anew(row: pd.Series, new_id: str, days: list[pd.Timestamp], registered: pd.Timestamp) -> pd.DataFrame:
    """Declarations of a new firm that looks like ``row``'s: "New" in its name, its representative given name
    first with the surname in capitals, another phone, no address, registered on ``registered``."""
    city, _, rest = row["importer_name"].partition(" ")
    surname, _, given = row["importer_legal_rep"].partition(" ")
    out = pd.DataFrame([row.drop(["day", "first", "last"])] * len(days)).reset_index(drop=True)
    out["declaration_id"] = [f"{new_id}-{i}" for i in range(len(days))]
    out["importer_id"] = new_id
    out["importer_name"] = f"{city} New {rest}"
    out["importer_legal_rep"] = f"{given} {surname.upper()}"
    out["importer_phone"] = "+86 21 6000 " + new_id[-4:]
    out["importer_address"] = ""
    out["importer_registered"] = registered.strftime("%Y-%m-%d")
    out["date"] = [d.strftime("%Y-%m-%d") for d in days]
    return out


def test_a_successor_is_linked_and_a_namesake_trading_alongside_is_not(year, driver, tmp_path):
    """Two new firms that look alike their model the same way (name, representative written another way, other
    phone): one set up while its model traded and starting as it stopped, a phoenix; the other trading alongside
    its model for months. ``ingest`` + ``analyze`` link the first only, on what succession weighed."""
    folder, env, pairs, _ = year
    honest = _honest_importers(folder, pairs)
    assert len(honest) >= 2
    old, model = honest.iloc[0], honest.iloc[1]
    day = pd.Timedelta(days=1)
    successor = _written_anew(
        old, "91310000SUCCEED01", [old["last"] + 10 * day, old["last"] + 40 * day], old["last"] - 20 * day
    )
    alongside = _written_anew(
        model, "91310000BESIDE001", [model["first"] + 10 * day, model["last"] - 10 * day], model["first"] + 5 * day
    )
    pd.concat([successor, alongside]).to_csv(tmp_path / "new-firms.csv", index=False)
    run_cli(env, "ingest", str(tmp_path / "new-firms.csv"))
    resolved = _last_json(run_cli(env, "analyze", "--json"))["resolution"]
    assert resolved["mode"] == "incremental" and "succession" in resolved["fields"]

    found, beside = _links(driver, [(old.name, "91310000SUCCEED01"), (model.name, "91310000BESIDE001")])
    assert found["candidate"] and not beside["candidate"], (found, beside)
    record = driver.execute_query(SUCCESSION, a=old.name, b="91310000SUCCEED01").records[0]
    assert json.loads(record["weights"])["succession"] > 0
    assert json.loads(record["levels"])["succession"] == "set up while the other traded, started as it stopped"
