"""Analysis benchmark: the whole ``riskgraph analyze`` on a 1M-declaration graph (target: <= 45 s, <= 1 GB).

Each analysis runs in a process of its own, as a user runs it, and prints the time of every stage (reading
from Neo4j and writing back included), the wall and CPU seconds of the analysing process, the CPU seconds
the Neo4j server spent meanwhile, and the process's peak resident memory. ``--baseline REV`` first runs the
full analysis with the code of git revision REV (a worktree of it, same server, same graph), so the old
figure is measured in the same run; the load average is printed at the end.

With ``--days 3000,50000`` it then loads each "day" (that many of the generated rows again, under new
declaration numbers, dated the latest day, from a file of its own) and times the incremental
``riskgraph analyze`` that follows it (target: <= 10 s); with ``--baseline-days`` too, REV's analysis then
runs in full once more and does the same days (new numbers again). ``--communities`` compares, on the projected
graph, the community step the analysis uses (Leiden, CPM) with igraph's ``community_multilevel`` (Louvain)
and python-louvain (in a child process, given up after ``--python-louvain-timeout`` seconds).

Usage: python -m benchmarks.analyze [--declarations N] [--port P] [--home DIR] [--reuse] [--days 3000,50000]
       [--baseline REV [--baseline-days]] [--communities]
``--reuse`` keeps a home that already holds the loaded graph (generate + ingest take minutes).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import igraph as ig
import pandas as pd

from algorithms.communities import louvain_communities, louvain_communities_python
from analysis.aggregates import newest_date
from analysis.engines import InProcessEngine
from benchmarks._graph import declaration_count, load_generated
from columnar.engines import open_declarations
from columnar.store import DeclarationStore
from graph import local_server
from graph.config import Settings
from graph.connection import check
from graph.setup import ensure_schema
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def new_day(data: Path, rows: int, day: str, out: Path, tag: str) -> Path:
    """A file of ``rows`` generated declarations of existing firms again, renumbered and dated ``day``."""
    latest = sorted(data.glob("*.csv"))[-1]
    frame = pd.read_csv(latest, dtype=str, keep_default_na=False).sample(n=rows, random_state=rows)
    frame["declaration_id"] = [f"DAY{tag}{rows}-{i:06d}" for i in range(rows)]
    frame["date"] = day
    path = out / f"day-{tag}{rows}.csv"
    frame.to_csv(path, index=False)
    return path


# One analysis in a process of its own, with the code of the checkout it runs in.
_ANALYZE = """
import json, resource, sys
from pathlib import Path
from analysis.run import run_analysis
from graph.config import Settings
from graph.connection import check
cfg = Settings(home=Path(sys.argv[1]), bolt_port=int(sys.argv[2]))
run = run_analysis(check(cfg), "neo4j", Path(sys.argv[3]), full=sys.argv[4] == "full")
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"mode": run.mode, "timings": run.timings, "counts": run.counts,
                  "cpu": use.ru_utime + use.ru_stime, "rss_mb": use.ru_maxrss / 1024}))
"""


def _server_cpu(cfg: Settings) -> float:
    """CPU seconds the local Neo4j has used so far."""
    pid = local_server.status(cfg).pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def analyze(code: Path, cfg: Settings, home: Path, mode: str, label: str) -> dict:
    """Run ``riskgraph analyze`` (``full`` or incremental) with the code of ``code``; prints and returns its figures."""
    server, began = _server_cpu(cfg), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _ANALYZE, str(cfg.home), str(cfg.bolt_port), str(home), mode],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    run = json.loads(out)
    run["wall"], run["server_cpu"] = time.perf_counter() - began, _server_cpu(cfg) - server
    stages = ", ".join(f"{k} {v:.2f}" for k, v in run["timings"].items() if k != "total")
    c = run["counts"]
    print(
        f"analyze {mode} ({label}): {run['mode']} {run['timings']['total']:.1f}s; process wall {run['wall']:.1f}s, "
        f"CPU {run['cpu']:.1f}s, peak RSS {run['rss_mb']:.0f} MB; Neo4j CPU {run['server_cpu']:.1f}s\n"
        f"  stages: {stages}\n  {c.get('analysed', 0):,} enterprises, {c.get('graph_edges', 0):,} links, "
        f"{c.get('networks', 0):,} networks"
        + (
            f"; touched {c.get('touched_importers', 0):,} importers, rescored {c.get('rescored_enterprises', 0):,}"
            if run["mode"] == "incremental"
            else ""
        ),
        flush=True,
    )
    return run


def time_days(driver, cfg: Settings, data: Path, sizes: list[int], as_of: str, code: Path, home: Path, label: str):
    """Load each day and run the incremental analysis after it."""
    for rows in sizes:
        path = new_day(data, rows, as_of, cfg.home, label.split()[0])
        began = time.perf_counter()
        writer, store = GraphWriter(driver, "neo4j"), DeclarationStore(cfg.home)
        report = ingest_files([path], writer, cfg.home / "quarantine", batch_rows=cfg.batch_size, store=store)
        print(f"day of {rows:,}: ingest {report.stored:,} rows in {time.perf_counter() - began:.1f}s", flush=True)
        run = analyze(code, cfg, home, "incremental", label)
        print(f"  target <= 10s: {'OK' if run['timings']['total'] <= 10 else 'OVER'}", flush=True)


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
    parser.add_argument("--baseline", default=None, help="git revision whose analysis runs first, for comparison")
    parser.add_argument("--baseline-days", action="store_true", help="time REV's incremental runs on days too")
    parser.add_argument("--communities", action="store_true", help="compare community steps on the projection")
    parser.add_argument("--python-louvain-timeout", type=float, default=300.0)
    parser.add_argument("--days", default="", help="sizes of new days to time incremental runs on, e.g. 3000,50000")
    args = parser.parse_args()

    here = Path(__file__).resolve().parent.parent
    cfg = Settings(home=args.home, bolt_port=args.port, neo4j_heap="4g", neo4j_pagecache="3g")
    data = args.data or args.home / "data"
    sizes = [int(n) for n in args.days.split(",")] if args.days else []
    local_server.start(cfg)
    old = args.home / "baseline-code"
    try:
        driver = check(cfg)
        if not (args.reuse and declaration_count(driver)):
            load_generated(driver, cfg, data, args.declarations, 11)
        ensure_schema(driver, "neo4j")
        print(f"graph: {declaration_count(driver):,} declarations", flush=True)
        if args.baseline:
            subprocess.run(["git", "worktree", "add", "--detach", str(old), args.baseline], cwd=here, check=True)
            before = analyze(old, cfg, args.home / "analysis-baseline", "full", f"baseline {args.baseline}")
        run = analyze(here, cfg, args.home / "analysis", "full", "this checkout")
        total = run["timings"]["total"]
        print(f"  target <= 45s and <= 1024 MB: {'OK' if total <= 45 and run['rss_mb'] <= 1024 else 'OVER'}")
        if args.baseline:
            print(
                f"  ratio this / baseline: wall {run['wall'] / before['wall']:.2f}, "
                f"CPU {run['cpu'] / before['cpu']:.2f}, "
                f"Neo4j CPU {run['server_cpu'] / max(before['server_cpu'], 1e-9):.2f}, "
                f"peak RSS {run['rss_mb'] / before['rss_mb']:.2f}"
            )
        with open_declarations(DeclarationStore(cfg.home)) as engine:  # the analysis brought it in line with the graph
            as_of = newest_date(engine).date().isoformat()
        if sizes:
            time_days(driver, cfg, data, sizes, as_of, here, args.home / "analysis", "this checkout")
            if args.baseline and args.baseline_days:
                analyze(old, cfg, args.home / "analysis-baseline", "full", f"baseline {args.baseline}")
                time_days(driver, cfg, data, sizes, as_of, old, args.home / "analysis-baseline", "baseline")
        if args.communities:
            from analysis.aggregates import read_analysis_inputs
            from analysis.pipeline import analyze_inputs

            inputs, _ = read_analysis_inputs(driver, "neo4j", DeclarationStore(cfg.home))
            compare_community_steps(analyze_inputs(inputs).graph, args.python_louvain_timeout)
    finally:
        if args.baseline:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=here, check=False)
        if not args.keep_running:
            local_server.stop(cfg)
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
