"""Rosters, assignment by workload and utilisation, in-process (the HTTP behaviour is in ``tests/test_roster.py``).

A roster file with any subset of its optional columns (role; hours or a shift's start and end) loads whole or
is refused with each bad row's number, writing nothing; assignment balances each inspector's expected
examination time against their rostered hours, names the same officer when a declaration is scored again and
counts it once; the rostered inspector hours become the day's capacity unless a capacity was set for that date;
utilisation finds the short and the idle days.
"""

from __future__ import annotations

import csv
import re
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.capacity import CapacityAllocator, CapacityTable
from scoring.roster import MINUTES, RosterError, Rosters, read_roster_file
from scoring.scorer import CHANNELS, Decision, ScoringConfig
from scoring.utilisation import utilisation

DAY = date(2026, 3, 2)
OFFICE = "Qingdao"  # a district of the seed's organisation
TYPES = ("documentary", "scan", "physical", "sample")

row = st.fixed_dictionaries(
    {
        "officer": st.text("abcdefghij", min_size=1, max_size=6),
        "role": st.sampled_from(["inspector", "investigator", "Inspector "]),
        "hours": st.floats(0.5, 12).map(lambda h: round(h, 1)),
        "start": st.integers(0, 23),
        "bad": st.sampled_from([None] * 6 + ["office", "date", "hours", "role"]),
    }
)


def _write(path, rows: list[dict], columns: list[str]) -> None:
    with path.open("w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=columns)
        out.writeheader()
        for r in rows:
            out.writerow({k: v for k, v in r.items() if k in columns})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=15), with_role=st.booleans(), as_shift=st.booleans())
def test_a_roster_file_loads_whole_or_is_refused_with_its_bad_rows(rows, with_role, as_shift, tmp_path_factory):
    home = tmp_path_factory.mktemp("roster")
    columns = [
        "office",
        "date",
        "officer",
        *(["role"] if with_role else []),
        *(["start", "end"] if as_shift else ["hours"]),
    ]
    written, bad, seen = [], set(), set()
    for line, r in enumerate(rows, start=2):
        record = {"office": OFFICE, "date": DAY.isoformat(), "officer": r["officer"], "role": r["role"],
                  "hours": r["hours"], "start": f"{r['start']:02d}:00", "end": f"{(r['start'] + 8) % 24:02d}:00"}  # fmt: skip
        if r["bad"] == "office":
            record["office"] = "Atlantis"
        elif r["bad"] == "date":
            record["date"] = "2026-02-30"
        elif r["bad"] == "hours":
            record["hours"], record["start"] = "many", "25:00"
        elif r["bad"] == "role" and with_role:
            record["role"] = "driver"
        if (r["bad"] and (r["bad"] != "role" or with_role)) or r["officer"] in seen:
            bad.add(line)
        else:
            seen.add(r["officer"])
        written.append(record)
    path = home / "roster.csv"
    _write(path, written, columns)
    rosters = Rosters(home)
    if bad:
        with pytest.raises(RosterError) as refused:
            rosters.replace(read_roster_file(path))
        named = {int(n) for n in re.findall(r"row (\d+):", str(refused.value))}
        assert named == bad
        assert rosters.duties("QDHG", DAY) == [] and rosters.inspector_hours("QDHG", DAY) is None
    else:
        duties = read_roster_file(path)
        assert rosters.replace(duties) == len(rows)
        stored = rosters.duties(duties[0].office, DAY)
        assert sorted(d["officer"] for d in stored) == sorted(r["officer"] for r in rows)
        inspectors = [r for r in rows if not with_role or r["role"].strip().lower() == "inspector"]
        expected = sum(8.0 if as_shift else r["hours"] for r in inspectors)
        assert rosters.inspector_hours(duties[0].office, DAY) == (pytest.approx(expected) if inspectors else None)
    rosters.close()


def _roster(home, officers: dict[str, float]) -> tuple[str, Rosters]:
    path = home / "roster.csv"
    _write(path, [{"office": OFFICE, "date": DAY.isoformat(), "officer": o, "hours": h} for o, h in officers.items()],
           ["office", "date", "officer", "hours"])  # fmt: skip
    rosters = Rosters(home)
    duties = read_roster_file(path)
    rosters.replace(duties)
    return duties[0].office, rosters


def _selected(i: int, kind: str) -> Decision:
    channel = CHANNELS["medium"] if kind in ("documentary", "scan") else CHANNELS["high"]
    decision = Decision(f"D{i}", 70.0, 0.3, "high", channel, False, [], [])
    decision.inspection = {"type": kind, "instruction": "look", "source": "channel"}
    return decision


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hours=st.lists(st.sampled_from([2.0, 4.0, 8.0]), min_size=1, max_size=5),
    kinds=st.lists(st.sampled_from(TYPES), min_size=1, max_size=120),
)
def test_assignment_balances_examination_time_against_rostered_hours(hours, kinds, tmp_path_factory):
    home = tmp_path_factory.mktemp("assign")
    office, rosters = _roster(home, {f"officer-{i}": h for i, h in enumerate(hours)})
    decisions = [_selected(i, k) for i, k in enumerate(kinds)]
    for d in decisions:  # one at a time, as lodged
        rosters.assign([d], [{"id": d.declaration_id, "office": office, "date": DAY}])
    named = {d.inspection["officer"] for d in decisions}
    assert named <= {f"officer-{i}" for i in range(len(hours))}
    duties = {d["officer"]: d for d in rosters.duties(office, DAY)}
    assert sum(d["assigned"] for d in duties.values()) == len(kinds)
    loads = [d["assigned_minutes"] / (d["hours"] * 60) for d in duties.values()]
    # each assignment goes to the lowest load, so no officer is more than one examination above another
    assert max(loads) - min(loads) <= MINUTES["physical"] / (min(hours) * 60) + 1e-9
    # scoring a declaration again names the same officer and counts nothing twice
    again = _selected(0, kinds[0])
    rosters.assign([again], [{"id": "D0", "office": office, "date": DAY}])
    assert again.inspection["officer"] == decisions[0].inspection["officer"]
    assert sum(d["assigned"] for d in rosters.duties(office, DAY)) == len(kinds)
    rosters.close()


def test_released_declarations_and_offices_without_a_roster_get_no_officer(tmp_path):
    office, rosters = _roster(tmp_path, {"a": 8.0})
    released = Decision("R1", 1.0, 0.01, "low", CHANNELS["low"], False, [], [])
    elsewhere = _selected(2, "physical")
    rosters.assign([released, elsewhere], [{"id": "R1", "office": office, "date": DAY},
                                           {"id": "D2", "office": "SHPD", "date": DAY}])  # fmt: skip
    assert released.inspection is None and "officer" not in elsewhere.inspection
    assert rosters.duties(office, DAY)[0]["assigned"] == 0
    rosters.close()


def test_rostered_inspector_hours_are_the_capacity_unless_set_for_the_date(tmp_path):
    office, rosters = _roster(tmp_path, {"a": 8.0, "b": 8.0, "c": 4.0})
    table = CapacityTable(tmp_path)
    assert table.limits(office, DAY, rosters.inspector_hours(office, DAY)).physical == 20  # 20 h at 60 min each
    table.set(office, 50)  # the office's default and a weekday lose to the day's roster
    table.set(office, 40, weekday="mon")
    limits = table.limits(office, DAY, rosters.inspector_hours(office, DAY))
    assert (limits.physical, limits.source) == (20, "roster")
    assert table.limits(office, date(2026, 3, 9), None).source == "weekday"  # a Monday without a roster
    table.set(office, 7, on=DAY)  # a capacity set for the date beats the roster
    assert table.limits(office, DAY, rosters.inspector_hours(office, DAY)).source == "date"
    rosters.close()


def test_utilisation_finds_short_and_idle_days(tmp_path):
    office, rosters = _roster(tmp_path, {"a": 2.0})  # capacity 2 a day from the roster
    rosters.close()
    other = date(2026, 3, 3)
    path = tmp_path / "more.csv"
    _write(path, [{"office": OFFICE, "date": other.isoformat(), "officer": "a", "hours": 2}],
           ["office", "date", "officer", "hours"])  # fmt: skip
    allocator = CapacityAllocator(tmp_path)
    allocator.rosters.replace(read_roster_file(path))
    grid = np.linspace(0, 100, 201).round(2).tolist()
    config = ScoringConfig(thresholds={"*": (30.0, 60.0)}, score_grid={"*": grid}, volumes={office: [10.0] * 7})
    for i, score in enumerate([95, 90, 85, 80, 10]):  # four high-risk on the first day: short of 2
        d = Decision(f"S{i}", float(score), 0.5, "high", CHANNELS["high"], False, [], [])
        allocator.allocate([d], [{"id": d.declaration_id, "office": office, "date": DAY}], config)
    d = Decision("T0", 10.0, 0.01, "low", CHANNELS["low"], False, [], [])  # the second day: nothing risky
    allocator.allocate([d], [{"id": "T0", "office": office, "date": other}], config)
    allocator.rosters.record_act("S0", office, DAY, "a", 1, 45.0)
    figures = utilisation(allocator.table, allocator.use, allocator.rosters, DAY, other)
    [entry] = figures["offices"]
    assert entry["short_days"] == [{"day": DAY.isoformat(), "high_risk": 4, "capacity": 2}]
    assert entry["idle_days"] == [{"day": other.isoformat(), "used": 0, "capacity": 2}]
    assert (entry["hours"], entry["done"], entry["violations"], entry["hits_per_officer_hour"]) == (4.0, 1, 1, 0.25)
    allocator.close()
