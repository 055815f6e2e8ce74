"""DuckDB, embedded, over the columnar copy: the engine for declaration-sized work on one machine.

:func:`connect` opens an in-memory DuckDB with the views of :mod:`columnar.views` (``declarations`` is every
stored declaration with the outcomes recorded since it was written laid over it, what the graph shows). Queries
are plain SQL in DuckDB's dialect kept beside the code that runs them; :mod:`columnar.spark` runs the same text
transpiled. Results come back enterprise-sized.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from columnar.store import OUTCOME_SCHEMA, STORE_SCHEMA, DeclarationStore
from columnar.views import every_column, overlay
from graph.config import settings

__all__ = ["connect"]


def connect(store: DeclarationStore, *, threads: int | None = None):
    """An in-memory DuckDB with the views ``declarations`` (what the graph shows) and ``declarations_raw``.

    Beyond ``RISKGRAPH_DUCKDB_MEMORY`` (1GB by default: the analysing process stays small) it spills into
    ``spill/`` beside the copy, in the home (by default it would be ``.tmp`` where the command runs).
    """
    spill = str(store.root.parent / "spill")
    con = duckdb.connect(config={"memory_limit": settings().duckdb_memory, "temp_directory": spill})
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    files = [str(p) for p in store.declaration_files()]
    raw = con.read_parquet(files, union_by_name=True) if files else con.from_arrow(STORE_SCHEMA.empty_table())
    raw = _with_every_column(raw, STORE_SCHEMA)
    raw.create_view("declarations_raw")
    outcomes = [str(p) for p in store.outcome_files()]
    if outcomes:
        _with_every_column(con.read_parquet(outcomes, union_by_name=True), OUTCOME_SCHEMA).create_view("outcomes_raw")
        con.execute(f"CREATE VIEW declarations AS {overlay(raw.columns)}")
    else:
        con.execute("CREATE VIEW declarations AS SELECT * FROM declarations_raw")
    return con


def _with_every_column(relation: duckdb.DuckDBPyRelation, declared: pa.Schema) -> duckdb.DuckDBPyRelation:
    """``relation`` with the declared columns that parts written before a column was declared lack, as nulls."""
    select = every_column(relation.columns, declared)
    return relation if select is None else relation.project(select)
