"""Apache Spark over the columnar copy: the declaration-sized work on a cluster (or local mode).

:class:`SparkDeclarations` reads the same Parquet store as DuckDB, defines the same views and runs the same SQL:
each query, kept in DuckDB's dialect beside the code that runs it, is transpiled once by sqlglot to Spark SQL
(``$name`` parameters become Spark's ``:name`` markers, bound by ``spark.sql(..., args=...)``). sqlglot raises on
what it knows it cannot express, but some DuckDB-only syntax passes through and fails in Spark's parser (``* REPLACE``,
hence the overlay's column list): ``tests/test_engine_agreement.py`` is what shows each query means the same on both.

The session: ``RISKGRAPH_SPARK_MASTER`` names the master; without it Spark's own configuration decides
(``spark-defaults.conf`` under ``SPARK_CONF_DIR``, ``PYSPARK_SUBMIT_ARGS``), else ``local[*]``. An existing
session is reused (the tests share one). ``RISKGRAPH_SPARK_STORE`` is where the executors find the store when
they see it under another name than this host (``s3a://bucket/riskgraph/declarations``).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from functools import lru_cache

import pandas as pd
import pyarrow as pa
import sqlglot
from pyspark import SparkConf, SparkContext
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from columnar.engines import _Closing, arrow_frame
from columnar.store import OUTCOME_SCHEMA, STORE_SCHEMA, DeclarationStore
from columnar.views import every_column, overlay
from graph.config import settings

# results cross as Arrow tables, never through PySpark's pandas conversion, which warns about pandas 3 on every call
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

__all__ = ["SparkDeclarations", "own_session", "spark_session", "to_spark", "SESSION_DEFAULTS"]

#: what every session gets (``conf`` may override): dates and times read as UTC (as DuckDB and the store write
#: them), no web UI port taken on the driver's host, no progress bars in the command's output
SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


@lru_cache(maxsize=256)
def to_spark(query: str) -> str:
    """``query`` (DuckDB's dialect) in Spark SQL."""
    return sqlglot.transpile(query, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)[0]


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The running Spark session, or a new one on ``master`` (default: see the module docstring)."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # launch the JVM with ``conf`` (a local driver's memory is fixed then); it reads Spark's own configuration
    SparkContext._ensure_initialized(conf=SparkConf(loadDefaults=False).setAll(list((conf or {}).items())))
    configured = SparkConf()
    master = master or settings().spark_master or configured.get("spark.master", "local[*]")
    builder = SparkSession.builder.appName("riskgraph").master(master)
    for key, value in {**SESSION_DEFAULTS, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


#: each thread's own sessions, by the session they were made on (sessions are kept, not their ids: an id is reused)
_owned = threading.local()


def own_session(session: SparkSession) -> SparkSession:
    """This thread's session of its own on ``session``'s context, with its settings (made once, then reused by the
    thread's later readers): temporary views are a session's, and two readers of one session in two threads (an
    analysis aggregating in one while the resolution reads in another) would replace and drop each other's
    ``declarations``."""
    made = getattr(_owned, "sessions", None)
    if made is None:
        made = _owned.sessions = []
    for parent, own in made:
        if parent is session:
            return own
    own = session.newSession()
    for key, value in session.conf.getAll.items():
        if key.startswith("spark.sql.") and own.conf.isModifiable(key):
            own.conf.set(key, value)
    made.append((session, own))
    return own


class SparkDeclarations(_Closing):
    """Spark SQL over the store, with the views of :mod:`columnar.views` as temporary views of this thread's session
    (:func:`own_session`)."""

    name = "spark"

    def __init__(self, store: DeclarationStore, session: SparkSession | None = None) -> None:
        self.spark = own_session(session or spark_session())
        located = settings().spark_store
        if located:
            root = located.rstrip("/")
            raw = self._parts(f"{root}/load=*/part-*.parquet")
            outcomes = self._parts(f"{root}/outcomes/part-*.parquet")
        else:
            raw = self._parts(*[str(p) for p in store.declaration_files()])
            outcomes = self._parts(*[str(p) for p in store.outcome_files()])
        if raw is None:
            raw = self.spark.createDataFrame(STORE_SCHEMA.empty_table())
        raw = self._with_every_column(raw, STORE_SCHEMA)
        raw.createOrReplaceTempView("declarations_raw")
        if outcomes is None:
            self.spark.sql("SELECT * FROM declarations_raw").createOrReplaceTempView("declarations")
        else:
            self._with_every_column(outcomes, OUTCOME_SCHEMA).createOrReplaceTempView("outcomes_raw")
            self.spark.sql(to_spark(overlay(raw.columns))).createOrReplaceTempView("declarations")

    def _with_every_column(self, parts: DataFrame, declared: pa.Schema) -> DataFrame:
        """``parts`` with the declared columns that parts written before a column was declared lack, as nulls."""
        select = every_column(parts.columns, declared)
        if select is None:
            return parts
        parts.createOrReplaceTempView("store_parts")
        return self.spark.sql(to_spark(f"SELECT {select} FROM store_parts"))

    def _parts(self, *paths: str) -> DataFrame | None:
        """The Parquet parts at ``paths`` (files or globs), their columns united by name; None when there are none."""
        if not paths:
            return None
        try:
            return self.spark.read.option("mergeSchema", "true").parquet(*paths)
        except AnalysisException as error:
            if error.getCondition() == "PATH_NOT_FOUND":  # a glob on shared storage that matched nothing
                return None
            raise

    def frame(self, query: str, params: Mapping | None = None) -> pd.DataFrame:
        return arrow_frame(self.arrow(query, params))

    def arrow(self, query: str, params: Mapping | None = None) -> pa.Table:
        found = self.spark.sql(to_spark(query), args=dict(params)) if params else self.spark.sql(to_spark(query))
        return found.toArrow()

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def columns(self) -> list[str]:
        return list(self.spark.table("declarations").columns)

    def close(self) -> None:
        """Drop this store's views; the session stays for the next use (starting one takes seconds)."""
        for view in ("declarations", "outcomes_raw", "declarations_raw", "store_parts"):
            self.spark.catalog.dropTempView(view)
