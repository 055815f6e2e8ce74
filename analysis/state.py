"""What an incremental ``riskgraph analyze`` starts from: the last run's results and what it had seen.

Every run (full or incremental) saves, under ``$RISKGRAPH_HOME/analysis-state/<version>/``, its enterprise table
and networks, the number of declarations per load (one ingest run) and the time of the run, so the next run can
tell which declarations are new (a new or grown load, feedback since) and rescore only what they touch, with the
strong ties between firms and the firms' own records (:mod:`analysis.identities`) it read, and the projection: the
link rows it was built from and its edges, which the next run patches where the new declarations changed an
identifier's holders (:func:`algorithms.projection.patch_edges`) instead of projecting millions of links again.
The projection is written as soon as a run has it (:func:`keep_projection`: a full run lets it go before writing
back) and moved into the state when the state is saved. The declarations'
aggregates are not kept: the engine computes them again from the columnar copy in seconds. Written through
:class:`graph.home.VersionedStore`; the state names the analysis snapshot it belongs to, and a state whose
snapshot is not the latest is not used (the next run is full).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from algorithms.projection import EnterpriseEdges
from analysis.identities import Identities
from graph.home import ANALYSIS_STATE, VersionedStore

__all__ = ["AnalysisState", "save_state", "load_state", "keep_projection"]

_PROJECTION = ("links.parquet", "edges.npz")


@dataclass
class AnalysisState:
    #: the enterprise table; ``reasons`` as loaded stays JSON text (the kept rows are only written out again)
    table: pd.DataFrame
    networks: list[dict]
    loads: dict[str, int]  # declarations per load (ingest.pipeline.new_load)
    analysed_at: datetime
    snapshot: str
    as_of: pd.Timestamp
    settings: dict = field(default_factory=dict)
    #: the pairs tied by a link above the community resolution (columns a, b: ids, a < b); None when not kept
    ties: pd.DataFrame | None = None
    #: the enterprises' own records as the run read them, refreshed by the next (None when not kept)
    identities: Identities | None = None
    #: the link rows the projection was built from (enterprise, kind, target) and its edges (None when not kept)
    links: pd.DataFrame | None = None
    edges: EnterpriseEdges | None = None
    #: where the run wrote its projection (:func:`keep_projection`), moved into the state by :func:`save_state`
    projection: Path | None = None


def _store(home) -> VersionedStore:
    return VersionedStore(home, ANALYSIS_STATE, keep=2)


def _scalar_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its tuple columns (lists of new routes and the like: only the flags are reused)."""
    keep = [c for c in table.columns if c == "reasons" or not _holds_tuples(table[c])]
    out = table[keep].copy()
    out["reasons"] = [json.dumps(r) if not isinstance(r, str) else r for r in out["reasons"]]
    return out


def _holds_tuples(column: pd.Series) -> bool:
    """Whether a column holds tuples: only an object column pandas reads as mixed can (a C scan first, then Python
    only up to the first tuple)."""
    if column.dtype != object or pd.api.types.infer_dtype(column, skipna=True) != "mixed":
        return False
    return any(isinstance(v, tuple) for v in column)


def keep_projection(home, links: pd.DataFrame, edges: EnterpriseEdges) -> Path:
    """Write a run's projection where :func:`save_state` will take it from; returns the folder."""
    folder = _store(home).root / ".projection.pending"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    links[["enterprise", "kind", "target"]].dropna().astype(str).to_parquet(folder / _PROJECTION[0], index=False)
    np.savez(
        folder / _PROJECTION[1],
        names=edges.names.astype(str),
        ends=edges.ends.astype(np.int32),
        weight=edges.weight,
        shared=edges.shared,
        kind_mask=edges.kind_mask,
        kind_names=np.array(edges.kind_names, dtype=str),
    )
    return folder


def _read_projection(folder: Path) -> tuple[pd.DataFrame, EnterpriseEdges] | tuple[None, None]:
    if not all((folder / name).is_file() for name in _PROJECTION):
        return None, None
    with np.load(folder / _PROJECTION[1]) as saved:
        edges = EnterpriseEdges(
            names=saved["names"].astype(object),
            ends=saved["ends"].astype(np.int64),
            weight=saved["weight"],
            shared=saved["shared"],
            kind_mask=saved["kind_mask"],
            kind_names=tuple(saved["kind_names"].tolist()),
        )
    return pd.read_parquet(folder / _PROJECTION[0]), edges


def save_state(home, state: AnalysisState) -> str:
    """Write a new version of the state; returns it."""
    with _store(home).stage() as (version, folder):
        if state.projection is not None:
            for name in _PROJECTION:
                os.replace(state.projection / name, folder / name)
        _scalar_columns(state.table).to_parquet(folder / "table.parquet", index=False)
        (folder / "networks.json").write_text(json.dumps(state.networks, default=_plain))
        if state.ties is not None:
            state.ties.to_parquet(folder / "ties.parquet", index=False)
        if state.identities is not None:
            state.identities.enterprises.to_parquet(folder / "enterprises.parquet", index=False)
            state.identities.links.to_parquet(folder / "identifiers.parquet", index=False)
        meta = {
            "snapshot": state.snapshot,
            "analysed_at": state.analysed_at.isoformat(),
            "as_of": state.as_of.isoformat(),
            "loads": state.loads,
            "settings": state.settings,
        }
        (folder / "state.json").write_text(json.dumps(meta))
    return version


def load_state(home) -> AnalysisState | None:
    """The latest saved state, or None when there is none."""
    store = _store(home)
    version = store.latest()
    if version is None or not store.folder(version).is_dir():
        return None
    folder = store.folder(version)
    meta = json.loads((folder / "state.json").read_text())
    if "loads" not in meta:  # saved before declarations had loads: it cannot tell which are new
        return None
    table = pd.read_parquet(folder / "table.parquet")
    identities = None
    links, edges = _read_projection(folder)
    if (folder / "enterprises.parquet").is_file() and (folder / "identifiers.parquet").is_file():
        identities = Identities(*(pd.read_parquet(folder / f) for f in ("enterprises.parquet", "identifiers.parquet")))
    return AnalysisState(
        table=table,
        networks=json.loads((folder / "networks.json").read_text()),
        loads=meta["loads"],
        analysed_at=datetime.fromisoformat(meta["analysed_at"]),
        snapshot=meta["snapshot"],
        as_of=pd.Timestamp(meta["as_of"]),
        settings=meta.get("settings", {}),
        ties=pd.read_parquet(folder / "ties.parquet") if (folder / "ties.parquet").is_file() else None,
        identities=identities,
        links=links,
        edges=edges,
    )


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
