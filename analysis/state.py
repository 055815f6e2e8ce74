"""What an incremental ``riskgraph analyze`` starts from: the last run's results and what it had seen.

Every run (full or incremental) saves, under ``$RISKGRAPH_HOME/analysis-state/<version>/``, its enterprise table
and networks, the number of declarations per load (one ingest run) and the time of the run, so the next run can
tell which declarations are new (a new or grown load, feedback since) and rescore only what they touch, with the
strong ties between firms and the firms' own records (:mod:`analysis.identities`) it read. The declarations'
aggregates are not kept: the engine computes them again from the columnar copy in seconds. Written through
:class:`graph.home.VersionedStore`; the state names the analysis snapshot it belongs to, and a state whose
snapshot is not the latest is not used (the next run is full).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from analysis.identities import Identities
from graph.home import ANALYSIS_STATE, VersionedStore

__all__ = ["AnalysisState", "stage_state", "publish_state", "settle_state", "load_state"]


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


def stage_state(home, state: AnalysisState) -> str:
    """Write a new version of the state, held until :func:`publish_state`; returns it. A run writes it while its
    results go to the graph (the write-back waits on Neo4j) and publishes it once they are shown."""
    with _store(home).stage(publish=False) as (version, folder):
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


def publish_state(home, version: str) -> None:
    """Make a held state the one the next run starts from."""
    _store(home).publish(version)


def settle_state(home) -> None:
    """Drop a state a killed run held: its results may not be the graph's, so the next run is full."""
    _store(home).settle(None)


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
    )


def last_communities(home) -> pd.Series | None:
    """Each firm's community in the latest saved state (None when there is none): a full run keeps the numbers of
    the communities it finds again (:func:`algorithms.communities.keep_numbers`)."""
    store = _store(home)
    version = store.latest()
    if version is None or not (store.folder(version) / "table.parquet").is_file():
        return None
    table = pd.read_parquet(store.folder(version) / "table.parquet", columns=["id", "community"])
    return table.set_index("id")["community"]


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
