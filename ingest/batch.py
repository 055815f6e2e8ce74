"""Turning validated declaration rows into the parameter lists the graph writer sends.

Pure and vectorised where it counts: one clean DataFrame in, plain lists of dicts out,
entities de-duplicated so each batch merges an entity once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from columnar.store import declaration_table

__all__ = ["Batch", "BatchTables", "EntityTables", "batch_tables", "build_batch", "DECLARATION_PROPERTIES"]

#: Declaration properties copied from the clean row. Party ids, office and route are kept on the
#: declaration as well as on its relationships so whole-graph projections need no traversal.
DECLARATION_PROPERTIES = (
    "id",
    "direction",
    "trade_mode",
    "transport_mode",
    "hs_code",
    "hs6",
    "origin",
    "departure",
    "value",
    "currency",
    "quantity",
    "net_mass",
    "tax_rate",
    "licence_ids",
    "goods_description",
    "inspected",
    "violation",
    "violation_type",
    "revenue_recovered",
    "importer_id",
    "seller_id",
    "declarant_id",
    "carrier_id",
    "office",
    "route",
    "consignment_id",
    "source",
    "load",
)


@dataclass
class Batch:
    declarations: list[dict]
    enterprises: list[dict] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    phones: list[dict] = field(default_factory=list)
    legal_reps: list[dict] = field(default_factory=list)
    countries: list[dict] = field(default_factory=list)
    ports: list[dict] = field(default_factory=list)
    routes: list[dict] = field(default_factory=list)
    commodities: list[dict] = field(default_factory=list)
    consignments: list[dict] = field(default_factory=list)
    #: the declarations as the columnar copy keeps them (columnar.store)
    store_rows: pa.Table | None = None

    @property
    def ids(self) -> list[str]:
        return [d["id"] for d in self.declarations]


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with ``None`` for missing values (pandas NA and NaN are not Bolt values).

    A null in ``SET d = row`` leaves the property out (and in ``SET d += row`` removes a stale one),
    so no per-row filtering is needed; entity merges that must keep a known value use ``coalesce``.
    """
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]
    keys = [str(c) for c in frame.columns]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def _nonempty(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column].notna() & (frame[column] != "")]


def _route_ids(clean: pd.DataFrame) -> pd.Series:
    parts = [clean["loading_port"].fillna(""), clean["transit_ports"].fillna(""), clean["discharge_port"].fillna("")]
    route = parts[0] + ">" + parts[1].str.replace(";", ">", regex=False) + ">" + parts[2]
    route = route.str.replace(">>", ">", regex=False)
    has_ends = (parts[0] != "") & (parts[2] != "")
    return route.where(has_ends, None)


@dataclass
class EntityTables:
    """A batch's entities, de-duplicated within the batch: what both writers merge into the graph."""

    enterprises: pd.DataFrame
    addresses: pd.DataFrame
    phones: pd.DataFrame
    legal_reps: pd.DataFrame
    countries: list[str]
    ports: list[str]
    routes: list[dict]
    commodities: pd.DataFrame
    consignments: pd.DataFrame


@dataclass
class BatchTables:
    """A batch as DataFrames: what :class:`Batch` holds, before the rows become dicts.

    The bulk importer's files are written from these directly, column by column.
    """

    declarations: pd.DataFrame
    entities: EntityTables


def batch_tables(clean: pd.DataFrame) -> BatchTables:
    """One batch of validated rows (canonical, normalised columns), entities de-duplicated."""
    clean = clean.copy()
    clean["id"] = clean["declaration_id"]
    clean["origin"] = clean["origin_country"]
    clean["departure"] = clean["departure_country"]
    clean["route"] = _route_ids(clean)
    clean["source"] = clean["source"].map({path: Path(str(path)).name for path in clean["source"].unique()})
    features = [c for c in clean.columns if c.startswith("feature_")]
    props = [c for c in DECLARATION_PROPERTIES if c in clean.columns] + features

    importers = clean[
        ["importer_id", "importer_name", "importer_name_norm", "importer_category", "importer_registered"]
    ].drop_duplicates("importer_id", keep="last")
    importers.columns = ["id", "name", "name_norm", "category", "registered"]
    sellers = _nonempty(clean, "seller_id")[["seller_id", "seller_name", "seller_name_norm", "seller_country"]]
    sellers = sellers.drop_duplicates("seller_id", keep="last")
    sellers.columns = ["id", "name", "name_norm", "country"]
    others = pd.concat([_nonempty(clean, c)[[c]].set_axis(["id"], axis=1) for c in ("declarant_id", "carrier_id")])
    enterprises = pd.concat([importers, sellers, others.drop_duplicates()], ignore_index=True)
    enterprises = enterprises.drop_duplicates("id", keep="first")

    addresses = _nonempty(clean, "importer_address_key")[["importer_id", "importer_address_key", "importer_address"]]
    addresses = addresses.drop_duplicates(["importer_id", "importer_address_key"]).set_axis(
        ["enterprise", "key", "text"], axis=1
    )
    phones = _nonempty(clean, "importer_phone_norm")[["importer_id", "importer_phone_norm"]]
    phones = phones.drop_duplicates().set_axis(["enterprise", "number"], axis=1)
    reps = _nonempty(clean, "importer_legal_rep_norm")[["importer_id", "importer_legal_rep_norm", "importer_legal_rep"]]
    reps = reps.drop_duplicates(["importer_id", "importer_legal_rep_norm"]).set_axis(
        ["enterprise", "id", "name"], axis=1
    )

    countries = pd.concat([clean[c] for c in ("origin_country", "departure_country", "seller_country")])
    countries = sorted(set(countries.dropna().astype(str)) - {""})
    routed = _nonempty(clean, "route").drop_duplicates("route")
    vias = routed["transit_ports"].fillna("").astype(str).str.split(";")
    routes = [
        {"id": route, "from": start, "to": end, "via": [p for p in via if p]}
        for route, start, end, via in zip(
            routed["route"], routed["loading_port"], routed["discharge_port"], vias, strict=True
        )
    ]
    commodities = (
        clean[["hs_code", "hs6", "chapter"]].drop_duplicates("hs_code").set_axis(["code", "hs6", "chapter"], axis=1)
    )
    consignments = (
        _nonempty(clean, "consignment_id")[["consignment_id", "route"]]
        .drop_duplicates("consignment_id", keep="last")
        .set_axis(["id", "route"], axis=1)
    )
    entities = EntityTables(
        enterprises=enterprises,
        addresses=addresses,
        phones=phones,
        legal_reps=reps,
        countries=countries,
        ports=sorted({p for r in routes for p in (r["from"], r["to"], *r["via"])}),
        routes=routes,
        commodities=commodities,
        consignments=consignments,
    )
    return BatchTables(declarations=clean[props + ["date"]], entities=entities)


def build_batch(clean: pd.DataFrame) -> Batch:
    """Parameter lists for one batch of validated rows (canonical, normalised columns)."""
    tables = batch_tables(clean)
    entities = tables.entities
    # dates as dates: the writer sets a row's properties as they come (validation leaves ISO text)
    dated = tables.declarations.assign(date=pd.to_datetime(tables.declarations["date"], format="%Y-%m-%d").dt.date)
    return Batch(
        declarations=_records(dated),
        enterprises=_records(entities.enterprises),
        addresses=_records(entities.addresses),
        phones=_records(entities.phones),
        legal_reps=_records(entities.legal_reps),
        countries=[{"code": c} for c in entities.countries],
        ports=[{"code": p, "country": p[:2]} for p in entities.ports],
        routes=entities.routes,
        commodities=_records(entities.commodities),
        consignments=_records(entities.consignments),
        store_rows=declaration_table(tables.declarations),
    )
