"""Declarations engines benchmark: the analysis's aggregation on DuckDB and on Spark over the same store.

Runs :func:`analysis.aggregates.declaration_aggregates` (every query of ``analysis.aggregates.QUERIES``, as
``riskgraph analyze`` does in its read stage) on the columnar copy of a home that already holds one (for
instance the home ``python -m benchmarks.analyze`` loaded), first with DuckDB, then with Spark, in this one
process, and prints per engine the seconds of each run, with Spark's session start apart, the rows the
aggregation returned (equal on both, checked), this process's peak resident memory (Spark's driver JVM is a
child process and is not in it) and the load average at the end. No Neo4j is needed.

With ``--history``, also the model's history features (:func:`scoring.history.prior_counts`, what ``riskgraph
model train`` counts three times) on each engine, for the declarations read as training reads them; without the
graph here, each importer stands for its own community.

Usage: python -m benchmarks.declarations --home DIR [--master local[*]] [--repeat 2] [--driver-memory 1g]
       [--shuffle-partitions 200] [--history]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.aggregates import declaration_aggregates, newest_date
from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore
from scoring.graph_read import stored_declarations
from scoring.history import prior_counts


def _sizes(found) -> dict[str, int]:
    activity = found.activity
    return {
        "importers": len(activity.importers),
        "usage": len(activity.usage),
        "violations": len(activity.violations),
        "consignments": len(activity.consignments),
        "peer_parts": len(found.peer_parts),
    }


def _timed(engine, as_of, repeat: int) -> tuple[list[float], dict[str, int]]:
    seconds, sizes = [], {}
    for _ in range(repeat):
        began = time.perf_counter()
        sizes = _sizes(declaration_aggregates(engine, as_of))
        seconds.append(round(time.perf_counter() - began, 2))
    return seconds, sizes


def _history(frame: pd.DataFrame, engine, name: str) -> np.ndarray:
    began = time.perf_counter()
    counts = prior_counts(frame, engine)
    print(f"{name:<8} history features of {len(frame):,} declarations {time.perf_counter() - began:.1f} s  "
          f"peak RSS {_peak_mb():.0f} MB")  # fmt: skip
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a RISKGRAPH_HOME holding declarations/")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--shuffle-partitions", default="200", help="Spark's default is 200")
    parser.add_argument("--history", action="store_true", help="also the model's history features on each engine")
    args = parser.parse_args()

    store = DeclarationStore(args.home)
    rows = sum(store.load_counts().values())
    print(f"store: {rows:,} declarations in {len(store.declaration_files())} parts; {os.cpu_count()} cores")
    with DuckDBDeclarations(store) as duck:
        as_of = newest_date(duck)
        duck_seconds, duck_sizes = _timed(duck, as_of, args.repeat)
    print(f"duckdb   runs {duck_seconds} s  rows {duck_sizes}  peak RSS {_peak_mb():.0f} MB")
    frame = stored_declarations(store).assign(community=lambda f: f["importer_id"]) if args.history else None
    if frame is not None:
        duck_counts = _history(frame, lambda: DuckDBDeclarations(store), "duckdb")

    from columnar.spark import SparkDeclarations, spark_session

    began = time.perf_counter()
    conf = {"spark.driver.memory": args.driver_memory, "spark.sql.shuffle.partitions": args.shuffle_partitions}
    session = spark_session(args.master, conf)
    started = time.perf_counter() - began
    with SparkDeclarations(store, session) as sparked:
        spark_seconds, spark_sizes = _timed(sparked, as_of, args.repeat)
    if frame is not None:
        assert np.array_equal(_history(frame, lambda: SparkDeclarations(store, session), "spark"), duck_counts)
    print(
        f"spark    session start {started:.1f} s, runs {spark_seconds} s  rows {spark_sizes}  "
        f"master {args.master}, shuffle partitions {session.conf.get('spark.sql.shuffle.partitions')}"
    )
    assert spark_sizes == duck_sizes, "the engines returned different row counts"
    session.stop()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
