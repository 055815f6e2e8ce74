"""Ingest benchmark: 1M generated declarations into a fresh local Neo4j.

Prints rows/s and wall time for the first load (bar: <= 3 min on 2 cores) and, in the same run
and on the same server, a naive one-row-per-transaction load of a 10k sample, with the ratio
between the two. The first load into an empty graph is what ``riskgraph ingest`` does: the bulk
importer (``--cypher``: the batched Cypher writer instead, as for later loads).

``--incremental N``: a later load instead (bar: >= 2,500 rows/s on 2 cores, issue 29): the year less its last
days is bulk loaded, then N rows (a day) go through the Cypher writer into that graph as ``riskgraph ingest`` writes
them (the columnar copy too), and rows/s is printed with the CPU seconds of the command and of Neo4j per row.
``--baseline REV`` compares with the writer of git revision REV (a worktree of it, in a subprocess, same
server, same graph): two days of N rows for each first (REV, this, REV, this), not counted, because the
server is cold after the bulk load (unplanned statements, code not yet compiled by the JVM: the same writer
looked 2.1 times slower loading first than second, and Neo4j's CPU per row kept falling for about 30,000
rows), then four days in the order REV, this, this, REV; each side's figure is the mean of its two days.
Usage: python benchmarks/ingest.py [--declarations N] [--port P] [--data DIR] [--cypher]
       [--incremental 50000 [--baseline REV]] [--memory 6g]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the ``ingest`` package: run as a script, put the repo root, not its folder, on the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from benchmarks._graph import declaration_count, reset, server_cpu, split_days  # noqa: E402
from graph import local_server  # noqa: E402
from graph.config import Settings  # noqa: E402
from graph.connection import check  # noqa: E402
from graph.stats import graph_stats  # noqa: E402
from ingest.batch import build_batch  # noqa: E402
from ingest.bulk import bulk_ingest  # noqa: E402
from ingest.pipeline import ingest_files  # noqa: E402
from ingest.readers import read_chunks  # noqa: E402
from ingest.validate import validate  # noqa: E402
from ingest.writer import GraphWriter  # noqa: E402
from sample.generator import generate  # noqa: E402


def naive_rows_per_s(driver, sample_dir: Path, rows: int) -> float:
    """One declaration per transaction, no entity cache: what a row-by-row loader does."""
    batches = []
    for chunk in read_chunks([sample_dir], 5000):
        clean, _ = validate(chunk.frame, chunk.source, chunk.rows)
        for i in range(len(clean)):
            batches.append(build_batch(clean.iloc[i : i + 1]))
            if len(batches) == rows:
                break
        if len(batches) == rows:
            break
    began = time.perf_counter()
    for batch in batches:
        GraphWriter(driver, "neo4j").write(batch)
    return len(batches) / (time.perf_counter() - began)


_DAY_LOAD = """
import sys, time
from pathlib import Path
from columnar.store import DeclarationStore
from graph.config import Settings
from graph.connection import check
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
cfg = Settings(home=Path(sys.argv[1]), bolt_port=int(sys.argv[2]))
began, cpu = time.perf_counter(), time.process_time()
writer = GraphWriter(check(cfg), "neo4j")
report = ingest_files(
    [Path(sys.argv[3])], writer, cfg.home / "quarantine", batch_rows=cfg.batch_size, store=DeclarationStore(cfg.home)
)
print(report.read, time.perf_counter() - began, time.process_time() - cpu)
"""


def day_load(code: Path, cfg: Settings, day: Path) -> tuple[int, float, float]:
    """(rows read, seconds, CPU seconds of the command) of a Cypher load of ``day`` with the ingest code of the
    checkout ``code``, as ``riskgraph ingest`` does it (the columnar copy written too)."""
    out = subprocess.run(
        [sys.executable, "-c", _DAY_LOAD, str(cfg.home), str(cfg.bolt_port), str(day)],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[-3]), float(out[-2]), float(out[-1])


def incremental(args: argparse.Namespace, cfg: Settings, data: Path, work: Path) -> None:
    """Bulk-load the year less its last days, then each day through Cypher (with REV: two warm-up days each,
    then REV, this, this, REV)."""
    here = _HERE.parent
    sides = [("this checkout", here)]
    if args.baseline:
        old = work / "baseline"
        sides.insert(0, (f"baseline {args.baseline}", old))
    warm = 2 * len(sides) if args.baseline else 0
    order = [*sides, *sides, sides[0], sides[1], sides[1], sides[0]] if args.baseline else sides
    base, days = split_days(data, work / "split", *[args.incremental] * len(order))
    bulk_ingest([base], cfg)
    print(f"base: {declaration_count(check(cfg)):,} declarations bulk loaded")
    if args.baseline:
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.baseline], cwd=here, check=True)
    totals: dict[str, list[float]] = {label: [0, 0.0, 0.0, 0.0] for label, _ in sides}
    try:
        for i, ((label, code), day) in enumerate(zip(order, days, strict=True)):
            server = server_cpu(cfg)
            rows, took, command = day_load(code, cfg, day)
            cpu = server_cpu(cfg) - server
            if i >= warm:
                totals[label] = [a + b for a, b in zip(totals[label], (rows, took, cpu, command), strict=True)]
            stage = "warm-up" if i < warm else "later load"
            print(
                f"{stage} ({label}): {rows:,} rows in {took:.1f}s, {rows / took:,.0f} rows/s, "
                f"CPU command {command:.1f}s, Neo4j {cpu:.1f}s; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    finally:
        if args.baseline:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=here, check=False)
    for label, (rows, took, cpu, command) in totals.items():
        print(
            f"{label}: {rows / took:,.0f} rows/s (bar: >= 2,500), CPU s per 1,000 rows: "
            f"command {1000 * command / rows:.2f}, Neo4j {1000 * cpu / rows:.2f}"
        )
    if args.baseline:
        (_, (rows_b, took_b, *_)), (_, (rows_t, took_t, *_)) = totals.items()
        print(f"ratio this/baseline: {(rows_t / took_t) / (rows_b / took_b):.2f}x")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=7695)
    parser.add_argument("--data", type=Path, default=None, help="reuse generated files from this folder")
    parser.add_argument("--cypher", action="store_true", help="batched Cypher writer, not the importer")
    parser.add_argument("--incremental", type=int, default=0, help="measure a later load of this many rows")
    parser.add_argument("--baseline", default=None, help="git revision whose writer loads the day before")
    parser.add_argument("--memory", default="6g", help="Neo4j heap and page cache, each")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rg-bench-ingest-"))
    data = args.data or work / "data"
    if not (data / "truth").exists():
        began = time.perf_counter()
        generate(data, args.declarations, 11)
        print(f"generate: {args.declarations:,} declarations in {time.perf_counter() - began:.1f}s")
    cfg = Settings(home=work / "home", bolt_port=args.port, neo4j_heap=args.memory, neo4j_pagecache=args.memory)
    local_server.start(cfg)
    try:
        driver = check(cfg)
        reset(driver)
        if args.incremental:
            incremental(args, cfg, data, work)
            return
        naive = naive_rows_per_s(driver, data, args.naive)
        print(f"naive (1 row / transaction, {args.naive:,} rows): {naive:,.0f} rows/s")
        reset(driver)

        load = "cypher" if args.cypher else "bulk"
        began = time.perf_counter()

        def stage(what: str) -> None:
            print(f"{load}: {time.perf_counter() - began:6.1f}s {what}", flush=True)

        if args.cypher:
            writer = GraphWriter(driver, "neo4j")
            report = ingest_files([data], writer, cfg.home / "quarantine", batch_rows=cfg.batch_size)
        else:
            report = bulk_ingest([data], cfg, stage=stage)
            driver = check(cfg)  # the store was replaced: bulk_ingest reconnected
        wall = time.perf_counter() - began
        rate = report.read / wall
        print(f"{load}: read {report.read:,} stored {report.stored:,} quarantined {report.quarantined:,}")
        print(f"{load}: {wall:.1f}s wall, {rate:,.0f} rows/s (bar: <= 180s for 1M)")
        print(f"ratio {load}/naive: {rate / naive:.1f}x")
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        counts = graph_stats(driver, "neo4j")
        print(
            f"graph: {sum(counts['nodes'].values()):,} nodes, {sum(counts['relationships'].values()):,} relationships"
        )
    finally:
        local_server.stop(cfg)
        shutil.rmtree(work / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
