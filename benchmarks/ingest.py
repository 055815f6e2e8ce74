"""Ingest benchmark: 1M generated declarations into a fresh local Neo4j.

Prints rows/s and wall time for the first load (bar: <= 3 min on 2 cores) and, in the same run
and on the same server, a naive one-row-per-transaction load of a 10k sample, with the ratio
between the two. The first load into an empty graph is what ``riskgraph ingest`` does: the bulk
importer (``--cypher``: the batched Cypher writer instead, as for later loads).
Usage: python benchmarks/ingest.py [--declarations N] [--port P] [--data DIR] [--cypher]
"""

from __future__ import annotations

import argparse
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=7695)
    parser.add_argument("--data", type=Path, default=None, help="reuse generated files from this folder")
    parser.add_argument("--cypher", action="store_true", help="batched Cypher writer, not the importer")
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
