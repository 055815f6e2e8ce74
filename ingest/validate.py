"""Validation: each row either comes out typed and normalised, or goes to quarantine with its reasons.

Nothing is dropped: ``len(clean) + len(quarantined) == len(input)`` for every chunk. A quarantined
row carries its source file, row number, the fields at fault, a sentence per fault, and the row as
the file wrote it (JSON), so it can be fixed and loaded again. All checks are column-wise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.reference import resolve_office
from ingest import normalize as nz
from ingest.contract import BAD_DATE, BAD_HS, DATE_FIELDS, MISSING, NEGATIVE, NOT_NUMBER
from ingest.fields import CANONICAL_FIELDS, NUMERIC_FIELDS, REQUIRED_FIELDS
from ingest.mapping import canonical_columns, raw_rows
from ingest.readers import IngestError

__all__ = ["validate", "drop_repeats", "new_offices", "QuarantineWriter", "QUARANTINE_COLUMNS", "UNKNOWN_OFFICES"]

#: what ingest does with a row whose office the hierarchy does not know
UNKNOWN_OFFICES = ("create", "quarantine")

QUARANTINE_COLUMNS = ("source", "row", "field", "reason", "original")


_FLAG_FIELDS = ("inspected", "violation")
_FLAGS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
_DIRECTIONS = {"IMPORT": "I", "EXPORT": "E", "IMP": "I", "EXP": "E"}
_ID_FIELDS = ("declaration_id", "importer_id", "seller_id", "declarant_id", "carrier_id", "consignment_id")


@dataclass
class _Fault:
    mask: np.ndarray  # rows at fault
    field: str
    reasons: pd.Series | list[str]  # one sentence per row at fault


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as stripped text, "" where empty or absent."""
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    col = frame[name]
    return col.astype("str").str.strip().fillna("")


def _none_if_empty(s: pd.Series) -> pd.Series:
    return s.where(s != "")


def _quoted(values: pd.Series) -> pd.Series:
    return "'" + values.str.slice(0, 80) + "'"


def _numbers(text: pd.Series) -> pd.Series:
    """Floats from text, thousands separators and spaces allowed ("1,250.50"); NaN where not a number.

    Arrow parses a chunk whose every value is a number (the usual file) in half the time ``pd.to_numeric`` takes;
    a chunk with one that is not is parsed by ``pd.to_numeric``, which makes it NaN and keeps the others."""
    cleaned = text.str.replace(r"[, \t]", "", regex=True)
    cleaned = cleaned.where(cleaned != "", None)
    try:
        parsed = pc.cast(pa.array(cleaned.array), pa.float64())
        values = pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index, name=text.name)
    except pa.ArrowInvalid:
        values = pd.to_numeric(cleaned, errors="coerce").astype(float)
    return values.where(np.isfinite(values))


def validate(
    frame: pd.DataFrame,
    source: object,
    row_numbers: np.ndarray | list[int] | None = None,
    unknown_offices: str = "create",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one chunk of canonical rows into (clean, quarantined).

    ``clean`` has every canonical column typed and normalised (dates as ISO text, numbers as float,
    HS code repaired with ``hs6`` and ``chapter``, office as its code, ``*_name_norm``,
    ``importer_address_key``, ``importer_phone_norm``, ``importer_legal_rep_norm``), the ``feature_*``
    columns, and ``source`` and ``row``; empty values are ``None``. ``quarantined`` has
    :data:`QUARANTINE_COLUMNS`, one row per bad input row with every fault found in it.

    An office the hierarchy does not know is kept as written (``unknown_offices="create"``: the
    caller registers it as an unassigned district, see :func:`new_offices`) or is a fault
    (``"quarantine"``). A ``violation`` given without ``inspected`` means the declaration was
    checked: ``inspected`` becomes 1.
    """
    raw = raw_rows(frame)
    frame = canonical_columns(frame).reset_index(drop=True)
    n = len(frame)
    rows = np.arange(1, n + 1) if row_numbers is None else np.asarray(row_numbers)
    if len(rows) != n:
        raise ValueError(f"{len(rows)} row numbers for {n} rows")
    absent = [f for f in REQUIRED_FIELDS if f not in frame.columns]
    if absent:
        raise IngestError(
            f"{source}: no column for required field(s) {', '.join(absent)}; name the columns as the canonical "
            "fields or give a mapping (--mapping)"
        )

    text = {name: _text(frame, name) for name in CANONICAL_FIELDS}
    faults: list[_Fault] = []

    def fault(mask: pd.Series | np.ndarray, field: str, sentence) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            faults.append(_Fault(mask, field, sentence(mask)))

    for name in REQUIRED_FIELDS:
        fault(text[name] == "", name, lambda m, f=name: [MISSING.format(field=f)] * int(m.sum()))

    dates = {name: nz.parse_dates(text[name]) for name in DATE_FIELDS}
    for name in DATE_FIELDS:
        fault(
            (text[name] != "") & dates[name].isna(),
            name,
            lambda m, f=name: _quoted(text[f][m]).map(lambda q, f=f: BAD_DATE.format(field=f, value=q)),
        )

    numbers = {name: _numbers(text[name]) for name in NUMERIC_FIELDS}
    for name in NUMERIC_FIELDS:
        given = text[name] != ""
        fault(
            given & numbers[name].isna(),
            name,
            lambda m, f=name: _quoted(text[f][m]).map(lambda q, f=f: NOT_NUMBER.format(field=f, value=q)),
        )
        fault(
            given & (numbers[name] < 0),
            name,
            lambda m, f=name: _quoted(text[f][m]).map(lambda q, f=f: NEGATIVE.format(field=f, value=q)),
        )

    hs = nz.repair_hs_codes(text["hs_code"])
    fault(
        (text["hs_code"] != "") & hs.isna(),
        "hs_code",
        lambda m: _quoted(text["hs_code"][m]).map(lambda q: BAD_HS.format(field="hs_code", value=q)),
    )

    office = _offices(text["office"])
    if unknown_offices == "create":
        office = office.where(office.notna() | (text["office"] == ""), text["office"])
    fault(
        (text["office"] != "") & office.isna(),
        "office",
        lambda m: "unknown office in 'office': " + _quoted(text["office"][m]) + " (not a customs office code or name)",
    )

    flags = {}
    for name in _FLAG_FIELDS:
        flags[name] = text[name].str.lower().map(_FLAGS)
        fault(
            (text[name] != "") & flags[name].isna(),
            name,
            lambda m, f=name: f"'{f}' must be 0 or 1, got " + _quoted(text[f][m]),
        )
    flags["inspected"] = flags["inspected"].where(flags["inspected"].notna() | flags["violation"].isna(), 1)

    bad = np.zeros(n, dtype=bool)
    for f in faults:
        bad |= f.mask
    # Duplicates are judged among otherwise good rows: a broken first copy does not cost the second.
    ids = text["declaration_id"].where(~bad & (text["declaration_id"] != ""))
    repeated = ids.notna() & ids.duplicated(keep="first")
    if repeated.any():
        first_row = pd.Series(rows, index=ids.index).groupby(ids).transform("first")
        fault(
            repeated,
            "declaration_id",
            lambda m: (
                "duplicate declaration_id "
                + _quoted(text["declaration_id"][m])
                + " in this chunk (first at row "
                + first_row[m].astype(int).astype(str)
                + ")"
            ),
        )
        bad |= repeated.to_numpy()

    quarantined = _quarantine(faults, bad, raw, source, rows)
    good = ~bad
    clean = _clean(frame, text, good, dates, numbers, hs, office, flags)
    clean["source"] = str(source)
    clean["row"] = rows[good]
    return clean.reset_index(drop=True), quarantined


def drop_repeats(
    clean: pd.DataFrame, frame: pd.DataFrame, source: object, rows: np.ndarray, seen: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quarantine clean rows whose declaration_id an earlier chunk of the same load already had.

    ``validate`` sees one chunk; ``seen`` (id → "file row N", updated here) carries the whole load, so
    a duplicate split across chunks or files is caught too. Loading a file again is not a repeat:
    ``seen`` starts empty on every run and an already stored declaration is updated, not doubled.
    """
    ids = clean["declaration_id"].astype(str)
    repeated = np.fromiter((i in seen for i in ids.tolist()), dtype=bool, count=len(ids))
    name = Path(str(source)).name
    if repeated.any():
        by_row = dict(zip(np.asarray(rows).tolist(), range(len(rows)), strict=True))
        positions = [by_row[r] for r in clean["row"][repeated].tolist()]
        raw = raw_rows(frame).iloc[positions].to_dict("records")
        quarantined = pd.DataFrame(
            {
                "source": str(source),
                "row": clean["row"][repeated].to_numpy(),
                "field": "declaration_id",
                "reason": [f"duplicate declaration_id '{i}' (first at {seen[i]})" for i in ids[repeated]],
                "original": [json.dumps(r, ensure_ascii=False, default=str) for r in raw],
            }
        )
        clean = clean[~repeated].reset_index(drop=True)
    else:
        quarantined = pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})
    where = [f"{name} row {r}" for r in clean["row"].tolist()]
    seen.update(zip(clean["declaration_id"].astype(str), where, strict=True))
    return clean, quarantined


def new_offices(clean: pd.DataFrame) -> set[str]:
    """Offices of clean rows that the hierarchy in force does not know (kept as written)."""
    if "office" not in clean or not len(clean):
        return set()
    return {o for o in clean["office"].dropna().unique().tolist() if resolve_office(o) is None}


def _offices(text: pd.Series) -> pd.Series:
    codes = {}
    for value in text.unique():
        if value:
            office = resolve_office(value)
            codes[value] = office.code if office else None
    return text.map(codes).astype(object).where(lambda s: s.notna(), None)


def _quarantine(faults: list[_Fault], bad: np.ndarray, raw: pd.DataFrame, source: object, rows: np.ndarray):
    positions = np.flatnonzero(bad)
    if not len(positions):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})
    fields = {p: [] for p in positions}
    reasons = {p: [] for p in positions}
    for f in faults:
        for p, reason in zip(np.flatnonzero(f.mask), f.reasons, strict=True):
            if f.field not in fields[p]:
                fields[p].append(f.field)
            reasons[p].append(reason)
    records = raw.iloc[positions].to_dict("records")
    return pd.DataFrame(
        {
            "source": str(source),
            "row": rows[positions],
            "field": [";".join(fields[p]) for p in positions],
            "reason": ["; ".join(reasons[p]) for p in positions],
            "original": [json.dumps(r, ensure_ascii=False, default=str) for r in records],
        }
    )


def _tidy(s: pd.Series) -> pd.Series:
    return s.str.replace(r"[ \t\r\n]+", " ", regex=True)


def _licences(s: pd.Series) -> pd.Series:
    parts = s.str.split(r"[;,]", regex=True)
    return parts.map(lambda p: ";".join(x.strip() for x in p if x.strip()))


def _clean(frame, text, good, dates, numbers, hs, office, flags) -> pd.DataFrame:
    """Typed, normalised columns for the good rows; text columns keep pandas' text dtype (missing = NA)."""
    out: dict[str, pd.Series] = {name: _none_if_empty(text[name]) for name in CANONICAL_FIELDS}
    out |= dates | numbers
    for name in _FLAG_FIELDS:
        values = flags[name].to_numpy(dtype=float)
        out[name] = pd.Series(
            np.where(np.isnan(values), None, np.nan_to_num(values).astype(int)), index=frame.index, dtype=object
        )
    direction = text["direction"].str.upper()
    out["direction"] = _none_if_empty(direction.map(_DIRECTIONS).fillna(direction).astype("str"))
    out["office"] = office
    out["hs_code"], out["hs6"], out["chapter"] = hs, nz.hs6(hs), nz.hs_chapter(hs)
    for party in ("importer", "seller"):
        name = text[f"{party}_name"]
        out[f"{party}_name"] = _none_if_empty(nz._by_unique(name, _tidy, across_calls=False))
        out[f"{party}_name_norm"] = nz.normalize_names(name)
    out["importer_address"] = nz.address_texts(text["importer_address"])
    out["importer_address_key"] = nz.address_keys(text["importer_address"])
    out["importer_phone_norm"] = nz.normalize_phones(text["importer_phone"])
    rep = text["importer_legal_rep"]
    out["importer_legal_rep"] = _none_if_empty(nz._by_unique(rep, _tidy, across_calls=False))
    out["importer_legal_rep_norm"] = nz.normalize_person_names(rep)
    out["importer_category"] = _none_if_empty(text["importer_category"].str.upper())
    for name in ("seller_country", "origin_country", "departure_country"):
        out[name] = nz.normalize_countries(text[name])
    for name in ("loading_port", "discharge_port"):
        out[name] = nz.normalize_ports(text[name])
    out["transit_ports"] = nz.normalize_port_lists(text["transit_ports"])
    out["currency"] = _none_if_empty(text["currency"].str.upper())
    out["licence_ids"] = _none_if_empty(nz._by_unique(text["licence_ids"], _licences))
    for name in frame.columns:
        if str(name).startswith("feature_"):
            out[str(name)] = _none_if_empty(_text(frame, name))
    return pd.DataFrame(out)[good]


class QuarantineWriter:
    """Appends quarantined rows to one CSV per run, ``<folder>/<timestamp>-<name>.csv``, header first.

    The file is created on the first write only, so a clean run leaves no empty file behind.
    """

    def __init__(self, folder: Path | str, name: str) -> None:
        self.folder = Path(folder)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "ingest"
        self._stem = f"{datetime.now():%Y%m%dT%H%M%S}-{safe}"
        self.path = self.folder / f"{self._stem}.csv"
        self.count = 0
        self._started = False

    def _create(self) -> None:
        """Exclusive create: two runs started in the same second never share a file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            path = self.folder / (f"{self._stem}.csv" if attempt == 1 else f"{self._stem}-{attempt}.csv")
            try:
                with path.open("x", encoding="utf-8", newline="") as f:
                    pd.DataFrame(columns=list(QUARANTINE_COLUMNS)).to_csv(f, index=False)
            except FileExistsError:
                continue
            self.path = path
            self._started = True
            return
        raise IngestError(f"{self.folder}: cannot create a quarantine file")

    def write(self, quarantined: pd.DataFrame) -> None:
        if not len(quarantined):
            return
        if not self._started:
            self._create()
        with self.path.open("a", encoding="utf-8", newline="") as f:
            quarantined[list(QUARANTINE_COLUMNS)].to_csv(f, index=False, header=False)
        self.count += len(quarantined)
