"""DuckDB and Spark give the same answer to every declaration aggregation (one SQL text, transpiled for Spark).

Property-based (hypothesis): random small sets of declarations (:mod:`tests.declaration_rows`) with a random subset
of the optional columns dropped, written as two loads, with outcomes recorded on some of them before or after
they were written (so the ``declarations`` overlay view is exercised too). Each query of
:data:`analysis.aggregates.QUERIES` (and the report's, recommendations', performance's and the model's history
features', :data:`scoring.history.QUERIES`) runs on both engines and the rows must be equal; then the whole
:func:`analysis.aggregates.declaration_aggregates` must be, as the analysis receives it. No database.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import assume, given

from analysis.aggregates import PEER_SETTINGS, QUERIES, declaration_aggregates, rates_table
from columnar.engines import DuckDBDeclarations
from columnar.spark import SparkDeclarations
from columnar.store import DeclarationStore, declaration_table
from graph.currency import money_basis
from investigate.recommendations import QUERIES as RECOMMENDATION_QUERIES
from investigate.report import QUERIES as REPORT_QUERIES
from scoring.history import QUERIES as HISTORY_QUERIES
from scoring.performance import QUERIES as PERFORMANCE_QUERIES
from tests.declaration_rows import AS_OF, SPARK_EXAMPLES, declaration_frame, random_years, stored_year

PARAMS = {
    "as_of": AS_OF.date(),
    "window_start": (AS_OF - pd.Timedelta(days=90)).date(),
    "history_start": (AS_OF - pd.Timedelta(days=455)).date(),
    "since": (AS_OF - pd.Timedelta(days=200)).date(),  # the audit and report periods, inside the rows' dates
    "until": AS_OF.date(),
    "everywhere": True,
    **PEER_SETTINGS,
    # looser than the analysis's (PEER_SETTINGS): on a few dozen random rows, declarations are then found below
    # their peers in most examples, so the medians and shortfalls are compared, not only zeros
    "min_peers": 1,
    "strong_z": 0.5,
}


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A result with its rows in one order whatever the engine's."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    frame = frame.astype({c: object for c in text})
    frame[text] = frame[text].where(frame[text].notna(), None)  # a column of nulls: NaN from one engine, None
    return frame.sort_values(list(frame.columns), key=lambda c: c.astype(str)).reset_index(drop=True)


def _answers(engine, currencies) -> dict[str, pd.DataFrame]:
    engine.register("rates", rates_table(money_basis(currencies)))
    engine.register("scope", pa.table({"code": pa.array(["CD-NINGBO"], pa.string())}))
    engine.register("high_risk", pa.table({"id": pa.array(["I0", "I1"], pa.string())}))
    # the model's history features: the analysis's communities come in as a small table (I4 has none)
    engine.register("communities", pa.table({"importer_id": ["I1", "I2", "I3"], "community": ["1", "1", "2"]}))
    queries = {**QUERIES, **REPORT_QUERIES, **RECOMMENDATION_QUERIES, **PERFORMANCE_QUERIES, **HISTORY_QUERIES}
    try:
        return {
            name: _rows(engine.frame(query, {k: v for k, v in PARAMS.items() if f"${k}" in query}))
            for name, query in queries.items()
        }
    finally:
        for name in ("rates", "scope", "high_risk", "communities"):
            engine.unregister(name)


@SPARK_EXAMPLES
@given(**random_years(max_rows=60))
def test_every_aggregation_agrees_on_both_engines(rows, dropped, outcomes, spark, tmp_path_factory):
    store = stored_year(tmp_path_factory.mktemp("agree"), rows, dropped, outcomes)
    # the example had something to compare (rows all dated after the analysis date leave nothing to aggregate)
    assume(_assert_engines_agree(store, spark) is not None)


def test_unit_values_below_their_peers_agree_on_both_engines(spark, tmp_path):
    """Spread unit values (random examples are often alike, so their medians equal their means)."""
    draw = np.random.default_rng(7)
    rows = [
        {"importer_id": f"I{draw.integers(4)}", "days": int(draw.integers(-400, 0)), "hs6": "850440",
         "origin": str(draw.choice(["CN", "VN"])), "value": float(draw.lognormal(8, 1.5)),
         "currency": str(draw.choice(["USD", "EUR"])), "net_mass": float(draw.choice([0.0, 50.0, 400.0])),
         "quantity": 10.0, "tax_rate": 0.1}
        for _ in range(80)
    ]  # fmt: skip
    peers = _assert_engines_agree(stored_year(tmp_path, rows, set(), []), spark)
    assert peers is not None and peers["below"].sum() > 0 and peers["short"].sum() > 0


def _assert_engines_agree(store: DeclarationStore, spark) -> pd.DataFrame | None:
    """Every query, then the whole aggregation, equal on both engines; the PEER_SUMS rows compared (None when no
    declaration is dated by the analysis date: nothing to aggregate)."""
    with DuckDBDeclarations(store) as duck, SparkDeclarations(store, spark) as sparked:
        currencies = sorted(duck.frame(QUERIES["CURRENCIES"], {"as_of": AS_OF.date()}).iloc[:, 0])
        mine, theirs = _answers(duck, currencies), _answers(sparked, currencies)
        assert list(mine) == list(theirs)
        for name in mine:
            pd.testing.assert_frame_equal(theirs[name], mine[name], check_dtype=False, rtol=1e-9, obj=name)
        if mine["IMPORTERS"].empty:
            return None
        assert len(mine["IMPORTERS"]) == mine["IMPORTERS"]["id"].nunique()

        duck_found, spark_found = declaration_aggregates(duck, AS_OF), declaration_aggregates(sparked, AS_OF)
    for name in ("importers", "usage", "violations", "consignments"):
        pd.testing.assert_frame_equal(
            _rows(getattr(spark_found.activity, name)), _rows(getattr(duck_found.activity, name)), obj=name
        )
    # an empty result's text index is typed str by one engine, object by the other: the rows are what counts
    pd.testing.assert_frame_equal(spark_found.peer_parts, duck_found.peer_parts, rtol=1e-9, check_index_type=False)
    assert (spark_found.importer_ids, spark_found.violated, spark_found.currencies) == (
        duck_found.importer_ids, duck_found.violated, duck_found.currencies
    )  # fmt: skip
    return mine["PEER_SUMS"]


def test_the_overlay_shows_an_outcome_recorded_after_the_declaration_on_both_engines(spark, tmp_path):
    row = {"importer_id": "I1", "days": -1, "hs6": "850440", "value": 10.0, "violation": 0}
    later = {"row": 0, "later": True, "violation": 1, "violation_type": "smuggling", "channel": "red"}
    store = stored_year(tmp_path, [row], set(), [later])
    query = "SELECT violation, violation_type, channel FROM declarations"
    for engine in (DuckDBDeclarations(store), SparkDeclarations(store, spark)):
        with engine:
            assert engine.frame(query).to_dict("records") == [
                {"violation": 1, "violation_type": "smuggling", "channel": "red"}
            ], engine.name


def test_a_later_outcome_without_a_decision_or_act_keeps_the_earlier_ones_on_both_engines(spark, tmp_path):
    """As ``scoring.feedback`` sets the graph: the decision and the inspection act stay until replaced."""
    row = {"importer_id": "I1", "days": -1, "hs6": "850440", "value": 10.0, "violation": 0}
    store = stored_year(tmp_path, [row], set(), [])
    later = datetime.now(UTC) + timedelta(days=1)
    acted = {"id": "D0", "inspected": 1, "violation": 1, "feedback_kind": "inspection", "feedback_at": later,
             "channel": "red", "score": 0.9, "inspection_type": "scan", "officer": "officer-1",
             "inspection_minutes": 45.0}  # fmt: skip
    audit = {"id": "D0", "inspected": 1, "violation": 0, "feedback_kind": "audit", "feedback_at": later + timedelta(1)}
    store.write_outcomes([acted])
    store.write_outcomes([audit])
    query = "SELECT violation, feedback_kind, channel, score, inspection_type, officer, inspection_minutes FROM declarations"
    for engine in (DuckDBDeclarations(store), SparkDeclarations(store, spark)):
        with engine:
            assert engine.frame(query).to_dict("records") == [
                {"violation": 0, "feedback_kind": "audit", "channel": "red", "score": 0.9, "inspection_type": "scan",
                 "officer": "officer-1", "inspection_minutes": 45.0}
            ], engine.name  # fmt: skip


def test_parts_written_before_a_column_was_declared_read_alike_on_both_engines(spark, tmp_path):
    row = {"importer_id": "I1", "days": -1, "hs6": "850440", "value": 10.0}
    store = stored_year(tmp_path, [row, row], set(), [])
    old = store.root / "load=OLD"  # a part as written before leading_target was declared
    old.mkdir()
    table = declaration_table(declaration_frame([row], set()).assign(id="D-OLD"))
    pq.write_table(table.drop_columns(["leading_target"]), old / "part-old.parquet")
    query = "SELECT id, leading_target, importer_id FROM declarations ORDER BY id"
    with DuckDBDeclarations(store) as duck, SparkDeclarations(store, spark) as sparked:
        mine, theirs = duck.frame(query), sparked.frame(query)
    # an all-null text column is str (NaN) from one engine, object (None) from the other: compare the nulls apart
    pd.testing.assert_frame_equal(theirs.isna(), mine.isna())
    pd.testing.assert_frame_equal(theirs.astype(object).fillna(""), mine.astype(object).fillna(""))
    assert mine["id"].tolist() == ["D-OLD", "D0", "D1"] and mine["leading_target"].isna().all()


def test_two_readers_of_one_spark_session_keep_their_own_views(spark, tmp_path):
    """``riskgraph analyze`` aggregates in one thread while the resolution reads the store in another: each Spark
    reader defines and drops its ``declarations`` view in a session of its own, with the session's settings (in one
    session, a reader counted the other's store, or found its view dropped)."""
    stores = []
    for size in (40, 25):
        store = DeclarationStore(tmp_path / str(size))
        rows = [{"importer_id": f"I{i % 3}", "days": -i, "hs6": "850440", "value": 10.0 + i} for i in range(size)]
        store.write(declaration_table(declaration_frame(rows, set())), "first")
        stores.append(store)

    def counts(store: DeclarationStore) -> list[int]:
        seen = []
        for _ in range(6):
            with SparkDeclarations(store, spark) as engine:
                seen.append(int(engine.frame("SELECT count(*) AS n FROM declarations")["n"].iloc[0]))
        return seen

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(counts, stores)) == [[40] * 6, [25] * 6]
    with SparkDeclarations(stores[0], spark) as engine:
        own = engine.spark
        assert own is not spark and own.conf.get("spark.sql.session.timeZone") == "UTC"
        assert own.conf.get("spark.sql.shuffle.partitions") == spark.conf.get("spark.sql.shuffle.partitions")
    assert not spark.catalog.tableExists("declarations")
