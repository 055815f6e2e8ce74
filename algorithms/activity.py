"""What the analysis needs from declarations, folded to enterprise size.

Recency, network scoring and the projection never need a declaration on its own: they need, per
importer, how many declarations fell in the recent window and in the history before it, and per
(importer, broker / seller / route / chapter) how often each was used. :class:`Activity` holds those
tables; :func:`importer_activity` builds them from a declarations frame, and :class:`ActivityFold` builds
the same tables a page of declarations at a time as the analysis streams them from Neo4j
(``analysis/aggregates.py``), so the Python process holds enterprise-sized data whatever the number of
declarations.

The window is ``(as_of - window_days, as_of]`` and the history the ``history_days`` before it, as in
:mod:`algorithms.recency`; counts ``n`` cover every declaration up to ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from algorithms._frames import _require_columns

__all__ = [
    "Activity",
    "ACTIVITY_KINDS",
    "HISTORY_DAYS",
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
        are :data:`ACTIVITY_KINDS` (``chapter`` is the HS chapter, the first two digits of ``hs6``).
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
    _require_columns(declarations, ["importer_id"], "declarations")
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


#: the declaration columns :class:`ActivityFold` reads
FOLD_COLUMNS = (
    "importer_id",
    "date",
    "declarant_id",
    "seller_id",
    "consignment_id",
    "route",
    "hs6",
    "violation",
    "violation_type",
)


class _Codes:
    """Integer codes for strings, stable across pages (enterprise-sized vocabularies only)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, values: np.ndarray) -> np.ndarray:
        codes, uniques = pd.factorize(values)
        if not len(uniques):
            return np.full(len(values), -1, dtype=np.int64)
        mapped = np.fromiter((self.index.setdefault(u, len(self.index)) for u in uniques), np.int64, len(uniques))
        return np.where(codes >= 0, mapped[codes], -1)

    def names(self, codes: np.ndarray) -> np.ndarray:
        return np.array(list(self.index), dtype=object)[codes] if len(codes) else np.array([], dtype=object)


def _objects(values) -> np.ndarray:
    """A column as a numpy array of Python objects, None for missing (cheap to factorise and slice)."""
    out = np.asarray(values, dtype=object)
    return np.where(pd.isna(out), None, out) if len(out) else out


class ActivityFold:
    """:func:`importer_activity`'s tables built a page of declarations at a time.

    Each page (a frame of :data:`FOLD_COLUMNS`, ``date`` as datetimes) is reduced to integer-coded partial
    counts; :meth:`activity` merges them once. Only the uses of consignment ids are kept per declaration
    (an Arrow string and two integers each), since whether a consignment is shared is known only at the end.
    :attr:`violated` collects the importers with a declaration found in violation, whatever its date.
    """

    def __init__(self, as_of, *, window_days: int = 90, history_days: int = HISTORY_DAYS) -> None:
        self.as_of = pd.Timestamp(as_of)
        self.window_days, self.history_days = window_days, history_days
        self._window_start = self.as_of - pd.Timedelta(days=window_days)
        self._history_start = self._window_start - pd.Timedelta(days=history_days)
        self._firms, self._values, self._types = _Codes(), _Codes(), _Codes()
        self._importers: list[pd.DataFrame] = []
        self._usage: list[pd.DataFrame] = []
        self._violations: list[pd.DataFrame] = []
        self._consignments: list[tuple[np.ndarray, pa.Array, np.ndarray]] = []
        self.violated: set[str] = set()

    @property
    def importer_ids(self) -> set[str]:
        """Every importer of the pages added, dated after ``as_of`` or not."""
        return set(self._firms.index)

    def add(self, page: pd.DataFrame) -> None:
        importer = _objects(page["importer_id"])
        firm = self._firms(importer)
        bad = (pd.to_numeric(page["violation"], errors="coerce") == 1).to_numpy()
        self.violated.update(importer[bad & (firm >= 0)])
        day = page["date"].to_numpy()
        dated = (firm >= 0) & (day <= self.as_of.to_datetime64())
        if not dated.any():
            return
        firm, day, bad = firm[dated], day[dated], bad[dated]
        recent = day > self._window_start.to_datetime64()
        history = ~recent & (day > self._history_start.to_datetime64())
        route = _objects(page["route"])[dated]
        routed = route != None  # noqa: E711 (elementwise)
        transit = np.fromiter((r is not None and r.count(">") >= 2 for r in route), bool, len(route))
        counts = pd.DataFrame(
            {"firm": firm, "n": 1, "recent": recent, "history": history, "routed": routed, "transit": transit}
        ).astype(np.int64)
        part = counts.groupby("firm").sum()
        part["first_history"] = pd.Series(day[history]).groupby(firm[history]).min()
        self._importers.append(part)

        for kind, column in ACTIVITY_KINDS.items():
            values = _objects(page[column])[dated]
            if kind == "chapter":
                values = np.array([v if v is None else str(v)[:2] for v in values], dtype=object)
            used = values != None  # noqa: E711 (elementwise)
            frame = pd.DataFrame(
                {
                    "firm": firm[used],
                    "value": self._values(values[used].astype(str)),
                    "n": 1,
                    "recent": recent[used].astype(np.int64),
                    "history": history[used].astype(np.int64),
                }
            )
            self._usage.append(frame.groupby(["firm", "value"]).sum().reset_index().assign(kind=kind))

        types = _objects(page["violation_type"])[dated]
        typed = bad & (types != None)  # noqa: E711 (elementwise)
        if typed.any():
            frame = pd.DataFrame({"firm": firm[typed], "type": self._types(types[typed].astype(str))})
            self._violations.append(frame.value_counts().reset_index())

        consignment = _objects(page["consignment_id"])[dated]
        kept = (consignment != None) & (consignment != "")  # noqa: E711 (elementwise)
        if kept.any():
            ids = pa.array(consignment[kept].astype(str), type=pa.string())
            self._consignments.append((firm[kept].astype(np.int32), ids, day[kept]))

    def activity(self) -> Activity:
        """The :class:`Activity` of every page added (importers with no declaration by ``as_of`` left out)."""
        activity = Activity(
            importers=pd.DataFrame(columns=list(IMPORTER_COLUMNS)),
            usage=pd.DataFrame(columns=list(USAGE_COLUMNS)),
            violations=pd.DataFrame(columns=list(VIOLATION_COLUMNS)),
            consignments=pd.DataFrame(columns=list(CONSIGNMENT_COLUMNS)),
            as_of=self.as_of,
            window_days=self.window_days,
            history_days=self.history_days,
        )
        if self._importers:
            merged = pd.concat(self._importers)
            importers = merged.drop(columns="first_history").groupby(level=0).sum()
            importers["first_history"] = merged["first_history"].groupby(level=0).min()
            importers.insert(0, "id", self._firms.names(importers.index.to_numpy()))
            activity.importers = importers.reset_index(drop=True)[list(IMPORTER_COLUMNS)]
        if self._usage:
            usage = pd.concat(self._usage).groupby(["kind", "firm", "value"], sort=False).sum().reset_index()
            activity.usage = pd.DataFrame(
                {
                    "importer_id": self._firms.names(usage["firm"].to_numpy()),
                    "kind": usage["kind"].to_numpy(),
                    "value": self._values.names(usage["value"].to_numpy()),
                    **{c: usage[c].to_numpy() for c in ("n", "recent", "history")},
                }
            )
        if self._violations:
            found = pd.concat(self._violations).groupby(["firm", "type"])["count"].sum().reset_index()
            activity.violations = pd.DataFrame(
                {
                    "importer_id": self._firms.names(found["firm"].to_numpy()),
                    "type": self._types.names(found["type"].to_numpy()),
                    "n": found["count"].to_numpy(),
                }
            )
        if self._consignments:
            activity.consignments = self._shared_consignments()
        return activity

    def _shared_consignments(self) -> pd.DataFrame:
        """Every use of a consignment id two importers or more used."""
        firm = np.concatenate([f for f, _, _ in self._consignments])
        day = np.concatenate([d for _, _, d in self._consignments])
        encoded = pa.chunked_array([c for _, c, _ in self._consignments]).combine_chunks().dictionary_encode()
        consignment = encoded.indices.to_numpy()
        pairs = np.unique(consignment.astype(np.int64) << 32 | firm)
        importers = np.bincount(pairs >> 32, minlength=len(encoded.dictionary))
        shared = importers[consignment] >= 2
        names = np.asarray(encoded.dictionary.take(pa.array(consignment[shared])).to_pylist(), dtype=object)
        return pd.DataFrame(
            {"importer_id": self._firms.names(firm[shared]), "consignment_id": names, "date": day[shared]}
        )
