"""``riskgraph backup DIR`` and ``riskgraph restore DIR``: the local graph and every state file, together.

The graph goes through Neo4j's own ``neo4j-admin database dump``/``load`` (the jars of the local
server, run while it is stopped: a dump of a running embedded store is not offered by Community);
the state under ``$RISKGRAPH_HOME`` is copied beside it: API keys, rules and pending rule changes, the decision log
and the capacity's day use with the rosters (through SQLite's backup API, so a running API's writes are not torn),
models, analysis and scoring snapshots, the audit log, the loaded office hierarchy (jurisdictions are read from
it), exchange rates, the risk targets table, the journal of confirmed violators, the watchlists and the lookouts
published from the graph (intelligence records and alerts are in the graph's dump; a record changed between the
copy of the files and the dump is in the dump only, and the next intelligence change publishes it).
The local Neo4j password is not in a backup: a restored home keeps (or generates) its own. The local Neo4j is
running again afterwards if it was before. Folders are created private (0700) like the home they come from.

A restore must not be able to destroy the home it restores into, nor roll its security back: it checks
the whole backup before touching anything live, keeps the previous store until the restored one answers,
merges keys (a revocation wins), the audit log, the decision log, the day use and rosters and the violator
journal, and refuses while an API serves the home (:func:`restore`; README "Backup and restore").
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from api.keys import KeyStore, read_key_file
from columnar.store import DeclarationStore
from graph import local_server
from graph.config import Settings
from graph.connection import disconnect
from graph.errors import RiskGraphError
from graph.home import (
    ANALYSIS_SNAPSHOTS,
    AUDIT,
    CAPACITY,
    CAPACITY_USE,
    DECISIONS,
    KEYS,
    LOOKOUTS,
    MODELS,
    OFFICES,
    RATES,
    RULES,
    SCORING_SNAPSHOTS,
    TARGETS,
    VIOLATORS,
    WATCHLISTS,
    no_api_serving,
)

__all__ = ["STATE", "backup", "restore", "BackupError"]

#: what is copied from ``$RISKGRAPH_HOME``, besides the graph (folders and files; missing ones are skipped)
STATE = (
    KEYS, RULES, MODELS, ANALYSIS_SNAPSHOTS, AUDIT, SCORING_SNAPSHOTS, OFFICES, RATES, TARGETS, VIOLATORS, CAPACITY,
    WATCHLISTS, LOOKOUTS,
)  # fmt: skip
#: what a restore merges with the live home: records that must never roll back (the decision log is one too)
MERGED = (KEYS, AUDIT, VIOLATORS, DECISIONS, CAPACITY_USE)
#: SQLite files written by running APIs: copied through SQLite's backup API (so their writes are not torn), checked
#: and merged row by row: the decision log, and the capacity's day use with the rosters and assignments
SQLITE = (DECISIONS, CAPACITY_USE)
#: what a restore replaces with the backup's
REPLACED = tuple(name for name in STATE if name not in MERGED)
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
    for name in SQLITE:
        if (home / name).exists():
            with sqlite3.connect(home / name) as source, sqlite3.connect(folder / name) as target:
                source.backup(target)
            copied.append(name)
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
    """Bring the local graph and the state files back from the backup in ``folder``; returns its manifest.

    Refused while an API serves this home. Everything in the backup is checked before anything live is
    touched (the dump is loaded into a staging home, every state file is read); the previous store is
    kept until the restored one answers, and put back if it does not. Keys, the audit log, the decision
    log and the violator journal are merged, never rolled back (:data:`MERGED`); the rest is replaced.
    """
    _local(cfg)
    folder = folder.resolve()
    manifest = _manifest(folder)
    home = local_server.private_home(cfg)
    with no_api_serving(home):
        keys = _checked_state(folder, manifest)
        try:
            staged = local_server.stage_load(cfg, (folder / manifest["graph"]).parent)
        except local_server.LocalServerError as exc:
            raise BackupError(f"{manifest['graph']} in {folder} does not load, nothing was changed:\n{exc}") from None
        _swap_graph(cfg, staged)
        DeclarationStore(home).clear()  # a copy of the graph replaced: the next analysis reads the restored one
        _restore_state(home, folder, manifest, keys)
    return manifest


def _manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no backup ({MANIFEST} is missing)") from None
    except ValueError as exc:
        raise BackupError(f"{folder / MANIFEST} is damaged ({exc}); nothing was changed") from None
    dump = folder / manifest["graph"]
    if not dump.is_file() or dump.stat().st_size != manifest["graph_bytes"]:
        found = dump.stat().st_size if dump.is_file() else "no file"
        raise BackupError(
            f"{manifest['graph']} in {folder} is not the dump the backup wrote ({manifest['graph_bytes']:,} bytes, "
            f"found {found}); nothing was changed"
        )
    return manifest


def _checked_state(folder: Path, manifest: dict) -> list[dict]:
    """Read every state file of the backup (BackupError naming the first that does not read); the keys."""
    for name in manifest["state"]:
        if not (folder / name).exists():
            raise BackupError(f"{name} is listed in {MANIFEST} but missing from {folder}; nothing was changed")
    try:
        keys = read_key_file(folder / KEYS) if KEYS in manifest["state"] else []
        for path in sorted(folder.rglob("*.json")):
            json.loads(path.read_text())
        for path in sorted((folder / AUDIT).glob("*.jsonl")):
            _entries(path)
        for name in SQLITE:
            if name in manifest["state"]:
                _check_sqlite(folder / name)
    except (ValueError, sqlite3.Error, RiskGraphError) as exc:
        raise BackupError(f"the backup in {folder} is damaged, nothing was changed: {exc}") from None
    return keys


def _check_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise ValueError(f"{path.name}: {verdict}")


def _swap_graph(cfg: Settings, staged: Path) -> None:
    """Put the staged store in place and start it; if it does not come online, the previous one is put back."""
    was_running = _stopped(cfg)
    previous = local_server.swap_store(cfg, staged)
    try:
        local_server.start(cfg)
        local_server.wait_online(cfg)
    except Exception:
        _stopped(cfg)
        shutil.rmtree(local_server.swap_store(cfg, previous), ignore_errors=True)
        if was_running:
            local_server.start(cfg)
            local_server.wait_online(cfg)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    if not was_running:
        local_server.stop(cfg)


def _restore_state(home: Path, folder: Path, manifest: dict, keys: list[dict]) -> None:
    """Merge what must never roll back, replace the rest with the backup's (a name it lacks is removed)."""
    KeyStore(home).merge(keys)
    if AUDIT in manifest["state"]:
        for month in sorted((folder / AUDIT).glob("*.jsonl")):
            _merge_lines(month, home / AUDIT / month.name)
    if VIOLATORS in manifest["state"]:
        _merge_lines(folder / VIOLATORS, home / VIOLATORS)
    for name in SQLITE:
        if name in manifest["state"]:
            _merge_sqlite(folder / name, home / name)
    for name in REPLACED:
        _replace(folder / name if name in manifest["state"] else None, home / name)


def _entries(path: Path, strict: bool = True) -> dict[str, str]:
    """The JSON lines of ``path`` by their text, with their time; a damaged one raises (or is left out)."""
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            found[line] = str(json.loads(line)["at"])
        except (ValueError, KeyError, TypeError):
            if strict:
                raise ValueError(f"{path.name}, line {number}: not an entry") from None
    return found


def _merge_lines(backup: Path, live: Path) -> None:
    """``live`` holding its own lines and the backup's it lacks, oldest first; written aside, then renamed."""
    lines = {**_entries(backup, strict=False), **(_entries(live, strict=False) if live.exists() else {})}
    live.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    aside = live.with_name(f".{live.name}.restore")
    aside.write_text("".join(f"{line}\n" for line in sorted(lines, key=lines.get)), encoding="utf-8")
    aside.chmod(0o600)
    os.replace(aside, live)


def _merge_sqlite(backup: Path, live: Path) -> None:
    """Add to the live SQLite file the backup's rows it lacks; a row written since (a decision, a roster) keeps
    its own."""
    if not live.exists():
        with sqlite3.connect(backup) as source, sqlite3.connect(live) as target:
            source.backup(target)
        return
    with closing(sqlite3.connect(live)) as db, db:
        db.execute("ATTACH DATABASE ? AS saved", (f"file:{backup}?mode=ro",))
        for table, sql in db.execute("SELECT name, sql FROM saved.sqlite_master WHERE type = 'table'").fetchall():
            db.execute(sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
            mine = [row[1] for row in db.execute(f'PRAGMA main.table_info("{table}")')]
            theirs = {row[1] for row in db.execute(f'PRAGMA saved.table_info("{table}")')}
            columns = ", ".join(f'"{c}"' for c in mine if c in theirs)
            db.execute(
                f'INSERT OR IGNORE INTO main."{table}" ({columns}) '
                f'SELECT {columns} FROM saved."{table}" EXCEPT SELECT {columns} FROM main."{table}"'
            )


def _replace(source: Path | None, current: Path) -> None:
    """``current`` becomes a copy of ``source`` (removed when None); the copy is made aside first."""
    incoming = current.with_name(f".{current.name}.restore")
    _remove(incoming)
    if source is not None:
        _copy(source, incoming)
    _remove(current)
    if source is not None:
        incoming.rename(current)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
