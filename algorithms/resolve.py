"""``riskgraph resolve`` as a function: read the importers, link probable same firms, write the candidates."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import neo4j

from algorithms.same_firm import same_firm_candidates
from graph.same_firm import read_link_input, write_candidates

__all__ = ["ResolutionRun", "run_resolution"]


@dataclass
class ResolutionRun:
    enterprises: int
    candidates: int
    fields: tuple[str, ...]
    message: str
    timings: dict[str, float] = field(default_factory=dict)


def run_resolution(driver: neo4j.Driver, database: str, *, threshold: float = 0.9, seed: int = 7) -> ResolutionRun:
    """Link the graph's importers and write ``PROBABLY_SAME_FIRM`` candidates (reviewed links are kept).

    With nothing to link (no names, addresses, phones or representatives shared) nothing is written
    and the run says so in ``message``; stale candidates are still dropped.
    """
    clock = time.perf_counter()
    enterprises = read_link_input(driver, database)
    timings = {"read": round(time.perf_counter() - clock, 3)}
    found = same_firm_candidates(enterprises, threshold=threshold, seed=seed)
    timings.update({f"link_{k}": v for k, v in found.timings.items()})
    lap = time.perf_counter()
    registered = enterprises.set_index("id")["registered"] if len(enterprises) else enterprises["registered"]
    written = write_candidates(driver, database, found.pairs, registered)
    timings["write"] = round(time.perf_counter() - lap, 3)
    timings["total"] = round(time.perf_counter() - clock, 3)
    return ResolutionRun(len(enterprises), written, found.fields, found.message, timings)
