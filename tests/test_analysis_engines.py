"""Both engines on the generator's data: in-process (igraph) and Graph Data Science inside Neo4j.

A second local Neo4j with GDS is started; a generated year is loaded into it and analysed with each engine
from the same Cypher aggregates. GDS's Leiden optimises modularity, not the constant Potts model the
in-process engine uses (GDS has no CPM), so communities are not identical by construction; what must agree
is what an investigator sees first: the top network and the riskiest firms. Below the top network the two
rankings of networks differ (measured on this data: ranks 2-10 share no firm).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.gds import GdsEngine
from analysis.run import run_analysis
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from sample.generator import generate

DECLARATIONS = 6000


@pytest.fixture(scope="module")
def gds_driver(rg_env, tmp_path_factory):
    """A local Neo4j started with Graph Data Science, on its own port and home, holding a generated year."""
    from graph import local_server
    from graph.config import Settings
    from graph.connection import check
    from graph.setup import ensure_schema, load_reference_data

    home = tmp_path_factory.mktemp("gds-engines")
    cfg = Settings(
        home=home,
        bolt_port=int(rg_env["RISKGRAPH_BOLT_PORT"]) + 30,
        neo4j_gds=True,
        neo4j_heap="1g",
        neo4j_pagecache="256m",
    )
    local_server.start(cfg)
    try:
        driver = check(cfg)
        ensure_schema(driver, "neo4j")
        load_reference_data(driver, "neo4j")
        generate(home / "data", DECLARATIONS, 3)
        ingest_files([home / "data"], GraphWriter(driver, "neo4j"), home / "quarantine")
        yield driver, home
    finally:
        local_server.stop(cfg)


@pytest.fixture(scope="module")
def both(gds_driver):
    driver, home = gds_driver
    inprocess = run_analysis(driver, "neo4j", Path(home) / "a")
    with GdsEngine(driver, "neo4j") as engine:
        gds = run_analysis(driver, "neo4j", Path(home) / "b", engine=engine)
    return inprocess, gds


def test_gds_runs_inside_neo4j(both):
    inprocess, gds = both
    assert inprocess.engine == "inprocess" and gds.engine == "gds"
    assert gds.counts["graph_edges"] == inprocess.counts["graph_edges"] > 0


def _jaccard(a, b) -> float:
    return len(set(a) & set(b)) / len(set(a) | set(b))


def test_both_engines_put_the_same_ring_first(both):
    """The top network holds (nearly) the same firms: modularity may add a firm to a ring. Below it the
    rankings part (on this data, ranks 2-10 share no firm): modularity merges small rings into larger
    communities, which CPM keeps apart."""
    inprocess, gds = both
    assert _jaccard(inprocess.networks[0]["members"], gds.networks[0]["members"]) >= 0.75


def test_both_engines_flag_the_same_riskiest_firms(both):
    """The firms an investigator sees first (the riskiest 5 %) are mostly the same; below them the engines
    differ by design: modularity puts ordinary firms in larger communities that CPM leaves alone."""
    inprocess, gds = both
    a = inprocess.result.enterprises.set_index("id")["risk"]
    b = gds.result.enterprises.set_index("id")["risk"].reindex(a.index)
    k = max(10, len(a) // 20)
    shared = len(set(a.nlargest(k).index) & set(b.nlargest(k).index)) / k
    assert shared >= 0.8, (shared, a.rank().corr(b.rank()))
