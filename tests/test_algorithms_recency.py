"""Dynamic focus: recent change against the enterprise's own history."""

from __future__ import annotations

import pandas as pd
import pytest

from algorithms.recency import recency_signals

AS_OF = pd.Timestamp("2026-01-01")


def days_ago(*days):
    return [AS_OF - pd.Timedelta(days=d) for d in days]


def frames():
    enterprises = pd.DataFrame(
        {
            "id": ["young", "steady", "mover", "idle"],
            "registered": pd.to_datetime(["2025-10-01", "2010-01-01", "2010-01-01", None]),
        }
    )
    rows = []
    for d in days_ago(*range(5, 65, 6)):  # 10 declarations in the last two months, none before
        rows.append(("young", d, "BRK-Y", "CNSHA>CNNGB", "610910"))
    for d in days_ago(*range(10, 450, 30)):  # one a month for over a year
        rows.append(("steady", d, "BRK-S", "CNSHA>CNNGB", "610910"))
    for d in days_ago(*range(120, 450, 30)):
        rows.append(("mover", d, "BRK-OLD", "CNSHA>CNNGB", "610910"))
    for d in days_ago(10, 20):
        rows.append(("mover", d, "BRK-NEW", "VNSGN>HKHKG>CNNGB", "850440"))
    rows.append(("young", AS_OF + pd.Timedelta(days=5), "BRK-Y", "X", "999999"))  # after as_of: ignored
    d = pd.DataFrame(rows, columns=["importer_id", "date", "declarant_id", "route", "hs6"])
    return enterprises, d


def test_young_firm_with_sudden_volume():
    r = recency_signals(*frames(), AS_OF)
    assert r.loc["young", "young"] and r.loc["young", "volume_spike"] and r.loc["young", "young_with_volume"]
    assert r.loc["young", "recent_count"] == 10 and r.loc["young", "history_count"] == 0
    assert not r.loc["young", "new_route"]  # a newcomer has no history to compare with


def test_steady_old_firm_raises_nothing():
    r = recency_signals(*frames(), AS_OF).loc["steady"]
    assert not (r["young"] or r["volume_spike"] or r["new_route"] or r["new_chapter"] or r["broker_switch"])
    assert r["volume_ratio"] == pytest.approx(1.0, abs=0.35)


def test_new_route_chapter_and_broker_switch():
    r = recency_signals(*frames(), AS_OF).loc["mover"]
    assert r["new_routes"] == ("VNSGN>HKHKG>CNNGB",) and r["new_chapters"] == ("85",)
    assert r["broker_switch"] and r["main_broker_before"] == "BRK-OLD" and r["main_broker_now"] == "BRK-NEW"
    assert not r["volume_spike"]


def test_unknown_registration_and_missing_columns():
    r = recency_signals(*frames(), AS_OF)
    assert not r.loc["idle", "young"] and r.loc["idle", "recent_count"] == 0
    e, d = frames()
    with pytest.raises(ValueError, match="declarations is missing columns: date"):
        recency_signals(e, d.drop(columns="date"), AS_OF)
    with pytest.raises(ValueError, match="enterprises is missing columns: registered"):
        recency_signals(e.drop(columns="registered"), d, AS_OF)
