"""Which engine runs the declaration-sized SQL: DuckDB in this process, or Spark beyond one machine.

Both open the same Parquet store with the views of :mod:`columnar.views` and run the same SQL text, written in
DuckDB's dialect (Spark runs it transpiled, :mod:`columnar.spark`), so a query is defined once. A caller asks
for a :class:`DeclarationEngine` by name (:func:`open_declarations`) and gets pandas frames back, enterprise-sized.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from columnar.engine import connect
from columnar.store import DeclarationStore

__all__ = [
    "DECLARATION_ENGINES",
    "DeclarationEngine",
    "DuckDBDeclarations",
    "FrameDeclarations",
    "arrow_frame",
    "open_declarations",
]

#: the engines by name, the default first
DECLARATION_ENGINES = ("duckdb", "spark")


class DeclarationEngine(Protocol):
    """SQL over the views ``declarations`` and ``declarations_raw``; parameters are written ``$name``."""

    name: str

    def frame(self, query: str, params: Mapping | None = None) -> pd.DataFrame: ...

    def arrow(self, query: str, params: Mapping | None = None) -> pa.Table: ...

    def register(self, name: str, table: pa.Table) -> None: ...

    def unregister(self, name: str) -> None: ...

    def columns(self) -> list[str]: ...

    def close(self) -> None: ...


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An answer as Arrow made pandas, alike from every engine: dates as ``datetime64[us]`` (as DuckDB's ``.df()``
    gives them), whole-number decimals (DuckDB sums integers into 128-bit ones) as int64 and other decimals as float64
    (not a Python ``Decimal`` each); text stays in Arrow's buffers (DuckDB's ``.df()`` makes a Python string of each,
    a second for the million rows of the firms' usage).

    >>> from datetime import date
    >>> from decimal import Decimal
    >>> answer = pa.table({"n": pa.array([Decimal(3)], pa.decimal128(38, 0)), "day": [date(2025, 1, 2)], "who": ["a"]})
    >>> arrow_frame(answer).dtypes.astype(str).tolist()
    ['int64', 'datetime64[us]', 'str']
    """
    for i, column in enumerate(table.schema):
        if pa.types.is_date(column.type):
            kind = pa.timestamp("us")
        elif pa.types.is_decimal(column.type):
            kind = pa.int64() if column.type.scale == 0 else pa.float64()
        else:
            continue
        table = table.set_column(i, column.name, table.column(i).cast(kind))
    return table.to_pandas()


class _Closing:
    """``with`` closes the engine (each engine defines ``close``)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DuckDBDeclarations(_Closing):
    """DuckDB embedded in this process (:func:`columnar.engine.connect`)."""

    name = "duckdb"

    def __init__(self, store: DeclarationStore, **options) -> None:
        self.con = connect(store, **options)

    def frame(self, query: str, params: Mapping | None = None) -> pd.DataFrame:
        return self.con.execute(query, dict(params or {})).df()

    def arrow(self, query: str, params: Mapping | None = None) -> pa.Table:
        """The answer as Arrow, for declaration-sized reads: text columns stay buffers instead of becoming a
        Python string each, as :meth:`frame` makes them (1M declarations: 1.9 -> 1.2 GB)."""
        return self.con.sql(query, params=dict(params or {})).to_arrow_table()

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def columns(self) -> list[str]:
        return [row[0] for row in self.con.execute("DESCRIBE declarations").fetchall()]

    def close(self) -> None:
        self.con.close()


class FrameDeclarations(DuckDBDeclarations):
    """DuckDB over declarations a caller already holds, registered as the view ``declarations``: the same SQL
    serves a frame built in memory (a test's, a subset) as the store."""

    def __init__(self, declarations: pa.Table) -> None:
        self.con = duckdb.connect()
        self.con.register("declarations", declarations)


def open_declarations(store: DeclarationStore, engine: str = "duckdb") -> DeclarationEngine:
    """The engine ``engine`` (one of :data:`DECLARATION_ENGINES`) over ``store``; close it when done."""
    if engine == "duckdb":
        return DuckDBDeclarations(store)
    if engine == "spark":
        from columnar.spark import SparkDeclarations  # a JVM starts only for those who ask for Spark

        return SparkDeclarations(store)
    raise ValueError(f"the declarations engine must be one of {', '.join(DECLARATION_ENGINES)}, got {engine!r}")
