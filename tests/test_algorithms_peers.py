"""Unit-value comparison with peers (horizontal analogy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from algorithms.peers import enterprise_peer_stats, unit_value_anomalies


def declarations(prices, origin="CN", hs6="850440", importer="norm", mass=100.0):
    return pd.DataFrame(
        {
            "id": [f"{importer}-{origin}-{i}" for i in range(len(prices))],
            "importer_id": importer,
            "hs6": hs6,
            "origin": origin,
            "value": [p * mass for p in prices],
            "net_mass": mass,
            "tax_rate": 0.1,
        }
    )


NORMAL = [10.0, 10.4, 9.7, 10.1, 9.9, 10.2, 9.8, 10.3, 9.6, 10.0]


def test_flags_the_obvious_under_valued_declaration_only():
    d = pd.concat([declarations(NORMAL), declarations([1.0], importer="cheap")], ignore_index=True)
    a = unit_value_anomalies(d).set_index("id")
    assert a.loc["cheap-CN-0", "strongly_below"]
    assert a.loc["cheap-CN-0", "peer_group"] == "hs6+origin" and a.loc["cheap-CN-0", "peer_count"] == 10
    assert a.loc["cheap-CN-0", "shortfall"] == pytest.approx((10.0 - 1.0) * 100, rel=0.02)
    assert a.loc["cheap-CN-0", "tax_at_stake"] == pytest.approx(a.loc["cheap-CN-0", "shortfall"] * 0.1)
    assert not a.drop(index="cheap-CN-0")["strongly_below"].any()

    stats = enterprise_peer_stats(unit_value_anomalies(d))
    assert stats.loc["cheap", "peer_share_below"] == 1.0 and stats.loc["cheap", "tax_at_stake"] > 0
    assert stats.loc["norm", "peer_share_below"] == 0.0 and stats.loc["norm", "value_shortfall"] == 0.0


def test_small_origin_group_falls_back_to_hs6_and_tiny_groups_are_not_scored():
    d = pd.concat([declarations(NORMAL), declarations([1.0, 1.1], origin="VN", importer="vn")], ignore_index=True)
    a = unit_value_anomalies(d, min_peers=5).set_index("id")
    assert a.loc["vn-VN-0", "peer_group"] == "hs6" and a.loc["vn-VN-0", "strongly_below"]
    lonely = unit_value_anomalies(declarations([5.0, 5.0], hs6="010101"))
    assert lonely["robust_z"].isna().all() and lonely["peer_group"].isna().all()
    assert (lonely["shortfall"] == 0).all()


def test_quantity_is_the_fallback_and_never_mixed_with_mass():
    d = declarations(NORMAL)
    per_unit = pd.DataFrame(
        {
            "id": ["u"],
            "importer_id": ["q"],
            "hs6": ["850440"],
            "origin": ["CN"],
            "value": [5.0],
            "net_mass": [np.nan],
            "quantity": [1.0],
        }
    )
    a = unit_value_anomalies(pd.concat([d, per_unit], ignore_index=True)).set_index("id")
    assert a.loc["u", "basis"] == "unit" and np.isnan(a.loc["u", "robust_z"])


def test_identical_prices_do_not_explode():
    a = unit_value_anomalies(declarations([10.0] * 8 + [9.9]))
    assert not a["strongly_below"].any()


def test_bad_input():
    with pytest.raises(ValueError, match="declarations is missing columns: origin"):
        unit_value_anomalies(declarations(NORMAL).drop(columns="origin"))
    with pytest.raises(ValueError, match="net_mass or quantity"):
        unit_value_anomalies(declarations(NORMAL).drop(columns="net_mass"))


def test_peers_compare_unit_values_in_us_dollars():
    """Yen-invoiced peers at a fair price do not make a fair dollar price look cheap, nor the reverse."""
    yen = declarations([p * 150.0 for p in NORMAL], importer="jp").assign(currency="JPY")  # 10 USD/kg in yen
    fair = declarations([10.0], importer="fair").assign(currency="USD")
    fair_yen = declarations([1500.0], importer="fairjp").assign(currency="JPY")
    cheap = declarations([1.0], importer="cheap").assign(currency="USD")
    cheap_yen = declarations([150.0], importer="cheapjp").assign(currency="JPY")
    a = unit_value_anomalies(pd.concat([yen, fair, fair_yen, cheap, cheap_yen], ignore_index=True)).set_index("id")
    assert not a.loc[["fair-CN-0", "fairjp-CN-0"], "strongly_below"].any()
    assert a.loc["fair-CN-0", "robust_z"] == pytest.approx(a.loc["fairjp-CN-0", "robust_z"])
    assert abs(a.loc["fair-CN-0", "robust_z"]) < 1
    assert a.loc["fair-CN-0", "peer_median"] == pytest.approx(10.0, rel=0.03)  # US dollars per kg
    assert not a.loc[yen["id"], "strongly_below"].any()
    for firm in ("cheap-CN-0", "cheapjp-CN-0"):  # 1 USD/kg against 10: flagged, shortfall ~900 USD either way
        assert a.loc[firm, "strongly_below"]
        assert a.loc[firm, "shortfall"] == pytest.approx((10.0 - 1.0) * 100, rel=0.03)
        assert a.loc[firm, "tax_at_stake"] == pytest.approx(a.loc[firm, "shortfall"] * 0.1)


def test_a_currency_without_a_rate_is_not_compared_and_not_a_peer():
    priced = declarations(NORMAL[:6]).assign(currency="USD")
    odd = declarations([1.0, 1000.0], importer="odd").assign(currency=["XYZ", None])
    a = unit_value_anomalies(pd.concat([priced, odd], ignore_index=True)).set_index("id")
    assert a.loc["odd-CN-0":"odd-CN-1", "robust_z"].isna().all()
    assert not a.loc["odd-CN-0":"odd-CN-1", "strongly_below"].any()
    assert (a.loc["odd-CN-0":"odd-CN-1", "shortfall"] == 0).all()
    assert (a.loc[priced["id"], "peer_count"] == 5).all()  # the other five dollar declarations only
