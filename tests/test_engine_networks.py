"""Both declaration engines lead the analysis to the same networks, written back to the real Neo4j.

A generated year (the standard profile) and another administration's year (``--profile minimal``: own column
names through a mapping, one currency, a fraud flag as the only outcome, no names or addresses) are each loaded
into the real Neo4j through the real ingest, then analysed in full twice with the same graph engine and seed:
the declarations aggregated by DuckDB, then by Spark (the session shared by the tests). The networks, the
enterprise table and what the write-back left in the graph must be the same.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.run import run_analysis
from columnar.store import DeclarationStore
from ingest.mapping import load_mapping
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from sample.generator import generate
from sample.generator.minimal import generate_minimal
from tests.conftest import wipe

PROFILES = {"standard": (generate, 3000, 5), "minimal": (generate_minimal, 2000, 4)}
COLUMNS = ["id", "community", "pagerank", "propagated_risk", "peer_compared", "peer_share_below", "risk", "reasons"]
GRAPH_NETWORKS = "MATCH (n:Network) RETURN n.id AS id, n.score AS score ORDER BY id"


@pytest.fixture(scope="module", params=sorted(PROFILES))
def analysed(request, driver, spark, tmp_path_factory):
    """(profile, the DuckDB run, the graph's networks after it, the Spark run, the graph's networks after it)."""
    write, declarations, seed = PROFILES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    write(folder / "data", declarations, seed)
    mapping = load_mapping(folder / "data" / "mapping.yaml") if request.param == "minimal" else None
    wipe(driver)
    home = folder / "home"
    files = [folder / "data" / "declarations.csv"] if mapping else [folder / "data"]
    ingest_files(
        files, GraphWriter(driver, "neo4j"), folder / "quarantine", mapping=mapping, store=DeclarationStore(home)
    )
    runs = []
    for engine in ("duckdb", "spark"):
        run = run_analysis(driver, "neo4j", home, seed=0, full=True, declarations=engine)
        runs += [run, driver.execute_query(GRAPH_NETWORKS).records]
    return request.param, *runs


def test_both_engines_find_the_same_networks(analysed):
    profile, duck, duck_written, sparked, spark_written = analysed
    assert (duck.metadata["declarations_engine"], sparked.metadata["declarations_engine"]) == ("duckdb", "spark")
    if profile == "standard":
        assert len(duck.networks) > 5  # the generator plants rings: there is something to agree on
    assert [(n["members"], n["score"], n["kind"]) for n in sparked.networks] == [
        (n["members"], n["score"], n["kind"]) for n in duck.networks
    ]
    assert [dict(r) for r in spark_written] == [dict(r) for r in duck_written]
    assert len(spark_written) == len(sparked.networks)


def test_both_engines_give_the_same_enterprise_table(analysed):
    _, duck, _, sparked, _ = analysed
    assert len(duck.table) > 0 and duck.table["peer_compared"].sum() > 0
    mine, theirs = duck.table[COLUMNS].reset_index(drop=True), sparked.table[COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(theirs, mine, rtol=1e-9)
