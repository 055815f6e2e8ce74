"""The model's history features counted by the declarations engine: per key, what strictly earlier days held.

For each key of :data:`HISTORY_KEYS` and each declaration: how many declarations of the same key were lodged on
*strictly earlier days*, how many of those were inspected and how many found in violation - never the
declaration's own outcome, nor one from the same day or later. One SQL text per key (:data:`HISTORY_COUNTS`,
DuckDB's dialect, Spark runs it transpiled as :mod:`columnar.spark` does) aggregates per value and day, then sums
the days before with a window; the engine runs it over the columnar copy (:mod:`columnar.engines`) or, for
declarations a caller holds in a frame, over that frame (:class:`columnar.engines.FrameDeclarations`), so training
has one definition. The network community is not a column of the copy: it comes in as the small ``communities`` table
(importer id, community), as the prepared frame carries it for the enterprise table in use.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from columnar.engines import DeclarationEngine, FrameDeclarations
from columnar.views import examined

__all__ = ["HISTORY_KEYS", "HISTORY_COUNTS", "QUERIES", "COUNTS", "OpenEngine", "prior_counts", "communities_table"]

#: opens the declarations engine to count with (``functools.partial(columnar.engines.open_declarations, store,
#: name)``); each count closes it again, as DuckDB keeps what it read cached while open
OpenEngine = Callable[[], DeclarationEngine]

#: history is kept per value of these keys (a prepared declaration's columns)
HISTORY_KEYS = ("importer_id", "declarant_id", "seller_id", "hs6", "origin", "route", "community")
#: what is counted per key: declarations, inspections, violations (the columns ``<key>_prior_<count>``)
COUNTS = ("n", "inspected", "violations")

# each declaration with its day, keys and outcome as scoring.graph_read.read_declarations reads them: without an
# inspection field a declaration carrying a violation flag counts as inspected; a violation only when inspected
_DECLARED = f"""
WITH declared AS (
  SELECT d.id, CAST(d.date AS DATE) AS on_day, d.importer_id, d.declarant_id, d.seller_id,
         coalesce(d.hs6, substr(d.hs_code, 1, 6)) AS hs6, d.origin, d.route, c.community,
         {examined("d.")} AS inspected, d.violation AS flag
  FROM declarations d LEFT JOIN communities c ON c.importer_id = d.importer_id
  WHERE d.date IS NOT NULL
),
outcomes AS (SELECT declared.*, CASE WHEN flag = 1 THEN inspected ELSE 0 END AS violated FROM declared)"""


def _counts_query(key: str) -> str:
    """Per declaration (``id``): the counts of ``key``'s value on strictly earlier days - the value's sums per
    day, then the running sum of the days before it (the running sum less the day's own)."""
    return (
        _DECLARED
        + f""",
daily AS (
  SELECT {key} AS k, on_day, count(*) AS n, sum(inspected) AS i, sum(violated) AS v
  FROM outcomes WHERE {key} IS NOT NULL GROUP BY {key}, on_day
),
prior AS (
  SELECT k, on_day,
         sum(n) OVER (PARTITION BY k ORDER BY on_day) - n AS n,
         sum(i) OVER (PARTITION BY k ORDER BY on_day) - i AS i,
         sum(v) OVER (PARTITION BY k ORDER BY on_day) - v AS v
  FROM daily
)
SELECT o.id, CAST(coalesce(p.n, 0) AS DOUBLE) AS n, CAST(coalesce(p.i, 0) AS DOUBLE) AS inspected,
       CAST(coalesce(p.v, 0) AS DOUBLE) AS violations
FROM outcomes o LEFT JOIN prior p ON p.k = o.{key} AND p.on_day = o.on_day
ORDER BY o.id
"""
    )


#: per key of :data:`HISTORY_KEYS`, the query of its :data:`COUNTS` per declaration (one key at a time: a query
#: for every key at once holds all their joins together, 0.3 GB more at 200k declarations)
HISTORY_COUNTS = {key: _counts_query(key) for key in HISTORY_KEYS}
#: the queries above by name (the engines' agreement test runs each on both)
QUERIES = {f"HISTORY_COUNTS_{key}": query for key, query in HISTORY_COUNTS.items()}
#: the columns a frame registered for :data:`HISTORY_COUNTS` needs, and their types
_FRAME_COLUMNS = {
    "date": pa.date32(),
    **dict.fromkeys(("importer_id", "declarant_id", "seller_id", "hs6", "hs_code", "origin", "route"), pa.string()),
    "inspected": pa.int64(),
    "violation": pa.int64(),
}


def communities_table(importer_ids: pd.Series, communities: pd.Series) -> pa.Table:
    """The ``communities`` table the counts join: each importer's community (as text), those without one left out."""
    pairs = pd.DataFrame({"importer_id": importer_ids, "community": communities}).dropna()
    pairs = pairs.drop_duplicates("importer_id")
    return pa.table(
        {
            "importer_id": pa.array(pairs["importer_id"].astype(str).tolist(), pa.string()),
            "community": pa.array(pairs["community"].astype(str).tolist(), pa.string()),
        }
    )


def _frame_table(frame: pd.DataFrame) -> pa.Table:
    """The frame's rows as the :data:`HISTORY_COUNTS` read them, ``id`` their position (its ids need not be unique)."""
    arrays = {"id": pa.array(np.arange(len(frame), dtype=np.int64))}
    for column, kind in _FRAME_COLUMNS.items():
        values = frame[column]
        if column == "date":
            arrays[column] = pa.array(pd.to_datetime(values).dt.date, kind, from_pandas=True)
        elif pa.types.is_string(kind):
            arrays[column] = pa.array(values.astype("string"), kind, from_pandas=True)
        else:
            arrays[column] = pa.array(pd.to_numeric(values, errors="coerce").astype("Int64"), kind, from_pandas=True)
    return pa.table(arrays)


def prior_counts(frame: pd.DataFrame, engine: OpenEngine | None = None, rows: np.ndarray | None = None) -> np.ndarray:
    """Per row of the prepared ``frame`` (of its ``rows`` only, a boolean mask, when given): for each of
    :data:`HISTORY_KEYS`, the :data:`COUNTS` on strictly earlier days (rows x 3 per key, in that order).

    With ``engine`` (:data:`OpenEngine`), every declaration the engine holds is counted and the frame's rows are
    found by ``id`` (the frame is the engine's declarations, read as :func:`scoring.graph_read.read_declarations`
    reads them); without it, the frame's own rows are counted, all of them whichever ``rows`` are asked for. The
    community of each importer is the frame's ``community``.
    """
    communities = communities_table(frame["importer_id"], frame["community"])
    wanted = np.arange(len(frame)) if rows is None else np.flatnonzero(rows)
    if engine is None:
        with FrameDeclarations(_frame_table(frame)) as own:
            return _counted(own, communities, wanted, every=rows is None)
    with engine() as opened:
        return _counted(opened, communities, frame["id"].to_numpy()[wanted], every=False)


def _counted(engine: DeclarationEngine, communities: pa.Table, rows: np.ndarray, every: bool) -> np.ndarray:
    """The counts of ``rows`` (``every`` when they are all the engine's declarations; else only they come back from
    the engine, not a row of counts for each declaration of the year)."""
    out = np.empty((len(rows), len(COUNTS) * len(HISTORY_KEYS)))
    where, ids = None, None
    engine.register("communities", communities)
    if not every:
        engine.register("wanted", pa.table({"id": pa.array(rows)}))
    try:
        for at, key in enumerate(HISTORY_KEYS):
            query = HISTORY_COUNTS[key]
            if not every:
                query = f"SELECT * FROM ({query}) counted WHERE id IN (SELECT id FROM wanted)"
            found = engine.frame(query)
            if ids is None or not np.array_equal(found["id"].to_numpy(), ids):  # else the same rows in the same order
                ids = found["id"].to_numpy()
                where = _positions(ids, rows, engine.name)
            out[:, len(COUNTS) * at : len(COUNTS) * (at + 1)] = found[list(COUNTS)].to_numpy(dtype=float)[where]
    finally:
        engine.unregister("communities")
        if not every:
            engine.unregister("wanted")
    return out


def _positions(ids: np.ndarray, rows: np.ndarray, engine: str) -> np.ndarray:
    """Where each of ``rows`` is among the result's ``ids`` (finding them takes 1.5 s a key at 1M: done once)."""
    where = pd.Index(ids).get_indexer(rows)
    if (where < 0).any():
        missing = rows[where < 0]
        raise ValueError(
            f"{len(missing):,} declarations are not in the {engine} engine's store (first: {missing[0]!r}): "
            "the history is counted over the store the frame was read from"
        )
    return where
