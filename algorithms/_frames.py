"""Input checks shared by the algorithm modules (private)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__: list[str] = []


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ``ValueError`` naming the frame and the missing columns."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing columns: {', '.join(missing)}")


def _as_id_set(ids: Iterable[str] | pd.Series | None) -> set[str]:
    """Known-violator ids (set, list or Series) as a set of strings; ``None`` is empty."""
    if ids is None:
        return set()
    if isinstance(ids, pd.Series):
        ids = ids.dropna().tolist()
    return {str(i) for i in ids}


def _edge_array(g, edge_list: np.ndarray | None) -> np.ndarray:
    """``g``'s edges as an (edges, 2) array: ``edge_list`` when the caller has it (checked against the graph),
    else igraph's own list (seconds on millions of edges)."""
    if edge_list is not None:
        if len(edge_list) != g.ecount():
            raise ValueError(f"edge_list has {len(edge_list)} edges, the graph {g.ecount()}")
        return edge_list
    return np.array(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
