"""What every benchmark needs first: its own local Neo4j holding a generated year, or an empty one."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import neo4j

from columnar.store import DeclarationStore
from graph import local_server
from graph.config import Settings
from graph.connection import check
from graph.setup import ensure_schema, load_reference_data
from ingest.mapping import load_mapping
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from sample.generator import generate
from sample.generator.minimal import generate_minimal

__all__ = [
    "declaration_count",
    "reset",
    "load_generated",
    "generated_year_arguments",
    "generated_year",
    "split_days",
    "server_cpu",
]

DATABASE = "neo4j"
_WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


def declaration_count(driver: neo4j.Driver) -> int:
    return driver.execute_query("MATCH (d:Declaration) RETURN count(d) AS n", database_=DATABASE).records[0]["n"]


def reset(driver: neo4j.Driver) -> None:
    """An empty graph with the schema and the customs offices (CALL IN TRANSACTIONS needs auto-commit)."""
    with driver.session(database=DATABASE) as session:
        session.run(_WIPE).consume()
    ensure_schema(driver, DATABASE)
    load_reference_data(driver, DATABASE)


def server_cpu(cfg: Settings) -> float:
    """CPU seconds the local Neo4j has used so far."""
    pid = local_server.status(cfg).pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_generated(
    driver: neo4j.Driver, cfg: Settings, data: Path, declarations: int, seed: int, profile: str | None = None
) -> None:
    """Generate ``data`` unless it exists, then load it into an emptied graph; prints both times.

    ``profile`` names a generator profile (``minimal``: another administration's data, loaded with its
    mapping); None is the default.
    """
    minimal = profile == "minimal"
    if not (data / "truth").exists():
        began = time.perf_counter()
        (generate_minimal if minimal else generate)(data, declarations, seed)
        print(f"generate: {declarations:,} declarations in {time.perf_counter() - began:.1f}s", flush=True)
    reset(driver)
    began = time.perf_counter()
    # the minimal profile's labelled year is declarations.csv in the administration's columns (new.csv is
    # next month's, unlabelled); its stations become unassigned districts as ``riskgraph ingest`` makes them
    files, mapping = ([data / "declarations.csv"], load_mapping(data / "mapping.yaml")) if minimal else ([data], None)
    writer = GraphWriter(driver, DATABASE)
    store = DeclarationStore(cfg.home)
    report = ingest_files(
        files, writer, cfg.home / "quarantine", mapping=mapping, batch_rows=cfg.batch_size, store=store
    )
    print(f"ingest: {report.stored:,} declarations in {time.perf_counter() - began:.1f}s", flush=True)


def split_days(data: Path, out: Path, *days: int) -> tuple[Path, list[Path]]:
    """The generated year as a base folder and trailing "days" of the given sizes, each a folder of its own.

    Days are the last rows of the last quarter (the generator writes rows in date order), so loading the
    base first and then a day is what a later load into a graph that holds data looks like.
    """
    import pandas as pd

    from ingest.readers import input_files

    frame = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in input_files([data])], ignore_index=True
    )
    cut = len(frame) - sum(days)
    folders = [out / "base", *(out / f"day-{i}" for i in range(1, len(days) + 1))]
    bounds = [0, cut]  # folder i holds rows bounds[i]:bounds[i + 1]
    for size in days:
        bounds.append(bounds[-1] + size)
    for folder, start, end in zip(folders, bounds, bounds[1:], strict=False):
        folder.mkdir(parents=True, exist_ok=True)
        frame.iloc[start:end].to_csv(folder / "declarations.csv", index=False, lineterminator="\n")
    return folders[0], folders[1:]


def generated_year_arguments(parser: argparse.ArgumentParser, *, declarations: int, port: int, home: str) -> None:
    """The options of a benchmark on a generated year in a local Neo4j of its own."""
    parser.add_argument("--declarations", type=int, default=declarations)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default=None, help="generator profile, e.g. minimal (default: the full one)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--home", type=Path, default=Path(home))
    parser.add_argument("--reuse", action="store_true", help="keep the graph already loaded in HOME")
    parser.add_argument("--keep-running", action="store_true", help="leave the local Neo4j running")


@contextmanager
def generated_year(args: argparse.Namespace) -> Iterator[tuple[Settings, neo4j.Driver, Path]]:
    """(settings, driver, data folder) with the year loaded (unless ``--reuse`` finds one); stops the server after."""
    data = args.home / f"data-{args.declarations}-{args.seed}-{args.profile or 'full'}"
    cfg = Settings(home=args.home, bolt_port=args.port, neo4j_heap="3g", neo4j_pagecache="2g")
    local_server.start(cfg)
    try:
        driver = check(cfg)
        if not (args.reuse and declaration_count(driver)):
            load_generated(driver, cfg, data, args.declarations, args.seed, args.profile)
        ensure_schema(driver, DATABASE)
        yield cfg, driver, data
    finally:
        if not args.keep_running:
            local_server.stop(cfg)
