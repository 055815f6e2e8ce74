"""The columnar copy of the declarations: Parquet under ``$RISKGRAPH_HOME/declarations/``.

Declaration-sized work (activity per importer, peer unit values, history) runs in an analytical engine over
columns (:mod:`columnar.engine`) instead of streaming every row out of Neo4j over Bolt. Neo4j stays the system of
record: this copy is written beside each batch the graph commits, and checked against the graph before it is
read (:mod:`columnar.sync`), so a crash between the two, a wiped graph or a reload costs a re-read of the loads
concerned, never a wrong answer.

Layout, one folder per load (one ``riskgraph ingest`` run, so a day is its own files)::

    declarations/load=<load>/part-<uuid>.parquet   the declarations as that load wrote them
    declarations/outcomes/part-<uuid>.parquet      outcomes recorded since (feedback), newest wins

Columns and their types come from the schema declaration (``graph/schema/Declaration.yaml``), plus the mapped
``feature_*`` columns (as text) and ``written_at``: an outcome recorded after a declaration was written replaces
its outcome fields, one recorded before it does not (the load wrote the graph's values after it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from graph.home import DECLARATION_STORE
from graph.model import schema

__all__ = [
    "DeclarationStore",
    "OUTCOME_COLUMNS",
    "OUTCOME_FIELDS",
    "DECISION_FIELDS",
    "ACT_FIELDS",
    "STORE_SCHEMA",
    "OUTCOME_SCHEMA",
    "UNLOADED",
    "declaration_table",
    "outcome_table",
]

_TYPES = {
    "string": pa.string(),
    "float": pa.float64(),
    "integer": pa.int64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}
#: what recording an outcome sets on a declaration (``scoring.feedback``), with the time it was recorded
OUTCOME_FIELDS = ("inspected", "violation", "violation_type", "revenue_recovered", "feedback_kind", "feedback_at")
#: the decision recorded with an outcome, set only when the decision log knew it
DECISION_FIELDS = ("channel", "score", "level", "random_selected", "rule_hits", "leading_target", "inspection_ordered")
#: what an inspection act (``POST /v1/inspections``) sets beside its outcome, set only when one was given
ACT_FIELDS = (
    "inspection_type", "officer", "inspection_started", "inspection_ended", "inspection_minutes", "findings", "seized"
)  # fmt: skip
OUTCOME_COLUMNS = ("id", *OUTCOME_FIELDS, *DECISION_FIELDS, *ACT_FIELDS)
_DECLARED = schema().node("Declaration").properties
STORE_SCHEMA = pa.schema(
    [(name, _TYPES[kind]) for name, kind in _DECLARED.items()] + [("written_at", _TYPES["datetime"])]
)
OUTCOME_SCHEMA = pa.schema([(name, _TYPES[_DECLARED[name]]) for name in OUTCOME_COLUMNS])
#: the folder name of declarations written without a load (before loads were stamped)
UNLOADED = "_none"
_OUTCOMES = "outcomes"


def _column(values: pd.Series, kind: pa.DataType) -> pa.Array:
    """One column typed as the schema declares it, vectorised (a load converts every row of every column)."""
    if pa.types.is_string(kind):
        try:
            return pa.array(values, type=kind, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # numbers or mixed values in a text column
            return pa.array(values.astype("string"), type=kind, from_pandas=True)
    if pa.types.is_date32(kind):
        return pa.array(pd.to_datetime(values, errors="coerce"), from_pandas=True).cast(kind)
    if pa.types.is_timestamp(kind):
        return pa.array(pd.to_datetime(values, errors="coerce", utc=True), kind, from_pandas=True)
    numbers = pd.to_numeric(values, errors="coerce")
    if pa.types.is_integer(kind):
        return pa.array(numbers.round().astype("Int64"), kind, from_pandas=True)
    return pa.array(numbers.astype(float), kind, from_pandas=True)


def declaration_table(frame: pd.DataFrame, written_at: datetime | None = None) -> pa.Table:
    """The store's Arrow table of a frame of declaration properties (``id``, ``date``, ...; any missing
    column is null); mapped ``feature_*`` columns are kept as text."""
    written_at = written_at or datetime.now(UTC)
    frame = frame.reset_index(drop=True)
    arrays, fields = [], []
    for field in STORE_SCHEMA:
        if field.name == "written_at":
            arrays.append(pa.array([written_at] * len(frame), field.type))
        elif field.name in frame:
            arrays.append(_column(frame[field.name], field.type))
        else:
            arrays.append(pa.nulls(len(frame), field.type))
        fields.append(field)
    for name in sorted(c for c in frame.columns if str(c).startswith("feature_")):
        arrays.append(_column(frame[name], pa.string()))
        fields.append(pa.field(name, pa.string()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def outcome_table(frame: pd.DataFrame) -> pa.Table:
    """The store's Arrow table of outcomes (columns :data:`OUTCOME_COLUMNS`)."""
    return pa.Table.from_arrays([_column(frame[f.name], f.type) for f in OUTCOME_SCHEMA], schema=OUTCOME_SCHEMA)


def _folder_name(load: str) -> str:
    return f"load={load or UNLOADED}"


class DeclarationStore:
    """The Parquet parts of one home; see the module docstring for the layout."""

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / DECLARATION_STORE

    def _load_folder(self, load: str) -> Path:
        return self.root / _folder_name(load)

    def write(self, table: pa.Table, load: str) -> Path | None:
        """Add one part of ``load`` (a table from :func:`declaration_table`); a part appears whole or not at all."""
        if table.num_rows == 0:
            return None
        return self._write_part(self._load_folder(load), table)

    def write_outcomes(self, rows: Iterable[dict]) -> Path | None:
        """Add the outcomes ``rows`` (dicts of :data:`OUTCOME_COLUMNS`) as recorded on the graph."""
        table = outcome_table(pd.DataFrame(list(rows), columns=list(OUTCOME_COLUMNS)))
        return self._write_part(self.root / _OUTCOMES, table) if table.num_rows else None

    @staticmethod
    def _write_part(folder: Path, table: pa.Table) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{uuid.uuid4().hex}.parquet"
        staged = folder / f".{name}.tmp"
        pq.write_table(table, staged, compression="zstd")
        os.replace(staged, folder / name)
        return folder / name

    def replace_load(self, load: str, tables: Iterable[pa.Table]) -> int:
        """Replace every part of ``load`` with ``tables`` at once (the folder is swapped when complete)."""
        target = self._load_folder(load)
        staged = self.root / f".{target.name}-{uuid.uuid4().hex}.tmp"
        rows = 0
        for table in tables:
            if table.num_rows:
                self._write_part(staged, table)
                rows += table.num_rows
        self._swap(staged, target)
        return rows

    def replace_outcomes(self, table: pa.Table) -> None:
        """Replace every recorded outcome with ``table`` (:data:`OUTCOME_SCHEMA`)."""
        staged = self.root / f".{_OUTCOMES}-{uuid.uuid4().hex}.tmp"
        if table.num_rows:
            self._write_part(staged, table)
        self._swap(staged, self.root / _OUTCOMES)

    def _swap(self, staged: Path, target: Path) -> None:
        old = self.root / f".{target.name}-old-{uuid.uuid4().hex}.tmp"
        if target.exists():
            os.replace(target, old)
        if staged.exists():
            os.replace(staged, target)
        shutil.rmtree(old, ignore_errors=True)

    def drop_load(self, load: str) -> None:
        shutil.rmtree(self._load_folder(load), ignore_errors=True)

    def clear(self) -> None:
        """Remove every part (the graph was emptied: a first bulk load starts from nothing)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def loads(self) -> dict[str, list[Path]]:
        """The parts of each load (``""`` for declarations written without one); hidden staging files left out."""
        found: dict[str, list[Path]] = {}
        if not self.root.is_dir():
            return found
        for folder in sorted(self.root.glob("load=*")):
            load = folder.name.removeprefix("load=")
            found["" if load == UNLOADED else load] = sorted(folder.glob("part-*.parquet"))
        return found

    def load_counts(self) -> dict[str, int]:
        """Declarations per load, from the parts' footers (nothing read but metadata)."""
        return {load: sum(pq.read_metadata(p).num_rows for p in parts) for load, parts in self.loads().items()}

    def declaration_files(self) -> list[Path]:
        return [p for parts in self.loads().values() for p in parts]

    def outcome_files(self) -> list[Path]:
        return sorted((self.root / _OUTCOMES).glob("part-*.parquet"))

    def remove_leftovers(self) -> None:
        """Hidden staging files and folders a killed process left."""
        if self.root.is_dir():
            for leftover in list(self.root.glob(".*.tmp")) + list(self.root.glob("*/.*.tmp")):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
