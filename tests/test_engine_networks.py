"""Both declaration engines lead the analysis to the same networks, written back to the real Neo4j.

A generated year (the standard profile) and another administration's year (``--profile minimal``: own column
names through a mapping, one currency, a fraud flag as the only outcome, no names or addresses) are each loaded
into the real Neo4j through the real ingest, then analysed in full twice with the same graph engine and seed:
the declarations aggregated by DuckDB, then by Spark (the session shared by the tests). The networks, the
enterprise table and what the write-back left in the graph must be the same. Then the model is trained twice on
what the Spark run left, its history features counted by each engine: the same features give the same model.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.run import run_analysis
from columnar.store import DeclarationStore
from graph import reference
from graph.runs import ASSESSMENT, shown, shown_run
from ingest.mapping import load_mapping
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from sample.generator import generate
from sample.generator.minimal import generate_minimal
from scoring.pipeline import Capacity, train_and_publish
from tests.conftest import wipe

PROFILES = {"standard": (generate, 3000, 5), "minimal": (generate_minimal, 2000, 4)}
COLUMNS = ["id", "community", "pagerank", "propagated_risk", "peer_compared", "peer_share_below", "risk", "reasons"]
GRAPH_NETWORKS = f"MATCH (n:Network) WHERE {shown('n')} RETURN n.id AS id, n.score AS score ORDER BY id"
GRAPH_RISKS = (
    f"MATCH (e:Enterprise) {ASSESSMENT} WITH e, a WHERE a IS NOT NULL RETURN e.id AS id, a.risk AS risk ORDER BY id"
)


@pytest.fixture(scope="module", params=sorted(PROFILES))
def analysed(request, driver, spark, tmp_path_factory):
    """(profile, the DuckDB run, what the graph shows after it, the Spark run, what the graph shows after it):
    the graph's shown run, networks and enterprise risks."""
    write, declarations, seed = PROFILES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    write(folder / "data", declarations, seed)
    mapping = load_mapping(folder / "data" / "mapping.yaml") if request.param == "minimal" else None
    wipe(driver)
    home = folder / "home"
    files = [folder / "data" / "declarations.csv"] if mapping else [folder / "data"]
    # the minimal profile's own offices are registered in the session home's hierarchy: put it back afterwards
    kept = reference.offices_file().read_bytes() if reference.offices_file().exists() else None
    ingest_files(
        files, GraphWriter(driver, "neo4j"), folder / "quarantine", mapping=mapping, store=DeclarationStore(home)
    )
    runs = []
    for engine in ("duckdb", "spark"):
        run = run_analysis(driver, "neo4j", home, seed=0, full=True, declarations=engine)
        pointer = shown_run(driver, "neo4j")
        shown_now = {
            "run": pointer["run"],
            "networks": [dict(r) for r in driver.execute_query(GRAPH_NETWORKS, pointer).records],
            "risks": [dict(r) for r in driver.execute_query(GRAPH_RISKS, pointer).records],
        }
        runs += [run, shown_now]
    yield request.param, home, *runs
    if kept is None:
        reference.offices_file().unlink(missing_ok=True)
    else:
        reference.offices_file().write_bytes(kept)
    reference._loaded.clear()  # this process's cached hierarchy, read again from the file


def test_both_engines_find_the_same_networks(analysed):
    profile, _, duck, duck_written, sparked, spark_written = analysed
    assert (duck.metadata["declarations_engine"], sparked.metadata["declarations_engine"]) == ("duckdb", "spark")
    if profile == "standard":
        assert len(duck.networks) > 5  # the generator plants rings: there is something to agree on
    assert [(n["members"], n["score"], n["kind"]) for n in sparked.networks] == [
        (n["members"], n["score"], n["kind"]) for n in duck.networks
    ]
    assert spark_written["run"] == duck_written["run"] + 1  # the Spark run was written back and is the one shown
    assert spark_written["networks"] == duck_written["networks"]
    assert spark_written["risks"] == duck_written["risks"] and len(duck_written["risks"]) > 0
    assert len(spark_written["networks"]) == len(sparked.networks)


def test_both_engines_give_the_same_enterprise_table(analysed):
    _, _, duck, _, sparked, _ = analysed
    assert len(duck.table) > 0 and duck.table["peer_compared"].sum() > 0
    mine, theirs = duck.table[COLUMNS].reset_index(drop=True), sparked.table[COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(theirs, mine, rtol=1e-9)


def test_both_engines_train_the_same_model(analysed, driver):
    profile, home, *_ = analysed
    trained = {
        engine: train_and_publish(driver, "neo4j", home, Capacity(), seed=0, declarations_engine=engine)
        for engine in ("duckdb", "spark")
    }
    duck, sparked = trained["duckdb"], trained["spark"]
    assert (duck["declarations_engine"], sparked["declarations_engine"]) == ("duckdb", "spark")
    assert sparked["model_version"] != duck["model_version"] and sparked["snapshot"] != duck["snapshot"]
    figures = ("published", "candidates", "train", "test", "final_score", "calibration")
    assert {k: sparked["metrics"][k] for k in figures} == {k: duck["metrics"][k] for k in figures}, profile
    assert duck["metrics"]["candidates"]["model"]["auc"] > 0.5, profile  # the history was there to learn from
