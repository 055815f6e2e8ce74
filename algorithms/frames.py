"""Checks and column helpers for frames, shared by the algorithm modules and the analysis that feeds them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["require_columns", "as_id_set", "in_values", "significant"]


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ``ValueError`` naming the frame and the missing columns."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing columns: {', '.join(missing)}")


def as_id_set(ids: Iterable[str] | pd.Series | None) -> set[str]:
    """Known-violator ids (set, list or Series) as a set of strings; ``None`` is empty."""
    if ids is None:
        return set()
    if isinstance(ids, pd.Series):
        ids = ids.dropna().tolist()
    return {str(i) for i in ids}


def _arrow_strings(values) -> pa.Array | None:
    """A pandas column, index or array of Arrow-backed strings as its Arrow array (no copy); None for others."""
    dtype = getattr(values, "dtype", None)
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow":
        return None
    held = pa.array(values.array if isinstance(values, pd.Series | pd.Index) else values)
    return held.combine_chunks() if isinstance(held, pa.ChunkedArray) else held


def in_values(column: pd.Series, values: Iterable) -> np.ndarray:
    """``column.isin(values).to_numpy()``, fast for a string column: pandas 3 turns every value of a string
    column's ``isin`` into a pyarrow scalar in Python first (a second for 100,000 enterprise ids); Arrow's own
    ``is_in`` takes them as one array (``values`` as Arrow-backed strings without a copy). As in pandas, a missing
    value matches when ``values`` holds one."""
    held = _arrow_strings(column)
    if held is None:
        return column.isin(list(values)).to_numpy()
    wanted = _arrow_strings(values)
    if wanted is None:
        values = list(values)
        missing = any(v is None or v != v for v in values)
        wanted = pa.array([v for v in values if isinstance(v, str)], held.type)
    else:
        missing = wanted.null_count > 0
        wanted = wanted.drop_null().cast(held.type)
    found = pc.is_in(held, value_set=wanted)
    if missing:
        found = pc.or_(found, pc.is_null(held))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def significant(values, digits: int) -> np.ndarray:
    """Floats to ``digits`` significant digits, with one NaN and one zero (``-0.0`` is ``0.0``): equal inputs give
    the same bits, and inputs that differ only past those digits mostly do too.

    >>> significant(np.array([0.0123456, -0.0, 123456.0, np.nan]), 3).tolist()
    [0.0123, 0.0, 123000.0, nan]
    """
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(values))))
        rounded = np.where(np.isfinite(scale), np.round(values * scale) / scale, values) + 0.0
    return np.where(np.isnan(rounded), np.nan, rounded)
