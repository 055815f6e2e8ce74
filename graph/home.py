"""The layout of ``$RISKGRAPH_HOME`` and the one versioned store for everything published under it.

Everything the project keeps on disk lives in one folder (``RISKGRAPH_HOME``, default ``.riskgraph``)::

    neo4j/              the local Neo4j (database, console log, pid file, bulk-import state)
    import/             CSV files of a bulk first load, removed once loaded
    quarantine/         rows refused by ingest, with the reason
    sample/             the demo's generated data
    snapshots/          analysis snapshots (``riskgraph analyze``), versioned
    analysis-state/     what an incremental ``riskgraph analyze`` starts from (the last run's inputs), versioned
    models/             trained violation models (``riskgraph model train``), versioned, all kept
    scoring/            scoring snapshots served by the API, versioned
    rules/              risk parameters, every version
    decisions.sqlite    every scoring decision and its outcome
    violators.jsonl     known violators learnt since the scoring snapshot (feedback, confirmed cases)
    keys.json           API keys (hashes only)
    audit/              the API's audit log
    offices.json        the customs organisation loaded by ``riskgraph offices load`` (else the seed's)
    rates.csv           reference exchange rates loaded by ``riskgraph rates load``, every one kept
    declarations/       the columnar copy of the declarations, one folder per load (``columnar.store``)
    api.lock            held (shared) by every running API worker, so that ``riskgraph restore`` refuses then
    targets.csv         violation types -> risk targets loaded by ``riskgraph targets load`` (over the built-in wording)
    lookouts.json       the active lookouts for the scorers, rewritten from the graph after every intelligence change
    watchlists/         sanctions and denied-party lists loaded by ``riskgraph watchlist load``, one file a list
    capacity.json       examinations each office can do per lodging day (``riskgraph capacity set``)
    capacity.sqlite     each office's use of it per lodging day, shared by every scorer (``scoring.capacity``)

A versioned folder holds one sub-folder per version (a UTC timestamp, so names sort by age) and a ``latest``
file naming the newest complete one. :class:`VersionedStore` is the one implementation of writing them: a
version is staged under a hidden temporary name, renamed when complete, ``latest`` replaced atomically
(``os.replace``), then the oldest versions beyond ``keep`` are removed; so a reader never sees a half-written
version, and a crash leaves only a hidden folder behind. A version can also be *held* (staged complete
but not published, ``stage(publish=False)``) until something else has committed (the analysis's graph
transaction), then published with :meth:`VersionedStore.publish`; :meth:`VersionedStore.settle` deals
with what a killed process held.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from graph.errors import RiskGraphError

__all__ = [
    "NEO4J",
    "IMPORT",
    "QUARANTINE",
    "SAMPLE",
    "ANALYSIS_SNAPSHOTS",
    "ANALYSIS_STATE",
    "MODELS",
    "SCORING_SNAPSHOTS",
    "RULES",
    "DECISIONS",
    "VIOLATORS",
    "KEYS",
    "AUDIT",
    "OFFICES",
    "RATES",
    "DECLARATION_STORE",
    "API_LOCK",
    "ServingElsewhere",
    "api_serving",
    "no_api_serving",
    "TARGETS",
    "LOOKOUTS",
    "WATCHLISTS",
    "CAPACITY",
    "CAPACITY_USE",
    "VersionedStore",
]

NEO4J = "neo4j"
IMPORT = "import"
QUARANTINE = "quarantine"
SAMPLE = "sample"
ANALYSIS_SNAPSHOTS = "snapshots"
ANALYSIS_STATE = "analysis-state"
MODELS = "models"
SCORING_SNAPSHOTS = "scoring"
RULES = "rules"
DECISIONS = "decisions.sqlite"
VIOLATORS = "violators.jsonl"
KEYS = "keys.json"
AUDIT = "audit"
OFFICES = "offices.json"
RATES = "rates.csv"
DECLARATION_STORE = "declarations"
API_LOCK = "api.lock"
TARGETS = "targets.csv"
#: the active lookouts as the scorers read them, written from the graph after every change (scoring.lookouts)
LOOKOUTS = "lookouts.json"
#: sanctions and denied-party lists, one file a list (scoring.watchlists)
WATCHLISTS = "watchlists"
CAPACITY = "capacity.json"
CAPACITY_USE = "capacity.sqlite"

_LATEST = "latest"


class ServingElsewhere(RiskGraphError, RuntimeError):
    """An API and a restore cannot run on one home at once: the restore would replace files under the API."""

    status, code = 409, "home_busy"


@contextmanager
def _locked(home: Path, mode: int, busy: str) -> Iterator[None]:
    """Hold ``home/api.lock`` in ``mode`` (shared or exclusive) while the block runs; raise ``busy`` if taken.
    A lock, not a pid file: it goes with the process that held it, however that process ended."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(home / API_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServingElsewhere(busy) from None
        yield
    finally:
        os.close(fd)


def api_serving(home: Path):
    """Held by each API worker while it serves ``home`` (a context manager)."""
    return _locked(Path(home), fcntl.LOCK_SH, f"a restore is under way in {home}: start the API once it is done")


def no_api_serving(home: Path):
    """Held by ``riskgraph restore``: refuses while an API serves ``home`` (a context manager)."""
    message = (
        f"riskgraph serve is running on {home}: stop it first (it holds the decision log, keys and audit log "
        "that a restore replaces), restore, then start it again"
    )
    return _locked(Path(home), fcntl.LOCK_EX, message)


class VersionedStore:
    """Versions of one kind of output under ``home/name``; ``keep`` newest are kept (``None``: all)."""

    def __init__(self, home: Path, name: str, keep: int | None = None) -> None:
        self.root = Path(home) / name
        self.keep = keep

    def versions(self) -> list[str]:
        """The complete versions, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def latest(self) -> str | None:
        """The newest published version, or ``None`` before the first."""
        try:
            return (self.root / _LATEST).read_text().strip()
        except FileNotFoundError:
            return None

    def folder(self, version: str) -> Path:
        return self.root / version

    @contextmanager
    def stage(self, publish: bool = True) -> Iterator[tuple[str, Path]]:
        """``(version, folder)`` to write a new version into; published when the block ends without error
        (held for :meth:`publish` with ``publish=False``), the staging folder removed when it raises."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        staging = self.root / f".{version}.tmp"
        staging.mkdir()
        try:
            yield version, staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if publish:
            self._publish(version, staging)
        else:
            staging.rename(self._held(version))

    def _held(self, version: str) -> Path:
        return self.root / f".{version}.staged"

    def publish(self, version: str) -> Path:
        """Publish a held version; returns its folder."""
        self._publish(version, self._held(version))
        return self.folder(version)

    def settle(self, committed: str | None) -> None:
        """After a killed process: publish the held version ``committed`` (if held), remove every other one."""
        if not self.root.is_dir():
            return
        for folder in self.root.glob(".*.staged"):
            version = folder.name[1 : -len(".staged")]
            if version == committed:
                self.publish(version)
            else:
                shutil.rmtree(folder, ignore_errors=True)
        for folder in self.root.glob(".*.tmp"):
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)

    def _publish(self, version: str, staging: Path) -> None:
        staging.rename(self.root / version)
        pointer = self.root / f".{_LATEST}.tmp"
        pointer.write_text(version)
        os.replace(pointer, self.root / _LATEST)
        if self.keep is not None:
            for old in self.versions()[: -self.keep]:
                shutil.rmtree(self.root / old, ignore_errors=True)
