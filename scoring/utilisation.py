"""Utilisation of inspection capacity and officers over a period, for the report, ``GET /v1/utilisation`` and
``riskgraph roster utilisation``.

Per officer (``scoring.roster``): days and hours rostered, declarations assigned at lodging and their expected
minutes, inspection acts done (``POST /v1/inspections``, on the act's start day), violations found, hits per
rostered officer-hour and load (assigned minutes over rostered minutes). Per office the same summed, and its
days against capacity (``scoring.capacity``): **short** when more declarations were high-risk (the snapshot's
thresholds or a must-inspect hit) than the capacity, **idle** when a finished day left capacity unused
(a rostered day with nothing lodged counts as idle too).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from scoring.capacity import CapacityTable, DayUse
from scoring.roster import Rosters

__all__ = ["utilisation", "read_utilisation"]


def _per_hour(violations: int, hours: float) -> float | None:
    return round(violations / hours, 4) if hours else None


def _officer_totals(rows: list[dict]) -> list[dict]:
    by = {}
    for r in rows:
        entry = by.setdefault(
            (r["office"], r["officer"]),
            {"office": r["office"], "officer": r["officer"], "role": r["role"], "days": 0, "hours": 0.0,
             "assigned": 0, "assigned_minutes": 0.0, "done": 0, "violations": 0, "minutes_spent": 0.0},
        )  # fmt: skip
        entry["role"] = entry["role"] or r["role"]
        entry["days"] += int(r["hours"] > 0)
        for k in ("hours", "assigned", "assigned_minutes", "done", "violations", "minutes_spent"):
            entry[k] += r[k]
    for e in by.values():
        e["hours"], e["assigned_minutes"], e["minutes_spent"] = (
            round(e["hours"], 2), round(e["assigned_minutes"], 2), round(e["minutes_spent"], 2)
        )  # fmt: skip
        e["hits_per_officer_hour"] = _per_hour(e["violations"], e["hours"])
        e["load"] = round(e["assigned_minutes"] / (e["hours"] * 60), 4) if e["hours"] else None
    return [by[k] for k in sorted(by, key=lambda k: (k[0] or "", k[1]))]


def _capacity_days(table, use, rosters, since, until, offices) -> dict[str, dict]:
    today = datetime.now(UTC).date()
    days = {(r["office"], r["day"]): r for r in use.days(since, until)}
    for office, day in rosters.inspector_days(since, until):
        days.setdefault((office, day), {"office": office, "day": day, "physical": 0, "high": 0, "lodged": 0})
    out = defaultdict(lambda: {"days": 0, "short_days": [], "idle_days": []})
    rosters.follow()
    for (office, day_text), row in sorted(days.items()):
        if offices is not None and office not in offices:
            continue
        day = date.fromisoformat(day_text)
        limits = table.limits(office, day, rosters.inspector_hours(office, day))
        if limits is None:
            continue
        entry = out[office]
        entry["days"] += 1
        if row["high"] > limits.physical:
            entry["short_days"].append({"day": day_text, "high_risk": row["high"], "capacity": limits.physical})
        elif day < today and row["physical"] < limits.physical:
            entry["idle_days"].append({"day": day_text, "used": row["physical"], "capacity": limits.physical})
    return out


def utilisation(
    table: CapacityTable,
    use: DayUse,
    rosters: Rosters,
    since: date,
    until: date,
    offices: set[str] | None = None,
) -> dict:
    """Officers' and offices' utilisation from ``since`` to ``until`` (both included), of ``offices`` when given."""
    rows = [r for r in rosters.officer_days(since, until) if offices is None or r["office"] in offices]
    officers = _officer_totals(rows)
    capacity = _capacity_days(table, use, rosters, since, until, offices)
    by_office = {}
    for o in officers:
        entry = by_office.setdefault(
            o["office"],
            {"office": o["office"], "officers": 0, "hours": 0.0, "assigned": 0, "done": 0, "violations": 0},
        )
        entry["officers"] += 1
        for k in ("hours", "assigned", "done", "violations"):
            entry[k] += o[k]
    for office in capacity:
        by_office.setdefault(
            office, {"office": office, "officers": 0, "hours": 0.0, "assigned": 0, "done": 0, "violations": 0}
        )
    out = []
    for office in sorted(by_office, key=lambda o: o or ""):
        entry = by_office[office]
        entry["hours"] = round(entry["hours"], 2)
        entry["hits_per_officer_hour"] = _per_hour(entry["violations"], entry["hours"])
        entry.update(capacity.get(office, {"days": 0, "short_days": [], "idle_days": []}))
        out.append(entry)
    return {"period": {"from": since.isoformat(), "to": until.isoformat()}, "offices": out, "officers": officers}


def read_utilisation(home, since: date, until: date, offices=None) -> dict:
    """:func:`utilisation` from the stores under ``home``, opened and closed here."""
    use, rosters = DayUse(home), Rosters(home)
    try:
        return utilisation(CapacityTable(home), use, rosters, since, until, None if offices is None else set(offices))
    finally:
        use.close()
        rosters.close()
