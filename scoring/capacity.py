"""Inspection capacity per office and lodging day, and the selection at lodging that keeps within it.

Capacity is data (``$RISKGRAPH_HOME/capacity.json``, set by ``riskgraph capacity set`` or
``PUT /v1/capacity/{office}``): the examinations an office can do in a lodging day, physical and optionally
documentary, as a default, per weekday or for one date (a date beats its weekday, which beats the default).

At lodging (:class:`CapacityAllocator`), at an office with a capacity and for the declaration's own date (so
a past day's stream can be replayed), a declaration goes to physical inspection by its score when the score
reaches the quantile of the office's recent scores that the capacity left is of the volume still expected
that day; once the capacity is used nothing more is selected by score. The expected volume of a day is the
mean of the office's last same weekdays in the use table, else the snapshot's history
(:func:`office_history`). So a quiet day lowers the bar and a busy one raises it, and the selected are the
riskiest of what came. Random selection is aside (counted on its own); what must be inspected whatever the
capacity (a lookout, a watchlist match, an operation) still goes through and uses capacity.

The use per (office, day) is one row of a SQLite table in WAL mode (``capacity.sqlite``) shared by every API
worker and kept across restarts: each request reads and updates its rows in one short write transaction, so
two workers never both take the last place. One row read and written per declaration: O(1).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from graph.errors import RiskGraphError
from graph.home import CAPACITY, CAPACITY_USE
from graph.reference import WORKING_LEVELS, resolve_office
from scoring.roster import Rosters, physical_from_hours

__all__ = [
    "WEEKDAYS",
    "FORCING",
    "CapacityError",
    "Limits",
    "CapacityTable",
    "DayUse",
    "CapacityAllocator",
    "office_history",
    "capacity_overview",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: reasons that send a declaration to inspection whatever the capacity (and use it)
FORCING = frozenset({"intel", "watchlist", "operation"})
#: points of the score distribution kept per office (every half per cent)
GRID_POINTS = 201
#: the volume still expected is never taken below this share of the day's expected volume
REMAINING_FLOOR = 0.1
#: same weekdays of the use table the expected volume averages
HISTORY_DAYS = 8
#: seconds between checkpoints of the day use's WAL
CHECKPOINT_EVERY = 5.0
_RANK = {"fast release": 0, "document check": 1, "physical inspection": 2}
_LEVEL = {"fast release": "low", "document check": "medium", "physical inspection": "high"}


class CapacityError(RiskGraphError, ValueError):
    """A capacity that cannot be set; the message names the field."""

    status, code = 422, "invalid_capacity"


@dataclass(frozen=True)
class Limits:
    """Examinations an office can do in one day; ``documentary`` None = document checks are not counted."""

    physical: int
    documentary: int | None = None
    #: where it comes from: ``date``, ``roster`` (the day's inspector hours), ``weekday`` or ``default``
    source: str = "default"


def _count(value, name: str, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 0:
        raise CapacityError(f"{name}: a whole number of examinations a day, 0 or more, got {value!r}")
    if value > 1_000_000:
        raise CapacityError(f"{name}: at most 1,000,000 a day, got {value}")
    return int(value)


class CapacityTable:
    """Capacity per office (``capacity.json``); written under a lock and replaced whole, read when it changed."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / CAPACITY
        self._stamp: tuple[int, int] | None = None
        self._offices: dict[str, dict] = {}

    def offices(self) -> dict[str, dict]:
        """Office code -> ``{physical, documentary, weekdays: {mon: ..}, dates: {ISO date: ..}, set_by, set_at}``."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._offices = None, {}
            return self._offices
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if stamp != self._stamp:
            self._offices = json.loads(self.path.read_text())["offices"]
            self._stamp = stamp
        return self._offices

    def limits(self, office: str | None, day: date, rostered_hours: float | None = None) -> Limits | None:
        """The office's capacity on ``day``, or None when it has none: a capacity set for the date, else what
        the day's rostered inspector hours allow (``rostered_hours``, :func:`scoring.roster.physical_from_hours`;
        document checks as the weekday or default says), else the weekday's, else the default."""
        entry = self.offices().get(office or "")
        dated = entry["dates"].get(day.isoformat()) if entry is not None else None
        if dated is not None:
            return Limits(dated["physical"], dated.get("documentary"), "date")
        weekday = entry["weekdays"].get(WEEKDAYS[day.weekday()]) if entry is not None else None
        if rostered_hours is not None:
            documentary = (weekday or entry or {}).get("documentary")
            return Limits(physical_from_hours(rostered_hours), documentary, "roster")
        if entry is None:
            return None
        chosen = weekday or entry
        return Limits(chosen["physical"], chosen.get("documentary"), "weekday" if weekday else "default")

    def set(
        self,
        office: str,
        physical,
        documentary=None,
        *,
        weekday: str | None = None,
        on: date | None = None,
        by: str = "",
    ) -> tuple[str, dict]:
        """Set an office's capacity (default, one weekday or one date); returns (office code, its entry)."""
        found = resolve_office(office)
        if found is None:
            raise CapacityError(f"office: {office!r} is not a customs office code or name (riskgraph offices list)")
        if found.level not in WORKING_LEVELS:
            raise CapacityError(f"office: {found.code} is a {found.level}; capacity is set per district or post")
        limits = {"physical": _count(physical, "physical"), "documentary": _count(documentary, "documentary", True)}
        if weekday is not None and on is not None:
            raise CapacityError("give a weekday or a date, not both")
        if weekday is not None and weekday.strip().lower()[:3] not in WEEKDAYS:
            raise CapacityError(f"weekday: one of {', '.join(WEEKDAYS)}, got {weekday!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_name(f".{CAPACITY}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            offices = dict(self.offices())
            entry = offices.get(found.code) or {"physical": None, "documentary": None, "weekdays": {}, "dates": {}}
            if weekday is not None:
                entry["weekdays"][weekday.strip().lower()[:3]] = limits
            elif on is not None:
                entry["dates"][on.isoformat()] = limits
            else:
                entry.update(limits)
            if entry["physical"] is None:  # a weekday or date set first: the other days have no limit yet
                entry["physical"], entry["documentary"] = limits["physical"], limits["documentary"]
            entry.update(set_by=by, set_at=datetime.now(UTC).isoformat(timespec="seconds"))
            offices[found.code] = entry
            staging = self.path.with_name(f".{CAPACITY}.{os.getpid()}.tmp")
            staging.write_text(json.dumps({"offices": offices}, indent=1))
            os.replace(staging, self.path)
        return found.code, entry


_SCHEMA = """
CREATE TABLE IF NOT EXISTS day_use (
  office TEXT NOT NULL, day TEXT NOT NULL, weekday INTEGER NOT NULL,
  lodged INTEGER NOT NULL DEFAULT 0, physical INTEGER NOT NULL DEFAULT 0, forced INTEGER NOT NULL DEFAULT 0,
  random INTEGER NOT NULL DEFAULT 0, documentary INTEGER NOT NULL DEFAULT 0, high INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (office, day)
)
"""
#: ``high``: declarations the snapshot's thresholds (or a must-inspect hit) would have sent to physical inspection
_COUNTERS = ("lodged", "physical", "forced", "random", "documentary", "high")
_READ = f"SELECT {', '.join(_COUNTERS)} FROM day_use WHERE office = ? AND day = ?"
_WRITE = (
    f"INSERT OR REPLACE INTO day_use (office, day, weekday, {', '.join(_COUNTERS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' * len(_COUNTERS))})"
)
_EXPECTED = """
SELECT avg(lodged), count(*) FROM (
  SELECT lodged FROM day_use WHERE office = ? AND weekday = ? AND day < ? ORDER BY day DESC LIMIT ?
)
"""


class DayUse:
    """Per (office, lodging day): declarations lodged, physical inspections (``forced`` of them whatever the
    capacity), random selections and document checks, in ``capacity.sqlite``."""

    def __init__(self, home: Path) -> None:
        path = Path(home) / CAPACITY_USE
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=10, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit is not an fsync; a power cut may lose the last
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints (and their fsync) off the request path
        self._db.execute(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(day_use)")}
        if "high" not in columns:  # a day use from before rosters: its days count no high-risk declarations
            self._db.execute("ALTER TABLE day_use ADD COLUMN high INTEGER NOT NULL DEFAULT 0")
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._checkpoints = threading.Thread(target=self._checkpoint_loop, args=(path,), name="day-use", daemon=True)
        self._checkpoints.start()

    def _checkpoint_loop(self, path: Path) -> None:
        """Copy the WAL into the database every ``CHECKPOINT_EVERY`` seconds, on a connection of its own, so no
        request waits for the fsync a checkpoint makes (a passive one never blocks a writer)."""
        db = sqlite3.connect(path, check_same_thread=False, timeout=10, isolation_level=None)
        try:
            while not self._closed.wait(CHECKPOINT_EVERY):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:  # a busy or full disk: the next round tries again
                    print(f"capacity day use: checkpoint failed: {exc}", file=sys.stderr, flush=True)
        finally:
            db.close()

    def update(self, keys: list[tuple[str, date]], change) -> None:
        """Read the rows of ``keys`` and write back what ``change(rows)`` made of them, in one write transaction
        (``rows``: (office, day) -> a dict of the counters)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = {}
                for office, day in keys:
                    found = self._db.execute(_READ, (office, day.isoformat())).fetchone()
                    rows[office, day] = dict(zip(_COUNTERS, found or (0,) * len(_COUNTERS), strict=True))
                change(rows)
                self._db.executemany(
                    _WRITE,
                    [(o, d.isoformat(), d.weekday(), *(r[c] for c in _COUNTERS)) for (o, d), r in rows.items()],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def expected(self, office: str, day: date) -> float | None:
        """Mean declarations of the office's last same weekdays before ``day``, None without any."""
        with self._lock:
            mean, n = self._db.execute(_EXPECTED, (office, day.weekday(), day.isoformat(), HISTORY_DAYS)).fetchone()
        return float(mean) if n else None

    def days(self, since: date, until: date) -> list[dict]:
        """Every office's counters per day from ``since`` to ``until``."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT office, day, {', '.join(_COUNTERS)} FROM day_use WHERE day BETWEEN ? AND ? ORDER BY 1, 2",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        return [{"office": r[0], "day": r[1], **dict(zip(_COUNTERS, r[2:], strict=True))} for r in rows]

    def day(self, day: date) -> dict[str, dict]:
        """Office -> its counters on ``day``."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT office, {', '.join(_COUNTERS)} FROM day_use WHERE day = ?", (day.isoformat(),)
            )
            return {r[0]: dict(zip(_COUNTERS, r[1:], strict=True)) for r in rows}

    def close(self) -> None:
        self._closed.set()
        self._checkpoints.join()
        self._db.close()


def office_history(scores: np.ndarray, offices: pd.Series, dates: pd.Series, min_rows: int = 200) -> tuple[dict, dict]:
    """From recent declarations' scores, offices and dates: (per office with ``min_rows`` of them and ``"*"``,
    the score at every half per cent; per office, its mean declarations of each weekday over the window, days
    without any included)."""
    qs = np.linspace(0.0, 1.0, GRID_POINTS)
    grid = {"*": np.round(np.quantile(scores, qs), 2).tolist()} if len(scores) else {}
    volumes = {}
    days = pd.to_datetime(dates)
    frame = pd.DataFrame({"office": offices.to_numpy(), "score": scores, "day": days.dt.normalize().to_numpy()})
    span = pd.date_range(days.min().normalize(), days.max().normalize()) if len(frame) else []
    weekdays_in_span = np.bincount([d.weekday() for d in span], minlength=7)
    for office, rows in frame.groupby("office"):
        if not office:
            continue
        if len(rows) >= min_rows:
            grid[str(office)] = np.round(np.quantile(rows["score"].to_numpy(), qs), 2).tolist()
        per_weekday = np.bincount(rows["day"].dt.day_of_week.to_numpy(), minlength=7)
        volumes[str(office)] = [
            round(float(n) / d, 2) if d else 0.0 for n, d in zip(per_weekday, weekdays_in_span, strict=True)
        ]
    return grid, volumes


def _quantile(grid: list[float], share: float) -> float:
    """The score the top ``share`` of the grid's distribution reaches (interpolated)."""
    at = (1.0 - min(max(share, 0.0), 1.0)) * (len(grid) - 1)
    low = int(at)
    if low >= len(grid) - 1:
        return grid[-1]
    return grid[low] + (grid[low + 1] - grid[low]) * (at - low)


class CapacityAllocator:
    """Puts each decision at an office with a capacity where the day's capacity allows (see the module)."""

    def __init__(self, home: Path) -> None:
        self.table = CapacityTable(home)
        self.use = DayUse(home)
        self.rosters = Rosters(home)
        self._expected: dict[tuple[str, date], float | None] = {}

    def expected(self, office: str, day: date, config) -> float | None:
        """Declarations expected at ``office`` on ``day``: the use table's same weekdays, else the snapshot's."""
        key = (office, day)
        if key not in self._expected:
            if len(self._expected) > 10_000:
                self._expected.clear()
            found = self.use.expected(office, day)
            if found is None:
                history = config.volumes.get(office)
                found = history[day.weekday()] if history and history[day.weekday()] > 0 else None
            self._expected[key] = found
        return self._expected[key]

    def allocate(self, decisions: list, prepared: list[dict], config) -> None:
        """Decide the channel of every decision at an office with a capacity, in order, and count the use."""
        today = datetime.now(UTC).date()
        todo = []
        self.rosters.follow()
        for decision, d in zip(decisions, prepared, strict=True):
            office = d["office"]
            day = d["date"] or today
            limits = self.table.limits(office, day, self.rosters.inspector_hours(office, day)) if office else None
            if limits is not None:
                todo.append((decision, office, day, limits))
        if not todo:
            return

        def change(rows: dict) -> None:
            for decision, office, day, limits in todo:
                self._place(decision, office, day, limits, rows[office, day], expected[office, day], config)

        try:
            expected = {(o, day): self.expected(o, day, config) for _, o, day, _ in todo}
            self.use.update(list(expected), change)
        except sqlite3.Error as exc:  # scoring keeps answering: these decisions stand, uncounted
            print(f"capacity day use: {len(todo)} decisions not counted: {exc}", file=sys.stderr, flush=True)

    def _place(self, decision, office: str, day: date, limits: Limits, row: dict, volume, config) -> None:
        forced = decision.random or any(r["kind"] in FORCING for r in decision.reasons)
        medium, high = config.levels_for(office)
        grid = config.score_grid.get(office) or config.score_grid.get("*")
        left = limits.physical - row["physical"]
        if volume is None or not grid:
            threshold = high  # no history: the snapshot's threshold, within the capacity
            doc_threshold = medium
        else:
            remaining = max(volume - row["lodged"], REMAINING_FLOOR * volume, 1.0)
            threshold = _quantile(grid, left / remaining) if left > 0 else float("inf")
            doc_threshold = medium
            if limits.documentary is not None:
                doc_left = max(limits.documentary - row["documentary"], 0)
                doc_threshold = _quantile(grid, (max(left, 0) + doc_left) / remaining) if doc_left else float("inf")
        if left > 0 and decision.score >= threshold:
            channel = "physical inspection"
        elif decision.score >= doc_threshold and (
            limits.documentary is None or row["documentary"] < limits.documentary
        ):
            channel = "document check"
        else:
            channel = "fast release"
        row["lodged"] += 1
        row["high"] += int(not decision.random and (forced or decision.score >= high))
        decision.level = _LEVEL[channel] if not forced or decision.random else decision.level
        if forced:
            channel = max(channel, decision.channel, key=_RANK.__getitem__)
        was = decision.channel
        decision.channel = channel
        if channel == "physical inspection":
            if decision.random:
                row["random"] += 1
            else:
                row["physical"] += 1
                row["forced"] += int(forced)
        elif channel == "document check":
            row["documentary"] += 1
        if channel != "fast release" or was != channel:
            decision.reasons.append(
                {
                    "kind": "capacity",
                    "office": office,
                    "day": day.isoformat(),
                    "threshold": None if threshold == float("inf") else round(threshold, 2),
                    "physical_used": row["physical"],
                    "physical_capacity": limits.physical,
                    "detail": _detail(office, day, channel, was, left, limits, forced, decision.random),
                }
            )

    def assign_officers(self, decisions: list, prepared: list[dict]) -> None:
        """Name the inspector of every decision not released at an office with a roster (``scoring.roster``);
        a failing database leaves the decisions standing without one."""
        try:
            self.rosters.assign(decisions, prepared)
        except sqlite3.Error as exc:
            print(f"roster: {len(decisions)} decisions not assigned: {exc}", file=sys.stderr, flush=True)

    def close(self) -> None:
        self.use.close()
        self.rosters.close()


def _detail(office, day, channel, was, left, limits, forced, random) -> str:
    if random:
        return f"random selection at {office} on {day}, aside from its capacity of {limits.physical}"
    if forced:
        return f"must be inspected: counted in {office}'s capacity of {limits.physical} on {day}"
    if channel == "physical inspection":
        return f"among the riskiest within {office}'s capacity of {limits.physical} on {day} ({left} left)"
    if _RANK[channel] < _RANK[was]:
        return (
            f"{office}'s capacity of {limits.physical} on {day} keeps physical inspection for riskier ones: {channel}"
        )
    return f"{channel} within {office}'s capacity on {day}"


def capacity_overview(
    table: CapacityTable, use: DayUse, day: date, offices: set[str] | None = None, rosters: Rosters | None = None
) -> list[dict]:
    """Per office with a capacity on ``day`` (set, or from its roster; of ``offices`` when given): its limits and
    what was used."""
    used = use.day(day)
    rostered = rosters.offices_on(day) if rosters is not None else set()
    if rosters is not None:
        rosters.follow()
    out = []
    for office in sorted(set(table.offices()) | rostered):
        if offices is not None and office not in offices:
            continue
        hours = rosters.inspector_hours(office, day) if rosters is not None else None
        limits = table.limits(office, day, hours)
        if limits is None:  # investigators only on the roster: no examinations
            continue
        row = used.get(office, dict.fromkeys(_COUNTERS, 0))
        out.append(
            {
                "office": office,
                "day": day.isoformat(),
                "physical_capacity": limits.physical,
                "documentary_capacity": limits.documentary,
                "source": limits.source,
                "inspector_hours": hours,
                **row,
                "physical_left": max(limits.physical - row["physical"], 0),
                "expected": use.expected(office, day),
                "entry": table.offices().get(office),
            }
        )
    return out
