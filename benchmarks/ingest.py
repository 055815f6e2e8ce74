"""Ingest benchmark: 1M generated declarations into a fresh local Neo4j.

Prints rows/s and wall time for the batched pipeline (bar: <= 3 min on 2 cores) and, in the
same run and on the same server, a naive one-row-per-transaction load of a 10k sample, with
the ratio between the two. Usage: python benchmarks/ingest.py [--declarations N] [--port P]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the ``ingest`` package: run as a script, put the repo root, not its folder, on the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from benchmarks._graph import reset  # noqa: E402
from graph import local_server  # noqa: E402
from graph.connection import check  # noqa: E402
from graph.stats import graph_stats  # noqa: E402
from ingest.batch import build_batch  # noqa: E402
from ingest.generator import generate  # noqa: E402
from ingest.pipeline import ingest_files  # noqa: E402
from ingest.readers import read_chunks  # noqa: E402
from ingest.validate import validate  # noqa: E402
from ingest.writer import GraphWriter  # noqa: E402
from riskgraph.settings import Settings  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=7695)
    parser.add_argument("--data", type=Path, default=None, help="reuse generated files from this folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rg-bench-ingest-"))
    data = args.data or work / "data"
    if not (data / "truth").exists():
        began = time.perf_counter()
        generate(data, args.declarations, 11)
        print(f"generate: {args.declarations:,} declarations in {time.perf_counter() - began:.1f}s")
    cfg = Settings(home=work / "home", bolt_port=args.port, neo4j_heap="6g", neo4j_pagecache="6g")
    local_server.start(cfg)
    try:
        driver = check(cfg)
        reset(driver)
        naive = naive_rows_per_s(driver, data, args.naive)
        print(f"naive (1 row / transaction, {args.naive:,} rows): {naive:,.0f} rows/s")
        reset(driver)

        began = time.perf_counter()
        report = ingest_files([data], driver, "neo4j", cfg.home / "quarantine", batch_rows=cfg.batch_size)
        wall = time.perf_counter() - began
        rate = report.read / wall
        print(f"batched: read {report.read:,} stored {report.stored:,} quarantined {report.quarantined:,}")
        print(f"batched: {wall:.1f}s wall, {rate:,.0f} rows/s (bar: <= 180s for 1M)")
        print(f"ratio batched/naive: {rate / naive:.1f}x")
        counts = graph_stats(driver, "neo4j")
        print(
            f"graph: {sum(counts['nodes'].values()):,} nodes, {sum(counts['relationships'].values()):,} relationships"
        )
    finally:
        local_server.stop(cfg)
        shutil.rmtree(work / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
