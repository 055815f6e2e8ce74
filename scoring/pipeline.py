"""The risk engine's runs as functions: train and publish, rebuild the snapshot, score a file.

Each returns a plain summary, so the command line, the tests and the benchmark share one path.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import neo4j
import pandas as pd

from columnar.engines import open_declarations
from columnar.store import DeclarationStore
from graph.runs import shown_run_and_snapshot
from scoring.as_of import enterprises_as_of
from scoring.batch import score_frame
from scoring.capacity import CapacityTable
from scoring.decision_log import DecisionLog, log_rows, reasons_json
from scoring.feedback import OutcomeError, parse_outcome, record_outcomes
from scoring.graph_read import read_declarations, read_enterprises, read_link_index, reading_started
from scoring.history import OpenEngine
from scoring.links import LinkIndex
from scoring.model import ModelError, load_model, ranking_metrics, save_model, split_date, train_model
from scoring.rule_store import RuleStore
from scoring.scorer import Scorer
from scoring.snapshot import build_snapshot, final_scores, save_snapshot
from scoring.targets import compare_at_rates
from scoring.violator_journal import ViolatorJournal

__all__ = ["Capacity", "train_and_publish", "rebuild_snapshot", "score_file", "feedback_file", "SCORE_COLUMNS"]

SCORE_COLUMNS = ("declaration_id", "score", "probability", "level", "channel", "random", "reasons")


@dataclass
class Capacity:
    """Inspection capacity as shares of declarations, for offices without a capacity per day
    (``riskgraph capacity set``, read from the home when the snapshot is built)."""

    physical: float = 0.03
    document: float = 0.10
    random_share: float = 0.01
    network_weight: float = 0.3


def _publish(
    home: Path,
    model_version: str,
    model,
    spec,
    declarations,
    enterprises,
    links: LinkIndex,
    capacity: Capacity,
    analysis: str | None,
    engine: OpenEngine | None = None,
) -> str:
    rules = RuleStore(home).current(include_disabled=False)
    state, config = build_snapshot(
        declarations,
        enterprises,
        model,
        spec,
        rules,
        links=links,
        physical=capacity.physical,
        document=capacity.document,
        random_share=capacity.random_share,
        network_weight=capacity.network_weight,
        capacity={office: entry["physical"] for office, entry in CapacityTable(home).offices().items()},
        engine=engine,
    )
    return save_snapshot(home, model_version, state, config, analysis=analysis)


def train_and_publish(
    driver: neo4j.Driver,
    database: str,
    home: Path,
    capacity: Capacity,
    *,
    test_share: float = 0.2,
    seed: int = 0,
    declarations_engine: str = "duckdb",
) -> dict:
    """Read the graph, validate and save a model, then publish a scoring snapshot built on it.

    The validation (model features and the final score's network risk) uses the analysis rerun on what
    the graph knew before the validation window (:mod:`scoring.as_of`). The history features are counted by
    ``declarations_engine`` (:data:`columnar.engines.DECLARATION_ENGINES`) over the columnar copy.
    """
    timings = {}
    began = time.perf_counter()
    read_at = reading_started()
    store = DeclarationStore(home)
    declarations = read_declarations(driver, database, store)
    run, analysis = shown_run_and_snapshot(driver, database)
    enterprises = read_enterprises(driver, database, run)
    links = read_link_index(driver, database, declarations, enterprises, read_at, run)
    timings["read"] = time.perf_counter() - began
    if declarations.empty:
        raise ModelError("the graph holds no declarations yet: run `riskgraph ingest` first")
    split = split_date(declarations, test_share)
    known_then = enterprises_as_of(driver, database, store, enterprises, split, seed=seed, engine=declarations_engine)
    timings["analysis_as_of"] = time.perf_counter() - began - timings["read"]
    engine = partial(open_declarations, store, declarations_engine)
    trained = train_model(
        declarations, enterprises, test_share=test_share, seed=seed, validation_enterprises=known_then, engine=engine
    )
    timings["train"] = time.perf_counter() - began - timings["read"] - timings["analysis_as_of"]
    snapshot = _train_report_and_publish(home, capacity, trained, declarations, enterprises, links, engine, analysis)
    timings["total"] = time.perf_counter() - began
    return {
        "model_version": trained.version,
        "snapshot": snapshot,
        "metrics": trained.metrics,
        "declarations_engine": declarations_engine,
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }


def _train_report_and_publish(home, capacity, trained, declarations, enterprises, links, engine, analysis) -> str:
    """The final score's validation figures, then the model saved and its snapshot published (its version)."""
    rules = RuleStore(home).current(include_disabled=False)
    test = trained.test
    names = trained.targets.names() if trained.targets else []
    scores, target_scores = final_scores(
        test, test["probability"].to_numpy(), rules, trained.state, capacity.network_weight,
        {t: test[f"probability_{t}"].to_numpy() for t in names},
    )  # fmt: skip
    final = ranking_metrics(scores, test["violation"].to_numpy(), test["revenue_usd"].to_numpy())
    trained.metrics["final_score"] = {k: v for k, v in final.items() if "@" in k or k == "auc"}
    if names:
        labels = {t: test[f"label_{t}"].to_numpy() for t in names}
        rates = tuple(sorted({capacity.physical, 0.10}))
        trained.metrics["targets"]["at_rate"] = compare_at_rates(scores, target_scores, labels, rates)
    save_model(home, trained)
    model, spec = load_model(home, trained.version)
    return _publish(home, trained.version, model, spec, declarations, enterprises, links, capacity, analysis, engine)


def rebuild_snapshot(driver: neo4j.Driver, database: str, home: Path, capacity: Capacity) -> str:
    """A new snapshot from the latest model and the graph as it is now (new history, new analysis)."""
    model, spec = load_model(home)
    read_at = reading_started()
    declarations = read_declarations(driver, database, DeclarationStore(home))
    run, analysis = shown_run_and_snapshot(driver, database)
    enterprises = read_enterprises(driver, database, run)
    links = read_link_index(driver, database, declarations, enterprises, read_at, run)
    return _publish(home, spec["version"], model, spec, declarations, enterprises, links, capacity, analysis)


def score_file(
    paths: list[Path],
    mapping,
    out: Path,
    scorer: Scorer,
    quarantine_dir: Path,
    log: DecisionLog | None = None,
    snapshot: str = "",
    chunk_rows: int = 50_000,
    workers: int = 1,
) -> dict:
    """Score declaration files (validated as ingest does; bad rows to quarantine) into a CSV: the
    :data:`SCORE_COLUMNS`, then with target models ``score_<target>`` per target and ``leading_target``.

    With a decision log, every decision is recorded, so later feedback can be joined to it. With ``workers``
    above 1, chunks are scored in that many processes (:func:`_scored_chunks`); the file, the quarantine and
    the log come out as one process writes them.
    """
    from ingest.readers import read_chunks
    from ingest.validate import QuarantineWriter

    quarantine = QuarantineWriter(quarantine_dir, "score-" + "-".join(p.stem for p in paths[:3]))
    counts = {"read": 0, "scored": 0, "quarantined": 0, "physical inspection": 0, "document check": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    job = _ChunkScoring(scorer, snapshot if log is not None else None)
    clean = _validated(read_chunks(paths, chunk_rows), mapping, quarantine, counts)
    with _fewer_collections(), out.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow(job.header())
        for scored in _scored_chunks(job, clean, workers):
            if log is not None:
                log.record_rows(scored.log_rows)
            f.write(scored.text)
            for channel, n in scored.channels.items():
                counts[channel] = counts.get(channel, 0) + n
            counts["scored"] += scored.scored
    counts["quarantine_file"] = str(quarantine.path) if quarantine.count else None
    counts["targets"] = job.targets
    return counts


def _validated(chunks: Iterator, mapping, quarantine, counts: dict) -> Iterator[pd.DataFrame]:
    """The clean rows of each chunk (validated as ingest does), the bad ones written to ``quarantine``. Here,
    not in the scoring workers: the normalisers' caches of names, phones and addresses are filled once."""
    from ingest.validate import validate

    for chunk in chunks:
        frame = mapping.apply(chunk.frame, chunk.source) if mapping else chunk.frame
        clean, bad = validate(frame, chunk.source, chunk.rows)
        quarantine.write(bad)
        counts["read"] += len(chunk.frame)
        counts["quarantined"] += len(bad)
        yield clean


@dataclass
class _ScoredChunk:
    """What scoring one chunk gives the process that writes: plain values, cheap to send between processes."""

    scored: int
    text: str  # the CSV rows
    log_rows: list[tuple]
    channels: dict[str, int]


class _ChunkScoring:
    """Score the clean rows of one chunk into their CSV rows and decision-log rows."""

    def __init__(self, scorer: Scorer, snapshot: str | None) -> None:
        self.scorer, self.snapshot = scorer, snapshot  # snapshot None: no decision log
        self.targets = scorer.targets.names() if scorer.targets else []

    def header(self) -> list[str]:
        targets = self.targets
        return [*SCORE_COLUMNS, *(f"score_{t}" for t in targets), *(["leading_target"] if targets else [])]

    def parallel(self) -> bool:
        """Whether chunks may be scored apart: not when a decision depends on the ones before it (a special
        operation's tally, an office's capacity used that day)."""
        return not len(self.scorer.operations) and self.scorer.capacity is None

    def __call__(self, clean: pd.DataFrame) -> _ScoredChunk:
        decisions = score_frame(self.scorer, clean, explain="inspection")
        rows, channels = self._rows(decisions)
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        logged = log_rows(decisions, self.snapshot) if self.snapshot is not None else []
        return _ScoredChunk(len(clean), text.getvalue(), logged, channels)

    def _rows(self, decisions) -> tuple[list[list], dict[str, int]]:
        targets = self.targets
        rows = [
            [
                decision.declaration_id,
                decision.score,
                decision.probability,
                decision.level,
                decision.channel,
                int(decision.random),
                reasons_json(decision.reasons),
                *(decision.targets[t]["score"] for t in targets),
                *([decision.leading_target] if targets else []),
            ]
            for decision in decisions
        ]
        return rows, Counter(decision.channel for decision in decisions)


#: the chunk scoring a worker process inherits (set by the pool's initializer, in the worker)
_WORKER_JOB: _ChunkScoring | None = None


def _set_worker_job(job: _ChunkScoring) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _score_in_worker(clean: pd.DataFrame) -> _ScoredChunk:
    return _WORKER_JOB(clean)


def _scored_chunks(job: _ChunkScoring, frames: Iterator[pd.DataFrame], workers: int) -> Iterator[_ScoredChunk]:
    """The chunks scored in order: here, or in ``workers`` forked processes that share the loaded snapshot
    (forked, so nothing is loaded or sent again; see :func:`_fewer_collections`). One chunk more than the
    workers is in flight."""
    if workers <= 1 or not job.parallel():
        yield from map(job, frames)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_set_worker_job, initargs=(job,)) as pool:
        pending: deque = deque()
        for frame in frames:
            pending.append(pool.submit(_score_in_worker, frame))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@contextmanager
def _fewer_collections(young: int = 100_000):
    """A young collection every ``young`` allocations instead of 700, and the snapshot's objects frozen out of
    the cyclic collector: a chunk's decisions are hundreds of thousands of small dicts and lists without
    cycles, and the collections they set off cost 17 % of the CPU at 200k rows (the freezing alone 2 %). Frozen
    before workers are forked, so their collections do not write to the shared pages either."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def feedback_file(
    paths: list[Path], mapping, driver: neo4j.Driver, database: str, log: DecisionLog, quarantine_dir: Path
) -> dict:
    """Record outcomes from files (``declaration_id``, ``violation``, ``violation_type``, ``revenue_recovered``,
    optional ``kind``); a row that cannot be read goes to quarantine with its reason, as in ingest."""
    from ingest.readers import read_chunks
    from ingest.validate import QUARANTINE_COLUMNS, QuarantineWriter

    quarantine = QuarantineWriter(quarantine_dir, "feedback-" + "-".join(p.stem for p in paths[:3]))
    counts = {"read": 0, "recorded": 0, "with_decision": 0, "quarantined": 0, "unknown": 0}
    for chunk in read_chunks(paths, 50_000):
        frame = mapping.apply(chunk.frame, chunk.source, only_present=True) if mapping else chunk.frame
        outcomes, bad = [], []
        for row_number, row in zip(chunk.rows, frame.to_dict("records"), strict=True):
            try:
                outcomes.append(parse_outcome(row))
            except OutcomeError as exc:
                field, _, reason = str(exc).partition(": ")
                bad.append([str(chunk.source), int(row_number), field, reason, json.dumps(row, default=str)])
        quarantine.write(pd.DataFrame(bad, columns=list(QUARANTINE_COLUMNS)))
        result = record_outcomes(driver, database, log, outcomes, store=DeclarationStore(log.home))
        ViolatorJournal(log.path.parent).append(result.violators)
        counts["read"] += len(frame)
        counts["recorded"] += result.recorded
        counts["with_decision"] += result.with_decision
        counts["unknown"] += len(result.unknown)
        counts["quarantined"] += len(bad)
    counts["quarantine_file"] = str(quarantine.path) if quarantine.count else None
    return counts
