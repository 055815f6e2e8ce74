"""The importer's CSV files, from the same validated batches the Cypher writer gets.

Declarations and their own relationships are turned into CSV text in the validation worker
processes (:func:`import_parts`, column-wise through pandas and Arrow, no per-row Python), so the main process
only appends text to files. Entities, shared across batches, come back as small per-batch tables and
are merged once by :meth:`ImportFiles.finish` with the Cypher writer's rules: an enterprise property
keeps its last non-null value, an address or person its first text, relationships are sets.

Every node is known to the importer by an integer (``--id-type=INTEGER``), never stored; its key stays a text
property. Integers spare the importer its string index: at 1M declarations the relationship stage went 26.8 ->
7.4 s and the whole import 47.3 -> 26.4 s. A worker numbers its declarations itself (:func:`_declaration_nodes`);
the entities are numbered once merged, and the workers' declaration relationships, written with the entity's
key, get its number as :meth:`ImportFiles.finish` copies them into the importer's files.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from columnar.store import declaration_table
from graph.reference import offices
from ingest.batch import EntityTables, batch_tables
from ingest.fields import NUMERIC_FIELDS
from ingest.readers import IngestError
from ingest.writer import WriteResult

__all__ = ["ImportFiles", "ImportParts", "import_parts"]

_NODE = ":node"  # the column of the importer's integer for a node; no property has a colon in its name

# Header suffixes for typed declaration properties; every other property is a string.
_DECLARATION_TYPES = {"date": ":date", "inspected": ":long", "violation": ":long"}
_DECLARATION_TYPES |= {name: ":double" for name in NUMERIC_FIELDS}

# The declaration's own relationships: party key on the declaration row and FILED role; type, end label, key.
_PARTIES = (("importer_id", "consignee"), ("seller_id", "consignor"), ("declarant_id", "declarant"))
_PARTIES += (("carrier_id", "carrier"),)
_NO_HEADER = pacsv.WriteOptions(include_header=False)
_OWN = (
    ("CLASSIFIED_AS", "Commodity", "hs_code"),
    ("ORIGINATES_IN", "Country", "origin"),
    ("LODGED_AT", "CustomsOffice", "office"),
    ("COVERS", "Consignment", "consignment_id"),
)
_taken = 0  # declarations numbered by this process, see _declaration_nodes


def _declaration_nodes(rows: int) -> np.ndarray:
    """The importer's integers for ``rows`` new declarations, unique across the processes of one load.

    Workers number their chunks without talking to each other: the process id (below 2**22 on Linux) above a
    count of the process's own declarations. The importer takes integers below 2**57.
    """
    global _taken
    first, _taken = _taken, _taken + rows
    return (os.getpid() << 32) + np.arange(first, first + rows, dtype=np.int64)


def _csv(frame: pd.DataFrame) -> str:
    """Rows without header; a missing value is an empty (absent) field, as the importer reads it.

    Arrow's writer, a few times faster than pandas': it quotes every text value and writes a whole
    number held as a float without ".0", both of which the importer reads as it reads pandas' output.
    """
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), out, _NO_HEADER)
    return out.getvalue().decode("utf-8")


def _numbered(table: pa.Table, rel_type: str, columns: tuple[tuple[int, pa.Array], ...]) -> pa.Table:
    """``table`` with each key column ``at`` replaced by the integer of its node among ``keys``."""
    for at, keys in columns:
        found = pc.index_in(table.column(at), value_set=keys)
        if found.null_count:
            missing = table.column(at).filter(pc.is_null(found))[0].as_py()
            raise IngestError(f"{rel_type}: {found.null_count:,} relationships name a node not written ({missing!r})")
        table = table.set_column(at, table.field(at).name, found.cast(pa.int64()))
    return table


def _spans_lines(text: str, rows: int) -> bool:
    """Only then must the importer parse fields across lines, which costs it much of its speed."""
    return text.count("\n") != rows or "\r" in text


@dataclass
class ImportParts:
    """One batch for the importer: declaration and relationship CSV text, entity tables to merge."""

    rows: int
    keys: tuple[str, ...]  # declaration columns, in the text's order
    declarations: str
    filed: str
    own: dict[str, str]  # relationship type -> text
    multiline: bool
    entities: EntityTables
    store_rows: pa.Table  # the declarations as the columnar copy keeps them (columnar.store)


def import_parts(clean: pd.DataFrame) -> ImportParts:
    """The ``prepare`` step of a bulk load, run in a worker process."""
    tables = batch_tables(clean)
    decl = tables.declarations
    numbered = decl.assign(**{_NODE: _declaration_nodes(len(decl))})
    numbered = numbered[[_NODE, *decl.columns]]
    filed = pd.concat(
        [
            numbered.loc[decl[key].notna(), [key, _NODE]].set_axis(["start", "end"], axis=1).assign(role=role)
            for key, role in _PARTIES
        ]
    )
    texts = {"Declaration": (_csv(numbered), len(decl)), "FILED": (_csv(filed), len(filed))}
    for rel, _, key in _OWN:
        own = numbered.loc[decl[key].notna(), [_NODE, key]]
        texts[rel] = (_csv(own), len(own))
    return ImportParts(
        rows=len(decl),
        keys=tuple(numbered.columns),
        declarations=texts.pop("Declaration")[0],
        filed=texts.pop("FILED")[0],
        own={rel: text for rel, (text, _) in texts.items()},
        multiline=any(_spans_lines(text, rows) for text, rows in texts.values()),
        entities=tables.entities,
        store_rows=declaration_table(decl),
    )


class ImportFiles:
    """A :class:`~ingest.pipeline.BatchWriter` of :class:`ImportParts`: the importer's files, not the graph.

    Only for an empty graph: every declaration is new.
    """

    def __init__(self, folder: Path):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.multiline = False
        self._declarations: dict[tuple[str, ...], tuple[Path, IO[str]]] = {}
        # the workers' relationship text, naming the entity by its key until finish() numbers it
        self._filed = self._open("FILED.keyed", None)
        self._own = {rel: self._open(f"{rel}.keyed", None) for rel, _, _ in _OWN}
        self._parts: list[ImportParts] = []

    def _open(self, name: str, header: list[str] | None) -> tuple[Path, IO[str]]:
        path = self.folder / f"{name}.csv"
        out = path.open("w", encoding="utf-8", newline="")
        if header is not None:
            out.write(",".join(header) + "\n")
        return path, out

    def write(self, parts: ImportParts) -> WriteResult:
        if parts.keys not in self._declarations:
            header = [
                ":ID(Declaration)" if key == _NODE else key + _DECLARATION_TYPES.get(key, "") for key in parts.keys
            ]
            self._declarations[parts.keys] = self._open(f"Declaration-{len(self._declarations)}", header)
        self._declarations[parts.keys][1].write(parts.declarations)
        self._filed[1].write(parts.filed)
        for rel, text in parts.own.items():
            self._own[rel][1].write(text)
        self.multiline |= parts.multiline
        parts.declarations = parts.filed = ""  # written: keep only the entity tables
        parts.own = {}
        self._parts.append(parts)
        return WriteResult(created=parts.rows, updated=0)

    def _table(self, name: str, header: list[str], frame: pd.DataFrame) -> Path:
        path, out = self._open(name, header)
        text = _csv(frame)
        self.multiline |= _spans_lines(text, len(frame))
        out.write(text)
        out.close()
        return path

    def finish(self) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]], bool]:
        """Merge, number and write the entity files, number the declarations' relationships, close everything.

        Returns the importer's (label, file) and (type, file) pairs, and whether a value spans lines.
        """
        nodes = [("Declaration", path) for path, _ in self._declarations.values()]
        for _, out in [*self._declarations.values(), self._filed, *self._own.values()]:
            out.close()
        keys: dict[str, pa.Array] = {}  # label -> its nodes' keys, in the order of their integers
        between: list[tuple[str, str, str, pd.DataFrame, tuple[str, ...]]] = []

        def node(label: str, header: list[str], frame: pd.DataFrame) -> None:
            """``frame``'s first column is the key relationships name the node by; its integer is its row."""
            keys[label] = pa.array(frame.iloc[:, 0].astype(str), pa.string())
            numbered = frame.assign(**{_NODE: np.arange(len(frame))})[[_NODE, *frame.columns]]
            nodes.append((label, self._table(label, [f":ID({label})", *header], numbered)))

        def rel(rel_type: str, start: str, end: str, frame: pd.DataFrame, *props: str) -> None:
            between.append((rel_type, start, end, frame.drop_duplicates(), props))  # once every node is numbered

        self._entities(node, rel)
        relationships = []
        for rel_type, start, end, frame, props in between:
            frame = frame.astype({frame.columns[0]: str, frame.columns[1]: str})
            table = pa.Table.from_pandas(frame, preserve_index=False)
            numbered = _numbered(table, rel_type, ((0, keys[start]), (1, keys[end])))
            header = [f":START_ID({start})", f":END_ID({end})", *props]
            relationships.append((rel_type, self._write_tables(rel_type, header, [numbered])))
        filed = [("start", pa.string()), ("end", pa.int64()), ("role", pa.string())]
        relationships.append(self._renumber("FILED", self._filed[0], filed, 0, "Enterprise", "Declaration", keys))
        for rel_type, label, _ in _OWN:
            own = [("start", pa.int64()), ("end", pa.string())]
            relationships.append(self._renumber(rel_type, self._own[rel_type][0], own, 1, "Declaration", label, keys))
        return nodes, relationships, self.multiline

    def _write_tables(self, name: str, header: list[str], tables: Iterable[pa.Table]) -> Path:
        path, out = self._open(name, header)
        out.close()
        with path.open("ab") as sink:
            for table in tables:
                pacsv.write_csv(table, sink, _NO_HEADER)
        return path

    def _renumber(
        self, rel_type: str, keyed: Path, columns: list, at: int, start: str, end: str, keys: dict[str, pa.Array]
    ) -> tuple[str, Path]:
        """Copy a worker-written relationship file, the entity column ``at`` (a key) replaced by its integer;
        streamed, as the file has a row per declaration and party."""
        # Arrow hashes the keys again for every block: few, large blocks (10M keys, 9M rows: 4.5 s a block)
        read = pacsv.ReadOptions(column_names=[n for n, _ in columns], block_size=1 << 28)
        parse = pacsv.ParseOptions(newlines_in_values=self.multiline)
        convert = pacsv.ConvertOptions(column_types=dict(columns), strings_can_be_null=False)
        keys_of = keys[end if at else start]
        header = [f":START_ID({start})", f":END_ID({end})", *[n for n, _ in columns[2:]]]
        with pacsv.open_csv(keyed, read, parse, convert) as reader:
            numbered = (_numbered(pa.Table.from_batches([b]), rel_type, ((at, keys_of),)) for b in reader)
            path = self._write_tables(rel_type, header, numbered)
        keyed.unlink()
        return rel_type, path

    def _entities(self, node: Callable[..., None], rel: Callable[..., None]) -> None:
        """The entities merged with the Cypher writer's rules, handed to ``node`` and ``rel``."""

        def every(name: str, *columns: str) -> pd.DataFrame:
            frames = [getattr(parts.entities, name) for parts in self._parts] or [pd.DataFrame(columns=list(columns))]
            return pd.concat(frames, ignore_index=True).reindex(columns=list(columns))

        columns = ["name", "name_norm", "category", "country", "registered"]
        enterprises = every("enterprises", "id", *columns)
        # SET e.x = coalesce(row.x, e.x): the last non-null value of each property
        merged = enterprises.groupby("id", sort=False)[columns].last().reset_index()
        node("Enterprise", ["id", *columns[:-1], "registered:date"], merged)
        based_in = enterprises.loc[enterprises["country"].notna(), ["id", "country"]]
        rel("BASED_IN", "Enterprise", "Country", based_in)
        addresses = every("addresses", "enterprise", "key", "text")
        node("Address", ["key", "text"], addresses.drop_duplicates("key")[["key", "text"]])  # ON CREATE
        rel("HAS_ADDRESS", "Enterprise", "Address", addresses[["enterprise", "key"]])
        phones = every("phones", "enterprise", "number")
        node("Phone", ["number"], phones[["number"]].drop_duplicates())
        rel("HAS_PHONE", "Enterprise", "Phone", phones[["enterprise", "number"]])
        reps = every("legal_reps", "enterprise", "id", "name")
        node("Person", ["id", "name"], reps.drop_duplicates("id")[["id", "name"]])  # ON CREATE
        rel("HAS_LEGAL_REP", "Enterprise", "Person", reps[["enterprise", "id"]])
        ports = sorted({p for parts in self._parts for p in parts.entities.ports})
        countries = {c for parts in self._parts for c in parts.entities.countries} | {p[:2] for p in ports}
        countries |= set(based_in["country"])
        node("Country", ["code"], pd.DataFrame({"code": sorted(countries)}))
        located = pd.DataFrame({"code": ports, "country": [p[:2] for p in ports]})
        node("Port", ["code", "country"], located)
        rel("LOCATED_IN", "Port", "Country", located)
        routes: dict[str, dict] = {}
        for parts in self._parts:
            for route in parts.entities.routes:
                routes.setdefault(route["id"], route)
        trips = pd.DataFrame(routes.values(), columns=["id", "from", "to", "via"])
        node("Route", ["id", "transit_count:long"], trips.assign(via=trips["via"].map(len))[["id", "via"]])
        rel("FROM", "Route", "Port", trips[["id", "from"]])
        rel("TO", "Route", "Port", trips[["id", "to"]])
        vias = [(r["id"], port, i) for r in routes.values() for i, port in enumerate(r["via"], start=1)]
        rel("VIA", "Route", "Port", pd.DataFrame(vias, columns=["id", "port", "order"]), "order:long")
        commodities = every("commodities", "code", "hs6", "chapter").drop_duplicates("code", keep="last")  # plain SET
        node("Commodity", ["code", "hs6", "chapter"], commodities)
        consignments = every("consignments", "id", "route")
        node("Consignment", ["id"], consignments[["id"]].drop_duplicates())
        rel("FOLLOWS", "Consignment", "Route", consignments.loc[consignments["route"].notna(), ["id", "route"]])
        hierarchy = offices()
        table = pd.DataFrame([(o.code, o.name, o.level) for o in hierarchy], columns=["code", "name", "level"])
        node("CustomsOffice", ["code", "name", "level"], table)
        parts_of = pd.DataFrame([(o.code, o.parent) for o in hierarchy if o.parent is not None])
        rel("PART_OF", "CustomsOffice", "CustomsOffice", parts_of)
