"""Lookouts hit at lodging: a declaration naming an entity of an active lookout goes at least to the channel
the lookout's target asks for, whatever its score, and its reasons name the lookout's id.

The records live in the graph (``investigate.intel``), but clearance scoring never queries it: after every
change the active lookouts are written to ``$RISKGRAPH_HOME/lookouts.json`` (atomically, replaced whole),
and every scorer follows that file's modification time as it follows the rules (``scoring.live``), so a
running server sees a new or withdrawn lookout within a second. A lookout hits a declaration dated within
its ``valid_from``..``valid_to`` (a declaration without a date: today), as rules do with their dates.
A hit's reason carries only the record's id, kind and target: the clearance system needs no more.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from graph.home import LOOKOUTS

__all__ = [
    "TARGET_CHANNEL",
    "DEFAULT_CHANNEL",
    "Lookout",
    "LookoutIndex",
    "publish_lookouts",
    "read_lookouts",
    "lookouts_mtime",
    "memoised",
    "apply_hits",
    "raise_channel",
]

#: the channel a lookout's target asks for: goods are examined for drugs, security and counterfeits
TARGET_CHANNEL = {
    "drugs": "physical inspection",
    "security": "physical inspection",
    "ipr": "physical inspection",
    "tax": "document check",
}
DEFAULT_CHANNEL = "document check"
_LEVEL = {"document check": "medium", "physical inspection": "high"}
_RANK = {"fast release": 0, "document check": 1, "physical inspection": 2}


@dataclass(frozen=True)
class Lookout:
    id: str
    target: str
    valid_from: date | None
    valid_to: date | None

    @property
    def channel(self) -> str:
        return TARGET_CHANNEL.get(self.target, DEFAULT_CHANNEL)

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def reason(self) -> dict:
        return {
            "kind": "intel",
            "record": self.id,
            "target": self.target,
            "channel": self.channel,
            "detail": f"names an entity of active lookout {self.id} (target {self.target}): {self.channel}",
        }


class LookoutIndex:
    """Match key ``(kind, key)`` -> the lookouts naming it (``ingest.entities`` makes the keys)."""

    def __init__(self, lookouts: list[tuple[Lookout, list[tuple[str, str]]]] = ()) -> None:
        self._by_key: dict[tuple[str, str], list[Lookout]] = defaultdict(list)
        for lookout, keys in lookouts:
            for key in {tuple(k) for k in keys}:
                self._by_key[key].append(lookout)
        self._by_key = dict(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def hits(self, keys: set[tuple[str, str]], day: date | None) -> list[Lookout]:
        """The lookouts active on ``day`` (today when None) naming one of ``keys``, each once, by id."""
        return [lookout for lookout, _ in self.matches(keys, day)]

    def matches(self, keys: set[tuple[str, str]], day: date | None) -> list[tuple[Lookout, tuple[str, str]]]:
        """:meth:`hits`, each with the key it was hit through (what an alert on the hit says)."""
        if not self._by_key or not keys:
            return []
        day = day or date.today()
        found = {x.id: (x, k) for k in sorted(keys) for x in self._by_key.get(k, ()) if x.active_on(day)}
        return [found[i] for i in sorted(found)]


def raise_channel(decision, channel: str) -> None:
    """Send ``decision`` at least to ``channel`` (never lower it), its level following."""
    if _RANK[channel] > _RANK[decision.channel]:
        decision.channel, decision.level = channel, _LEVEL[channel]


def apply_hits(decision, matches: list[tuple[Lookout, tuple[str, str]]]) -> None:
    """Raise ``decision`` (a ``scoring.scorer.Decision``) to the strictest channel its lookouts ask for and
    name each lookout among its reasons (first, after a random selection, as what decided the channel).
    What each was hit through stays off the answer (``intel_via``): the clearance system sees id and target."""
    if not matches:
        return
    lookouts = [lookout for lookout, _ in matches]
    for lookout in lookouts:
        raise_channel(decision, lookout.channel)
    at = 1 if decision.random else 0
    decision.reasons[at:at] = [x.reason() for x in lookouts]
    decision.intel_hits = [x.id for x in lookouts]
    decision.intel_via = {lookout.id: f"{kind}:{key}" for lookout, (kind, key) in matches}


def _path(home: Path) -> Path:
    return Path(home) / LOOKOUTS


def publish_lookouts(home: Path, records: list[dict]) -> Path:
    """Write the lookouts (``{id, target, valid_from, valid_to, keys}`` each) for the scorers, replacing the file
    whole so a reader never sees half of it."""
    path = _path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    body = {"written_at": datetime.now(UTC).isoformat(), "lookouts": records}
    staging.write_text(json.dumps(body, default=str))
    os.replace(staging, path)
    return path


def lookouts_mtime(home: Path) -> tuple[int, int]:
    """The file's (inode, modification time in ns), (-1, -1) without one: what a scorer compares to follow it.
    Every publication is a new file, so two within one clock tick still differ by inode."""
    try:
        stat = _path(home).stat()
    except FileNotFoundError:
        return (-1, -1)
    return (stat.st_ino, stat.st_mtime_ns)


def _day(text) -> date | None:
    return date.fromisoformat(str(text)[:10]) if text else None


def read_lookouts(home: Path) -> LookoutIndex:
    """The published lookouts (none without the file)."""
    try:
        body = json.loads(_path(home).read_text())
    except FileNotFoundError:
        return LookoutIndex()
    return LookoutIndex(
        [
            (Lookout(r["id"], r["target"], _day(r.get("valid_from")), _day(r.get("valid_to"))), r["keys"])
            for r in body.get("lookouts", [])
        ]
    )


@lru_cache(maxsize=200_000)
def _memo(fn, text: str):
    return fn(text)


def memoised(fn, text: str):
    """A normaliser's result for ``text``, cached: a clearance stream repeats the same parties."""
    return _memo(fn, text)
