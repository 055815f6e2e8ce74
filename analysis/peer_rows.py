"""The declarations' peer-comparison columns, kept beside the analysis state.

A peer group is every declaration of an HS6 code (and origin), so comparing a day's declarations exactly
needs their whole groups. A full run writes the columns :func:`algorithms.peers.unit_value_anomalies` needs
(about 60 bytes a declaration in Parquet) as it streams the pages, never holding them; an incremental run reads
back only the groups of the HS6 codes the day touched, adds the day's rows and writes them as one more part
(the earlier parts are hard-linked into the new state, not copied).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

__all__ = ["PEER_ROW_COLUMNS", "PeerRowWriter", "read_peer_rows", "link_parts"]

_STRINGS = ("importer_id", "hs6", "origin", "currency")
_NUMBERS = ("value", "net_mass", "quantity", "tax_rate")
PEER_ROW_COLUMNS = (*_STRINGS, *_NUMBERS)
_SCHEMA = pa.schema([(c, pa.string()) for c in _STRINGS] + [(c, pa.float64()) for c in _NUMBERS])


class PeerRowWriter:
    """Appends pages of declarations to one new Parquet part in ``folder``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"part-{uuid.uuid4().hex}.parquet"
        self._writer: pq.ParquetWriter | None = None

    def write(self, page: pd.DataFrame) -> None:
        rows = page[page["hs6"].notna()]
        table = pa.Table.from_pandas(rows[list(PEER_ROW_COLUMNS)], schema=_SCHEMA, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, _SCHEMA)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is None:  # no row: an empty part keeps the folder readable
            pq.write_table(_SCHEMA.empty_table(), self.path)
        else:
            self._writer.close()


def read_peer_rows(folder: Path, codes=None, *, exclude: bool = False) -> pd.DataFrame:
    """The rows of the HS6 ``codes`` (all without; every other code with ``exclude``)."""
    dataset = ds.dataset(sorted(folder.glob("part-*.parquet")), schema=_SCHEMA, format="parquet")
    where = None
    if codes is not None:
        where = ds.field("hs6").isin(pa.array(sorted(codes), pa.string()))
        where = ~where if exclude else where
    return dataset.to_table(filter=where).to_pandas()


def link_parts(source: Path, target: Path) -> None:
    """Every part of ``source`` into ``target``, hard-linked when the file system allows it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in source.glob("part-*.parquet"):
        try:
            os.link(part, target / part.name)
        except OSError:
            shutil.copy2(part, target / part.name)
