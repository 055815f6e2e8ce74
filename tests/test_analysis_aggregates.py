"""The engine's aggregates over the columnar copy give what the analysis of every declaration at once gave.

A generated year is loaded into the real Neo4j through the real ingest (which writes the columnar copy too);
the inputs the engine aggregates (:func:`analysis.aggregates.read_analysis_inputs`) are compared with the same
tables computed independently in pandas from all the declarations read from the graph over Bolt
(:func:`analysis.graph_io.read_analysis_input`), and so are the two analyses' networks and enterprise risks.
"""

from __future__ import annotations

import pandas as pd
import pytest

from algorithms.activity import importer_activity
from algorithms.peers import enterprise_peer_stats, unit_value_anomalies
from analysis.aggregates import read_analysis_inputs
from analysis.graph_io import read_analysis_input
from analysis.pipeline import analyze_frames, analyze_inputs
from columnar.store import DeclarationStore
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from sample.generator import generate
from scoring.as_of import NETWORK_COLUMNS, enterprises_as_of

DECLARATIONS = 6000


@pytest.fixture(scope="module")
def year(driver, tmp_path_factory):
    """A generated year in an emptied graph: (declarations read one by one, inputs aggregated in Neo4j)."""
    from graph.setup import ensure_schema, load_reference_data

    folder = tmp_path_factory.mktemp("aggregates")
    generate(folder / "data", DECLARATIONS, 3)
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    ensure_schema(driver, "neo4j")
    load_reference_data(driver, "neo4j")
    store = DeclarationStore(folder / "home")
    report = ingest_files([folder / "data"], GraphWriter(driver, "neo4j"), folder / "quarantine", store=store)
    assert report.stored > DECLARATIONS * 0.9
    inputs, synced = read_analysis_inputs(driver, "neo4j", store)
    assert not synced.changed  # ingest wrote the copy in agreement with the graph
    return read_analysis_input(driver, "neo4j"), inputs, store


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_database_aggregates_equal_the_folded_declarations(year):
    frames, inputs, _ = year
    decl = frames.declarations[frames.declarations["date"] <= frames.as_of]
    folded = importer_activity(decl, frames.as_of)
    assert inputs.activity.as_of == frames.as_of
    for name, keys in (
        ("importers", ["id"]),
        ("usage", ["importer_id", "kind", "value"]),
        ("violations", ["importer_id", "type"]),
        ("consignments", ["importer_id", "consignment_id", "date"]),
    ):
        mine, theirs = getattr(inputs.activity, name), getattr(folded, name)
        assert len(mine) > 0, name
        pd.testing.assert_frame_equal(
            _sorted(mine, keys), _sorted(theirs, keys), check_dtype=False, check_like=True, obj=name
        )
    peers = enterprise_peer_stats(unit_value_anomalies(decl))
    pd.testing.assert_frame_equal(inputs.peer_stats.sort_index(), peers.sort_index(), check_dtype=False)
    assert inputs.known_violators == frames.known_violators
    assert set(inputs.enterprises["id"]) == set(frames.enterprises["id"])


def test_analysis_of_aggregates_equals_analysis_of_declarations(year):
    frames, inputs, _ = year
    before = analyze_frames(frames.enterprises, frames.declarations, frames.links, frames.known_violators, frames.as_of)
    after = analyze_inputs(inputs)
    assert len(before.networks) > 10
    assert [(n["members"], n["score"], n["kind"]) for n in after.networks] == [
        (n["members"], n["score"], n["kind"]) for n in before.networks
    ]
    columns = ["id", "community", "pagerank", "propagated_risk", "peer_share_below", "young", "risk"]
    pd.testing.assert_frame_equal(after.enterprises[columns], before.enterprises[columns])
    assert after.enterprises["reasons"].tolist() == before.enterprises["reasons"].tolist()


def test_validation_network_is_the_analysis_of_what_was_known_before_the_split(year, driver):
    """Training's as-of analysis (engine over the copy) equals the analysis of the declarations lodged before the
    split with only their violations as known violators: a violation found later changes nothing."""
    frames, _, store = year
    decl = frames.declarations
    split = decl["date"].quantile(0.7).normalize()
    before = decl[decl["date"] < split]
    violators = set(before.loc[before["violation"] == 1, "importer_id"].dropna())
    later = set(decl.loc[(decl["date"] >= split) & (decl["violation"] == 1), "importer_id"].dropna())
    assert later - violators  # some firms are found in violation only after the split
    expected = analyze_frames(frames.enterprises, before, frames.links, violators, split - pd.Timedelta(days=1))
    expected = expected.enterprises.set_index("id")[list(NETWORK_COLUMNS)].sort_index()

    known = frames.enterprises[["id", "name"]].assign(risk=9.0)
    got = enterprises_as_of(driver, "neo4j", store, known, split, seed=0).set_index("id")
    assert (got.loc[expected.index, "name"] == frames.enterprises.set_index("id").loc[expected.index, "name"]).all()
    pd.testing.assert_frame_equal(got.loc[expected.index, list(NETWORK_COLUMNS)], expected, check_dtype=False)
    assert got.drop(index=expected.index)["risk"].isna().all()  # firms unknown before the split get no network


def test_nothing_lodged_before_the_split_leaves_the_network_empty(year, driver):
    frames, _, store = year
    known = frames.enterprises[["id"]].assign(risk=0.5)
    got = enterprises_as_of(driver, "neo4j", store, known, frames.declarations["date"].min(), seed=0)
    assert len(got) == len(known) and got[list(NETWORK_COLUMNS)].isna().all().all()
