"""The risk snapshot: what clearance scoring needs from the last analysis, without Neo4j.

Layout under ``$RISKGRAPH_HOME/snapshots/``::

    <version>/enterprises.parquet   one row per analysed enterprise (risk, community, centralities, reasons as JSON)
    <version>/networks.json         scored networks, highest first
    <version>/peers.parquet         unit-value reference per HS6 and origin (median and spread of log unit value)
    <version>/metadata.json         version, as_of, engine, counts, timings
    latest                          the name of the newest complete version

A version folder is written under a temporary name and renamed when complete, then ``latest`` is
replaced atomically (``os.replace``), so a reader never sees a half-written snapshot. The newest
``keep`` versions are kept.

``riskgraph analyze`` publishes in two steps around its graph transaction: :func:`stage_snapshot`
writes the complete folder under a hidden name (``.<version>.staged``), the graph commits its results
naming that version, then :func:`publish_snapshot` renames it and moves ``latest``. A run killed in
between leaves a staged folder: :func:`settle_staged` (at the start of the next run) publishes it if
the graph committed that version, and deletes it if not.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

__all__ = [
    "Snapshot",
    "SnapshotMissing",
    "save_snapshot",
    "stage_snapshot",
    "publish_snapshot",
    "settle_staged",
    "load_snapshot",
    "snapshot_dir",
    "snapshot_versions",
]

_LATEST = "latest"


class SnapshotMissing(FileNotFoundError):
    """No analysis has been run yet under this home."""


@dataclass
class Snapshot:
    version: str
    enterprises: pd.DataFrame
    networks: list[dict]
    peers: pd.DataFrame
    metadata: dict

    def enterprise(self, enterprise_id: str) -> dict | None:
        """One enterprise's row as a dict (reasons decoded), or ``None`` when it was not analysed."""
        rows = self.enterprises[self.enterprises["id"] == enterprise_id]
        if rows.empty:
            return None
        row = rows.iloc[0].to_dict()
        row["reasons"] = json.loads(row["reasons"]) if isinstance(row.get("reasons"), str) else []
        return row


def snapshot_dir(home: Path) -> Path:
    return Path(home) / "snapshots"


def snapshot_versions(home: Path) -> list[str]:
    """The complete versions kept under ``home``, oldest first (names are UTC timestamps)."""
    root = snapshot_dir(home)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def save_snapshot(
    home: Path,
    enterprises: pd.DataFrame,
    networks: list[dict],
    peers: pd.DataFrame,
    metadata: dict,
    keep: int = 5,
) -> Path:
    """Write a new version and point ``latest`` at it; returns the version folder."""
    return publish_snapshot(home, stage_snapshot(home, enterprises, networks, peers, metadata), keep)


def _staged(root: Path, version: str) -> Path:
    return root / f".{version}.staged"


def stage_snapshot(
    home: Path, enterprises: pd.DataFrame, networks: list[dict], peers: pd.DataFrame, metadata: dict
) -> str:
    """Write a complete new version under a hidden name (not yet what readers load); returns the version."""
    root = snapshot_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = root / f".{version}.tmp"
    staging.mkdir()
    table = enterprises.copy()
    table["reasons"] = [json.dumps(r) if not isinstance(r, str) else r for r in table["reasons"]]
    table.to_parquet(staging / "enterprises.parquet", index=False)
    peers.to_parquet(staging / "peers.parquet", index=False)
    (staging / "networks.json").write_text(json.dumps(networks, default=_plain))
    (staging / "metadata.json").write_text(json.dumps({**metadata, "version": version}, default=_plain, indent=2))
    staging.rename(_staged(root, version))
    return version


def publish_snapshot(home: Path, version: str, keep: int = 5) -> Path:
    """Make a staged version the one readers load (``latest``); returns its folder."""
    root = snapshot_dir(home)
    final = root / version
    _staged(root, version).rename(final)
    pointer = root / f".{_LATEST}.tmp"
    pointer.write_text(version)
    os.replace(pointer, root / _LATEST)
    for old in snapshot_versions(home)[:-keep]:
        shutil.rmtree(root / old, ignore_errors=True)
    return final


def settle_staged(home: Path, committed: str | None) -> None:
    """After a killed run: publish the staged version the graph committed (``committed``), delete the others."""
    root = snapshot_dir(home)
    if not root.is_dir():
        return
    for folder in root.glob(".*.staged"):
        version = folder.name[1 : -len(".staged")]
        if version == committed:
            publish_snapshot(home, version)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in root.glob(".*.tmp"):
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def load_snapshot(home: Path, version: str | None = None) -> Snapshot:
    """The latest (or the named) snapshot; raises :class:`SnapshotMissing` when there is none."""
    root = snapshot_dir(home)
    try:
        version = version or (root / _LATEST).read_text().strip()
    except FileNotFoundError:
        raise SnapshotMissing(f"no risk snapshot under {root}: run `riskgraph analyze` first") from None
    folder = root / version
    if not folder.is_dir():
        raise SnapshotMissing(f"risk snapshot {version} is missing from {root}: run `riskgraph analyze` again")
    return Snapshot(
        version=version,
        enterprises=pd.read_parquet(folder / "enterprises.parquet"),
        networks=json.loads((folder / "networks.json").read_text()),
        peers=pd.read_parquet(folder / "peers.parquet"),
        metadata=json.loads((folder / "metadata.json").read_text()),
    )


def _plain(value):
    """JSON fallback for numpy scalars and timestamps."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
