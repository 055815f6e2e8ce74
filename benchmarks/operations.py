"""What a special operation costs at lodging: µs per declaration, in-process, with and without operations.

Scores generated declarations one at a time (as ``POST /v1/score`` does) from a home's scoring snapshot, first
with no operation, then with ``--operations`` operations whose scopes take in every declaration (the worst case:
each declaration is matched and ranked by each), and prints the median and p99 per declaration and the difference;
then the tally's ranking alone (``Tally.choose``) on a stream of ``--stream`` scores, to show it does not grow with
the stream. The tally's file lives in a temporary folder, so the home is not changed.

Usage: python -m benchmarks.operations --home DIR [--declarations 3000] [--operations 3] [--stream 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from benchmarks.scoring import _records
from graph.reference import department_code
from sample.generator import generate
from scoring.operations import Operation, OperationBook, Tally
from scoring.rules import Conditions
from scoring.snapshot import latest_version, load_scorer


def _per_declaration(scorer, records: list[dict]) -> np.ndarray:
    times = np.empty(len(records))
    for i, record in enumerate(records):
        started = time.perf_counter()
        scorer.score_many([record])
        times[i] = time.perf_counter() - started
    return times * 1e6


def _operations(n: int) -> list[Operation]:
    return [
        Operation(
            id=f"op-bench-{i}",
            name=f"benchmark operation {i}",
            target="tax",
            owner=department_code(),
            start=date(2000, 1, 1),
            end=date(2100, 1, 1),
            inspection_rate=0.1,
            scope=Conditions(value_min=0),
            proposed_by="benchmark",
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("RISKGRAPH_HOME", ".riskgraph")))
    parser.add_argument("--declarations", type=int, default=3000)
    parser.add_argument("--operations", type=int, default=3)
    parser.add_argument("--stream", type=int, default=1_000_000)
    args = parser.parse_args()

    scorer, _ = load_scorer(args.home, latest_version(args.home))
    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder) / "data", args.declarations, 11)
        records = _records(Path(folder) / "data", args.declarations)
        _per_declaration(scorer, records[:200])  # warm up
        without = _per_declaration(scorer, records)
        tally = Tally(Path(folder) / "home")
        scorer.set_operations(OperationBook(tally, _operations(args.operations)))
        with_ops = _per_declaration(scorer, records)
        selected = sum(tally.seen(f"op-bench-{i}") for i in range(args.operations))
        print(f"load {Path('/proc/loadavg').read_text().split()[0]}; {len(records)} declarations, {selected} ranked")
        for name, times in (("no operation", without), (f"{args.operations} operations", with_ops)):
            print(f"{name:>14}: p50 {np.median(times):7.1f} µs  p99 {np.percentile(times, 99):7.1f} µs")
        print(f"{'difference':>14}: p50 {np.median(with_ops) - np.median(without):+7.1f} µs per declaration")

        rng = random.Random(1)
        stream = Tally(Path(folder) / "stream")
        checkpoints = {10_000, args.stream // 10, args.stream}
        started, done = time.perf_counter(), 0
        for i in range(1, args.stream + 1):
            stream.choose("op-stream", rng.random() * 100, 0.1, str(i))
            if i in checkpoints:
                took = time.perf_counter() - started
                print(f"tally: {i:>9,} seen, {1e6 * took / (i - done):5.2f} µs per choose over the last {i - done:,}")
                started, done = time.perf_counter(), i


if __name__ == "__main__":
    main()
