"""The views every declaration engine defines over the store, as SQL in DuckDB's dialect.

``declarations_raw`` is every stored part, ``outcomes_raw`` every recorded outcome, and ``declarations`` the
first with the latest of the second laid over it (what the graph shows). The overlay lists its columns instead of
using DuckDB's ``* REPLACE``, so the one text transpiles to Spark SQL (:mod:`columnar.spark`) unchanged in meaning.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from columnar.store import ACT_FIELDS, DECISION_FIELDS, OUTCOME_FIELDS

__all__ = ["every_column", "examined", "overlay", "quoted", "SQL_TYPES"]

#: the SQL type of each Arrow type the store declares (DuckDB's names: sqlglot gives Spark its own)
SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
}


def _latest_outcome(where: str = "") -> str:
    """Each declaration's latest outcome (of those matching ``where``)."""
    return f"""
SELECT * FROM (
  SELECT *, row_number() OVER (PARTITION BY id ORDER BY feedback_at DESC) AS nth FROM outcomes_raw {where}
) WHERE nth = 1
"""


def examined(alias: str = "") -> str:
    """1 when the declaration was examined, else 0, as every reader of outcomes counts it: its inspection field, or,
    where none is stored (a fraud flag as the only outcome), whether it carries a violation flag. ``alias`` prefixes
    the columns (``"d."``).

    >>> examined("d.")
    'coalesce(d.inspected, CASE WHEN d.violation IS NULL THEN 0 ELSE 1 END)'
    """
    return f"coalesce({alias}inspected, CASE WHEN {alias}violation IS NULL THEN 0 ELSE 1 END)"


def quoted(name: str) -> str:
    """A column name as an SQL identifier (mapped ``feature_*`` names come from a user's mapping)."""
    return '"' + name.replace('"', '""') + '"'


def every_column(present: Sequence[str], declared: pa.Schema) -> str | None:
    """The select list adding, as typed nulls, the ``declared`` columns that parts written before a column was
    declared lack (None when none is missing)."""
    missing = [f for f in declared if f.name not in present]
    if not missing:
        return None
    return ", ".join(["*", *(f"CAST(NULL AS {SQL_TYPES[f.type]}) AS {quoted(f.name)}" for f in missing)])


def overlay(columns: Sequence[str]) -> str:
    """The ``declarations`` view over ``declarations_raw`` (whose columns are ``columns``, in order), as
    ``scoring.feedback`` sets the graph: each outcome recorded after the declaration was written replaces its
    outcome fields; the latest such outcome that carried a decision replaces the decision fields, and the latest
    that carried an inspection act the act's fields."""
    sources = {
        **dict.fromkeys(OUTCOME_FIELDS, "o"),
        **dict.fromkeys(DECISION_FIELDS, "c"),
        **dict.fromkeys(ACT_FIELDS, "a"),
    }
    chosen = []
    for name in columns:
        column, source = quoted(name), sources.get(name)
        if source is None:
            chosen.append(f"d.{column}")
        else:
            later = f"{source}.feedback_at > d.written_at"
            chosen.append(f"CASE WHEN {later} THEN {source}.{column} ELSE d.{column} END AS {column}")
    return (
        f"SELECT {', '.join(chosen)} FROM declarations_raw d"
        f" LEFT JOIN ({_latest_outcome()}) o ON o.id = d.id"
        f" LEFT JOIN ({_latest_outcome('WHERE channel IS NOT NULL')}) c ON c.id = d.id"
        f" LEFT JOIN ({_latest_outcome('WHERE inspection_type IS NOT NULL')}) a ON a.id = d.id"
    )
