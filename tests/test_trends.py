"""Dynamic focus (``analysis.trends``) on small hand-made flows in a columnar store: a stationary flow stays quiet,
a new route and a rising hit rate are warned about with a drafted operation, a young store is not judged."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.trends import TrendSettings, _tests, detect_trends, read_warnings, store_warnings, watch_flow
from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore, declaration_table

START = date(2025, 1, 1)
CHAPTERS = ["03", "08", "39", "61", "64", "84", "85", "87"]
ROUTES = ["KRPUS>CNSHA", "VNHPH>CNYTN", "JPTYO>CNTAO", "USLAX>CNNGB", "ITGOA>SGSIN>CNSHA"]


def _flow(days: int, per_day: int, seed: int) -> pd.DataFrame:
    """A stationary flow: every field drawn from the same distribution every day."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    inspected = rng.random(n) < 0.15
    return pd.DataFrame(
        {
            "id": [f"F{seed}-{i}" for i in range(n)],
            "date": [START + timedelta(days=i // per_day) for i in range(n)],
            "hs_code": [f"{rng.choice(CHAPTERS)}{rng.integers(10, 99)}000000" for _ in range(n)],
            "origin": rng.choice(["KR", "VN", "JP", "US", "IT"], n),
            "route": rng.choice(ROUTES, n),
            "office": rng.choice(["CD-SHANGHAI", "CD-NINGBO", "CD-QINGDAO", "CD-SHENZHEN"], n),
            "declarant_id": rng.choice([f"BRK-{k}" for k in range(12)], n),
            "inspected": inspected.astype(int),
            "violation": (inspected & (rng.random(n) < 0.2)).astype(int),
        }
    )


def _store(tmp_path, frame: pd.DataFrame) -> DeclarationStore:
    store = DeclarationStore(tmp_path)
    store.write(declaration_table(frame), "test")
    return store


def _detect(store: DeclarationStore, as_of: date) -> list[dict]:
    with DuckDBDeclarations(store) as engine:
        return detect_trends(engine, as_of)


def test_a_stationary_flow_raises_nothing(tmp_path):
    store = _store(tmp_path, _flow(220, 40, 1))
    with DuckDBDeclarations(store) as engine:
        for day in range(200, 220):
            assert detect_trends(engine, START + timedelta(days=day)) == [], day


def test_a_new_route_is_warned_about_within_days_with_a_drafted_operation(tmp_path):
    flow = _flow(220, 40, 2)
    surge = flow.iloc[:60].assign(
        id=[f"S-{i}" for i in range(60)],
        date=[START + timedelta(days=200 + i // 3) for i in range(60)],
        route="ECGYE>PAONX>CNTAO",
    )
    store = _store(tmp_path, pd.concat([flow, surge], ignore_index=True))
    first = next(day for day in range(200, 220) if _detect(store, START + timedelta(days=day)))
    assert first - 200 < 7  # three a day: warned within the first week
    warning = next(w for w in _detect(store, START + timedelta(days=first)) if w["dimension"] == "route")
    assert warning["value"] == "ECGYE>PAONX>CNTAO" and warning["kind"] == "volume"
    assert warning["evidence"]["history"] == 0 and warning["evidence"]["recent"] >= 10
    assert warning["draft_operation"]["scope"] == {"route": ["ECGYE>PAONX>CNTAO"]}


def test_a_rising_hit_rate_is_warned_about_and_a_broker_gets_no_operation(tmp_path):
    flow = _flow(220, 40, 3)
    recent = flow["date"] >= START + timedelta(days=206)
    broker = recent & (flow["declarant_id"] == "BRK-7")
    flow.loc[broker, "inspected"] = 1
    flow.loc[broker, "violation"] = 1  # every inspection of the broker's recent declarations finds something
    warnings = _detect(_store(tmp_path, flow), START + timedelta(days=219))
    found = [w for w in warnings if w["value"] == "BRK-7"]
    assert [w["kind"] for w in found] == ["hit"] and found[0]["draft_operation"] is None
    assert found[0]["evidence"]["recent_hits"] == found[0]["evidence"]["recent_inspected"] > 10


def test_a_young_store_is_not_judged_and_warnings_are_kept_once(tmp_path):
    young = _store(tmp_path / "young", _flow(20, 40, 4))
    assert _detect(young, START + timedelta(days=19)) == []
    flow = _flow(220, 40, 5)
    surge = flow.iloc[:45].assign(
        id=[f"S-{i}" for i in range(45)],
        date=[START + timedelta(days=205 + i // 3) for i in range(45)],
        route="ECGYE>PAONX>CNTAO",
    )
    home = tmp_path / "home"
    _store(home, pd.concat([flow, surge], ignore_index=True))
    fresh = watch_flow(home)
    assert fresh and {w["value"] for w in fresh} >= {"ECGYE>PAONX>CNTAO"}
    assert watch_flow(home) == [] and read_warnings(home) == fresh  # the same warning is raised once
    assert store_warnings(home, []) == []


@pytest.mark.parametrize("dropped", [["route"], ["declarant_id", "office"], ["origin", "route", "declarant_id"]])
def test_absent_columns_leave_their_dimensions_out(tmp_path, dropped):
    flow = _flow(220, 40, 6)
    surge = flow.iloc[:60].assign(
        id=[f"S-{i}" for i in range(60)], date=[START + timedelta(days=205 + i // 4) for i in range(60)], origin="EC"
    )
    frame = pd.concat([flow, surge], ignore_index=True).drop(columns=dropped)
    warnings = _detect(_store(tmp_path, frame), START + timedelta(days=219))
    assert {("origin", "EC")} <= {(w["dimension"], w["value"]) for w in warnings} or "origin" in dropped
    assert not {w["dimension"] for w in warnings} & {"route", "port", "broker", "office"} & set(dropped)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2_000), st.integers(0, 40), st.integers(0, 400), st.integers(0, 300), st.integers(0, 300)
        ),
        min_size=1,
        max_size=30,
    ),
    # a prior rate of 0, or one a hit rate can be: scipy's beta-binomial is NaN for a prior as small as 1e-308
    rate=st.one_of(st.just(0.0), st.floats(1e-9, 1.0)),
)  # fmt: skip
def test_the_trend_tests_equal_scipy_stats(rows, rate):
    """The two upper tails the trend tests read (``scipy.special`` alone) are ``scipy.stats``' negative binomial and
    beta-binomial ones; a zero prior with no history is not testable (NaN) in both."""
    history, hits, inspected, history_hits, history_misses = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    counts = pd.DataFrame(
        {
            "value": [f"v{i}" for i in range(len(rows))],
            "dimension": "route",
            "recent": hits + inspected,
            "recent_inspected": inspected,
            "recent_hits": np.minimum(hits, inspected),
            "history": history,
            "history_inspected": history_hits + history_misses,
            "history_hits": history_hits,
        }
    )
    cfg = TrendSettings()
    tested = _tests(counts, cfg, rate)
    p = cfg.history_days / (cfg.history_days + cfg.recent_days)
    volume = stats.nbinom.sf(counts["recent"] - 1, counts["history"] + 0.5, p)
    np.testing.assert_allclose(tested["volume_p"], volume, rtol=1e-9, atol=1e-300)
    a, b = history_hits + 2 * rate, history_misses + 2 * (1 - rate)
    hit = stats.betabinom.sf(counts["recent_hits"] - 1, np.maximum(inspected, 1), a, b)
    hit[inspected == 0] = 1.0
    np.testing.assert_allclose(tested["hit_p"], hit, rtol=1e-9, atol=1e-12, equal_nan=True)
