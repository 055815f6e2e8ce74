"""The model's history features, counted by each declarations engine, equal a plain count of earlier days.

Property-based (hypothesis): random small sets of declarations (:mod:`tests.declaration_rows`) with a random subset
of the optional columns dropped, written to a store as two loads with outcomes recorded on some of them, read as
training reads them (:func:`scoring.graph_read.stored_declarations`, prepared with an enterprise table that gives
some importers a community). :func:`scoring.history.prior_counts` over the store by DuckDB and by Spark, and over
the frame itself, must each equal a count written out row by row: for every key, the declarations of the same key
on strictly earlier days, their inspections and their violations. No database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from columnar.engines import DuckDBDeclarations
from columnar.spark import SparkDeclarations
from scoring.features import fit_state, prepare_frame, training_features
from scoring.graph_read import stored_declarations
from scoring.history import COUNTS, HISTORY_KEYS, prior_counts
from tests.declaration_rows import SPARK_EXAMPLES, random_years, stored_year

ENTERPRISES = pd.DataFrame(
    {
        "id": ["I1", "I2", "I3", "I4"],
        "category": ["A", "B", None, "C"],
        "registered": pd.to_datetime(["2020-01-01", None, "2024-05-01", "2019-03-01"]),
        "risk": [0.1, 0.2, 0.3, None],
        "community": [7.0, 7.0, 9.0, None],  # I4 has no community: its declarations have no community history
        "community_size": [2.0, 2.0, 1.0, None],
        "degree": [1.0, 1.0, 0.0, None],
        "pagerank": [0.1, 0.1, 0.2, None],
    }
)


def _counted_row_by_row(frame: pd.DataFrame) -> np.ndarray:
    """What each row's history must be, from its definition (quadratic; the rows are few)."""
    day = frame["date"].dt.normalize().to_numpy()
    out = np.zeros((len(frame), 3 * len(HISTORY_KEYS)))
    for at, key in enumerate(HISTORY_KEYS):
        values = frame[key].tolist()
        for i, value in enumerate(values):
            if pd.isna(value):
                continue
            earlier = [j for j, other in enumerate(values) if other == value and day[j] < day[i]]
            rows = frame.iloc[earlier]
            out[i, 3 * at : 3 * at + 3] = (len(earlier), rows["inspected"].sum(), rows["violation"].sum())
    return out


@SPARK_EXAMPLES
@given(**random_years(max_rows=40))
def test_both_engines_count_only_strictly_earlier_days(rows, dropped, outcomes, spark, tmp_path_factory):
    store = stored_year(tmp_path_factory.mktemp("history"), rows, dropped, outcomes)
    frame = prepare_frame(stored_declarations(store), ENTERPRISES)
    expected = _counted_row_by_row(frame)
    by_engine = {
        "duckdb": prior_counts(frame, lambda: DuckDBDeclarations(store)),
        "spark": prior_counts(frame, lambda: SparkDeclarations(store, spark)),
        "frame": prior_counts(frame),
    }
    for name, counted in by_engine.items():
        np.testing.assert_array_equal(counted, expected, err_msg=name)


def test_the_engine_features_equal_the_frame_features_and_ignore_later_outcomes(spark, tmp_path):
    """The whole feature matrix is the same whichever engine counts; the outcomes of the last day change no
    declaration's history, not even that of the same day's other declarations."""
    rows = [
        {"importer_id": f"I{1 + i % 3}", "days": -(i % 9), "hs6": "850440", "origin": "CN", "route": "CNSHA>NLRTM",
         "declarant_id": "B1", "seller_id": f"S{i % 2}", "value": 100.0 + i, "net_mass": 10.0, "quantity": 5.0,
         "currency": "USD", "violation": int(i % 4 == 0)}
        for i in range(30)
    ]  # fmt: skip
    store = stored_year(tmp_path / "before", rows, set(), [])
    frame = prepare_frame(stored_declarations(store), ENTERPRISES)
    state = fit_state(frame)
    duck, sparked = (lambda: DuckDBDeclarations(store)), (lambda: SparkDeclarations(store, spark))
    duck_features, spark_features = training_features(frame, state, duck), training_features(frame, state, sparked)
    pd.testing.assert_frame_equal(spark_features, duck_features)
    pd.testing.assert_frame_equal(training_features(frame, state), duck_features)
    assert duck_features["importer_id_prior_violations"].max() > 0  # there was history to count

    assert (frame["date"] == frame["date"].max()).sum() > 1
    flipped = [{**r, "violation": 1 - r["violation"]} if r["days"] == 0 else r for r in rows]
    changed = stored_year(tmp_path / "after", flipped, set(), [])
    again = training_features(
        prepare_frame(stored_declarations(changed), ENTERPRISES), state, lambda: DuckDBDeclarations(changed)
    )
    history = [f"{key}_prior_{count}" for key in HISTORY_KEYS for count in (*COUNTS, "rate")]
    pd.testing.assert_frame_equal(again[history], duck_features[history])


def test_a_frame_the_store_does_not_hold_is_refused(tmp_path):
    store = stored_year(tmp_path, [{"importer_id": "I1", "days": -1, "hs6": "850440", "value": 10.0}], set(), [])
    frame = prepare_frame(stored_declarations(store), ENTERPRISES)
    stranger = pd.concat([frame, frame.assign(id="D-NOT-STORED")], ignore_index=True)
    with pytest.raises(ValueError, match="1 declarations are not in the duckdb"):
        prior_counts(stranger, lambda: DuckDBDeclarations(store))
