"""First load into an empty local database with Neo4j's own importer instead of Cypher.

The batches are the ones the Cypher writer gets (same reading, mapping, validation, quarantine
and entity resolution); ``ingest.import_files`` turns them into node and relationship CSV files with
the writer's merge rules, then the local server is stopped, ``neo4j-admin database import full``
builds the store (the customs offices with it), and the server is started again and given its schema.
A 1M-declaration year loads in a fraction of the Cypher time; later loads (a non-empty graph)
go through Cypher, which updates in place.

The server is stopped as soon as the load begins (the graph is empty), so its shutdown overlaps
the writing of the files. A marker file exists from then until the new store is complete, so a
load interrupted on the way is redone by the next run rather than trusted.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import neo4j

from columnar.store import DeclarationStore
from graph import local_server
from graph.config import Settings
from graph.connection import disconnect, reconnect
from graph.home import IMPORT, NEO4J, QUARANTINE
from graph.setup import ensure_schema, load_reference_data
from ingest.import_files import ImportFiles, import_parts
from ingest.mapping import Mapping
from ingest.pipeline import IngestReport, Progress, ingest_files

__all__ = ["bulk_ingest", "bulk_pending", "only_reference_data"]

_PENDING = "bulk-import.pending"

#: Rows per validation chunk: no transaction to bound here, and pandas' fixed cost per column operation
#: is paid per chunk, so bigger chunks cost less CPU (5,000 -> 50,000: about a sixth less).
_CHUNK_ROWS = 50_000

_ONLY_REFERENCE = "MATCH (n) WHERE NOT n:CustomsOffice RETURN count(n) = 0 AS empty"


def _validation_workers() -> int:
    """A validating process per core; on a single core, validation runs in this process (0 workers), as a worker
    would only add its start-up and the pickling of every chunk."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


def only_reference_data(driver: neo4j.Driver, database: str) -> bool:
    """True when the graph holds nothing but the customs offices: nothing a bulk import could lose."""
    return driver.execute_query(_ONLY_REFERENCE, database_=database).records[0]["empty"]


def bulk_pending(cfg: Settings) -> bool:
    """True when a bulk import was interrupted after the server was stopped for it."""
    return (cfg.home / NEO4J / _PENDING).exists()


Stage = Callable[[str], None]


def bulk_ingest(
    paths: list[Path],
    cfg: Settings,
    mapping: Mapping | None = None,
    progress: Progress | None = None,
    stage: Stage | None = None,
    unknown_offices: str = "create",
) -> IngestReport:
    """Load files into the empty local database through the importer; the server runs again afterwards.

    The caller has checked that the graph holds only reference data (or that a previous bulk import
    was interrupted). Quarantine and counts are those of the Cypher path.
    """
    say = stage or (lambda _: None)
    folder = cfg.home / IMPORT
    files = ImportFiles(folder)
    pending = cfg.path(NEO4J, _PENDING)
    # The graph is empty: Neo4j can go down at once and stop while the files are written.
    say("stopping the local Neo4j for the bulk import")
    disconnect(cfg)
    pending.touch()
    stopping = threading.Thread(target=local_server.stop, args=(cfg,), name="neo4j-stop")
    stopping.start()
    replacing = imported = False
    store = DeclarationStore(cfg.home)
    store.clear()  # the graph is empty: so is its columnar copy
    try:
        # Neo4j is down until the files are written: validation may take every core. One worker fewer would save
        # the normalising each repeats (1M rows: 64-70 -> 56-59 CPU s) but the load took longer on 2 cores
        # (93.5/100.0 s -> 100.0/103.1 s wall, interleaved, load 3.7-6.8): the target is the wall.
        report = ingest_files(
            paths,
            files,
            cfg.home / QUARANTINE,
            mapping,
            max(cfg.batch_size, _CHUNK_ROWS),
            progress,
            workers=_validation_workers(),
            prepare=import_parts,
            unknown_offices=unknown_offices,
            store=store,
        )
        nodes, relationships, multiline = files.finish()
        stopping.join()
        say("neo4j-admin database import full")
        replacing = True
        local_server.import_full(cfg, nodes, relationships, multiline)
        imported = True
    finally:
        stopping.join()
        if not replacing:  # the files could not be written: the store is untouched
            pending.unlink()
        # Failed or not, the server comes back; after a failed import the marker stays and the next run imports again.
        say("starting the local Neo4j; constraints and indexes")
        local_server.start(cfg)
        driver = reconnect(cfg)
        ensure_schema(driver, cfg.neo4j_database)
        if not imported:  # an imported store has the hierarchy in force already (ImportFiles.finish)
            load_reference_data(driver, cfg.neo4j_database)
    pending.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    return report
