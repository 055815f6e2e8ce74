"""What an incremental ``riskgraph analyze`` starts from: the last run's enterprise-sized inputs and results.

Every run (full or incremental) saves, under ``$RISKGRAPH_HOME/analysis-state/<version>/``, the inputs it
analysed (:class:`analysis.pipeline.AnalysisInputs`, with the peer sums per importer and HS6 code and the
declarations' peer columns, :mod:`analysis.peer_rows`), its
enterprise table and networks, the number of declarations per load (one ingest run) and the time of the run, so
the next run can tell which declarations are new (a new or grown load, feedback since) and redo only
what they touch. Written through :class:`graph.home.VersionedStore`; the state names the analysis snapshot
it belongs to, and a state whose snapshot is not the latest is not used (the next run is full).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from algorithms.activity import Activity
from analysis.peer_rows import link_parts
from analysis.pipeline import AnalysisInputs
from graph.home import ANALYSIS_STATE, VersionedStore

__all__ = ["AnalysisState", "save_state", "load_state", "staging_folder"]

#: the state's folder of the declarations' peer columns (:mod:`analysis.peer_rows`)
PEER_ROWS = "peer_rows"

_TABLES = ("importers", "usage", "violations", "consignments")


@dataclass
class AnalysisState:
    inputs: AnalysisInputs
    table: pd.DataFrame
    networks: list[dict]
    loads: dict[str, int]  # declarations per load (ingest.pipeline.new_load)
    analysed_at: datetime
    snapshot: str
    settings: dict = field(default_factory=dict)


def _store(home: Path) -> VersionedStore:
    return VersionedStore(home, ANALYSIS_STATE, keep=2)


def _scalar_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its tuple columns (lists of new routes and the like: only the flags are reused)."""
    keep = [c for c in table.columns if c == "reasons" or table[c].map(lambda v: not isinstance(v, tuple)).all()]
    out = table[keep].copy()
    out["reasons"] = [json.dumps(r) if not isinstance(r, str) else r for r in out["reasons"]]
    return out


@contextmanager
def staging_folder(home: Path) -> Iterator[Path]:
    """A new folder for a run to write peer rows into before its state is saved (hard-linked there), removed
    when the run ends; a killed run's is removed with the store's other leftovers."""
    folder = _store(home).root / f".peer-rows-{uuid.uuid4().hex}.tmp"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def save_state(home: Path, state: AnalysisState) -> str:
    """Write a new version of the state; returns it."""
    inputs, activity = state.inputs, state.inputs.activity
    with _store(home).stage() as (version, folder):
        for name in _TABLES:
            getattr(activity, name).to_parquet(folder / f"{name}.parquet", index=False)
        inputs.enterprises.to_parquet(folder / "enterprises.parquet", index=False)
        inputs.links.to_parquet(folder / "links.parquet", index=False)
        inputs.peer_parts.reset_index().to_parquet(folder / "peer_parts.parquet", index=False)
        if inputs.peer_rows is not None and inputs.peer_rows.is_dir():
            link_parts(inputs.peer_rows, folder / PEER_ROWS)
        _scalar_columns(state.table).to_parquet(folder / "table.parquet", index=False)
        (folder / "networks.json").write_text(json.dumps(state.networks, default=_plain))
        meta = {
            "snapshot": state.snapshot,
            "analysed_at": state.analysed_at.isoformat(),
            "as_of": activity.as_of.isoformat(),
            "window_days": activity.window_days,
            "history_days": activity.history_days,
            "known_violators": sorted(inputs.known_violators),
            "currencies": inputs.currencies,
            "loads": state.loads,
            "settings": state.settings,
        }
        (folder / "state.json").write_text(json.dumps(meta))
    return version


def load_state(home: Path) -> AnalysisState | None:
    """The latest saved state, or None when there is none."""
    store = _store(home)
    version = store.latest()
    if version is None or not store.folder(version).is_dir():
        return None
    folder = store.folder(version)
    meta = json.loads((folder / "state.json").read_text())
    if "loads" not in meta:  # saved before declarations had loads: it cannot tell which are new
        return None
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in _TABLES}
    activity = Activity(
        **tables,
        as_of=pd.Timestamp(meta["as_of"]),
        window_days=meta["window_days"],
        history_days=meta["history_days"],
    )
    parts = pd.read_parquet(folder / "peer_parts.parquet").set_index(["importer_id", "hs6"])
    table = pd.read_parquet(folder / "table.parquet")
    table["reasons"] = [json.loads(r) for r in table["reasons"]]
    inputs = AnalysisInputs(
        enterprises=pd.read_parquet(folder / "enterprises.parquet"),
        links=pd.read_parquet(folder / "links.parquet"),
        activity=activity,
        peer_stats=pd.DataFrame(),
        known_violators=set(meta["known_violators"]),
        peer_parts=parts,
        peer_rows=folder / PEER_ROWS if (folder / PEER_ROWS).is_dir() else None,
        currencies=meta.get("currencies"),
    )
    return AnalysisState(
        inputs=inputs,
        table=table,
        networks=json.loads((folder / "networks.json").read_text()),
        loads=meta["loads"],
        analysed_at=datetime.fromisoformat(meta["analysed_at"]),
        snapshot=meta["snapshot"],
        settings=meta.get("settings", {}),
    )


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
