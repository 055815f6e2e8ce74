"""``riskgraph analyze``, ``networks`` and ``enterprise`` against the real Neo4j.

The graph is the named shell-ring scenario (:func:`sample.scenarios.shell_ring_scenario`)
written as canonical CSV and loaded through the real ingest, so every signal has a known answer:
a ring of young firms behind one address, phone, representative and broker; a business centre of
honest old firms; a known violator and its neighbours; one cheap declaration. A second file, loaded
later, adds two old related firms that under-value their goods (an audit lead).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.graph_io import read_analysis_input
from analysis.snapshot import load_snapshot
from analysis.write_back import ENTERPRISE_RESULT_PROPERTIES
from graph.runs import ASSESSMENT, shown, shown_run
from sample.scenarios import shell_ring_scenario
from tests.conftest import run_cli, wipe

RING = [f"RING{i}" for i in range(1, 6)]
BUSINESS_CENTRE = [f"BC{i:02d}" for i in range(1, 41)]
UNDERVALUERS = ["UV1", "UV2"]


def _canonical_rows(scenario: dict) -> pd.DataFrame:
    """The scenario's frames as canonical declaration rows, identifiers spelled as real text."""
    links = scenario["links"]
    texts = {
        "address": lambda i: f"Room {100 + i}, No. {10 + i} Harbour Road, Pudong, Shanghai",
        "phone": lambda i: f"+86 21 5{i:07d}",
        "legal_rep": lambda i: f"Zhang Wei{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}",
    }
    own: dict[tuple[str, str], str] = {}
    for kind, part in links.groupby("kind"):
        codes = {t: n for n, t in enumerate(sorted(part["target"].unique()))}
        for enterprise, target in zip(part["enterprise"], part["target"], strict=True):
            own[(enterprise, kind)] = texts[kind](codes[target])
    firms = scenario["enterprises"].set_index("id")
    d = scenario["declarations"]
    return pd.DataFrame(
        {
            "declaration_id": d["id"],
            "date": pd.to_datetime(d["date"]).dt.strftime("%Y-%m-%d"),
            "direction": "I",
            "importer_id": d["importer_id"],
            "importer_name": d["importer_id"].map(firms["name"]),
            "importer_address": [own.get((i, "address")) for i in d["importer_id"]],
            "importer_phone": [own.get((i, "phone")) for i in d["importer_id"]],
            "importer_legal_rep": [own.get((i, "legal_rep")) for i in d["importer_id"]],
            "importer_category": d["importer_id"].map(firms["category"]),
            "importer_registered": pd.to_datetime(d["importer_id"].map(firms["registered"])).dt.strftime("%Y-%m-%d"),
            "seller_id": d["seller_id"],
            "declarant_id": d["declarant_id"],
            "hs_code": d["hs6"],
            "origin_country": d["origin"],
            "consignment_id": d["consignment_id"],
            "quantity": d["quantity"],
            "net_mass": d["net_mass"],
            "value": d["value"].round(2),
            "currency": "USD",
            "tax_rate": d["tax_rate"],
            "inspected": d["inspected"].map({1.0: "1", 0.0: "0"}),
            "violation": d["violation"].map({1.0: "1", 0.0: "0"}),
            "violation_type": d["violation_type"],
        }
    )


def _undervaluers() -> pd.DataFrame:
    """Two old firms of one family (shared address and phone) declaring HS 850440 from CN at a fifth of peers."""
    rows = []
    for n, firm in enumerate(UNDERVALUERS):
        for k in range(8):
            rows.append(
                {
                    "declaration_id": f"UVD{n}{k:02d}",
                    "date": f"2025-{10 + k % 3:02d}-{5 + k:02d}",
                    "direction": "I",
                    "importer_id": firm,
                    "importer_name": f"{firm} Electric Co.",
                    "importer_address": "No. 7 Lianhua Road, Minhang, Shanghai",
                    "importer_phone": "+86 21 6666 7777",
                    "importer_legal_rep": f"Li Ming {firm}",
                    "importer_category": "B",
                    "importer_registered": "2008-05-01",
                    "seller_id": "SELL-UV",
                    "declarant_id": f"BRK-{firm}",
                    "hs_code": "850440",
                    "origin_country": "CN",
                    "consignment_id": f"UVBL{n}{k:02d}",
                    "quantity": 500.0,
                    "net_mass": 1000.0,
                    "value": 2000.0,
                    "currency": "USD",
                    "tax_rate": 0.1,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("analysis")
    base = folder / "scenario.csv"
    _canonical_rows(shell_ring_scenario()).to_csv(base, index=False)
    extra = folder / "undervaluers.csv"
    _undervaluers().to_csv(extra, index=False)
    return {"base": base, "extra": extra}


def _last_json(done) -> dict | list:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def analysed(driver, rg_env, files) -> dict:
    """The scenario loaded into an emptied graph and analysed once."""
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    loaded = _last_json(run_cli(rg_env, "ingest", str(files["base"]), "--json"))
    assert loaded["quarantined"] == 0, loaded
    return _last_json(run_cli(rg_env, "analyze", "--json"))


SHOWN_RESULTS = f"""
MATCH (e:Enterprise) WHERE e.id IN $ids
{ASSESSMENT}
RETURN e.id AS id, properties(e) AS p, properties(a) AS results
"""
SHOWN_NETWORKS = f"MATCH (n:Network) WHERE {shown('n')} RETURN count(n) AS n"


def _enterprises(driver, ids: list[str]) -> dict[str, dict]:
    """Each firm's own properties with the results of the run shown."""
    found = {}
    for r in driver.execute_query(SHOWN_RESULTS, shown_run(driver, "neo4j"), ids=ids).records:
        results = {k: v for k, v in (r["results"] or {}).items() if k in ENTERPRISE_RESULT_PROPERTIES}
        found[r["id"]] = {**r["p"], **{k: v for k, v in results.items() if v is not None}}
    return found


def _run_time(driver):
    return driver.execute_query("MATCH (r:AnalysisRun {id: 'current'}) RETURN r.analysed_at AS at").records[0]["at"]


def test_the_ring_is_the_top_network_routed_to_anti_smuggling(analysed, rg_env):
    top = analysed["top_networks"][0]
    assert top["members"] == RING
    assert top["kind"] == "anti-smuggling" and top["score"] >= 70
    assert top["reasons"][0]["signal"] == "shell_ring"
    listed = _last_json(run_cli(rg_env, "networks", "--top", "3", "--json"))
    assert listed[0]["members"] == RING
    assert all(set(n) == {"id", "score", "kind", "routing", "members", "reasons"} for n in listed)
    assert listed[0]["routing"].startswith("ring:")  # why it goes to anti-smuggling
    assert [n["score"] for n in listed] == sorted((n["score"] for n in listed), reverse=True)


def test_business_centre_of_honest_old_firms_is_not_a_network(analysed, driver):
    firms = _enterprises(driver, BUSINESS_CENTRE + ["BIGIMP"])
    assert max(f["risk"] for f in firms.values()) < 0.1
    scores = driver.execute_query(
        f"MATCH (e:Enterprise)-[:MEMBER_OF]->(n:Network) WHERE e.id IN $ids AND {shown('n')} "
        "RETURN max(n.score) AS top",
        shown_run(driver, "neo4j"),
        ids=BUSINESS_CENTRE,
    ).records[0]["top"]
    assert scores is None or scores < 20


def test_risk_propagates_from_a_known_violator_to_its_neighbours_only(analysed, driver):
    firms = _enterprises(driver, ["VIOL", "NEAR1", "NEAR2", "ALONE", "RING1"])
    assert firms["NEAR1"]["propagated_risk"] > firms["NEAR2"]["propagated_risk"] > 0
    assert firms["ALONE"]["propagated_risk"] == 0 and firms["RING1"]["propagated_risk"] == 0
    signals = [r["signal"] for r in json.loads(firms["NEAR1"]["reasons"])]
    assert "violator_links" in signals


def test_a_confirmed_case_makes_a_known_violator(analysed, driver):
    driver.execute_query(
        "MATCH (e:Enterprise {id: 'ALONE'}) MERGE (c:Case {id: 'CASE-T1'}) SET c.outcome = 'confirmed' "
        "MERGE (c)-[:CONCERNS]->(e)"
    )
    try:
        known = read_analysis_input(driver, "neo4j").known_violators
    finally:
        driver.execute_query("MATCH (c:Case {id: 'CASE-T1'}) DETACH DELETE c")
    assert {"VIOL", "ALONE"} <= known and "NEAR1" not in known


def test_cheap_declaration_gives_a_peer_reason(analysed, rg_env):
    view = _last_json(run_cli(rg_env, "enterprise", "CHEAP", "--json"))
    assert "undervaluation" in [r["signal"] for r in view["reasons"]]
    assert view["peers"]["peer_share_below"] == 1.0 and view["peers"]["peer_compared"] == 1


def test_results_are_written_back_and_snapshotted(analysed, driver, rg_env):
    ring = _enterprises(driver, RING)
    for props in ring.values():
        assert set(ENTERPRISE_RESULT_PROPERTIES) <= set(props)
        assert props["network_id"] == analysed["top_networks"][0]["id"] and props["community_size"] == 5
    members = driver.execute_query(
        f"MATCH (e:Enterprise)-[:MEMBER_OF]->(n:Network {{id: $id}}) WHERE {shown('n')} "
        "RETURN n.kind AS kind, collect(e.id) AS ids",
        shown_run(driver, "neo4j"),
        id=analysed["top_networks"][0]["id"],
    ).records[0]
    assert sorted(members["ids"]) == RING and members["kind"] == "anti-smuggling"
    snap = load_snapshot(Path(rg_env["RISKGRAPH_HOME"]))
    assert snap.metadata["counts"]["declarations"] == analysed["counts"]["declarations"]
    assert snap.metadata["as_of"] == analysed["as_of"] and "communities" in snap.metadata["timings"]
    assert snap.networks[0]["members"] == RING
    assert snap.enterprise("RING1")["risk"] > 0.5 and snap.enterprise("NOPE") is None
    assert (Path(rg_env["RISKGRAPH_HOME"]) / "snapshots" / "latest").read_text() == snap.version


def test_enterprise_view_and_unknown_enterprise(analysed, rg_env):
    view = _last_json(run_cli(rg_env, "enterprise", "RING1", "--json"))
    assert view["network"]["kind"] == "anti-smuggling" and view["network"]["size"] == 5
    assert {"risk", "community", "pagerank", "betweenness", "degree", "reasons", "peers", "linked"} <= set(view)
    assert {o["id"] for o in view["linked"]} == set(RING) - {"RING1"}
    assert view["linked"][0]["via"] == ["address", "legal_rep", "phone"]
    missing = run_cli(rg_env, "enterprise", "NO-SUCH-FIRM", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "NO-SUCH-FIRM" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_bad_options_are_one_line_errors(analysed, rg_env):
    for args in (
        ["networks", "--kind", "tax"],
        ["analyze", "--engine", "spark"],
        ["analyze", "--declarations-engine", "x"],
        ["model", "train", "--declarations-engine", "x"],
    ):
        done = run_cli(rg_env, *args, check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
        if "x" in args:  # the same check on both commands
            assert "--declarations-engine must be one of duckdb, spark, got 'x'" in done.stderr
        if "spark" in args:  # the graph engine's option, not the declarations': say which option takes Spark
            assert "--declarations-engine spark" in done.stderr


def test_gds_engine_without_gds_is_one_clear_line(analysed, rg_env):
    done = run_cli(rg_env, "analyze", "--engine", "gds", check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Graph Data Science is not installed" in done.stderr


def test_rerun_after_new_data_updates_everything(analysed, driver, rg_env, files):
    # Results on the firms themselves, as versions before run-keyed results wrote them: a network id on a firm that
    # belongs to none, and analysis properties on a firm the run does not cover.
    driver.execute_query("MATCH (e:Enterprise {id: 'ALONE'}) SET e.network_id = 999")
    driver.execute_query(
        "MERGE (e:Enterprise {id: 'GHOST'}) SET e.risk = 0.9, e.network_id = 998, e.analysed_at = datetime('2020-01-01')"
    )  # as an earlier version stamped every firm; its pointer had no word of a sweep
    driver.execute_query("MATCH (r:AnalysisRun) REMOVE r.legacy_swept")
    before = _run_time(driver)
    run_cli(rg_env, "ingest", str(files["extra"]))
    again = _last_json(run_cli(rg_env, "analyze", "--full", "--json"))
    assert again["counts"]["declarations"] == analysed["counts"]["declarations"] + 16

    firms = _enterprises(driver, ["RING1", "ALONE", "GHOST", *UNDERVALUERS])
    assert _run_time(driver) > before
    assert "analysed_at" not in firms["RING1"] and "analysed_at" not in firms["GHOST"]  # the stamp is the run's
    assert "network_id" not in firms["ALONE"]
    assert not set(ENTERPRISE_RESULT_PROPERTIES) & set(firms["GHOST"])
    assert firms["UV1"]["network_id"] == firms["UV2"]["network_id"]
    audit = _last_json(run_cli(rg_env, "networks", "--kind", "audit", "--json"))
    lead = next(n for n in audit if n["members"] == UNDERVALUERS)
    assert lead["reasons"][0]["signal"] == "undervaluation"
    assert all(n["kind"] == "audit" for n in audit)
    assert (
        driver.execute_query(SHOWN_NETWORKS, shown_run(driver, "neo4j")).records[0]["n"] == again["counts"]["networks"]
    )
    legacy = driver.execute_query("MATCH (e:Enterprise) WHERE e.risk IS NOT NULL OR e.network_id IS NOT NULL RETURN e")
    assert legacy.records == []
    swept = driver.execute_query("MATCH (r:AnalysisRun {id: 'current'}) RETURN r.legacy_swept AS swept").records
    assert swept[0]["swept"] is True  # the next runs do not read every firm again for them


def test_gds_engine_finds_the_ring_inside_neo4j(gds_env, gds_driver, files):
    wipe(gds_driver)
    loaded = _last_json(run_cli(gds_env, "ingest", str(files["base"]), "--json"))
    assert loaded["quarantined"] == 0
    done = _last_json(run_cli(gds_env, "analyze", "--engine", "gds", "--json"))
    assert done["engine"] == "gds"
    assert done["top_networks"][0]["members"] == RING and done["top_networks"][0]["kind"] == "anti-smuggling"
    view = _last_json(run_cli(gds_env, "enterprise", "BC01", "--json"))
    assert view["risk"] < 0.1 and view["pagerank"] > 0
