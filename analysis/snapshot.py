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
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from graph.errors import RiskGraphError

__all__ = ["Snapshot", "SnapshotMissing", "save_snapshot", "load_snapshot", "snapshot_dir", "snapshot_versions"]

_LATEST = "latest"


class SnapshotMissing(RiskGraphError, FileNotFoundError):
    """No analysis has been run yet under this home."""

    status, code = 503, "no_snapshot"


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
    final = root / version
    staging.rename(final)
    pointer = root / f".{_LATEST}.tmp"
    pointer.write_text(version)
    os.replace(pointer, root / _LATEST)
    for old in snapshot_versions(home)[:-keep]:
        shutil.rmtree(root / old, ignore_errors=True)
    return final


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
