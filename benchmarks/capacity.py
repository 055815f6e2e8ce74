"""Capacity benchmark: a generated quarter lodged day by day within each office's capacity.

Generates a labelled year, loads its first three quarters into a local Neo4j of its own, analyses and trains
on them, sets each office's physical capacity to ``--share`` of its mean day (at least 1), then lodges the
fourth quarter one declaration at a time, day by day, through the scorer with the shared day use
(``scoring.capacity``: the API's path without HTTP). Prints per office: the capacity, the mean and maximum
non-random physical inspections a day against it, must-inspect hits, and the hit rate of those selected
(planted frauds of the generator's ``truth/``) against that of all its declarations; then the cost of the
capacity step per declaration (µs) and of a whole decision with and without it.

With ``--roster K`` every office gets K inspectors on each day of the quarter (their hours sum to the office's
capacity, ``scoring.roster``), so the capacity comes from the roster and every declaration not released is
assigned to an inspector: it prints the spread of the inspectors' loads, the assignment step per declaration
(µs) and a whole decision without a roster, with one, and with capacity alone.

Usage: python -m benchmarks.capacity [--declarations N] [--seed S] [--share 0.03] [--port P] [--home DIR]
       [--reuse] [--roster K]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

from analysis.run import run_analysis
from benchmarks._graph import DATABASE, declaration_count, reset
from columnar.store import DeclarationStore
from graph import local_server
from graph.config import Settings
from graph.connection import check
from ingest.pipeline import ingest_files
from ingest.validate import validate
from ingest.writer import GraphWriter
from sample.generator import generate
from scoring.capacity import CapacityAllocator, CapacityTable
from scoring.pipeline import Capacity, train_and_publish
from scoring.roster import Duty
from scoring.scorer import office_code
from scoring.snapshot import load_scorer

PHYSICAL = "physical inspection"


def _quarters(data: Path) -> tuple[list[Path], Path]:
    files = sorted(data.glob("declarations-*Q*.csv"))
    return files[:-1], files[-1]


def _prepare(args, cfg: Settings) -> Path:
    data = args.home / f"data-{args.declarations}-{args.seed}"
    if not (data / "truth").exists():
        generate(data, args.declarations, args.seed)
    driver = check(cfg)
    if not (args.reuse and declaration_count(driver)):
        reset(driver)
        base, _ = _quarters(data)
        began = time.perf_counter()
        writer = GraphWriter(driver, DATABASE)
        ingest_files(base, writer, cfg.home / "quarantine", batch_rows=cfg.batch_size, store=DeclarationStore(cfg.home))
        run_analysis(driver, DATABASE, cfg.home, seed=args.seed)
        train_and_publish(driver, DATABASE, cfg.home, Capacity(physical=args.share), seed=args.seed)
        print(f"three quarters loaded, analysed and trained in {time.perf_counter() - began:.0f}s", flush=True)
    return data


def _set_capacity(home: Path, history: pd.DataFrame, share: float) -> dict[str, int]:
    """Each office's capacity: ``share`` of its mean day over the history (at least one)."""
    per_day = history.groupby(["office", "date"]).size().groupby("office").mean()
    table, limits = CapacityTable(home), {}
    for office, mean_day in per_day.items():
        code, entry = table.set(office, max(1, round(share * mean_day)), by="benchmark")
        limits[code] = entry["physical"]
    return limits


def _timed(allocator: CapacityAllocator, name: str, spent: list[float]):
    step = getattr(allocator, name)

    def timed(*args):
        began = time.perf_counter()
        step(*args)
        spent.append(time.perf_counter() - began)

    setattr(allocator, name, timed)


def _set_rosters(allocator: CapacityAllocator, limits: dict[str, int], days: list, per_office: int) -> None:
    """``per_office`` inspectors at every office on every day, their hours summing to its capacity."""
    duties = [
        Duty(office, day, f"{office}-{i}", "inspector", max(limits[office], 1) / per_office)
        for office in limits
        for day in days
        for i in range(per_office)
    ]
    allocator.rosters.replace(duties)


def _print_loads(allocator: CapacityAllocator, limits: dict[str, int], days: list) -> None:
    """How evenly the inspectors of each office day (equal hours) were loaded: most minus least assigned minutes."""
    spread, assigned = [], []
    for office in limits:
        for day in days:
            minutes = [d["assigned_minutes"] for d in allocator.rosters.duties(office, day)]
            if minutes and max(minutes) > 0:
                spread.append(max(minutes) - min(minutes))
                assigned.append(sum(minutes))
    if spread:
        print(
            f"inspectors' assigned minutes, most minus least per office day: median {statistics.median(spread):.0f}, "
            f"max {max(spread):.0f} (one physical examination: 60) over {len(spread)} office days with "
            f"{statistics.mean(assigned):.0f} minutes assigned on average"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--share", type=float, default=0.03, help="physical capacity as a share of an office's day")
    parser.add_argument("--port", type=int, default=7769)
    parser.add_argument("--home", type=Path, default=Path("/tmp/riskgraph-bench-capacity"))
    parser.add_argument("--reuse", action="store_true", help="keep the graph and model already in HOME")
    parser.add_argument("--roster", type=int, default=0, help="inspectors per office and day (0: no roster)")
    args = parser.parse_args()
    cfg = Settings(home=args.home, bolt_port=args.port, neo4j_heap="2g", neo4j_pagecache="1g")
    local_server.start(cfg)
    try:
        data = _prepare(args, cfg)
    finally:
        local_server.stop(cfg)  # lodging needs no graph
    base, quarter = _quarters(data)
    history = pd.concat([validate(pd.read_csv(p, dtype=str, keep_default_na=False), p.name)[0] for p in base])
    rows, _ = validate(pd.read_csv(quarter, dtype=str, keep_default_na=False), quarter.name)
    rows = rows.drop(
        columns=[c for c in ("inspected", "violation", "violation_type", "revenue_recovered") if c in rows]
    )
    frauds = set(pd.read_csv(data / "truth" / "declarations.csv", dtype=str)["declaration_id"])
    (args.home / "capacity.sqlite").unlink(missing_ok=True)  # a fresh day use: the quarter replays from nothing
    for suffix in ("-wal", "-shm"):
        (args.home / f"capacity.sqlite{suffix}").unlink(missing_ok=True)
    limits = _set_capacity(args.home, history, args.share)
    scorer, _ = load_scorer(args.home)
    allocator = CapacityAllocator(args.home)
    quarter_days = sorted({pd.Timestamp(d).date() for d in rows["date"]})
    if args.roster:
        _set_rosters(allocator, limits, quarter_days, args.roster)
    spent: list[float] = []
    assigning: list[float] = []
    _timed(allocator, "allocate", spent)
    _timed(allocator, "assign_officers", assigning)
    scorer.set_capacity(allocator)
    days: dict = defaultdict(lambda: {"physical": 0, "forced": 0, "lodged": 0})
    selected: dict = defaultdict(list)
    lodged: dict = defaultdict(list)
    records = rows.sort_values("date", kind="stable").to_dict("records")
    began = time.perf_counter()
    for row in records:
        raw = {k: v for k, v in row.items() if v is not None and v == v}
        [decision] = scorer.score_many([raw], explain="none")
        office, day = office_code(raw.get("office")), str(raw.get("date"))[:10]
        entry = days[office, day]
        entry["lodged"] += 1
        lodged[office].append(decision.declaration_id in frauds)
        if decision.channel == PHYSICAL and not decision.random:
            entry["physical"] += 1
            entry["forced"] += any(r["kind"] in ("intel", "watchlist", "operation") for r in decision.reasons)
            selected[office].append(decision.declaration_id in frauds)
    seconds = time.perf_counter() - began
    print(f"\nlodged {len(records):,} declarations of {quarter.name} one by one in {seconds:.0f}s")
    print(f"{'office':<14}{'capacity':>9}{'days':>6}{'lodged/day':>11}{'mean/day':>9}{'max/day':>8}"
          f"{'hit rate selected':>19}{'hit rate all':>13}")  # fmt: skip
    for office in sorted(limits, key=lambda o: -len(lodged.get(o, []))):
        per_day = [e for (o, _), e in days.items() if o == office]
        if not per_day:
            continue
        used = [e["physical"] for e in per_day]
        chosen, everyone = selected.get(office, []), lodged[office]
        hit = f"{sum(chosen) / len(chosen):.1%} of {len(chosen)}" if chosen else "-"
        print(
            f"{office:<14}{limits[office]:>9}{len(per_day):>6}{statistics.mean(e['lodged'] for e in per_day):>11.1f}"
            f"{statistics.mean(used):>9.2f}{max(used):>8}{hit:>19}{sum(everyone) / len(everyone):>13.1%}"
        )
    for label, timings in (("capacity", spent), ("roster assignment", assigning)):
        cost = sorted(timings)
        print(
            f"{label} step per declaration: p50 {cost[len(cost) // 2] * 1e6:.1f} µs, "
            f"p99 {cost[int(len(cost) * 0.99)] * 1e6:.0f} µs, mean {statistics.mean(cost) * 1e6:.1f} µs"
        )
    if args.roster:
        _print_loads(allocator, limits, quarter_days)
    sample = [{k: v for k, v in row.items() if v is not None and v == v} for row in records[:2000]]
    later = [{**raw, "declaration_id": f"{raw['declaration_id']}-again"} for raw in sample]  # new ids: assigned anew
    for label, capacity, roster in (
        ("without capacity", None, False), ("with capacity, no roster", allocator, False),
        ("with capacity and roster", allocator, bool(args.roster)),
    ):  # fmt: skip
        scorer.set_capacity(capacity)
        if roster:
            _set_rosters(allocator, limits, quarter_days, args.roster)
        else:
            allocator.rosters.replace([], [(o, d) for o in limits for d in quarter_days])
        began = time.perf_counter()
        for raw in later if roster else sample:
            scorer.score_many([raw], explain="none")
        print(f"decision {label}: {(time.perf_counter() - began) / len(sample) * 1e6:.0f} µs per declaration")
    allocator.close()


if __name__ == "__main__":
    main()
