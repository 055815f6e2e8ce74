"""What every benchmark needs first: its own local Neo4j holding a generated year, or an empty one."""

from __future__ import annotations

import time
from pathlib import Path

import neo4j

from graph.config import Settings
from graph.setup import ensure_schema, load_reference_data
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from sample.generator import generate

__all__ = ["declaration_count", "reset", "load_generated"]

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


def load_generated(driver: neo4j.Driver, cfg: Settings, data: Path, declarations: int, seed: int) -> None:
    """Generate ``data`` unless it exists, then load it into an emptied graph; prints both times."""
    if not (data / "truth").exists():
        began = time.perf_counter()
        generate(data, declarations, seed)
        print(f"generate: {declarations:,} declarations in {time.perf_counter() - began:.1f}s", flush=True)
    reset(driver)
    began = time.perf_counter()
    report = ingest_files([data], GraphWriter(driver, DATABASE), cfg.home / "quarantine", batch_rows=cfg.batch_size)
    print(f"ingest: {report.stored:,} declarations in {time.perf_counter() - began:.1f}s", flush=True)
