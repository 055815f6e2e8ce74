"""Dynamic focus: what changed recently for each enterprise, against its own history.

Everything is relative to an ``as_of`` date; declarations after it are ignored, so the
signals can be recomputed for any past date without leaking the future. The *window* is
``(as_of - window_days, as_of]`` and the *history* the ``history_days`` before it.

Signals (each a flag plus the numbers behind it):

- **young**: registered less than ``young_days`` before ``as_of``;
- **volume spike**: declarations in the window at least ``spike_ratio`` times the rate
  expected from the enterprise's own history (or a sudden start from nothing), with at least
  ``min_recent`` declarations;
- **new route / new HS chapter**: used in the window but never in the history;
- **broker switch**: the window's main broker was never used in the history.

New routes, chapters and brokers are only flagged for enterprises with at least
``min_history`` declarations in the history, since for a newcomer everything is new.
This is change-point screening in its simplest form (a ratio to the own baseline), cf.
WCO *Risk Management Compendium*, "dynamic" risk indicators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from algorithms.activity import Activity, importer_activity
from algorithms.frames import require_columns

__all__ = ["recency_signals", "recency_from_activity"]


def _new_values(usage: pd.DataFrame) -> pd.Series:
    """Per importer: sorted tuple of values used in the window but never in the history."""
    new = usage[(usage["recent"] > 0) & (usage["history"] == 0)]
    found: dict[str, list[str]] = {}
    for importer, value in zip(new["importer_id"], new["value"], strict=True):
        found.setdefault(importer, []).append(str(value))
    return pd.Series({k: tuple(sorted(v)) for k, v in found.items()}, dtype=object)


def _never_used_before(brokers: pd.DataFrame, now: pd.Series) -> pd.Series:
    """Per importer of ``now`` (its main broker in the window): whether it has one and never used it in the
    history. Matched row by row against the importer's history rows, not through a set of (importer, broker)
    tuples (65 MB at 88,871 firms)."""
    history = brokers[brokers["history"] > 0]
    current = now.astype(object).reindex(history["importer_id"].astype(object)).to_numpy()
    again = history["value"].astype(str).to_numpy(dtype=object) == pd.Series(current).astype(str).to_numpy(dtype=object)
    kept_on = pd.Index(history["importer_id"].astype(object).to_numpy()[again & pd.notna(current)])
    return now.notna() & ~now.index.isin(kept_on)


def _main_value(usage: pd.DataFrame, count: str) -> pd.Series:
    """Per importer: the value used most often by the ``count`` column (ties to the smallest)."""
    used = usage[usage[count] > 0].sort_values(["importer_id", count, "value"], ascending=[True, False, True])
    return used.drop_duplicates("importer_id").set_index("importer_id")["value"]


def recency_signals(
    enterprises: pd.DataFrame,
    declarations: pd.DataFrame,
    as_of,
    *,
    window_days: int = 90,
    history_days: int = 365,
    young_days: int = 365,
    spike_ratio: float = 3.0,
    min_recent: int = 5,
    min_history: int = 5,
) -> pd.DataFrame:
    """Recent-change signals per enterprise relative to ``as_of``.

    Parameters
    ----------
    enterprises : DataFrame
        Columns ``id`` and ``registered`` (datetime or NaT).
    declarations : DataFrame
        Columns ``importer_id`` and ``date``; uses ``route``, ``hs6`` and ``declarant_id``.
    as_of : date-like
        The reference date.

    Returns
    -------
    DataFrame
        Indexed by ``id`` (every enterprise and every importer): ``age_days``, ``young``,
        ``recent_count``, ``history_count``, ``expected_recent``, ``volume_ratio``,
        ``volume_spike``, ``young_with_volume``, ``new_routes`` / ``new_chapters`` (tuples),
        ``new_route``, ``new_chapter``, ``main_broker_before``, ``main_broker_now`` and
        ``broker_switch``.

    Examples
    --------
    >>> e = pd.DataFrame({"id": ["x"], "registered": pd.to_datetime(["2025-11-01"])})
    >>> d = pd.DataFrame({"importer_id": ["x"] * 6, "date": pd.to_datetime(["2025-12-15"] * 6)})
    >>> r = recency_signals(e, d, "2026-01-01")
    >>> bool(r.loc["x", "young_with_volume"]), int(r.loc["x", "recent_count"])
    (True, 6)
    """
    require_columns(enterprises, ["id", "registered"], "enterprises")
    require_columns(declarations, ["importer_id", "date"], "declarations")
    if window_days < 1 or history_days < 1:
        raise ValueError("window_days and history_days must be positive")
    activity = importer_activity(declarations, as_of, window_days=window_days, history_days=history_days)
    return recency_from_activity(
        enterprises,
        activity,
        young_days=young_days,
        spike_ratio=spike_ratio,
        min_recent=min_recent,
        min_history=min_history,
    )


def recency_from_activity(
    enterprises: pd.DataFrame,
    activity: Activity,
    *,
    young_days: int = 365,
    spike_ratio: float = 3.0,
    min_recent: int = 5,
    min_history: int = 5,
) -> pd.DataFrame:
    """:func:`recency_signals` from an :class:`~algorithms.activity.Activity` (the declarations folded per importer)."""
    as_of, window_days, history_days = activity.as_of, activity.window_days, activity.history_days
    window_start = activity.window_start
    importers = activity.importers.set_index("id")
    active = importers.index[(importers["recent"] + importers["history"]) > 0]

    ids = pd.Index(sorted(set(enterprises["id"].astype(str)) | set(active)), name="id")
    registered = pd.to_datetime(enterprises.set_index(enterprises["id"].astype(str))["registered"])
    registered = registered[~registered.index.duplicated()].reindex(ids)
    out = pd.DataFrame(index=ids)
    out["age_days"] = (as_of - registered).dt.days.astype(float)
    out["young"] = (out["age_days"] < young_days).fillna(False).astype(bool)

    out["recent_count"] = importers["recent"].reindex(ids, fill_value=0).astype(int)
    out["history_count"] = importers["history"].reindex(ids, fill_value=0).astype(int)
    # Baseline over the span the enterprise was actually observed, not before its first declaration.
    first_seen = pd.to_datetime(importers["first_history"]).reindex(ids)
    span = (window_start - first_seen.fillna(window_start)).dt.days.clip(lower=window_days, upper=history_days)
    out["expected_recent"] = np.where(out["history_count"] > 0, out["history_count"] * window_days / span, 0.0)
    out["volume_ratio"] = out["recent_count"] / np.maximum(out["expected_recent"], 1.0)
    out["volume_spike"] = (out["recent_count"] >= min_recent) & (out["volume_ratio"] >= spike_ratio)
    out["young_with_volume"] = out["young"] & (out["recent_count"] >= min_recent)

    seasoned = out["history_count"] >= min_history
    for kind, name in (("route", "routes"), ("chapter", "chapters")):
        new = _new_values(activity.kind(kind)).reindex(ids)
        new = new.where(seasoned & new.notna(), None)
        out[f"new_{name}"] = [v if isinstance(v, tuple) else () for v in new]
        out[f"new_{name[:-1]}"] = out[f"new_{name}"].map(len) > 0

    brokers = activity.kind("declarant")
    if len(brokers):
        before = _main_value(brokers, "history").reindex(ids)
        now = _main_value(brokers, "recent").reindex(ids)
        out["main_broker_before"] = before.astype(object).where(before.notna(), None)
        out["main_broker_now"] = now.astype(object).where(now.notna(), None)
        out["broker_switch"] = seasoned & _never_used_before(brokers, now) & before.notna()
    else:
        out["main_broker_before"] = None
        out["main_broker_now"] = None
        out["broker_switch"] = False
    return out
