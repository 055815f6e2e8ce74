"""Analysis benchmark: the whole ``riskgraph analyze`` on a 1M-declaration graph (target: <= 45 s, <= 1 GB).

Prints the time of every stage, reading from Neo4j and writing back included, and the process's peak
resident memory as each stage ends (run with ``--reuse`` so that loading the graph does not count), then, on the same
projected enterprise graph, the community step the analysis uses (Leiden, CPM) next to igraph's
``community_multilevel`` (Louvain) and python-louvain (in a child process, given up after
``--python-louvain-timeout`` seconds).

Then, with ``--days 3000,50000``, loads each "day" (that many of the generated rows again, under new
declaration numbers, dated the latest day, from a file of its own) and times the incremental
``riskgraph analyze`` that follows it (target: <= 10 s).

Usage: python -m benchmarks.analyze [--declarations N] [--port P] [--home DIR] [--reuse] [--days 3000,50000]
``--reuse`` keeps a home that already holds the loaded graph (generate + ingest take minutes).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from pathlib import Path

import igraph as ig
import pandas as pd

from algorithms.communities import louvain_communities, louvain_communities_python
from analysis.engines import InProcessEngine
from analysis.run import run_analysis
from benchmarks._graph import declaration_count, load_generated
from graph import local_server
from graph.config import Settings
from graph.connection import check
from graph.setup import ensure_schema
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def new_day(data: Path, rows: int, day: str, out: Path) -> Path:
    """A file of ``rows`` generated declarations of existing firms again, renumbered and dated ``day``."""
    latest = sorted(data.glob("*.csv"))[-1]
    frame = pd.read_csv(latest, dtype=str, keep_default_na=False).sample(n=rows, random_state=rows)
    frame["declaration_id"] = [f"DAY{rows}-{i:06d}" for i in range(rows)]
    frame["date"] = day
    path = out / f"day-{rows}.csv"
    frame.to_csv(path, index=False)
    return path


def time_days(driver, cfg: Settings, data: Path, sizes: list[int], as_of: str) -> None:
    """Load each day and run the incremental analysis after it."""
    for rows in sizes:
        path = new_day(data, rows, as_of, cfg.home)
        began = time.perf_counter()
        report = ingest_files([path], GraphWriter(driver, "neo4j"), cfg.home / "quarantine", batch_rows=cfg.batch_size)
        print(f"day of {rows:,}: ingest {report.stored:,} rows in {time.perf_counter() - began:.1f}s", flush=True)
        run = run_analysis(driver, "neo4j", cfg.home, full=False)
        c = run.counts
        print(
            f"  analyze ({run.mode}) {run.timings['total']:.2f}s (target: <= 10s) "
            f"{'OK' if run.timings['total'] <= 10 else 'OVER'}; stages "
            + ", ".join(f"{k} {v:.2f}s" for k, v in run.timings.items() if k != "total")
            + f"; touched {c.get('touched_importers', 0):,} importers, rescored {c.get('rescored_enterprises', 0):,} "
            f"enterprises and {c.get('rescored_networks', 0):,} networks; peak RSS {peak_rss_mb():.0f} MB",
            flush=True,
        )


def _python_louvain(edges, weights, names, seed, queue) -> None:
    g = ig.Graph(n=len(names), edges=edges)
    g.vs["name"], g.es["weight"] = names, weights
    began = time.perf_counter()
    found = louvain_communities_python(g, seed=seed)
    queue.put((time.perf_counter() - began, len(set(found.values()))))


def _timed(label: str, fn, g: ig.Graph) -> float:
    began = time.perf_counter()
    found = fn(g, seed=0)
    took = time.perf_counter() - began
    sizes = {}
    for c in found.values():
        sizes[c] = sizes.get(c, 0) + 1
    multi = sum(1 for s in sizes.values() if s >= 2)
    print(f"  {label:<40} {took:8.2f}s  {multi:,} communities of 2+, largest {max(sizes.values(), default=0):,}")
    return took


def compare_community_steps(g: ig.Graph, timeout: float) -> None:
    print(f"community step on the projection ({g.vcount():,} enterprises, {g.ecount():,} links):")

    def chosen_step(graph: ig.Graph, seed: int) -> dict[str, int]:
        return InProcessEngine().communities(graph, seed=seed, method="leiden", resolution=None)

    chosen = _timed("leiden CPM, 2 passes (used by analyze)", chosen_step, g)
    multilevel = _timed("igraph community_multilevel (Louvain)", louvain_communities, g)
    print(f"  ratio leiden / multilevel: {chosen / multilevel:.2f}")
    queue: mp.Queue = mp.Queue()
    child = mp.Process(target=_python_louvain, args=(g.get_edgelist(), g.es["weight"], g.vs["name"], 0, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.terminate()
        child.join()
        print(f"  python-louvain                           gave up after {timeout:.0f}s")
    else:
        took, count = queue.get()
        print(f"  python-louvain                           {took:8.2f}s  {count:,} communities")
        print(f"  ratio python-louvain / multilevel: {took / multilevel:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=7711)
    parser.add_argument("--home", type=Path, default=Path("/tmp/rg-bench-analyze"))
    parser.add_argument("--data", type=Path, default=None, help="generated files (default: HOME/data)")
    parser.add_argument("--reuse", action="store_true", help="keep the graph already loaded in HOME")
    parser.add_argument("--keep-running", action="store_true", help="leave the local Neo4j running")
    parser.add_argument("--python-louvain-timeout", type=float, default=300.0)
    parser.add_argument("--skip-communities", action="store_true", help="skip the community-step comparison")
    parser.add_argument("--days", default="", help="sizes of new days to time incremental runs on, e.g. 3000,50000")
    args = parser.parse_args()

    cfg = Settings(home=args.home, bolt_port=args.port, neo4j_heap="4g", neo4j_pagecache="3g")
    local_server.start(cfg)
    try:
        driver = check(cfg)
        if not (args.reuse and declaration_count(driver)):
            load_generated(driver, cfg, args.data or args.home / "data", args.declarations, 11)
        ensure_schema(driver, "neo4j")
        print(f"graph: {declaration_count(driver):,} declarations")

        def show(stage: str, seconds: float) -> None:
            print(f"  {stage:<16} {seconds:8.2f}s   peak RSS so far {peak_rss_mb():7.0f} MB", flush=True)

        print("analyze (in-process engine):")
        run = run_analysis(driver, "neo4j", cfg.home, on_stage=show)
        total = run.timings["total"]
        print(f"  {'total':<16} {total:8.2f}s  (target: <= 45s) {'OK' if total <= 45 else 'OVER'}")
        print(f"  peak RSS of this process {peak_rss_mb():.0f} MB (target: <= 1024 MB)")
        print(
            f"  {run.counts['analysed']:,} enterprises, {run.counts['graph_edges']:,} links, "
            f"{run.counts['networks']:,} networks, betweenness {run.result.betweenness_method}; held in Python: "
            f"{run.counts['usage_rows']:,} usage rows, {run.counts['shared_consignment_uses']:,} shared consignments"
        )
        if not args.skip_communities:
            compare_community_steps(run.result.graph, args.python_louvain_timeout)
        if args.days:
            sizes = [int(n) for n in args.days.split(",")]
            time_days(driver, cfg, args.data or args.home / "data", sizes, run.as_of)
    finally:
        if not args.keep_running:
            local_server.stop(cfg)


if __name__ == "__main__":
    main()
