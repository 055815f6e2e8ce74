"""What the analysis needs from declarations, folded to enterprise size.

Recency, network scoring and the projection never need a declaration on its own: they need, per
importer, how many declarations fell in the recent window and in the history before it, and per
(importer, broker / seller / route / chapter) how often each was used. :class:`Activity` holds those
tables; :func:`importer_activity` builds them from a declarations frame (the declarations engine builds the same
in SQL, ``analysis/aggregates.py``), so the Python process holds enterprise-sized data whatever the number of
declarations.

The window is ``(as_of - window_days, as_of]`` and the history the ``history_days`` before it, as in
:mod:`algorithms.recency`; counts ``n`` cover every declaration up to ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from algorithms.frames import require_columns

__all__ = [
    "Activity",
    "ACTIVITY_KINDS",
    "HISTORY_DAYS",
    "NEW_ONLY_KINDS",
    "IMPORTER_COLUMNS",
    "USAGE_COLUMNS",
    "VIOLATION_COLUMNS",
    "CONSIGNMENT_COLUMNS",
    "importer_activity",
    "shared_consignment_uses",
]

#: usage kinds: what an importer used on its declarations -> declaration column
ACTIVITY_KINDS: dict[str, str] = {
    "declarant": "declarant_id",
    "seller": "seller_id",
    "route": "route",
    "chapter": "hs6",
}
#: kinds whose usage is kept only for the values new in the window (used there, never in the history): recency
#: asks no more of routes and chapters, and keeping every one doubled the usage rows (1.7M at 1M declarations)
NEW_ONLY_KINDS = ("route", "chapter")
HISTORY_DAYS = 365
IMPORTER_COLUMNS = ("id", "n", "recent", "history", "first_history", "routed", "transit")
USAGE_COLUMNS = ("importer_id", "kind", "value", "n", "recent", "history")
VIOLATION_COLUMNS = ("importer_id", "type", "n")
CONSIGNMENT_COLUMNS = ("importer_id", "consignment_id", "date")


@dataclass
class Activity:
    """Enterprise-sized summaries of the declarations up to ``as_of``.

    Attributes
    ----------
    importers : DataFrame
        One row per importer: ``id``, ``n`` (declarations), ``recent`` (in the window), ``history`` (in
        the history), ``first_history`` (first history date), ``routed`` (with a route) and ``transit``
        (routed through a transit port).
    usage : DataFrame
        One row per (``importer_id``, ``kind``, ``value``): ``n``, ``recent``, ``history`` counts; kinds
        are :data:`ACTIVITY_KINDS` (``chapter`` is the HS chapter, the first two digits of ``hs6``), those of
        :data:`NEW_ONLY_KINDS` only for the values used in the window and never in the history.
    violations : DataFrame
        ``importer_id``, ``type`` (violation type), ``n``: declarations found in violation, by type.
    consignments : DataFrame
        ``importer_id``, ``consignment_id``, ``date``: every use of a consignment id that two importers or
        more used (the only ones that can link anybody in the projection).
    as_of : Timestamp
    window_days, history_days : int
    """

    importers: pd.DataFrame
    usage: pd.DataFrame
    violations: pd.DataFrame
    consignments: pd.DataFrame
    as_of: pd.Timestamp
    window_days: int = 90
    history_days: int = HISTORY_DAYS

    @property
    def window_start(self) -> pd.Timestamp:
        return self.as_of - pd.Timedelta(days=self.window_days)

    @property
    def history_start(self) -> pd.Timestamp:
        return self.window_start - pd.Timedelta(days=self.history_days)

    def kind(self, kind: str) -> pd.DataFrame:
        """The usage rows of one kind."""
        return self.usage[self.usage["kind"] == kind]


def shared_consignment_uses(declarations: pd.DataFrame) -> pd.DataFrame:
    """Uses (importer, consignment, date) of consignment ids that two importers or more used."""
    if "consignment_id" not in declarations:
        return pd.DataFrame(columns=list(CONSIGNMENT_COLUMNS))
    uses = declarations[["importer_id", "consignment_id", "date"]].dropna(subset=["importer_id", "consignment_id"])
    uses = uses[uses["consignment_id"].astype(str) != ""]
    importers = uses.groupby("consignment_id")["importer_id"].transform("nunique")
    return uses[importers >= 2].reset_index(drop=True)


def importer_activity(
    declarations: pd.DataFrame, as_of, *, window_days: int = 90, history_days: int = HISTORY_DAYS
) -> Activity:
    """The :class:`Activity` of a declarations frame (``importer_id``, ``date``; optional columns used if present).

    Without a ``date`` column every declaration counts in ``n`` and none in the window or the history.

    Examples
    --------
    >>> d = pd.DataFrame({"importer_id": ["a", "a"], "date": pd.to_datetime(["2025-12-01", "2024-01-01"]),
    ...                   "declarant_id": ["x", "x"]})
    >>> a = importer_activity(d, "2026-01-01")
    >>> a.importers[["id", "n", "recent", "history"]].values.tolist()
    [['a', 2, 1, 0]]
    """
    require_columns(declarations, ["importer_id"], "declarations")
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.NaT
    dates = (
        pd.to_datetime(declarations["date"]) if "date" in declarations else pd.Series(pd.NaT, index=declarations.index)
    )
    decl = declarations.assign(importer_id=declarations["importer_id"].astype(str), date=dates)
    if "date" in declarations:  # undated declarations (a network scored on its own) all count, in no window
        decl = decl[decl["date"] <= as_of]
    activity = Activity(
        importers=pd.DataFrame(),
        usage=pd.DataFrame(),
        violations=pd.DataFrame(),
        consignments=shared_consignment_uses(decl),
        as_of=as_of,
        window_days=window_days,
        history_days=history_days,
    )
    recent = decl["date"] > activity.window_start
    history = ~recent & (decl["date"] > activity.history_start)
    frame = decl.assign(recent=recent.astype(int), history=history.astype(int))

    route = frame["route"] if "route" in frame else pd.Series(None, index=frame.index, dtype=object)
    routed = route.notna()
    transit = routed & (route.astype(str).str.count(">") >= 2)
    grouped = frame.assign(routed=routed.astype(int), transit=transit.astype(int)).groupby("importer_id", sort=True)
    importers = grouped.agg(
        n=("date", "size"),
        recent=("recent", "sum"),
        history=("history", "sum"),
        routed=("routed", "sum"),
        transit=("transit", "sum"),
    )
    importers["first_history"] = frame[history].groupby("importer_id")["date"].min().reindex(importers.index)
    activity.importers = importers.reset_index().rename(columns={"importer_id": "id"})[list(IMPORTER_COLUMNS)]

    parts = []
    for kind, column in ACTIVITY_KINDS.items():
        if column not in frame:
            continue
        values = frame[column].astype("string")
        if kind == "chapter":
            values = values.str[:2]
        used = frame[["importer_id", "recent", "history"]].assign(value=values)[values.notna()]
        part = used.groupby(["importer_id", "value"], sort=True).agg(
            n=("recent", "size"), recent=("recent", "sum"), history=("history", "sum")
        )
        if kind in NEW_ONLY_KINDS:
            part = part[(part["recent"] > 0) & (part["history"] == 0)]
        parts.append(part.reset_index().assign(kind=kind))
    usage = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(USAGE_COLUMNS))
    usage["value"] = usage["value"].astype(object)
    activity.usage = usage[list(USAGE_COLUMNS)]

    if "violation" in frame and "violation_type" in frame:
        bad = frame[(pd.to_numeric(frame["violation"], errors="coerce") == 1) & frame["violation_type"].notna()]
        counts = bad.groupby(["importer_id", "violation_type"]).size().reset_index(name="n")
        activity.violations = counts.rename(columns={"violation_type": "type"})[list(VIOLATION_COLUMNS)]
    else:
        activity.violations = pd.DataFrame(columns=list(VIOLATION_COLUMNS))
    return activity
