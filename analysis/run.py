"""``riskgraph analyze`` as a function: read from Neo4j, analyse, write back, save the snapshot.

Both modes read the same enterprise-sized inputs (:mod:`analysis.aggregates`: the declarations engine, DuckDB or
Spark, over the columnar copy of the declarations, checked against the graph first, and the enterprises' own
records from Neo4j); a full run
analyses everything, an incremental run (:mod:`analysis.incremental`) rescores only what declarations loaded
since the last run touched.

The results appear all at once: the snapshot is staged, the graph results are written as new versions in
bounded transactions, the pointer to the run and its snapshot (the ``AnalysisRun`` record, with the run's mode)
moves last, then the snapshot is published (:mod:`analysis.write_back`, :mod:`analysis.snapshot`).
``RISKGRAPH_ANALYZE_KILL_AT`` = a name of :data:`KILL_POINTS` makes the process kill itself (SIGKILL) there,
for the tests that check a killed run leaves the previous one whole.

Each stage reports ``(stage, seconds)`` to an optional callback as it finishes, so the command
line can show progress and a benchmark can print the same figures.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import neo4j
import pandas as pd

from analysis.aggregates import DeclarationAggregates, aggregate_declarations, analysis_inputs, audit_period
from analysis.engines import GraphEngine, InProcessEngine
from analysis.identities import read_identities
from analysis.incremental import analyse_touched, find_touched, strong_ties
from analysis.pipeline import AnalysisInputs, AnalysisResult, analyze_inputs
from analysis.snapshot import latest_snapshot, publish_snapshot, settle_staged, stage_snapshot
from analysis.state import AnalysisState, last_communities, load_state, publish_state, settle_state, stage_state
from analysis.write_back import current_snapshot, sweeping_outdated, write_run
from columnar.store import DeclarationStore
from columnar.sync import SyncReport, graph_load_counts, sync_store
from graph.currency import money_basis
from graph.errors import RiskGraphError
from graph.targets import target_table

__all__ = ["AnalysisRun", "ENGINES", "NothingToAnalyse", "run_analysis"]

ENGINES = ("inprocess", "gds")
#: where ``RISKGRAPH_ANALYZE_KILL_AT`` may kill a run: after the analysis, with the snapshot staged,
#: with the graph results written but the pointer not moved, and after it moved before the snapshot is published
KILL_POINTS = ("analysed", "staged", "writing", "committed")


def _kill_point(name: str) -> None:
    if os.environ.get("RISKGRAPH_ANALYZE_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


#: Enterprise columns kept in the snapshot (what scoring and the CLI read)
SNAPSHOT_COLUMNS = (
    "id",
    "name",
    "category",
    "community",
    "community_size",
    "network_id",
    "pagerank",
    "betweenness",
    "degree",
    "weighted_degree",
    "propagated_risk",
    "is_violator",
    "peer_compared",
    "peer_share_below",
    "value_shortfall",
    "tax_at_stake",
    "young",
    "risk",
    "reasons",
)


class NothingToAnalyse(RiskGraphError, RuntimeError):
    """The graph holds no declarations yet."""

    status, code = 409, "nothing_to_analyse"


@dataclass
class AnalysisRun:
    table: pd.DataFrame  # every analysed enterprise, as the snapshot holds it
    networks: list[dict]
    timings: dict[str, float]
    counts: dict[str, int]
    as_of: str
    engine: str
    snapshot: Path
    analysed_at: datetime
    mode: str = "full"
    result: AnalysisResult | None = None  # a full run's whole result, its graph and edges let go once used
    metadata: dict = field(default_factory=dict)
    #: the rows whose figures this run changed: an incremental run's rescored firms, a full run's every firm
    changed: pd.DataFrame | None = None
    #: the analysis snapshot an incremental run started from (its figures are those of the firms not changed)
    based_on: str | None = None


class _Clock:
    """Seconds per stage, reported to ``on_stage`` as each ends."""

    def __init__(self, on_stage: Callable[[str, float], None] | None) -> None:
        self.timings: dict[str, float] = {}
        self.began = self.clock = time.perf_counter()
        self.on_stage = on_stage

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.record(stage, round(now - self.clock, 3))

    def record(self, stage: str, seconds: float) -> None:
        self.timings[stage] = seconds
        self.clock = time.perf_counter()
        if self.on_stage is not None:
            self.on_stage(stage, seconds)

    def total(self) -> dict[str, float]:
        return {**self.timings, "total": round(time.perf_counter() - self.began, 3)}


@dataclass
class _Reading:
    """The declarations as the engine aggregates them in a thread of their own, from a copy checked against the
    graph once before anyone read it: against ``loads``, the graph's declarations per load then, which the run
    records as what it analysed. A run that can only be full reads every firm's identity in that thread too, once
    the engine has aggregated (``identities``): beside the resolution, not after it."""

    aggregated: Future[DeclarationAggregates | None]
    synced: SyncReport
    loads: dict[str, int]
    engine: str  # the declarations engine's name
    identities: Future | None = None  # read_identities' answer, read whole


def run_analysis(
    driver: neo4j.Driver,
    database: str,
    home: Path,
    *,
    engine: GraphEngine | None = None,
    seed: int = 0,
    as_of=None,
    full: bool = True,
    on_stage: Callable[[str, float], None] | None = None,
    declarations: str = "duckdb",
    alongside: Callable[[dict[str, int], Future[pd.DataFrame]], Iterable[str]] | None = None,
) -> AnalysisRun:
    """Analyse the graph and publish the results.

    ``engine`` runs the whole-graph algorithms; ``declarations`` names the engine that aggregates the
    declarations (:data:`columnar.engines.DECLARATION_ENGINES`), which changes where the work runs, not the result.

    With ``full=False`` the run is incremental when it can be (:mod:`analysis.incremental`): the last run
    left its state, was made by the in-process engine with the same seed, and no ``as_of`` is asked for;
    otherwise it is full. ``alongside`` runs while the engine aggregates the declarations (``riskgraph analyze``
    resolves probable same firms there: seconds of Python beside seconds of the engine's threads), given the graph's
    declarations per load the columnar copy was brought in line with and each importer's first and last declaration
    (:func:`~analysis.aggregates.firm_activity`, a future: the engine reads it first); the firms it returns are
    redone by an incremental run whatever was loaded (those whose same-firm candidates changed).
    """
    engine = engine or InProcessEngine()
    settings = {"engine": engine.name, "seed": seed}
    shown = current_snapshot(driver, database)
    settle_staged(home, shown)  # what a killed run left
    settle_state(home)
    store = DeclarationStore(home)
    loads = graph_load_counts(driver, database)
    synced = sync_store(driver, database, store, counts=loads)  # before the engine and ``alongside`` read the copy
    can_be_incremental = not full and as_of is None and engine.name == "inprocess"  # its step is in-process Leiden
    with ThreadPoolExecutor(1) as engine_thread:
        firms: Future[pd.DataFrame] = Future()
        aggregated = engine_thread.submit(_aggregating, store, as_of, declarations, firms)
        whole = None if can_be_incremental else engine_thread.submit(read_identities, driver, database)
        reading = _Reading(aggregated, synced, loads, declarations, whole)
        also = tuple(alongside(loads, firms)) if alongside is not None else ()
        if can_be_incremental:
            state = load_state(home)
            usable = state is not None and state.settings == settings
            if usable and state.snapshot == latest_snapshot(home) == shown:
                clock = _Clock(on_stage)
                touched = find_touched(driver, database, state, also, loads)
                clock.lap("touched")
                if touched is not None:
                    return _incremental(driver, database, home, state, touched, engine, seed, clock, reading)
        return _full(driver, database, home, engine, seed, _Clock(on_stage), reading)


def _aggregating(store: DeclarationStore, as_of, engine: str, firms: Future) -> DeclarationAggregates | None:
    """:func:`aggregate_declarations`, handing ``firms`` the firms' activity first (or the failure that came before
    it, so a resolution waiting on it fails with the engine's own error)."""
    try:
        return aggregate_declarations(store, as_of, engine=engine, firms=firms.set_result)
    except BaseException as exc:
        if not firms.done():
            firms.set_exception(exc)
        raise


def _read(driver, database, clock: _Clock, reading: _Reading, kept=None, changed=()):
    """The inputs, the firms' own records (``kept`` with the firms ``changed`` names read again, when it agrees with
    the graph) and counts: the declarations the columnar copy had to read again from the graph to agree with it,
    and whether the firms were read whole."""
    # the firms come from Neo4j while the engine aggregates (a full run's came beside the resolution); the one worker
    # runs the second task after the first, to hand on just the records
    with ThreadPoolExecutor(1) as alongside:
        if reading.identities is not None and kept is None:
            read = reading.identities
        else:
            read = alongside.submit(read_identities, driver, database, kept, changed)
        identities = alongside.submit(lambda: read.result()[0])
        found = reading.aggregated.result()
        data = None if found is None else analysis_inputs(driver, database, found, identities=identities)
    identities, how = read.result()
    if data is None or data.activity.importers.empty:
        raise NothingToAnalyse("the graph holds no declarations yet: run `riskgraph ingest` first")
    clock.lap("read")
    reread = sum(reading.synced.reread.values())
    return data, identities, {"store_reread": reread, "identities_read_whole": int(how == "whole")}


def _full(driver, database, home: Path, engine: GraphEngine, seed, clock: _Clock, reading: _Reading) -> AnalysisRun:
    loads = reading.loads  # what the copy was checked against: the run analysed these
    data, identities, synced = _read(driver, database, clock, reading)
    sweeping = sweeping_outdated(driver, database)  # while the analysis leaves Neo4j idle

    # a community found again keeps its number: renumbered, every member would be written again
    numbers = last_communities(home)
    result = analyze_inputs(data, seed=seed, engine=engine, on_stage=clock.record, numbers=numbers)
    network_of = {m: net["id"] for net in result.networks for m in net["members"]}
    result.enterprises["network_id"] = result.enterprises["id"].map(network_of).astype("Int64")

    analysed_at = datetime.now(UTC)
    _kill_point("analysed")
    counts = {**data.counts, **synced, "analysed": len(result.enterprises), "networks": len(result.networks)}
    counts["graph_edges"] = len(result.edges.weight)
    metadata = _metadata(data, analysed_at, engine, seed, "full", counts, clock)
    metadata["declarations_engine"] = reading.engine
    metadata["betweenness_method"] = result.betweenness_method
    version = _stage(home, result.enterprises, result.networks, metadata, clock, data)
    ties = _release_graph(result)
    table, networks = result.enterprises, result.networks
    state = _state(version, data, table, networks, loads, analysed_at, seed, engine, ties, identities)
    folder = _write_and_publish(
        home, state, driver, database, sweeping, clock, counts, table, networks, analysed_at, version
    )
    return _run(table, networks, counts, metadata, engine, folder, analysed_at, "full", clock, result)


def _write(driver, database, sweeping, clock: _Clock, counts: dict, enterprises, networks, analysed_at, version, **how):
    """The run's results written once the sweep the run started has ended (one writer at a time); what was written
    goes into ``counts``."""
    sweeping.result()
    written = write_run(
        driver,
        database,
        enterprises,
        networks,
        analysed_at,
        snapshot=version,
        before_pointer=lambda: _kill_point("writing"),
        **how,
    )
    counts.update({f"written_{k}": v for k, v in written.items() if k != "run"})
    clock.lap("write_back")


def _release_graph(result: AnalysisResult):
    """The strong ties the state keeps, taken from the projected graph's edges before they are let go: nothing after
    the analysis reads them, and the write-back and the state save that follow make the run's peak memory."""
    ties = strong_ties(result.edges) if result.edges is not None else None
    result.edges = None
    return ties


def _incremental(driver, database, home: Path, state, touched, engine, seed: int, clock: _Clock, reading: _Reading):
    data, identities, synced = _read(driver, database, clock, reading, kept=state.identities, changed=touched.parties)
    sweeping = sweeping_outdated(driver, database)  # while the analysis leaves Neo4j idle
    change = analyse_touched(state, touched, data, seed=seed, lap=clock.lap)
    clock.lap("scores")
    network_of = {m: net["id"] for net in change.networks for m in net["members"]}
    for frame in (change.table, change.changed):
        frame["network_id"] = frame["id"].map(network_of).astype("Int64")
    analysed_at = datetime.now(UTC)
    _kill_point("analysed")
    counts = {**data.counts, **synced, **change.counts}
    counts |= {"analysed": len(change.table), "networks": len(change.networks)}
    counts["graph_edges"] = change.graph_edges
    metadata = _metadata(data, analysed_at, engine, seed, "incremental", counts, clock)
    metadata["declarations_engine"] = reading.engine
    version = _stage(home, change.table, change.networks, metadata, clock, data)
    following = _state(
        version, data, change.table, change.networks, touched.loads, analysed_at, seed, engine, change.ties, identities
    )
    folder = _write_and_publish(
        home,
        following,
        driver,
        database,
        sweeping,
        clock,
        counts,
        change.changed,
        change.changed_networks,
        analysed_at,
        version,
        mode="incremental",
        replaced_networks=change.removed_networks,
    )
    return _run(
        change.table,
        change.networks,
        counts,
        metadata,
        engine,
        folder,
        analysed_at,
        "incremental",
        clock,
        changed=change.changed,
        based_on=state.snapshot,
    )


def _metadata(data: AnalysisInputs, analysed_at, engine, seed, mode: str, counts, clock: _Clock) -> dict:
    return {
        "as_of": data.activity.as_of.date().isoformat(),
        "audit_period": [day.isoformat() for day in audit_period(data.activity.as_of)],
        "money_unit": money_basis(data.currencies or []).unit,
        "analysed_at": analysed_at.isoformat(),
        "engine": engine.name,
        "mode": mode,
        "seed": seed,
        "counts": counts,
        "timings": dict(clock.timings),
    }


def _violation_targets(violations: pd.DataFrame) -> pd.Series:
    """Per importer, its violations counted by risk target (the administration's table, ``graph.targets``), as
    JSON; importers without a typed violation are left out."""
    if violations.empty:
        return pd.Series(dtype=object)
    of, _ = target_table().classify(violations["type"])
    counts = violations.assign(target=of).groupby(["importer_id", "target"])["n"].sum()
    per_importer: dict[str, dict[str, int]] = {}
    for (importer, target), n in zip(counts.index.tolist(), counts.tolist(), strict=True):
        per_importer.setdefault(importer, {})[target] = int(n)
    return pd.Series({importer: json.dumps(c) for importer, c in per_importer.items()}, dtype=object)


def _stage(
    home: Path, table: pd.DataFrame, networks: list[dict], metadata: dict, clock: _Clock, data: AnalysisInputs
) -> str:
    """Stage the snapshot: the analysed enterprises with, for the leads, what an audit of each would reach over
    the audit period (``audit_*`` columns) and the risk targets of the violations found on its declarations
    (``violation_targets``, JSON ``{target: count}``), read again whole every run like the other aggregates."""
    columns = [c for c in SNAPSHOT_COLUMNS if c in table.columns]
    kept = table[columns].reset_index(drop=True)
    ids = kept["id"].astype(str)
    parts = [kept]
    if data.audit is not None:
        parts.append(data.audit.reindex(ids).add_prefix("audit_").reset_index(drop=True))
    parts.append(
        _violation_targets(data.activity.violations).reindex(ids).rename("violation_targets").reset_index(drop=True)
    )
    kept = pd.concat(parts, axis=1)
    version = stage_snapshot(home, kept, networks, metadata)
    clock.lap("snapshot")
    _kill_point("staged")
    return version


def _state(version, data, table, networks, loads, analysed_at, seed, engine, ties, identities) -> AnalysisState:
    """The state the next incremental run starts from, once the snapshot ``version`` is published."""
    return AnalysisState(
        table=table,
        networks=networks,
        loads=loads,
        analysed_at=analysed_at,
        snapshot=version,
        as_of=data.activity.as_of,
        settings={"engine": engine.name, "seed": seed},
        ties=ties,
        identities=identities,
    )


def _write_and_publish(home: Path, state: AnalysisState, *written, **how) -> Path:
    """Write the results to the graph (:func:`_write`) while the state is written aside, held: the write-back waits on
    Neo4j (0.5 s of a 1M day's state beside its 1.2 s write-back). Once the pointer has moved, publish the snapshot,
    then the state; returns the snapshot's folder."""
    with ThreadPoolExecutor(1, thread_name_prefix="state") as aside:
        held = aside.submit(stage_state, home, state)
        _write(*written, **how)
        _kill_point("committed")
        folder = publish_snapshot(home, state.snapshot)
        publish_state(home, held.result())
    return folder


def _run(
    table,
    networks,
    counts,
    metadata,
    engine,
    folder,
    analysed_at,
    mode,
    clock,
    result=None,
    *,
    changed=None,
    based_on=None,
) -> AnalysisRun:
    timings = clock.total()
    metadata["timings"] = timings
    return AnalysisRun(
        table=table,
        networks=networks,
        timings=timings,
        counts=counts,
        as_of=metadata["as_of"],
        engine=engine.name,
        snapshot=folder,
        analysed_at=analysed_at,
        mode=mode,
        result=result,
        metadata=metadata,
        changed=table if changed is None else changed,
        based_on=based_on,
    )
