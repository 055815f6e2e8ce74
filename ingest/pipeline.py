"""One ingest run: read → map → validate (bad rows to quarantine) → batch → write.

Reading and validation overlap with the writes (one writer thread), so a 2-core machine keeps
both Python and the JVM busy. The writer is the Cypher one (``ingest.writer``) or, for a first
load into an empty local database, the importer's CSV files (``ingest.bulk``): same batches.
With the importer nothing else needs the CPU while files are written, so chunks can be validated
and batched in worker processes; repeats across chunks are still judged here, in file order.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from graph.currency import CURRENCY_PER_USD
from ingest.batch import Batch, build_batch
from ingest.mapping import Mapping
from ingest.readers import Chunk, read_chunks
from ingest.validate import QuarantineWriter, drop_repeats, validate
from ingest.writer import WriteResult

__all__ = ["BatchWriter", "IngestReport", "ingest_files"]


@dataclass
class IngestReport:
    read: int = 0
    stored: int = 0
    quarantined: int = 0
    quarantine_file: str | None = None
    created: int = 0
    updated: int = 0
    #: stored rows whose currency is missing or has no reference rate: left out of money sums and
    #: unit-value comparisons (graph.currency), so the user is told
    without_rate: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


class BatchWriter(Protocol):
    def write(self, batch: Batch) -> WriteResult: ...


Progress = Callable[[int, int], None]  # (rows read so far, rows quarantined so far)

_DONE = object()

Prepared = tuple[pd.DataFrame, pd.DataFrame, Batch | None]  # clean rows, quarantined rows, their batch


def _prepare(chunk: Chunk, mapping: Mapping | None) -> Prepared:
    """Map, validate and batch one chunk; in a worker process when there are several."""
    frame = mapping.apply(chunk.frame, chunk.source) if mapping else chunk.frame
    clean, bad = validate(frame, chunk.source, chunk.rows)
    return clean, bad, build_batch(clean) if len(clean) else None


def _prepared(chunks: Iterator[Chunk], mapping: Mapping | None, workers: int) -> Iterator[tuple[Chunk, Prepared]]:
    """Chunks with their preparation, in input order."""
    if workers <= 1:
        yield from ((chunk, _prepare(chunk, mapping)) for chunk in chunks)
        return
    # Spawned, not forked: the writer thread is already running and a fork would copy its locks.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        ahead: deque = deque()
        for chunk in chunks:
            ahead.append((chunk, pool.submit(_prepare, chunk, mapping)))
            if len(ahead) > 2 * workers:
                done, future = ahead.popleft()
                yield done, future.result()
        while ahead:
            done, future = ahead.popleft()
            yield done, future.result()


def ingest_files(
    paths: list[Path],
    writer: BatchWriter,
    quarantine_dir: Path,
    mapping: Mapping | None = None,
    batch_rows: int = 5000,
    progress: Progress | None = None,
    workers: int = 1,
) -> IngestReport:
    report = IngestReport()
    quarantine = QuarantineWriter(quarantine_dir, "-".join(p.stem for p in paths[:3]))
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
        for chunk, (clean, bad, batch) in _prepared(read_chunks(paths, batch_rows), mapping, workers):
            frame = mapping.apply(chunk.frame, chunk.source) if mapping else chunk.frame
            clean, repeats = drop_repeats(clean, frame, chunk.source, chunk.rows, seen)
            if len(repeats):  # rare: the batch must not carry the repeated rows' entities either
                batch = build_batch(clean) if len(clean) else None
            if "currency" in clean:
                report.without_rate += int((~clean["currency"].isin(CURRENCY_PER_USD)).sum())
            else:
                report.without_rate += len(clean)
            for rejected in (bad, repeats):
                quarantine.write(rejected)
                report.quarantined += len(rejected)
            report.read += len(chunk.frame)
            if batch is not None:
                pending.put(batch)
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
