"""A scorer that follows the newest snapshot and the rule store without a restart.

At most once per ``check_every`` seconds it compares the snapshot's ``latest`` pointer and the rule
file's modification time with what it holds, and swaps in a new scorer (built off to the side, then
assigned in one step) when either changed; violators recorded since (feedback, confirmed cases:
``scoring.violator_journal``) are applied to the identifier index in place. Requests never wait on
the graph; if a new snapshot cannot be read, the one in memory keeps serving.
"""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

from scoring.rule_store import RuleStore
from scoring.scorer import Scorer
from scoring.snapshot import SnapshotError, latest_version, load_scorer
from scoring.violator_journal import ViolatorEvent, ViolatorJournal

__all__ = ["LiveScorer"]


class LiveScorer:
    def __init__(self, home: Path, check_every: float = 1.0) -> None:
        self.home = Path(home)
        self.check_every = check_every
        self.rules = RuleStore(home)
        self.journal = ViolatorJournal(home)
        self._scorer: Scorer | None = None
        self.meta: dict = {}
        self._rules_mtime = -1
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refresh(force=True)

    @property
    def ready(self) -> bool:
        return self._scorer is not None

    def scorer(self) -> Scorer:
        """The current scorer; raises :class:`SnapshotError` when no snapshot was ever built."""
        if time.monotonic() - self._checked >= self.check_every:
            self.refresh()
        if self._scorer is None:
            raise SnapshotError(f"no scoring snapshot under {self.home / 'scoring'}: run `riskgraph model train`")
        return self._scorer

    def note_violators(self, events: list[ViolatorEvent]) -> None:
        """Record new known violators for every scorer of this home, and apply them here at once."""
        self.journal.append(events)
        with self._lock:
            self._follow_journal()

    def _follow_journal(self) -> None:
        scorer = self._scorer
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
                    self._scorer, self.meta = load_scorer(self.home, version)
                    self._rules_mtime = mtime
                    # The snapshot is a few million long-lived objects: keep them out of the cyclic
                    # collector, whose full passes over them stalled requests for hundreds of ms.
                    gc.collect()
                    gc.freeze()
                except SnapshotError:
                    pass
            self._follow_journal()
            mtime = self.rules.mtime()
            if self._scorer is not None and mtime != self._rules_mtime:
                self._scorer.set_rules(self.rules.current(include_disabled=False))
                self._rules_mtime = mtime
        finally:
            self._lock.release()
