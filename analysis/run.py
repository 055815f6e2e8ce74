"""``riskgraph analyze`` as a function: read from Neo4j, analyse, write back, save the snapshot.

Each stage reports ``(stage, seconds)`` to an optional callback as it finishes, so the command
line can show progress and a benchmark can print the same figures.

The results appear all at once: the snapshot is staged, the graph results and the pointer to that
snapshot are one transaction, then the snapshot is published (:mod:`analysis.write_back`,
:mod:`analysis.snapshot`). ``RISKGRAPH_ANALYZE_KILL_AT`` = a name of :data:`KILL_POINTS` makes the
process kill itself (SIGKILL) there, for the tests that check a killed run leaves the previous one whole.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import neo4j

from analysis.engines import GraphEngine, InProcessEngine
from analysis.graph_io import read_analysis_input
from analysis.pipeline import AnalysisResult, analyze_frames
from analysis.snapshot import publish_snapshot, settle_staged, stage_snapshot
from analysis.write_back import current_snapshot, write_results
from graph.errors import RiskGraphError

__all__ = ["AnalysisRun", "ENGINES", "NothingToAnalyse", "run_analysis"]

ENGINES = ("inprocess", "gds")
#: where ``RISKGRAPH_ANALYZE_KILL_AT`` may kill a run: after the analysis, with the snapshot staged,
#: inside the graph transaction before its commit, and after the commit before the snapshot is published
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
    result: AnalysisResult
    timings: dict[str, float]
    counts: dict[str, int]
    as_of: str
    engine: str
    snapshot: Path
    analysed_at: datetime
    metadata: dict = field(default_factory=dict)


def run_analysis(
    driver: neo4j.Driver,
    database: str,
    home: Path,
    *,
    engine: GraphEngine | None = None,
    seed: int = 0,
    as_of=None,
    on_stage: Callable[[str, float], None] | None = None,
) -> AnalysisRun:
    """Run the whole analysis against the graph and publish its results."""
    engine = engine or InProcessEngine()
    timings: dict[str, float] = {}
    began = time.perf_counter()
    clock = began

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now
        if on_stage is not None:
            on_stage(stage, timings[stage])

    settle_staged(home, current_snapshot(driver, database))  # what a killed run left
    data = read_analysis_input(driver, database, as_of=as_of)
    if data.declarations.empty or data.as_of is None:
        raise NothingToAnalyse("the graph holds no declarations yet: run `riskgraph ingest` first")
    lap("read")

    def inner(stage: str, seconds: float) -> None:
        nonlocal clock
        timings[stage] = seconds
        clock = time.perf_counter()
        if on_stage is not None:
            on_stage(stage, seconds)

    result = analyze_frames(
        data.enterprises,
        data.declarations,
        data.links,
        data.known_violators,
        data.as_of,
        seed=seed,
        engine=engine,
        on_stage=inner,
    )
    network_of = {m: net["id"] for net in result.networks for m in net["members"]}
    result.enterprises["network_id"] = result.enterprises["id"].map(network_of).astype("Int64")

    analysed_at = datetime.now(UTC)
    _kill_point("analysed")
    counts = {**data.counts, "analysed": len(result.enterprises), "networks": len(result.networks)}
    counts["graph_edges"] = result.graph.ecount()
    metadata = {
        "as_of": data.as_of.date().isoformat(),
        "analysed_at": analysed_at.isoformat(),
        "engine": engine.name,
        "seed": seed,
        "betweenness_method": result.betweenness_method,
        "counts": counts,
        "timings": dict(timings),
    }
    columns = [c for c in SNAPSHOT_COLUMNS if c in result.enterprises.columns]
    version = stage_snapshot(home, result.enterprises[columns], result.networks, metadata)
    lap("snapshot")
    _kill_point("staged")
    write_results(
        driver,
        database,
        result.enterprises,
        result.networks,
        analysed_at,
        snapshot=version,
        before_commit=lambda: _kill_point("writing"),
    )
    lap("write_back")
    _kill_point("committed")
    folder = publish_snapshot(home, version)
    timings["total"] = round(time.perf_counter() - began, 3)
    return AnalysisRun(
        result=result,
        timings=timings,
        counts=counts,
        as_of=metadata["as_of"],
        engine=engine.name,
        snapshot=folder,
        analysed_at=analysed_at,
        metadata=metadata,
    )
