"""The risk snapshot: what clearance scoring needs from the last analysis, without Neo4j.

Layout under ``$RISKGRAPH_HOME/snapshots/``::

    <version>/enterprises.parquet   one row per analysed enterprise (risk, community, centralities, reasons as JSON)
    <version>/networks.json         scored networks, highest first
    <version>/metadata.json         version, as_of, engine, counts, timings
    latest                          the name of the newest complete version

Written through :class:`graph.home.VersionedStore` (staged, renamed when complete, ``latest`` swapped
atomically), so a reader never sees a half-written snapshot. The newest ``keep`` versions are kept.

``riskgraph analyze`` publishes in two steps around its graph transaction: :func:`stage_snapshot`
writes the complete version but holds it (not yet ``latest``), the graph commits its results naming
that version, then :func:`publish_snapshot` publishes it. A run killed in between leaves a held
version: :func:`settle_staged` (at the start of the next run) publishes it if the graph committed
that version, and removes it if not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graph.errors import RiskGraphError
from graph.home import ANALYSIS_SNAPSHOTS, VersionedStore

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
    "latest_snapshot",
]


class SnapshotMissing(RiskGraphError, FileNotFoundError):
    """No analysis has been run yet under this home."""

    status, code = 503, "no_snapshot"


@dataclass
class Snapshot:
    version: str
    enterprises: pd.DataFrame
    networks: list[dict]
    metadata: dict

    def enterprise(self, enterprise_id: str) -> dict | None:
        """One enterprise's row as a dict (reasons decoded), or ``None`` when it was not analysed."""
        rows = self.enterprises[self.enterprises["id"] == enterprise_id]
        if rows.empty:
            return None
        row = rows.iloc[0].to_dict()
        row["reasons"] = json.loads(row["reasons"]) if isinstance(row.get("reasons"), str) else []
        return row


def _store(home: Path, keep: int = 5) -> VersionedStore:
    return VersionedStore(home, ANALYSIS_SNAPSHOTS, keep)


def snapshot_dir(home: Path) -> Path:
    return _store(home).root


def latest_snapshot(home: Path) -> str | None:
    """The version readers load now, or None before the first analysis."""
    return _store(home).latest()


def snapshot_versions(home: Path) -> list[str]:
    """The complete versions kept under ``home``, oldest first (names are UTC timestamps)."""
    return _store(home).versions()


def save_snapshot(
    home: Path,
    enterprises: pd.DataFrame,
    networks: list[dict],
    metadata: dict,
    keep: int = 5,
) -> Path:
    """Write a new version and point ``latest`` at it; returns the version folder."""
    store = _store(home, keep)
    return store.folder(_write(store, enterprises, networks, metadata, publish=True))


def stage_snapshot(home: Path, enterprises: pd.DataFrame, networks: list[dict], metadata: dict) -> str:
    """Write a complete new version, held until :func:`publish_snapshot`; returns the version."""
    return _write(_store(home), enterprises, networks, metadata, publish=False)


def publish_snapshot(home: Path, version: str, keep: int = 5) -> Path:
    """Make a held version the one readers load; returns its folder."""
    return _store(home, keep).publish(version)


def settle_staged(home: Path, committed: str | None) -> None:
    """After a killed run: publish the held version the graph committed (``committed``), remove the others."""
    _store(home).settle(committed)


def _write(
    store: VersionedStore, enterprises: pd.DataFrame, networks: list[dict], metadata: dict, publish: bool
) -> str:
    table = enterprises.copy()
    table["reasons"] = [json.dumps(r) if not isinstance(r, str) else r for r in table["reasons"]]
    with store.stage(publish) as (version, staging):
        table.to_parquet(staging / "enterprises.parquet", index=False)
        (staging / "networks.json").write_text(json.dumps(networks, default=_plain))
        (staging / "metadata.json").write_text(json.dumps({**metadata, "version": version}, default=_plain, indent=2))
    return version


def load_snapshot(home: Path, version: str | None = None) -> Snapshot:
    """The latest (or the named) snapshot; raises :class:`SnapshotMissing` when there is none."""
    store = _store(home)
    root = store.root
    version = version or store.latest()
    if version is None:
        raise SnapshotMissing(f"no risk snapshot under {root}: run `riskgraph analyze` first")
    folder = store.folder(version)
    if not folder.is_dir():
        raise SnapshotMissing(f"risk snapshot {version} is missing from {root}: run `riskgraph analyze` again")
    return Snapshot(
        version=version,
        enterprises=pd.read_parquet(folder / "enterprises.parquet"),
        networks=json.loads((folder / "networks.json").read_text()),
        metadata=json.loads((folder / "metadata.json").read_text()),
    )


def _plain(value):
    """JSON fallback for numpy scalars and timestamps."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
