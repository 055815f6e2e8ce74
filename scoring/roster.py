"""Rosters: the officers on duty per office and day, and the assignment of selected declarations to them.

A roster names, per district office and day, each officer on duty with a role (``inspector`` or
``investigator``) and hours (given, or from a shift's start and end; a shift past midnight ends the next day).
It is loaded from a CSV (``riskgraph roster load``: whole file checked first, refused with each bad row's
number and reason, nothing written) or put per office and day (``PUT /v1/roster/{office}?date=``); an office's
day is replaced whole.

At lodging (:meth:`Rosters.assign`), every decision not released at an office with inspectors on that day's
roster is assigned to the inspector whose assigned examination time is the smallest share of their rostered
time (:data:`MINUTES` per inspection type), fewest assigned and name breaking ties. The declaration keeps its
officer: scoring it again names the same one and counts nothing twice. The work is a few indexed rows per
selected declaration, whatever the day's volume (fast releases cost one dictionary read).

Everything is in the capacity's day-use database (``capacity.sqlite``), shared by the API workers and kept over
restarts: ``roster``, ``officer_use`` (assigned count and minutes per officer and day), ``assignment`` (per
declaration) and ``act`` (per inspection act: who did it, on which day, what was found). A roster change
touches ``roster.stamp`` so every worker drops its cached view of who is on duty within half a second.
"""

from __future__ import annotations

import csv
import io
import math
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic

from graph.errors import RiskGraphError
from graph.home import CAPACITY_USE
from graph.reference import WORKING_LEVELS, resolve_office

__all__ = [
    "ROLES",
    "MINUTES",
    "RosterError",
    "Duty",
    "Rosters",
    "parse_duty",
    "read_roster_file",
    "physical_from_hours",
]

ROLES = ("inspector", "investigator")
#: expected minutes of one examination per inspection type (an administration's own type counts as physical)
MINUTES = {"documentary": 15.0, "scan": 20.0, "sample": 45.0, "physical": 60.0}
#: the file's columns: office, date, officer, then role (default inspector) and hours or start and end
REQUIRED = ("office", "date", "officer")
OPTIONAL = ("role", "hours", "start", "end")
MAX_ROWS = 100_000
STAMP = "roster.stamp"
#: seconds a scorer goes on with the rostered hours it holds before looking for a change
RECHECK_SECONDS = 0.5


class RosterError(RiskGraphError, ValueError):
    """A roster that cannot be stored; the message names each bad row and why."""

    status, code = 422, "invalid_roster"


@dataclass(frozen=True)
class Duty:
    """One officer on duty at an office on a day."""

    office: str
    day: date
    officer: str
    role: str
    hours: float
    start: str | None = None  # HH:MM, when given as a shift
    end: str | None = None


def physical_from_hours(hours: float) -> int:
    """Physical inspections a day that rostered inspector hours allow (:data:`MINUTES` ``physical`` each)."""
    return int(math.floor(hours * 60 / MINUTES["physical"] + 1e-6))


def _clock(value: str, name: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise RosterError(f"{name}: a time of day HH:MM, got {value!r}") from None


def parse_duty(office: str, day, officer, role=None, hours=None, start=None, end=None) -> Duty:
    """A :class:`Duty` from loose values; raises :class:`RosterError` naming the field."""
    found = resolve_office(str(office or "").strip())
    if found is None:
        raise RosterError(f"office: {office!r} is not a customs office code or name (riskgraph offices list)")
    if found.level not in WORKING_LEVELS:
        raise RosterError(f"office: {found.code} is a {found.level}; rosters are kept per district or post")
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(str(day or "").strip())
        except ValueError:
            raise RosterError(f"date: expected YYYY-MM-DD, got {day!r}") from None
    officer = str(officer or "").strip()
    if not officer or len(officer) > 100:
        raise RosterError(f"officer: a name or number of 1-100 characters, got {officer!r}")
    role = str(role or "inspector").strip().lower()
    if role not in ROLES:
        raise RosterError(f"role: one of {', '.join(ROLES)}, got {role!r}")
    blank = [v is None or str(v).strip() == "" for v in (hours, start, end)]
    if not blank[0] and not (blank[1] and blank[2]):
        raise RosterError("give hours or a shift's start and end, not both")
    if blank[0]:
        if blank[1] or blank[2]:
            raise RosterError("hours: missing (give hours, or a shift's start and end)")
        opens, closes = _clock(str(start), "start"), _clock(str(end), "end")
        span = datetime.combine(day, closes) - datetime.combine(day, opens)
        if span <= timedelta(0):
            span += timedelta(days=1)  # a night shift ends the next day
        value = span.total_seconds() / 3600
        start, end = opens.strftime("%H:%M"), closes.strftime("%H:%M")
    else:
        try:
            value = float(str(hours).strip())
        except ValueError:
            raise RosterError(f"hours: not a number: {hours!r}") from None
        start = end = None
    if not (0 < value <= 24):
        raise RosterError(f"hours: more than 0 and at most 24, got {value:g}")
    return Duty(found.code, day, officer, role, round(value, 2), start, end)


def read_roster_file(path: Path | str) -> list[Duty]:
    """Every duty of a roster CSV, or :class:`RosterError` listing each bad row (its line in the file) and why."""
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
    missing = [c for c in REQUIRED if c not in columns]
    if missing or not ("hours" in columns or {"start", "end"} <= columns.keys()):
        need = ", ".join(missing) or "hours (or start and end)"
        expected = "office, date, officer, [role], hours | start, end"
        raise RosterError(f"{path}: missing column(s) {need}; expected {expected}")
    duties, errors, seen = [], [], {}
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise RosterError(f"{path}: more than {MAX_ROWS:,} rows; split the file")
        values = {c: row.get(columns[c]) for c in (*REQUIRED, *OPTIONAL) if c in columns}
        try:
            duty = parse_duty(values.pop("office"), values.pop("date"), **values)
        except RosterError as exc:
            errors.append(f"row {line}: {exc}")
            continue
        key = (duty.office, duty.day, duty.officer)
        if key in seen:
            twice = f"{duty.officer} is already on {duty.office}'s roster of {duty.day} (row {seen[key]})"
            errors.append(f"row {line}: {twice}")
            continue
        seen[key] = line
        duties.append(duty)
    if errors:
        shown = "\n".join(errors[:50]) + (f"\n… and {len(errors) - 50} more" if len(errors) > 50 else "")
        raise RosterError(f"{path}: {len(errors)} bad row(s), nothing loaded:\n{shown}")
    if not duties:
        raise RosterError(f"{path}: no rows")
    return duties


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS roster (
      office TEXT NOT NULL, day TEXT NOT NULL, officer TEXT NOT NULL, role TEXT NOT NULL, hours REAL NOT NULL,
      start TEXT, end_ TEXT, PRIMARY KEY (office, day, officer))""",
    """CREATE TABLE IF NOT EXISTS officer_use (
      office TEXT NOT NULL, day TEXT NOT NULL, officer TEXT NOT NULL,
      assigned INTEGER NOT NULL DEFAULT 0, minutes REAL NOT NULL DEFAULT 0, PRIMARY KEY (office, day, officer))""",
    """CREATE TABLE IF NOT EXISTS assignment (
      declaration_id TEXT PRIMARY KEY, office TEXT NOT NULL, day TEXT NOT NULL, officer TEXT NOT NULL,
      inspection_type TEXT, minutes REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS act (
      declaration_id TEXT PRIMARY KEY, office TEXT, day TEXT NOT NULL, officer TEXT NOT NULL,
      violation INTEGER NOT NULL, minutes REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS act_day ON act (day)",
)
_ON_DUTY = """
SELECT r.officer, r.hours, coalesce(u.minutes, 0), coalesce(u.assigned, 0)
FROM roster r LEFT JOIN officer_use u ON u.office = r.office AND u.day = r.day AND u.officer = r.officer
WHERE r.office = ? AND r.day = ? AND r.role = 'inspector'
"""
_USE = """
INSERT INTO officer_use (office, day, officer, assigned, minutes) VALUES (?, ?, ?, 1, ?)
ON CONFLICT (office, day, officer) DO UPDATE SET assigned = assigned + 1, minutes = minutes + excluded.minutes
"""


class Rosters:
    """Rosters, assignments and inspection acts in ``capacity.sqlite`` (see the module)."""

    def __init__(self, home: Path) -> None:
        path = Path(home) / CAPACITY_USE
        path.parent.mkdir(parents=True, exist_ok=True)
        self._stamp_path = path.with_name(STAMP)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=10, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # the day use's thread checkpoints the shared WAL
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._lock = threading.Lock()
        self._seen_stamp: int | None = None
        self._checked = -RECHECK_SECONDS
        self._hours: dict[tuple[str, date], float | None] = {}

    # --- the roster -------------------------------------------------------------------------------------
    def replace(self, duties: Iterable[Duty], days: Iterable[tuple[str, date]] = ()) -> int:
        """Make each (office, day) of ``duties`` (and of ``days``, which may end empty) exactly these duties, in
        one transaction; returns the duties stored."""
        duties = list(duties)
        keys = {(d.office, d.day) for d in duties} | set(days)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "DELETE FROM roster WHERE office = ? AND day = ?", [(o, d.isoformat()) for o, d in keys]
                )
                self._db.executemany(
                    "INSERT INTO roster VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(d.office, d.day.isoformat(), d.officer, d.role, d.hours, d.start, d.end) for d in duties],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self._stamp_path.write_text(datetime.now(UTC).isoformat())  # other workers drop their cached hours
        self._hours.clear()  # and this one at once
        return len(duties)

    def duties(self, office: str, day: date) -> list[dict]:
        """The office's roster on ``day`` with each officer's assigned declarations and minutes."""
        with self._lock:
            rows = self._db.execute(
                """SELECT r.officer, r.role, r.hours, r.start, r.end_, coalesce(u.assigned, 0), coalesce(u.minutes, 0)
                   FROM roster r LEFT JOIN officer_use u
                     ON u.office = r.office AND u.day = r.day AND u.officer = r.officer
                   WHERE r.office = ? AND r.day = ? ORDER BY r.role, r.officer""",
                (office, day.isoformat()),
            ).fetchall()
        keys = ("officer", "role", "hours", "start", "end", "assigned", "assigned_minutes")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def follow(self) -> None:
        """Drop the cached hours when a roster changed (any worker): one stat of ``roster.stamp`` at most every
        :data:`RECHECK_SECONDS` (a system call per declaration would let other threads take the GIL)."""
        now = monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return
        self._checked = now
        try:
            stamp = self._stamp_path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = 0
        if stamp != self._seen_stamp:
            self._hours.clear()
            self._seen_stamp = stamp

    def inspector_hours(self, office: str | None, day: date) -> float | None:
        """Hours of the inspectors on ``office``'s roster of ``day``; None without any (cached until
        :meth:`follow` sees a roster change)."""
        if not office:
            return None
        key = (office, day)
        if key not in self._hours:
            if len(self._hours) > 10_000:
                self._hours.clear()
            with self._lock:
                hours, n = self._db.execute(
                    "SELECT sum(hours), count(*) FROM roster WHERE office = ? AND day = ? AND role = 'inspector'",
                    (office, day.isoformat()),
                ).fetchone()
            self._hours[key] = float(hours) if n else None
        return self._hours[key]

    def offices_on(self, day: date) -> set[str]:
        """Offices with anyone on the roster of ``day``."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT office FROM roster WHERE day = ?", (day.isoformat(),))
            return {r[0] for r in rows}

    def inspector_days(self, since: date, until: date) -> list[tuple[str, str]]:
        """(office, ISO day) with inspectors on the roster, from ``since`` to ``until``."""
        with self._lock:
            return self._db.execute(
                "SELECT DISTINCT office, day FROM roster WHERE role = 'inspector' AND day BETWEEN ? AND ?",
                (since.isoformat(), until.isoformat()),
            ).fetchall()

    def investigators(self, offices: set[str] | None, day: date) -> list[str]:
        """Investigators on the roster of ``day`` at ``offices`` (any office when None)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT office, officer FROM roster WHERE day = ? AND role = 'investigator'",
                (day.isoformat(),),
            ).fetchall()
        return sorted({officer for office, officer in rows if offices is None or office in offices})

    # --- assignment at lodging -------------------------------------------------------------------------
    def assign(self, decisions: list, prepared: list[dict]) -> None:
        """Name an inspector for every decision not released at an office with inspectors rostered that day
        (``decision.inspection["officer"]``); see the module for the balance."""
        self.follow()
        today = None
        todo = []
        for decision, d in zip(decisions, prepared, strict=True):
            if decision.inspection is None or not d["office"] or not d["id"]:
                continue
            day = d["date"] or (today := today or datetime.now(UTC).date())
            if self.inspector_hours(d["office"], day) is not None:
                todo.append((decision, d["id"], d["office"], day))
        if not todo:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for decision, declaration_id, office, day in todo:
                    decision.inspection["officer"] = self._assign_one(decision, declaration_id, office, day)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _assign_one(self, decision, declaration_id: str, office: str, day: date) -> str | None:
        known = self._db.execute(
            "SELECT officer FROM assignment WHERE declaration_id = ?", (declaration_id,)
        ).fetchone()
        if known is not None:
            return known[0]
        on_duty = self._db.execute(_ON_DUTY, (office, day.isoformat())).fetchall()
        if not on_duty:
            return None
        officer = min(on_duty, key=lambda r: (r[2] / (r[1] * 60), r[3], r[0]))[0]
        kind = decision.inspection.get("type")
        minutes = MINUTES.get(kind, MINUTES["physical"])
        self._db.execute(_USE, (office, day.isoformat(), officer, minutes))
        self._db.execute(
            "INSERT INTO assignment VALUES (?, ?, ?, ?, ?, ?)",
            (declaration_id, office, day.isoformat(), officer, kind, minutes),
        )
        return officer

    # --- inspection acts and utilisation ---------------------------------------------------------------
    def record_act(self, declaration_id: str, office: str | None, day: date, officer: str, violation: int,
                   minutes: float) -> None:  # fmt: skip
        """Keep who did an inspection act on which day and what it found (once per declaration: the last act)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO act VALUES (?, ?, ?, ?, ?, ?)",
                (declaration_id, office, day.isoformat(), officer, int(violation), float(minutes)),
            )

    def office_of(self, declaration_id: str) -> str | None:
        """The office the declaration was assigned at, None when it was not."""
        with self._lock:
            found = self._db.execute(
                "SELECT office FROM assignment WHERE declaration_id = ?", (declaration_id,)
            ).fetchone()
        return found[0] if found else None

    def officer_days(self, since: date, until: date) -> list[dict]:
        """Per office, officer and day from ``since`` to ``until``: role, rostered hours, assigned, assigned
        minutes, acts done, violations found and minutes spent (officers with acts but no roster included)."""
        span = (since.isoformat(), until.isoformat())
        with self._lock:
            rostered = self._db.execute(
                """SELECT r.office, r.officer, r.day, r.role, r.hours, coalesce(u.assigned, 0), coalesce(u.minutes, 0)
                   FROM roster r LEFT JOIN officer_use u
                     ON u.office = r.office AND u.day = r.day AND u.officer = r.officer
                   WHERE r.day BETWEEN ? AND ?""",
                span,
            ).fetchall()
            acts = self._db.execute(
                """SELECT coalesce(office, ''), officer, day, count(*), sum(violation), sum(minutes) FROM act
                   WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3""",
                span,
            ).fetchall()
        out = {}
        for office, officer, day, role, hours, assigned, minutes in rostered:
            out[office, officer, day] = {
                "office": office, "officer": officer, "day": day, "role": role, "hours": hours, "assigned": assigned,
                "assigned_minutes": minutes, "done": 0, "violations": 0, "minutes_spent": 0.0,
            }  # fmt: skip
        for office, officer, day, done, violations, minutes in acts:
            entry = out.get((office, officer, day))
            if entry is None:
                entry = out.setdefault(
                    (office, officer, day),
                    {"office": office or None, "officer": officer, "day": day, "role": None, "hours": 0.0,
                     "assigned": 0, "assigned_minutes": 0.0, "done": 0, "violations": 0, "minutes_spent": 0.0},
                )  # fmt: skip
            entry.update(done=done, violations=violations, minutes_spent=round(minutes, 2))
        return [out[k] for k in sorted(out, key=lambda k: (k[0] or "", k[1], k[2]))]

    def close(self) -> None:
        self._db.close()
