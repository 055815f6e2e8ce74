"""Horizontal analogy: a declaration's unit value against its peers' (same goods, same origin).

Unit value is ``value / net_mass`` (per kg) or, without a usable mass, ``value / quantity``
(per unit); the two are never compared with each other. Values are first converted to US dollars
from each declaration's ``currency`` (:mod:`graph.currency`): a dollar invoice priced fairly must not
look cheap beside yen-invoiced peers. A declaration whose currency has no rate, or that has none, is
not compared (NaN) and counts in nobody's peer group; a frame without a ``currency`` column is taken
to be in dollars already. Peers are the declarations with the
same HS6 and origin and the same basis; when that group has fewer than ``min_peers`` other
declarations the HS6 alone is used, and with fewer still the declaration is not scored.

The score is a robust z-score on the log scale,
``z = (log uv - median(log uv)) / (1.4826 * MAD)``, with the scale floored at ``min_scale``
so a group of identical prices does not make a cent's difference look extreme
(:func:`robust_scale`, :func:`robust_z`; clearance scoring computes its ``peer_z`` with the same two). The peer
median includes the declaration itself (with ``min_peers >= 5`` one value barely moves it).

References: P. J. Rousseeuw and C. Croux, "Alternatives to the median absolute deviation",
JASA 88 (1993); World Customs Organization, *Guide to Customs Valuation and Transfer Pricing*
(price comparison with identical and similar goods).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from algorithms.frames import require_columns
from graph.currency import Money, money_basis

__all__ = [
    "unit_value_anomalies",
    "enterprise_peer_stats",
    "peer_stat_parts",
    "combine_peer_parts",
    "robust_scale",
    "robust_z",
]

_MAD_TO_SIGMA = 1.4826  # MAD of a normal sample times this is its standard deviation


def robust_scale(mad, min_scale: float):
    """The robust standard deviation ``1.4826 * MAD``, floored at ``min_scale``; scalars or arrays.

    Examples
    --------
    >>> float(robust_scale(1.0, 0.1)), float(robust_scale(0.0, 0.1))
    (1.4826, 0.1)
    """
    return np.maximum(_MAD_TO_SIGMA * mad, min_scale)


def robust_z(log_uv, median, scale):
    """How many robust standard deviations (:func:`robust_scale`) a log unit value lies from its peers' median.

    Examples
    --------
    >>> float(robust_z(1.0, 0.5, 0.25))
    2.0
    """
    return (log_uv - median) / scale


_REQUIRED = ("id", "importer_id", "hs6", "origin", "value")


def _values_usd(declarations: pd.DataFrame, money: Money | None = None) -> pd.Series:
    value = pd.to_numeric(declarations["value"], errors="coerce")
    if "currency" not in declarations:
        return value
    money = money or money_basis(declarations["currency"])
    return pd.Series(money.convert(value, declarations["currency"]), index=declarations.index)


def _unit_values(declarations: pd.DataFrame, money: Money | None) -> tuple[pd.Series, pd.Series]:
    """Unit value in US dollars per kg (or per unit) and its basis; NaN / None where not comparable."""
    value = _values_usd(declarations, money)
    mass = pd.to_numeric(declarations.get("net_mass"), errors="coerce") if "net_mass" in declarations else None
    qty = pd.to_numeric(declarations.get("quantity"), errors="coerce") if "quantity" in declarations else None
    uv = pd.Series(np.nan, index=declarations.index)
    basis = pd.Series(None, index=declarations.index, dtype=object)
    if mass is not None:
        ok = mass > 0
        uv[ok] = value[ok] / mass[ok]
        basis[ok] = "kg"
    if qty is not None:
        ok = uv.isna() & (qty > 0)
        uv[ok] = value[ok] / qty[ok]
        basis[ok] = "unit"
    uv[~(uv > 0)] = np.nan
    basis[uv.isna()] = None
    return uv, basis


def _group_stats(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=False, dropna=False)["log_uv"]
    median = grouped.transform("median")
    mad = (
        (frame["log_uv"] - median).abs().groupby([frame[k] for k in keys], sort=False, dropna=False).transform("median")
    )
    count = grouped.transform("size")
    return pd.DataFrame({"median": median, "mad": mad, "count": count})


def unit_value_anomalies(
    declarations: pd.DataFrame,
    *,
    min_peers: int = 5,
    min_scale: float = 0.1,
    strong_z: float = 3.0,
    money: Money | None = None,
) -> pd.DataFrame:
    """Robust z-score of every declaration's unit value against its peer group.

    Parameters
    ----------
    declarations : DataFrame
        Needs ``id``, ``importer_id``, ``hs6``, ``origin``, ``value`` and at least one of
        ``net_mass`` / ``quantity``; uses ``currency`` (ISO 4217; without the column values are
        taken as US dollars) and ``tax_rate`` (fraction) when present.
    min_peers : int
        Minimum number of *other* declarations in the peer group.
    min_scale : float
        Floor of the robust standard deviation on the natural-log scale (0.1 ~ 10 % spread).
    strong_z : float
        A declaration is ``strongly_below`` when ``robust_z <= -strong_z``.
    money : Money, optional
        The money basis (default: :func:`graph.currency.money_basis` of these declarations' currencies); give
        the whole population's when comparing it one slice at a time.

    Returns
    -------
    DataFrame
        One row per declaration (same order), money in US dollars: ``id``, ``importer_id``,
        ``unit_value``, ``basis`` (``"kg"``/``"unit"``), ``peer_group`` (``"hs6+origin"``, ``"hs6"``
        or None), ``peer_count``, ``peer_median`` (unit value), ``robust_z`` (NaN when not compared,
        e.g. in a currency without a rate), ``strongly_below``, ``shortfall`` (value at the peer
        median minus declared value, when below, else 0) and ``tax_at_stake`` (``shortfall *
        tax_rate``, NaN without a rate).

    Examples
    --------
    >>> d = pd.DataFrame({"id": list("abcdefg"), "importer_id": list("xxxxxxy"), "hs6": ["850440"] * 7,
    ...                   "origin": ["CN"] * 7, "value": [100, 104, 98, 101, 99, 102, 10.0], "net_mass": [10.0] * 7})
    >>> bool(unit_value_anomalies(d).set_index("id").loc["g", "strongly_below"])
    True
    """
    require_columns(declarations, _REQUIRED, "declarations")
    if "net_mass" not in declarations and "quantity" not in declarations:
        raise ValueError("declarations is missing columns: net_mass or quantity")
    if min_peers < 1:
        raise ValueError(f"min_peers must be at least 1, got {min_peers}")

    uv, basis = _unit_values(declarations, money)
    frame = pd.DataFrame(
        {
            "hs6": declarations["hs6"].astype("string"),
            "origin": declarations["origin"].astype("string").fillna(""),
            "basis": basis,
            "log_uv": np.log(uv),
        }
    )
    scored = frame[frame["log_uv"].notna() & frame["hs6"].notna()]
    fine = _group_stats(scored, ["hs6", "origin", "basis"]).reindex(frame.index)
    coarse = _group_stats(scored, ["hs6", "basis"]).reindex(frame.index)

    use_fine = fine["count"] - 1 >= min_peers
    use_coarse = ~use_fine & (coarse["count"] - 1 >= min_peers)
    stats = fine.where(use_fine, coarse)
    peer_group = np.where(use_fine, "hs6+origin", np.where(use_coarse, "hs6", None))
    compared = use_fine | use_coarse

    z = robust_z(frame["log_uv"], stats["median"], robust_scale(stats["mad"], min_scale)).where(compared)
    peer_median = np.exp(stats["median"]).where(compared)
    value = _values_usd(declarations, money)
    expected = value * (peer_median / uv)  # the same quantity at the peer median price
    shortfall = (expected - value).clip(lower=0).where(compared, 0.0).fillna(0.0)
    if "tax_rate" in declarations:
        tax = shortfall * pd.to_numeric(declarations["tax_rate"], errors="coerce")
    else:
        tax = pd.Series(np.nan, index=declarations.index)

    return pd.DataFrame(
        {
            "id": declarations["id"].to_numpy(),
            "importer_id": declarations["importer_id"].astype(str).to_numpy(),
            "unit_value": uv.to_numpy(),
            "basis": basis.to_numpy(),
            "peer_group": peer_group,
            "peer_count": (stats["count"] - 1).where(compared).to_numpy(),
            "peer_median": peer_median.to_numpy(),
            "robust_z": z.to_numpy(),
            "strongly_below": (z <= -strong_z).to_numpy(),
            "shortfall": shortfall.to_numpy(),
            "tax_at_stake": tax.to_numpy(),
        }
    )


_PART_COLUMNS = ("compared", "below", "short", "tax", "taxed")


def peer_stat_parts(anomalies: pd.DataFrame, hs6: pd.Series | None = None) -> pd.DataFrame:
    """Per importer (and HS6 code, when ``hs6`` gives each row's), sums of one slice of
    :func:`unit_value_anomalies` that add up across slices.

    Peer groups never cross an HS6 code, so the declarations can be compared one set of HS6 codes at a time
    and only these sums kept (:func:`combine_peer_parts` turns them into the statistics); kept per HS6 code,
    the sums of the codes new data touched can be replaced alone.
    """
    require_columns(anomalies, ["importer_id", "robust_z", "strongly_below", "shortfall", "tax_at_stake"], "anomalies")
    compared = anomalies[anomalies["robust_z"].notna()]
    below = compared["strongly_below"].astype(bool)
    tax = compared["tax_at_stake"].where(below)
    parts = pd.DataFrame(
        {
            "importer_id": compared["importer_id"].astype(str),
            **({"hs6": hs6.loc[compared.index].astype(str)} if hs6 is not None else {}),
            "compared": 1,
            "below": below.astype(int),
            "short": compared["shortfall"].where(below, 0.0),
            "tax": tax.fillna(0.0),
            "taxed": tax.notna().astype(int),
        }
    )
    keys = ["importer_id", "hs6"] if hs6 is not None else ["importer_id"]
    return parts.groupby(keys, sort=True)[list(_PART_COLUMNS)].sum()


def combine_peer_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """:func:`enterprise_peer_stats` from the :func:`peer_stat_parts` of every slice."""
    frames = [p for p in parts if len(p)]
    if not frames:
        total = pd.DataFrame(columns=list(_PART_COLUMNS), dtype=float, index=pd.Index([], name="importer_id"))
    else:
        total = pd.concat(frames).groupby(level="importer_id", sort=True).sum()
    out = pd.DataFrame(
        {
            "peer_compared": total["compared"].astype(int),
            "peer_share_below": total["below"] / total["compared"],
            "value_shortfall": total["short"].astype(float),
            # the tax of the strongly-below declarations; NaN when none of them had a tax rate
            "tax_at_stake": total["tax"].where(total["taxed"] > 0).where(total["below"] > 0, 0.0),
        },
        index=total.index,
    )
    out.index.name = "id"
    return out


def enterprise_peer_stats(anomalies: pd.DataFrame) -> pd.DataFrame:
    """Aggregate :func:`unit_value_anomalies` per importer.

    Returns
    -------
    DataFrame
        Indexed by ``id`` (importer): ``peer_compared`` (declarations with a peer group),
        ``peer_share_below`` (share of those strongly below peers),
        ``value_shortfall`` (sum of shortfalls of strongly-below declarations, US dollars) and
        ``tax_at_stake`` (their tax in US dollars, NaN when no tax rate was known).

    Examples
    --------
    >>> a = pd.DataFrame({"importer_id": ["x", "x"], "robust_z": [-5.0, 0.0], "strongly_below": [True, False],
    ...                   "shortfall": [90.0, 0.0], "tax_at_stake": [9.0, 0.0]})
    >>> float(enterprise_peer_stats(a).loc["x", "peer_share_below"])
    0.5
    """
    return combine_peer_parts([peer_stat_parts(anomalies)])
