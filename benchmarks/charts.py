"""Link-chart benchmark: the 2-hop neighbourhood of an enterprise (at most 500 nodes) queried and rendered.

Generates a sample year, loads it into a local Neo4j of its own, runs the analysis, then for the
members of the top networks and the busiest importers times :func:`investigate.explore.neighbourhood`
(depth 2, limit 500) and :func:`visualizations.chart.render_chart`, once on a cold page cache (the
server was just started) and again warm, as a running server is. Bar: query + render <= 500 ms.
Drawing in the browser is not timed here: physics stops after a bounded number of iterations
(``visualizations.chart.STABILIZATION_ITERATIONS``), tested in ``tests/test_charts_browser.py``.

Usage: python -m benchmarks.charts [--declarations N] [--seed S] [--port P] [--home DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from analysis.run import run_analysis
from benchmarks._graph import declaration_count, load_generated
from graph import local_server
from graph.config import Settings
from graph.connection import check
from investigate.explore import neighbourhood
from investigate.queries import top_networks
from visualizations.chart import render_chart

BUSIEST = """
MATCH (e:Enterprise)-[:FILED {role: 'consignee'}]->(d:Declaration)
WITH e, count(d) AS n ORDER BY n DESC LIMIT $top
RETURN e.id AS id
"""


def _time(driver, enterprise: str) -> tuple[str, int, float, float, int]:
    began = time.perf_counter()
    graph = neighbourhood(driver, "neo4j", [enterprise], 2, 500)
    queried = time.perf_counter()
    html = render_chart(graph, enterprise, focus={enterprise})
    return enterprise, len(graph["nodes"]), queried - began, time.perf_counter() - queried, len(html)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=7716)
    parser.add_argument("--home", type=Path, default=Path("/tmp/rg-bench-charts"))
    parser.add_argument("--reuse", action="store_true", help="keep the graph already loaded in HOME")
    args = parser.parse_args()

    data = args.home / f"data-{args.declarations}-{args.seed}"
    cfg = Settings(home=args.home, bolt_port=args.port, neo4j_heap="2g", neo4j_pagecache="1g")
    local_server.start(cfg)
    try:
        driver = check(cfg)
        if not (args.reuse and declaration_count(driver)):
            load_generated(driver, cfg, data, args.declarations, args.seed)
            run_analysis(driver, "neo4j", cfg.home)
        ids = [m for n in top_networks(driver, "neo4j", 10) for m in n["members"][:3]]
        ids += [r["id"] for r in driver.execute_query(BUSIEST, top=10).records]
        cold = [sum(_time(driver, enterprise)[2:4]) * 1000 for enterprise in ids]
        print(f"first pass (cold page cache): p50 {statistics.median(cold):.0f} ms, max {max(cold):.0f} ms")
        rows = [_time(driver, enterprise) for enterprise in ids]
        print(f"{'enterprise':<22} {'nodes':>5} {'query ms':>9} {'render ms':>10} {'page kB':>8}")
        for enterprise, nodes, query, render, size in rows:
            print(f"{enterprise:<22} {nodes:>5} {query * 1000:>9.1f} {render * 1000:>10.1f} {size / 1024:>8.0f}")
        totals = [(q + r) * 1000 for _, _, q, r, _ in rows]
        print(
            f"warm, query + render over {len(rows)} enterprises: p50 {statistics.median(totals):.0f} ms, "
            f"max {max(totals):.0f} ms, largest chart {max(r[1] for r in rows)} nodes  (bar <= 500 ms)"
        )
    finally:
        local_server.stop(cfg)


if __name__ == "__main__":
    main()
