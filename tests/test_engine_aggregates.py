"""The engine's SQL equals the pandas algorithms on any declarations, whatever optional columns they lack.

Property-based (hypothesis): random small sets of declarations (:mod:`tests.declaration_rows`), with a random
subset of the optional columns dropped, are written to a columnar copy as ingest writes it; :func:`analysis.aggregates.declaration_aggregates` over it must
equal :func:`algorithms.activity.importer_activity` and :func:`algorithms.peers.peer_stat_parts` computed in
pandas on the same rows. No database: the engine runs on the Parquet copy alone.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from algorithms.activity import importer_activity
from algorithms.peers import peer_stat_parts, unit_value_anomalies
from analysis.aggregates import declaration_aggregates
from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore, declaration_table
from graph.currency import money_basis
from tests.declaration_rows import AS_OF, OPTIONAL, declaration_frame, declaration_row


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(declaration_row, min_size=1, max_size=60), dropped=st.sets(st.sampled_from(OPTIONAL)))
def test_engine_aggregates_equal_pandas(rows, dropped, tmp_path_factory):
    frame = declaration_frame(rows, dropped)
    store = DeclarationStore(tmp_path_factory.mktemp("engine"))
    store.write(declaration_table(frame.iloc[: len(frame) // 2]), "L1")
    store.write(declaration_table(frame.iloc[len(frame) // 2 :]), "L2")
    with DuckDBDeclarations(store) as engine:
        found = declaration_aggregates(engine, AS_OF)

    # pandas, from the rows as the graph would hand them over (missing columns absent or null alike)
    decl = frame.assign(date=pd.to_datetime(frame["date"]))
    for column in ("value", "net_mass", "quantity", "tax_rate", "violation"):
        if column in decl:
            decl[column] = pd.to_numeric(decl[column])
    for column in ("origin", "currency"):  # the graph reads an absent property as null
        if column not in decl:
            decl[column] = None
    dated = decl[decl["date"] <= AS_OF]
    expected = importer_activity(dated, AS_OF)
    for name, keys in (
        ("importers", ["id"]),
        ("usage", ["importer_id", "kind", "value"]),
        ("violations", ["importer_id", "type"]),
        ("consignments", ["importer_id", "consignment_id", "date"]),
    ):
        mine = getattr(found.activity, name).sort_values(keys).reset_index(drop=True)
        theirs = getattr(expected, name).sort_values(keys).reset_index(drop=True)
        if mine.empty and theirs.empty:
            continue
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False, check_like=True, obj=name)

    if "net_mass" not in dated and "quantity" not in dated:
        assert found.peer_parts.empty
    else:
        money = money_basis(found.currencies)
        compared = unit_value_anomalies(dated.reset_index(drop=True), money=money)
        parts = peer_stat_parts(compared, hs6=dated["hs6"].reset_index(drop=True))
        assert len(found.peer_parts) == len(parts)
        if len(parts):
            pd.testing.assert_frame_equal(found.peer_parts.sort_index(), parts.sort_index(), check_dtype=False)
    violated = decl[decl["violation"] == 1] if "violation" in decl else decl.iloc[:0]
    assert found.violated == set(violated["importer_id"])
