"""First load into an empty local database with Neo4j's own importer instead of Cypher.

The batches are the ones the Cypher writer gets (same reading, mapping, validation, quarantine
and entity resolution); :class:`ImportFiles` turns them into node and relationship CSV files with
the writer's merge rules (an entity property keeps its last non-null value, an address or person
its first text, relationships are sets), then the local server is stopped, ``neo4j-admin database
import full`` builds the store, and the server is started again with its schema and reference data.
A 1M-declaration year loads in a fraction of the Cypher time; later loads (a non-empty graph)
go through Cypher, which updates in place.

A marker file exists from the moment the store is about to be replaced until it is complete
again, so a load interrupted there is redone by the next run rather than trusted.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO

import neo4j

from graph import local_server
from graph.connection import reconnect
from graph.reference import OFFICES
from graph.setup import ensure_schema, load_reference_data
from ingest.batch import Batch
from ingest.fields import NUMERIC_FIELDS
from ingest.mapping import Mapping
from ingest.pipeline import IngestReport, Progress, ingest_files
from ingest.writer import WriteResult
from riskgraph.settings import Settings

__all__ = ["ImportFiles", "bulk_ingest", "bulk_pending", "only_reference_data"]

_PENDING = "bulk-import.pending"

# Header suffixes for typed declaration properties; every other property is a string.
_DECLARATION_TYPES = {"id": ":ID(Declaration)", "date": ":date", "inspected": ":long", "violation": ":long"}
_DECLARATION_TYPES |= {name: ":double" for name in NUMERIC_FIELDS}

# The declaration's own relationships: type, start label, end label, key on the declaration row, role.
_PARTIES = (("importer_id", "consignee"), ("seller_id", "consignor"), ("declarant_id", "declarant"))
_PARTIES += (("carrier_id", "carrier"),)
_OWN = (
    ("CLASSIFIED_AS", "Commodity", "hs_code"),
    ("ORIGINATES_IN", "Country", "origin"),
    ("LODGED_AT", "CustomsOffice", "office"),
    ("COVERS", "Consignment", "consignment_id"),
)

_ONLY_REFERENCE = "MATCH (n) WHERE NOT n:CustomsOffice RETURN count(n) = 0 AS empty"


def only_reference_data(driver: neo4j.Driver, database: str) -> bool:
    """True when the graph holds nothing but the customs offices: nothing a bulk import could lose."""
    return driver.execute_query(_ONLY_REFERENCE, database_=database).records[0]["empty"]


def bulk_pending(cfg: Settings) -> bool:
    """True when a bulk import was interrupted after the store started being replaced."""
    return (cfg.home / "neo4j" / _PENDING).exists()


class _Csv:
    """One CSV file with its header; writes rows of plain values (None is an empty, i.e. absent, field).

    Notes whether a value holds a line break: only then must the importer parse fields across lines,
    which costs it much of its speed.
    """

    def __init__(self, path: Path, header: Iterable[str]):
        self.path = path
        self.multiline = False
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self.rows([header])

    def rows(self, rows: Iterable[Sequence]) -> None:
        rows = list(rows)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        text = buffer.getvalue()
        self.multiline |= text.count("\n") != len(rows) or "\r" in text
        self._file.write(text)

    def close(self) -> None:
        self._file.close()


class ImportFiles:
    """A :class:`~ingest.pipeline.BatchWriter` that writes the importer's CSV files instead of the graph.

    Declarations and their relationships stream to disk; entities, shared across batches, are
    gathered and written once by :meth:`finish`. Only for an empty graph: every declaration is new.
    """

    def __init__(self, folder: Path):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self._declarations: dict[tuple[str, ...], _Csv] = {}
        self._filed = _Csv(folder / "FILED.csv", [":START_ID(Enterprise)", ":END_ID(Declaration)", "role"])
        self._own = {
            rel: _Csv(folder / f"{rel}.csv", [":START_ID(Declaration)", f":END_ID({label})"]) for rel, label, _ in _OWN
        }
        self._enterprises: dict[str, dict] = {}
        self._based_in: set[tuple[str, str]] = set()
        self._addresses: dict[str, str | None] = {}
        self._has_address: set[tuple[str, str]] = set()
        self._phones: set[tuple[str, str]] = set()
        self._persons: dict[str, str | None] = {}
        self._has_legal_rep: set[tuple[str, str]] = set()
        self._countries: set[str] = set()
        self._ports: dict[str, str] = {}
        self._routes: dict[str, dict] = {}
        self._commodities: dict[str, tuple] = {}
        self._consignments: set[str] = set()
        self._follows: set[tuple[str, str]] = set()

    def write(self, batch: Batch) -> WriteResult:
        self._write_declarations(batch.declarations)
        self._gather(batch)
        return WriteResult(created=len(batch.declarations), updated=0)

    def _write_declarations(self, rows: list[dict]) -> None:
        if not rows:
            return
        keys = tuple(rows[0])
        out = self._declarations.get(keys)
        if out is None:
            header = [key + _DECLARATION_TYPES.get(key, "") for key in keys]
            out = self._declarations[keys] = _Csv(self.folder / f"Declaration-{len(self._declarations)}.csv", header)
        out.rows(map(itemgetter(*keys), rows))
        for key, role in _PARTIES:
            self._filed.rows((row[key], row["id"], role) for row in rows if row[key] is not None)
        for rel, _, key in _OWN:
            self._own[rel].rows((row["id"], row[key]) for row in rows if row[key] is not None)

    def _gather(self, batch: Batch) -> None:
        """The Cypher writer's MERGE and SET rules, applied to in-memory tables."""
        for row in batch.enterprises:
            known = self._enterprises.setdefault(row["id"], {})
            known.update((k, v) for k, v in row.items() if v is not None)  # SET e.x = coalesce(row.x, e.x)
            if row.get("country") is not None:
                self._countries.add(row["country"])
                self._based_in.add((row["id"], row["country"]))
        for row in batch.addresses:
            self._addresses.setdefault(row["key"], row["text"])  # ON CREATE SET
            self._has_address.add((row["enterprise"], row["key"]))
        self._phones.update((row["enterprise"], row["number"]) for row in batch.phones)
        for row in batch.legal_reps:
            self._persons.setdefault(row["id"], row["name"])
            self._has_legal_rep.add((row["enterprise"], row["id"]))
        self._countries.update(row["code"] for row in batch.countries)
        for row in batch.ports:
            self._ports[row["code"]] = row["country"]
            self._countries.add(row["country"])
        for row in batch.routes:
            self._routes.setdefault(row["id"], row)
        for row in batch.commodities:
            self._commodities[row["code"]] = (row["hs6"], row["chapter"])  # SET without coalesce
        for row in batch.consignments:
            self._consignments.add(row["id"])
            if row["route"] is not None:
                self._follows.add((row["id"], row["route"]))

    def finish(self) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]], bool]:
        """Write the entity files and close everything.

        Returns the importer's (label, file) and (type, file) pairs, and whether a value spans lines.
        """
        nodes = [("Declaration", out.path) for out in self._declarations.values()]
        relationships = [("FILED", self._filed.path)] + [(rel, out.path) for rel, out in self._own.items()]
        written = [*self._declarations.values(), self._filed, *self._own.values()]
        for out in written:
            out.close()

        def node(label: str, header: list[str], rows: Iterable[Sequence]) -> None:
            written.append(self._table(label, header, rows))
            nodes.append((label, written[-1].path))

        def rel(rel_type: str, start: str, end: str, rows: Iterable[Sequence], *props: str) -> None:
            written.append(self._table(rel_type, [f":START_ID({start})", f":END_ID({end})", *props], rows))
            relationships.append((rel_type, written[-1].path))

        columns = ("name", "name_norm", "category", "country", "registered")
        node(
            "Enterprise",
            ["id:ID(Enterprise)", "name", "name_norm", "category", "country", "registered:date"],
            ((id_, *(known.get(c) for c in columns)) for id_, known in self._enterprises.items()),
        )
        rel("BASED_IN", "Enterprise", "Country", self._based_in)
        node("Address", ["key:ID(Address)", "text"], self._addresses.items())
        rel("HAS_ADDRESS", "Enterprise", "Address", self._has_address)
        node("Phone", ["number:ID(Phone)"], ((number,) for number in {n for _, n in self._phones}))
        rel("HAS_PHONE", "Enterprise", "Phone", self._phones)
        node("Person", ["id:ID(Person)", "name"], self._persons.items())
        rel("HAS_LEGAL_REP", "Enterprise", "Person", self._has_legal_rep)
        node("Country", ["code:ID(Country)"], ((code,) for code in self._countries))
        node("Port", ["code:ID(Port)", "country"], self._ports.items())
        rel("LOCATED_IN", "Port", "Country", self._ports.items())
        routes = self._routes.values()
        node("Route", ["id:ID(Route)", "transit_count:long"], ((r["id"], len(r["via"])) for r in routes))
        rel("FROM", "Route", "Port", ((r["id"], r["from"]) for r in routes))
        rel("TO", "Route", "Port", ((r["id"], r["to"]) for r in routes))
        vias = {(r["id"], port, i) for r in routes for i, port in enumerate(r["via"], start=1)}
        rel("VIA", "Route", "Port", vias, "order:long")
        node("Commodity", ["code:ID(Commodity)", "hs6", "chapter"], ((c, *v) for c, v in self._commodities.items()))
        node("Consignment", ["id:ID(Consignment)"], ((c,) for c in self._consignments))
        rel("FOLLOWS", "Consignment", "Route", self._follows)
        node("CustomsOffice", ["code:ID(CustomsOffice)", "name", "level"], ((o.code, o.name, o.level) for o in OFFICES))
        parts = ((o.code, o.parent) for o in OFFICES if o.parent is not None)
        rel("PART_OF", "CustomsOffice", "CustomsOffice", parts)
        return nodes, relationships, any(out.multiline for out in written)

    def _table(self, name: str, header: list[str], rows: Iterable[Sequence]) -> _Csv:
        out = _Csv(self.folder / f"{name}.csv", header)
        out.rows(rows)
        out.close()
        return out


Stage = Callable[[str], None]


def bulk_ingest(
    paths: list[Path],
    cfg: Settings,
    mapping: Mapping | None = None,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> IngestReport:
    """Load files into the empty local database through the importer; the server runs again afterwards.

    The caller has checked that the graph holds only reference data (or that a previous bulk import
    was interrupted). Quarantine and counts are those of the Cypher path.
    """
    say = stage or (lambda _: None)
    folder = cfg.home / "import"
    files = ImportFiles(folder)
    # Neo4j sits idle until the files are written: validation may take every core.
    report = ingest_files(
        paths, files, cfg.home / "quarantine", mapping, cfg.batch_size, progress, workers=os.cpu_count() or 1
    )
    nodes, relationships, multiline = files.finish()
    pending = cfg.path("neo4j", _PENDING)
    say("stopping the local Neo4j for the bulk import")
    local_server.stop(cfg)
    pending.touch()
    say("neo4j-admin database import full")
    try:
        local_server.import_full(cfg, nodes, relationships, multiline)
    finally:
        # Failed or not, the server comes back; after a failure the marker stays and the next run imports again.
        say("starting the local Neo4j; constraints, indexes and reference data")
        local_server.start(cfg)
        driver = reconnect(cfg)
        ensure_schema(driver, cfg.neo4j_database)
        load_reference_data(driver, cfg.neo4j_database)
    pending.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    return report
