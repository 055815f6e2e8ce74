"""``riskgraph backup DIR`` and ``riskgraph restore DIR``: the local graph and every state file, together.

The graph goes through Neo4j's own ``neo4j-admin database dump``/``load`` (the jars of the local
server, run while it is stopped: a dump of a running embedded store is not offered by Community);
the state under ``$RISKGRAPH_HOME`` is copied beside it: API keys, rules and pending rule changes,
the decision log (through SQLite's backup API, so a running API's writes are not torn), models,
analysis and scoring snapshots, the audit log, the loaded office hierarchy (jurisdictions are read
from it), exchange rates, the risk targets table and the journal of confirmed violators. The local Neo4j
password is not in a backup: a restored home keeps (or generates) its own. The local Neo4j is running
again afterwards if it was before. Folders are created private (0700) like the home they come from.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from graph import local_server
from graph.config import Settings
from graph.connection import disconnect
from graph.errors import RiskGraphError
from graph.home import (
    ANALYSIS_SNAPSHOTS,
    AUDIT,
    DECISIONS,
    KEYS,
    MODELS,
    OFFICES,
    RATES,
    RULES,
    SCORING_SNAPSHOTS,
    TARGETS,
    VIOLATORS,
)

__all__ = ["STATE", "backup", "restore", "BackupError"]

#: what is copied from ``$RISKGRAPH_HOME``, besides the graph (folders and files; missing ones are skipped)
STATE = (KEYS, RULES, MODELS, ANALYSIS_SNAPSHOTS, AUDIT, SCORING_SNAPSHOTS, OFFICES, RATES, TARGETS, VIOLATORS)
GRAPH = "graph"
MANIFEST = "manifest.json"


class BackupError(RiskGraphError, RuntimeError):
    """A backup or restore that cannot be done as asked; the message says why."""

    status, code = 409, "backup_refused"


def _local(cfg: Settings) -> None:
    if not cfg.local:
        raise BackupError(f"NEO4J_URI is set ({cfg.uri}): back that server up with its own tools")


def _stopped(cfg: Settings):
    """Stop the local Neo4j (closing this process's driver first); returns whether it was running."""
    running = local_server.status(cfg).pid is not None
    if running:
        disconnect(cfg)
        local_server.stop(cfg)
    return running


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=False)
    else:
        shutil.copy2(source, target)


def backup(cfg: Settings, folder: Path) -> dict:
    """Write the graph dump and the state files into ``folder`` (new or empty); returns the manifest."""
    _local(cfg)
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    home = cfg.home.resolve()
    copied = []
    for name in STATE:
        if (home / name).exists():
            _copy(home / name, folder / name)
            copied.append(name)
    if (home / DECISIONS).exists():
        with sqlite3.connect(home / DECISIONS) as source, sqlite3.connect(folder / DECISIONS) as target:
            source.backup(target)
        copied.append(DECISIONS)
    was_running = _stopped(cfg)
    try:
        dump = local_server.dump(cfg, folder / GRAPH)
    finally:
        if was_running:
            local_server.start(cfg)
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": cfg.neo4j_database,
        "graph": str(dump.relative_to(folder)),
        "graph_bytes": dump.stat().st_size,
        "state": copied,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
    for path in (folder, *folder.rglob("*")):  # the backup holds what the home holds: its owner's only
        path.chmod(path.stat().st_mode & 0o700)
    return manifest


def restore(cfg: Settings, folder: Path) -> dict:
    """Replace the local graph and the state files with the backup in ``folder``; returns its manifest."""
    _local(cfg)
    folder = folder.resolve()
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no backup ({MANIFEST} is missing)") from None
    home = local_server.private_home(cfg)
    was_running = _stopped(cfg)
    try:
        local_server.load(cfg, folder / GRAPH)
        for name in (*STATE, DECISIONS):
            current = home / name
            if current.is_dir():
                shutil.rmtree(current)
            elif current.exists():
                current.unlink()
            for stale in (home / f"{DECISIONS}-wal", home / f"{DECISIONS}-shm") if name == DECISIONS else ():
                stale.unlink(missing_ok=True)
            if name in manifest["state"]:
                _copy(folder / name, current)
    finally:
        if was_running:
            local_server.start(cfg)
    return manifest
