"""Dynamic focus benchmark: a planted surge mid-year is warned about within two weeks, a quiet control is not.

A generated year (``--declarations``, seed ``--seed``) is validated as ingest does and written to a columnar store
in a temporary home (no graph needed). The **surge**: from ``--surge-from`` a new concealment route (bananas from
Guayaquil via Colón to Qingdao, ``ECGYE>PAONX>CNTAO``) appears, ``--per-day`` declarations a day, a third of them
inspected and half of those finding drugs. The **quiet control** is the same year without the surge and with its
dates shuffled among its declarations, so nothing in it trends. ``analysis.trends.detect_trends`` runs as of every
day from the surge's first day for four weeks, on both; printed: the first day and the warnings naming the route or
its port, and every warning raised on the control.

Usage: python -m benchmarks.trends [--declarations 30000] [--seed 7] [--surge-from 2025-07-01] [--per-day 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.trends import detect_trends
from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore, declaration_table
from ingest.batch import batch_tables
from ingest.readers import input_files
from ingest.validate import validate
from sample.generator import generate

ROUTE = "ECGYE>PAONX>CNTAO"


def _year(folder: Path, n: int, seed: int) -> pd.DataFrame:
    generate(folder, n, seed)
    clean = [validate(pd.read_csv(p, dtype=str, keep_default_na=False), p.name)[0] for p in input_files([folder])]
    return batch_tables(pd.concat(clean, ignore_index=True)).declarations


def _surge(year: pd.DataFrame, start: date, per_day: int, days: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    template = year.iloc[0]
    rows = []
    for day in range(days):
        for k in range(per_day):
            inspected = rng.random() < 1 / 3
            rows.append(
                {
                    **template.to_dict(),
                    "id": f"SURGE-{day:03d}-{k}",
                    "date": (start + timedelta(days=day)).isoformat(),
                    "hs_code": "0803901000",
                    "hs6": "080390",
                    "origin": "EC",
                    "departure": "EC",
                    "route": ROUTE,
                    "inspected": int(inspected),
                    "violation": int(inspected and rng.random() < 0.5),
                    "violation_type": "drugs",
                }
            )
    return pd.DataFrame(rows)


def _store(home: Path, frame: pd.DataFrame) -> DeclarationStore:
    store = DeclarationStore(home)
    store.write(declaration_table(frame), "benchmark")
    return store


def _watch(store: DeclarationStore, start: date, days: int) -> list[tuple[date, list[dict]]]:
    out = []
    with DuckDBDeclarations(store) as engine:
        for day in range(days):
            as_of = start + timedelta(days=day)
            out.append((as_of, detect_trends(engine, as_of)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--surge-from", type=date.fromisoformat, default=date(2025, 7, 1))
    parser.add_argument("--per-day", type=int, default=3)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        year = _year(folder / "data", args.declarations, args.seed)
        surge = _surge(year, args.surge_from, args.per_day, 120, args.seed)
        planted = _store(folder / "planted", pd.concat([year, surge], ignore_index=True))
        quiet = year.assign(date=year["date"].sample(frac=1, random_state=args.seed).to_numpy())
        control = _store(folder / "control", quiet)
        started = time.perf_counter()
        seen = _watch(planted, args.surge_from, args.days)
        took = (time.perf_counter() - started) / args.days
        on_route = [
            (day, w)
            for day, ws in seen
            for w in ws
            if w["value"] in (ROUTE, ROUTE[:5]) and w["dimension"] in ("route", "port")
        ]
        print(f"{len(year):,} declarations, surge of {args.per_day}/day on {ROUTE} from {args.surge_from}")
        print(f"one detection: {took:.2f} s (load {Path('/proc/loadavg').read_text().split()[0]})")
        if on_route:
            first = on_route[0][0]
            print(f"first warning on the route: {first}, day {(first - args.surge_from).days + 1} of the surge")
            for day, w in on_route:
                if day == first or w["kind"] == "hit":
                    print(f"  {day} {w['kind']:<6} {w['detail']}")
        else:
            print("no warning on the route")
        others = {w["id"]: w for _, ws in seen for w in ws if w["value"] not in (ROUTE, ROUTE[:5])}
        print(f"other warnings on the planted year: {len(others)}")
        for w in list(others.values())[:10]:
            print(f"  {w['as_of']} {w['kind']:<6} {w['detail']}")
        quiet_warnings = {w["id"]: w for _, ws in _watch(control, args.surge_from, args.days) for w in ws}
        print(f"warnings on the quiet control over {args.days} days: {len(quiet_warnings)}")
        for w in list(quiet_warnings.values())[:10]:
            print(f"  {w['as_of']} {w['kind']:<6} {w['detail']}")


if __name__ == "__main__":
    main()
