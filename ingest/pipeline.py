"""One ingest run: read → map → validate (bad rows to quarantine) → batch → write.

Reading and validation overlap with the writes (one writer thread), so a 2-core machine keeps
both Python and the JVM busy. The writer is the Cypher one (``ingest.writer``) or, for a first
load into an empty local database, the importer's CSV files (``ingest.bulk``): same batches.
With the importer nothing else needs the CPU while files are written, so chunks can be validated
and turned into the writer's input (``prepare``: CSV text for the importer) in worker processes,
which send back only that and the ids; repeats across chunks are still judged here, in file order
(a chunk with one is prepared again here without it).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from columnar.store import DeclarationStore
from graph.currency import money_basis
from graph.reference import register_offices
from ingest.batch import build_batch
from ingest.mapping import Mapping
from ingest.readers import Chunk, read_chunks
from ingest.validate import QuarantineWriter, drop_repeats, new_offices, validate
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
    #: stored rows whose value cannot be put in the common money unit (graph.currency.money_basis: their one
    #: currency, or US dollars when there are several): left out of money sums and unit-value comparisons
    without_rate: int = 0
    #: stored rows per currency ("" = none given)
    currencies: dict[str, int] = field(default_factory=dict)
    #: the unit money is added and compared in for these rows
    money_unit: str = "USD"
    #: offices the hierarchy did not know, registered as unassigned districts (``graph.reference``)
    new_offices: list[str] = field(default_factory=list)
    #: this run's name on the declarations it wrote (``new_load``)
    load: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class BatchWriter(Protocol):
    def write(self, batch: Any) -> WriteResult: ...


#: Turns clean rows into what the writer takes (a Batch by default); must be picklable for workers.
Prepare = Callable[[pd.DataFrame], Any]


Progress = Callable[[int, int], None]  # (rows read so far, rows quarantined so far)

_DONE = object()


@dataclass
class Prepared:
    """One chunk validated and prepared: all that comes back from a worker."""

    ids: pd.DataFrame  # declaration_id and row of the clean rows
    bad: pd.DataFrame  # quarantined rows
    currencies: Counter
    batch: Any  # the writer's input, None without clean rows
    offices: set[str]  # offices the hierarchy does not know


def _currencies(clean: pd.DataFrame) -> Counter:
    if "currency" not in clean:
        return Counter({"": len(clean)})
    return Counter(clean["currency"].fillna("").astype(str).tolist())


def new_load() -> str:
    """A name for one ingest run, stamped on every declaration it writes: the analysis tells new rows from
    those it has seen by their loads, whatever the files are called (a daily drop often has the same name)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ-") + uuid.uuid4().hex[:8]


def _validated(
    chunk: Chunk, mapping: Mapping | None, load: str, unknown_offices: str = "create"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frame = mapping.apply(chunk.frame, chunk.source) if mapping else chunk.frame
    clean, bad = validate(frame, chunk.source, chunk.rows, unknown_offices)
    clean["load"] = load
    return frame, clean, bad


def _prepare(
    chunk: Chunk, mapping: Mapping | None, prepare: Prepare, load: str, unknown_offices: str = "create"
) -> Prepared:
    """Map, validate and prepare one chunk; in a worker process when there are several."""
    _, clean, bad = _validated(chunk, mapping, load, unknown_offices)
    batch = prepare(clean) if len(clean) else None
    return Prepared(clean[["declaration_id", "row"]], bad, _currencies(clean), batch, new_offices(clean))


def _prepared(
    chunks: Iterator[Chunk], mapping: Mapping | None, prepare: Prepare, workers: int, load: str, unknown_offices: str
) -> Iterator[tuple[Chunk, Prepared]]:
    """Chunks with their preparation, in input order: here (``workers`` 0) or in worker processes."""
    if workers < 1:
        yield from ((chunk, _prepare(chunk, mapping, prepare, load, unknown_offices)) for chunk in chunks)
        return
    # Spawned, not forked: the writer thread is already running and a fork would copy its locks.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        ahead: deque = deque()
        for chunk in chunks:
            ahead.append((chunk, pool.submit(_prepare, chunk, mapping, prepare, load, unknown_offices)))
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
    workers: int = 0,
    prepare: Prepare = build_batch,
    unknown_offices: str = "create",
    store: DeclarationStore | None = None,
) -> IngestReport:
    """Read, validate and write every file; offices first seen are registered as unassigned districts.

    With ``store``, each batch's declarations are added to the columnar copy once the writer has taken the batch
    (for the graph: committed), under this run's load; the analysis checks the copy against the graph anyway, so a
    crash between the two costs a re-read of this load, nothing more."""
    report = IngestReport(load=new_load())
    quarantine = QuarantineWriter(quarantine_dir, "-".join(p.stem for p in paths[:3]))
    pending: queue.Queue = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def write_loop() -> None:
        while (item := pending.get()) is not _DONE:
            if failure:
                continue  # drain so the reader never blocks after a failure
            batch, rows = item
            try:
                result = writer.write(batch)
                if store is not None:
                    store.write(batch.store_rows, report.load)
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)
                continue
            report.created += result.created
            report.updated += result.updated
            report.stored += rows

    thread = threading.Thread(target=write_loop, name="graph-writer", daemon=True)
    thread.start()
    seen: dict[str, str] = {}
    stored_currencies: Counter = Counter()
    try:
        chunks = read_chunks(paths, batch_rows)
        for chunk, ready in _prepared(chunks, mapping, prepare, workers, report.load, unknown_offices):
            ids, bad, batch, currencies = ready.ids, ready.bad, ready.batch, ready.currencies
            if ready.offices - set(report.new_offices):
                report.new_offices = sorted(set(report.new_offices) | ready.offices)
                register_offices(ready.offices)
            if any(i in seen for i in ids["declaration_id"].astype(str).tolist()):
                # rare: prepared again without the repeated rows, whose entities must not be written either
                frame, clean, bad = _validated(chunk, mapping, report.load, unknown_offices)
                clean, repeats = drop_repeats(clean, frame, chunk.source, chunk.rows, seen)
                batch = prepare(clean) if len(clean) else None
                ids, currencies = clean, _currencies(clean)
            else:
                ids, repeats = drop_repeats(ids, chunk.frame, chunk.source, chunk.rows, seen)
            stored_currencies.update(currencies)
            for rejected in (bad, repeats):
                quarantine.write(rejected)
                report.quarantined += len(rejected)
            report.read += len(chunk.frame)
            if batch is not None:
                pending.put((batch, len(ids)))
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
    report.currencies = dict(sorted(stored_currencies.items()))
    money = money_basis([c for c in stored_currencies if c])
    report.money_unit = money.unit
    report.without_rate = sum(n for c, n in stored_currencies.items() if c not in money.per_unit)
    return report
