"""One ingest run: read → map → validate (bad rows to quarantine) → batch → write.

Reading and validation overlap with the database writes (one writer thread), so a 2-core
machine keeps both Python and the JVM busy.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import neo4j

from ingest.batch import build_batch
from ingest.mapping import Mapping
from ingest.readers import read_chunks
from ingest.validate import QuarantineWriter, drop_repeats, validate
from ingest.writer import GraphWriter

__all__ = ["IngestReport", "ingest_files"]


@dataclass
class IngestReport:
    read: int = 0
    stored: int = 0
    quarantined: int = 0
    quarantine_file: str | None = None
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


Progress = Callable[[int, int], None]  # (rows read so far, rows quarantined so far)

_DONE = object()


def ingest_files(
    paths: list[Path],
    driver: neo4j.Driver,
    database: str,
    quarantine_dir: Path,
    mapping: Mapping | None = None,
    batch_rows: int = 5000,
    progress: Progress | None = None,
) -> IngestReport:
    report = IngestReport()
    quarantine = QuarantineWriter(quarantine_dir, "-".join(p.stem for p in paths[:3]))
    writer = GraphWriter(driver, database)
    pending: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def write_loop() -> None:
        while (batch := pending.get()) is not _DONE:
            if failure:
                continue  # drain so the reader never blocks after a failure
            try:
                result = writer.write(batch)
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)
                continue
            report.created += result.created
            report.updated += result.updated
            report.stored += len(batch.declarations)

    thread = threading.Thread(target=write_loop, name="graph-writer", daemon=True)
    thread.start()
    seen: dict[str, str] = {}
    try:
        for chunk in read_chunks(paths, batch_rows):
            frame = mapping.apply(chunk.frame, chunk.source) if mapping else chunk.frame
            clean, bad = validate(frame, chunk.source, chunk.rows)
            clean, repeats = drop_repeats(clean, frame, chunk.source, chunk.rows, seen)
            for rejected in (bad, repeats):
                quarantine.write(rejected)
                report.quarantined += len(rejected)
            report.read += len(chunk.frame)
            if len(clean):
                pending.put(build_batch(clean))
            if progress:
                progress(report.read, report.quarantined)
            if failure:
                break
    finally:
        pending.put(_DONE)
        thread.join()
    if failure:
        raise failure[0]
    report.quarantine_file = str(quarantine.path) if quarantine.count else None
    return report
