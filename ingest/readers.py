"""Streaming readers for CSV, Parquet and JSON-lines declaration files.

Everything is read as text, exactly as written (no NA guessing, no number parsing), so a bad row
can be quarantined verbatim and validation alone decides what a value means. Files are read in
chunks so a file of a million rows never has to fit in memory at once.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from graph.errors import RiskGraphError

__all__ = ["Chunk", "IngestError", "SUPPORTED", "input_files", "read_chunks", "count_rows"]

_CSV = (".csv",)
_PARQUET = (".parquet", ".pq")
_JSONL = (".jsonl", ".ndjson")
SUPPORTED: tuple[str, ...] = _CSV + _PARQUET + _JSONL


class IngestError(RiskGraphError, RuntimeError):
    """A file that cannot be read as declarations (unsupported, unreadable, malformed)."""

    status, code = 422, "invalid_input"


@dataclass
class Chunk:
    source: Path
    frame: pd.DataFrame  # all values str, "" where empty
    rows: np.ndarray  # 1-based data row number of each frame row in its file (header excluded)


def input_files(paths: list[Path]) -> list[Path]:
    """The files to read: files as given; for a folder, its supported files sorted, ``truth/`` skipped.

    The generator writes the answers to its planted risks under ``truth/``; they are not declarations.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = [
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED and "truth" not in p.relative_to(path).parts[:-1]
            ]
            files.extend(sorted(inside, key=lambda p: p.relative_to(path).as_posix()))
        elif not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        elif path.suffix.lower() in SUPPORTED:
            files.append(path)
        else:
            raise IngestError(f"{path}: unsupported file type {path.suffix!r}; expected one of {', '.join(SUPPORTED)}")
    return files


def read_chunks(paths: list[Path], chunk_rows: int) -> Iterator[Chunk]:
    """Chunks of at most ``chunk_rows`` rows from every input file in turn."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    for path in input_files(paths):
        suffix = path.suffix.lower()
        reader = _read_csv if suffix in _CSV else _read_parquet if suffix in _PARQUET else _read_jsonl
        try:
            yield from reader(path, chunk_rows)
        except IngestError:
            raise
        except (OSError, ValueError, pa.ArrowException, UnicodeDecodeError) as exc:
            raise IngestError(f"{path}: cannot read: {exc}".replace("\n", " ")) from exc


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as UTF-8, else GB18030.

    Chinese customs exports are often GBK; GB18030 is its superset.
    """
    with path.open("rb") as f:
        head = f.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _read_csv(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """Row numbers count data records: a blank line is not a record, a quoted line break stays in its record.

    Arrow's reader reads a regular UTF-8 file (every row as long as the header, header names distinct and
    non-blank) at half pandas' cost; any other file is read by pandas, whose rules (short rows filled,
    header names made unique) are the contract, from the first row Arrow could not take on.
    """
    if path.stat().st_size == 0:
        return
    encoding = _encoding(path)
    done = 0
    if encoding == "utf-8-sig":
        try:
            for chunk in _read_regular_csv(path, chunk_rows):
                yield chunk
                done += len(chunk.frame)
            return
        except (_Irregular, pa.ArrowInvalid):  # pandas reads it, or says why it cannot
            pass
    for chunk in _read_csv_pandas(path, chunk_rows, encoding):
        if not done or chunk.rows[0] > done:  # the chunks Arrow gave before are not given again
            yield chunk


class _Irregular(Exception):
    """A CSV file that Arrow's reader would read otherwise than pandas does."""


class _IrregularRows:
    """Arrow's handler of a row not as long as the header: noted and skipped, so the reader gives way to pandas.
    (An exception raised in the handler reaches the caller as Arrow's own error, not as itself.)"""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, row) -> str:
        self.seen = True
        return "skip"


#: pandas' text dtype, that of every column read
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
#: what Arrow reads and parses at a time (its default)
_BLOCK_BYTES = 1 << 20


def _csv_header(path: Path) -> list[str]:
    """The header's names, when Arrow reads them as pandas does: more than one, distinct, none blank (pandas
    skips a line of blanks, which Arrow reads as a one-field record, and renames repeated or blank names)."""
    rows_not_read = pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip")
    try:
        with pa_csv.open_csv(path, pa_csv.ReadOptions(block_size=_BLOCK_BYTES), rows_not_read) as probe:
            header = probe.schema.names
    except pa.ArrowInvalid as exc:  # no header, or nothing after it
        raise _Irregular(str(exc)) from exc
    if len(header) < 2 or len(set(header)) < len(header) or not all(name.strip() for name in header):
        raise _Irregular("one column, or header names repeated or blank")
    return header


def _read_regular_csv(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """Chunks of exactly ``chunk_rows`` records (the last shorter), as pandas cuts them, read by Arrow."""
    header = _csv_header(path)
    irregular = _IrregularRows()
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=_BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=irregular),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.large_string() for name in header},
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    start, pending = 1, []
    with reader:
        for batch in reader:
            if irregular.seen:
                raise _Irregular("a row not as long as the header")
            pending.append(batch)
            while sum(len(b) for b in pending) > chunk_rows:  # the last record is held back: see below
                table = pa.Table.from_batches(pending)
                yield _chunk(path, table.slice(0, chunk_rows), start)
                start += chunk_rows
                pending = table.slice(chunk_rows).to_batches()
    if irregular.seen:
        raise _Irregular("a row not as long as the header")
    table = pa.Table.from_batches(pending, schema=reader.schema)
    if _may_end_inside_quotes(path, table):
        raise _Irregular("a quoted value may be left open at the end")
    if len(table) or start == 1:  # pandas gives a file of a header alone as one empty chunk
        yield _chunk(path, table, start)


def _may_end_inside_quotes(path: Path, last: pa.Table) -> bool:
    """True unless the file surely closes its last quoted value: Arrow takes a quote left open as closed at the
    end of the file (its last value then holds the rest of the file), where pandas stops with an error.

    The open value is the last record's last one (an earlier column would leave the record short); it holds the
    file's final line break, which no value read whole ends with, bar a quoted one ending in a line break."""
    with path.open("rb") as f:
        f.seek(-1, 2)
        if f.read(1) not in (b"\n", b"\r"):
            return True  # pandas tells
    if not len(last):
        return False
    return last.column(last.num_columns - 1)[-1].as_py().endswith(("\n", "\r"))


def _chunk(path: Path, table: pa.Table, start: int) -> Chunk:
    frame = table.to_pandas(types_mapper={pa.large_string(): _TEXT}.get)
    return Chunk(path, frame, np.arange(start, start + len(frame)))


def _read_csv_pandas(path: Path, chunk_rows: int, encoding: str) -> Iterator[Chunk]:
    start = 1
    reader = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        chunksize=chunk_rows,
        encoding=encoding,
        skipinitialspace=False,
    )
    with reader:
        for frame in reader:
            frame = frame.fillna("")  # short rows leave missing trailing fields
            rows = np.arange(start, start + len(frame))
            start += len(frame)
            yield Chunk(path, frame.reset_index(drop=True), rows)


def _as_text(column: pa.ChunkedArray | pa.Array) -> list[str] | pa.Array:
    try:
        return pc.fill_null(pc.cast(column, pa.string()), "")
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # nested values: keep them as JSON text
        return ["" if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in column.to_pylist()]


def _read_parquet(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    start = 1
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        data = {name: _as_text(batch.column(i)) for i, name in enumerate(batch.schema.names)}
        frame = pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in data.items()})
        rows = np.arange(start, start + len(frame))
        start += len(frame)
        yield Chunk(path, frame, rows)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    return json.dumps(value, ensure_ascii=False)


def _read_jsonl(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """Row numbers are line numbers, so a blank line keeps the numbering of the lines after it."""
    with path.open(encoding=_encoding(path)) as f:
        lines = enumerate(f, start=1)
        while block := list(islice(lines, chunk_rows)):
            records, rows = [], []
            for number, line in block:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise IngestError(f"{path}: line {number} is not JSON ({exc.msg})") from exc
                if not isinstance(record, dict):
                    raise IngestError(f"{path}: line {number} is not a JSON object")
                records.append({str(k): _text(v) for k, v in record.items()})
                rows.append(number)
            if records:
                yield Chunk(path, pd.DataFrame.from_records(records).fillna(""), np.asarray(rows))


def count_rows(paths: list[Path]) -> int:
    """Data rows in the input, cheaply (for progress and ETA): lines for text files, metadata for Parquet.

    A CSV with quoted line breaks counts more lines than rows; this is an estimate.
    """
    total = 0
    for path in input_files(paths):
        suffix = path.suffix.lower()
        if suffix in _PARQUET:
            total += pq.ParquetFile(path).metadata.num_rows
            continue
        lines, last = 0, b"\n"
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
        lines += last != b"\n"  # no newline after the last line
        total += max(lines - 1, 0) if suffix in _CSV else lines
    return total
