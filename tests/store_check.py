"""The columnar copy compared with the graph, value by value, as the analysis's engine reads it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from columnar.engine import connect
from columnar.store import DeclarationStore

COLUMNS = (
    "id", "date", "importer_id", "declarant_id", "seller_id", "carrier_id", "consignment_id", "route", "hs_code",
    "hs6", "origin", "departure", "office", "value", "currency", "net_mass", "quantity", "tax_rate", "licence_ids",
    "inspected", "violation", "violation_type", "revenue_recovered", "load", "source", "channel", "feedback_kind",
)  # fmt: skip


def graph_declarations(driver) -> pd.DataFrame:
    rows = driver.execute_query(
        "MATCH (d:Declaration) RETURN d {.*, date: toString(d.date), feedback_at: null} AS d"
    ).records
    frame = pd.DataFrame([r["d"] for r in rows])
    return _normalised(frame.reindex(columns=list(COLUMNS)))


def _copy(home: Path) -> pd.DataFrame:
    con = connect(DeclarationStore(home))
    frame = con.execute(f"SELECT {', '.join(COLUMNS)} FROM declarations").df()
    con.close()
    frame["date"] = frame["date"].astype(str)
    return _normalised(frame)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    for c in ("value", "net_mass", "quantity", "tax_rate", "revenue_recovered", "inspected", "violation"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    for c in frame.columns.difference(["value", "net_mass", "quantity", "tax_rate", "revenue_recovered"]):
        if c not in ("inspected", "violation"):
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame.sort_values("id").reset_index(drop=True)


def assert_copy_equals_graph(driver, home: Path) -> None:
    graph, copy = graph_declarations(driver), _copy(home)
    assert len(graph) > 0
    assert len(copy) == len(graph)
    pd.testing.assert_frame_equal(copy, graph, check_dtype=False)
