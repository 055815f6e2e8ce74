"""A scorer that follows the newest snapshot and the rule store without a restart.

At most once per ``check_every`` seconds it compares the snapshot's ``latest`` pointer and the rule
file's modification time with what it holds, and swaps in a new scorer (built off to the side, then
assigned in one step) when either changed; the published lookouts and the watchlists (``scoring.lookouts``,
``scoring.watchlists``) are read again when their files changed; violators recorded since (feedback, confirmed cases:
``scoring.violator_journal``) are applied to the identifier index in place. The special operations
(``scoring.operations``) are followed like the rules; their shared tally is synchronised once a second by a
thread of its own (what this worker counted goes to the file, everyone's totals come back), so an idle worker's
counts reach the others too. Every scorer it serves selects within the offices' capacity through one shared
:class:`scoring.capacity.CapacityAllocator` (its day use is on disk, shared with the other workers). Requests
never wait on
the graph; if a new snapshot cannot be read, the one in memory keeps serving. The scorer and its
snapshot's metadata are held as one :class:`Loaded` pair, so a request that reads both never stamps
a decision with another snapshot's version.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

from scoring.capacity import CapacityAllocator
from scoring.inspection import Routing
from scoring.lookouts import lookouts_mtime, read_lookouts
from scoring.operations import OperationBook, OperationStore, Tally
from scoring.rule_store import RuleStore
from scoring.scorer import Scorer
from scoring.snapshot import SnapshotError, latest_version, load_scorer
from scoring.violator_journal import ViolatorEvent, ViolatorJournal
from scoring.watchlists import read_watchlists, watchlists_stamp

__all__ = ["Loaded", "LiveScorer", "SYNC_EVERY"]

#: seconds between a worker's synchronisations of the operations' shared tally
SYNC_EVERY = 1.0


class Loaded(NamedTuple):
    """A scorer and the metadata (``version``, ``model_version``, ``built_at``) of the snapshot it was built from."""

    scorer: Scorer
    meta: dict


class LiveScorer:
    def __init__(self, home: Path, check_every: float = 1.0) -> None:
        self.home = Path(home)
        self.check_every = check_every
        self.rules = RuleStore(home)
        self.journal = ViolatorJournal(home)
        self.operations = OperationStore(home)
        self.tally = Tally(home)
        self._operations_mtime = -1
        self.capacity = CapacityAllocator(home)
        self._loaded: Loaded | None = None
        self._rules_mtime = -1
        self._lookouts_stamp = (-1, -1)
        self._watchlists_stamp = ()
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refresh(force=True)
        self._stop = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="operation-tally", daemon=True)
        self._syncer.start()

    @property
    def ready(self) -> bool:
        return self._loaded is not None

    @property
    def meta(self) -> dict:
        """The serving snapshot's metadata; empty before any snapshot was loaded."""
        loaded = self._loaded
        return loaded.meta if loaded is not None else {}

    def due(self) -> bool:
        """True when the next :meth:`current` checks the files (and may load a new snapshot, which takes time)."""
        return time.monotonic() - self._checked >= self.check_every

    def current(self) -> Loaded:
        """The serving scorer with its snapshot's metadata, read as one; raises :class:`SnapshotError` when no
        snapshot was ever built."""
        if self.due():
            self.refresh()
        loaded = self._loaded
        if loaded is None:
            raise SnapshotError(f"no scoring snapshot under {self.home / 'scoring'}: run `riskgraph model train`")
        return loaded

    def scorer(self) -> Scorer:
        """The current scorer; raises :class:`SnapshotError` when no snapshot was ever built."""
        return self.current().scorer

    def note_violators(self, events: list[ViolatorEvent]) -> None:
        """Record new known violators for every scorer of this home, and apply them here at once."""
        self.journal.append(events)
        with self._lock:
            self._follow_journal()

    def _follow_journal(self) -> None:
        scorer = self._loaded.scorer if self._loaded is not None else None
        if scorer is not None and scorer.state.links is not None and self.journal.size() > scorer.journal_offset:
            scorer.journal_offset = self.journal.apply(scorer.state.links, scorer.journal_offset)

    def refresh(self, force: bool = False) -> None:
        if not self._lock.acquire(blocking=force):
            return  # another request is already refreshing; keep serving the current scorer
        try:
            self._checked = time.monotonic()
            version = latest_version(self.home)
            if version is not None and (force or version != self.meta.get("version")):
                try:
                    mtime = self.rules.mtime()  # before loading: a change made meanwhile is caught next time
                    stamp, lists = lookouts_mtime(self.home), watchlists_stamp(self.home)
                    loaded = Loaded(*load_scorer(self.home, version))
                    loaded.scorer.set_capacity(self.capacity)
                    self._loaded = loaded
                    self._rules_mtime, self._lookouts_stamp, self._watchlists_stamp = mtime, stamp, lists
                    self._operations_mtime = -1  # the new scorer gets the operations below
                    # The snapshot is a few million long-lived objects: keep them out of the cyclic
                    # collector, whose full passes over them stalled requests for hundreds of ms.
                    gc.collect()
                    gc.freeze()
                except SnapshotError:
                    pass
            self._follow_journal()
            mtime = self.rules.mtime()
            if self._loaded is not None and mtime != self._rules_mtime:
                self._loaded.scorer.set_rules(self.rules.current(include_disabled=False))
                self._loaded.scorer.set_new_firm_policies(self.rules.policies())
                self._loaded.scorer.set_routing(Routing(self.rules.routes()))
                self._rules_mtime = mtime
            self._follow_lookouts()
            self._follow_operations()
        finally:
            self._lock.release()

    def _follow_operations(self) -> None:
        mtime = self.operations.mtime()
        if self._loaded is not None and mtime != self._operations_mtime:
            self._loaded.scorer.set_operations(OperationBook(self.tally, self.operations.all()))
            if mtime > 0 and self._operations_mtime == -1:  # a worker starting: everyone's counts before it serves
                self.tally.sync()
            self._operations_mtime = mtime

    def _sync_loop(self) -> None:
        while not self._stop.wait(SYNC_EVERY):
            if self._operations_mtime > 0:
                try:
                    self.tally.sync()
                except sqlite3.Error as exc:  # keep counting in memory; the next round tries again
                    print(f"operation tally not synchronised: {exc}", file=sys.stderr, flush=True)

    def follow_operations(self) -> None:
        """Read the operations now (a route of this process just approved or ended one)."""
        with self._lock:
            self._follow_operations()

    def close(self) -> None:
        """Hand what this worker counted for the operations to the shared tally (the server's shutdown)."""
        self._stop.set()
        self._syncer.join()
        if self._operations_mtime > 0:
            self.tally.sync()

    def follow_intel(self) -> None:
        """Read the published lookouts and the violator journal now if they changed (a route of this process
        just wrote intelligence: its next answer follows it)."""
        with self._lock:
            self._follow_journal()
            self._follow_lookouts()

    def _follow_lookouts(self) -> None:
        stamp = lookouts_mtime(self.home)
        if self._loaded is not None and stamp != self._lookouts_stamp:
            self._loaded.scorer.set_lookouts(read_lookouts(self.home))
            self._lookouts_stamp = stamp
        lists = watchlists_stamp(self.home)
        if self._loaded is not None and lists != self._watchlists_stamp:
            self._loaded.scorer.set_watchlists(read_watchlists(self.home))
            self._watchlists_stamp = lists
