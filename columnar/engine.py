"""DuckDB, embedded, over the columnar copy: the engine for declaration-sized work.

:func:`connect` opens an in-memory DuckDB whose view ``declarations`` is every stored declaration with the
outcomes recorded since it was written laid over it (what the graph shows). Queries are plain SQL kept beside
the code that runs them, written in the common subset of DuckDB and Spark SQL, so another engine can run the
same text over a view of the same name (only the view below is DuckDB's own). Results come back as pandas,
enterprise-sized.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from columnar.store import DECISION_FIELDS, OUTCOME_FIELDS, OUTCOME_SCHEMA, STORE_SCHEMA, DeclarationStore

__all__ = ["connect", "DEFAULT_MEMORY"]

#: DuckDB's memory limit: it spills to disk beyond it, so the analysing process stays small
DEFAULT_MEMORY = "1GB"

_LATEST_OUTCOME = """
SELECT * FROM (
  SELECT *, row_number() OVER (PARTITION BY id ORDER BY feedback_at DESC) AS nth FROM outcomes_raw
) WHERE nth = 1
"""


def _overlay() -> str:
    """The declarations with each outcome recorded after the declaration was written laid over them (the
    decision fields only when the outcome carried one, as ``scoring.feedback`` sets them)."""
    later = "o.feedback_at > d.written_at"
    replaced = [f"CASE WHEN {later} THEN o.{c} ELSE d.{c} END AS {c}" for c in OUTCOME_FIELDS]
    decided = f"{later} AND o.channel IS NOT NULL"
    replaced += [f"CASE WHEN {decided} THEN o.{c} ELSE d.{c} END AS {c}" for c in DECISION_FIELDS]
    return (
        f"SELECT d.* REPLACE ({', '.join(replaced)}) "
        f"FROM declarations_raw d LEFT JOIN ({_LATEST_OUTCOME}) o ON o.id = d.id"
    )


def connect(store: DeclarationStore, *, threads: int | None = None, memory: str = DEFAULT_MEMORY):
    """An in-memory DuckDB with the views ``declarations`` (what the graph shows) and ``declarations_raw``."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{_checked_size(memory)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    files = [str(p) for p in store.declaration_files()]
    raw = con.read_parquet(files, union_by_name=True) if files else con.from_arrow(STORE_SCHEMA.empty_table())
    _with_every_column(raw, STORE_SCHEMA).create_view("declarations_raw")
    outcomes = [str(p) for p in store.outcome_files()]
    if outcomes:
        _with_every_column(con.read_parquet(outcomes, union_by_name=True), OUTCOME_SCHEMA).create_view("outcomes_raw")
        con.execute(f"CREATE VIEW declarations AS {_overlay()}")
    else:
        con.execute("CREATE VIEW declarations AS SELECT * FROM declarations_raw")
    return con


#: the SQL type of each Arrow type the store declares
_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


def _with_every_column(relation: duckdb.DuckDBPyRelation, declared: pa.Schema) -> duckdb.DuckDBPyRelation:
    """``relation`` with the declared columns that parts written before a column was declared lack, as nulls."""
    missing = [f for f in declared if f.name not in relation.columns]
    if not missing:
        return relation
    return relation.project(", ".join(["*", *(f"CAST(NULL AS {_SQL_TYPES[f.type]}) AS {f.name}" for f in missing)]))


def _checked_size(memory: str) -> str:
    """A memory size as DuckDB reads it (digits and a unit): settings cannot take parameters."""
    text = memory.strip().upper()
    if not text[:-2].replace(".", "", 1).isdigit() or not text.endswith(("KB", "MB", "GB")):
        raise ValueError(f"memory must be a size such as 800MB or 2GB, got {memory!r}")
    return text
