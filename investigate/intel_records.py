"""An intelligence record checked whole before anything is written: kind, target, entities, dates and grading.

The same check serves ``POST /v1/intel`` and every row of ``riskgraph intel load FILE`` (CSV or JSON lines),
so both accept and refuse the same records with the same sentence. A file is checked to its last row
first and refused whole, with each bad row's number and reason, so nothing is half loaded.

Grading follows the two scales in use: the **Admiralty** code (source reliability A-F, information
credibility 1-6) and the UK **5x5x5** (source evaluation A-E, intelligence assessment 1-5, and a
handling code 1-5). A record's id is ``INT-`` and a hash of its content unless the file gives one (the
administration's own reference), so the same record loaded or posted twice is one record.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from graph.errors import RiskGraphError
from graph.reference import resolve_office
from graph.targets import targets_in_force
from ingest import normalize as nz
from ingest.entities import EntityError, entity_keys

__all__ = [
    "KINDS",
    "SCALES",
    "IntelError",
    "IntelRecord",
    "check_record",
    "read_intel_file",
    "MAX_ENTITIES",
]

KINDS = ("lookout", "seizure", "tip")
#: scale -> (source grades, information grades, handling codes or None)
SCALES = {"admiralty": ("ABCDEF", "123456", None), "5x5x5": ("ABCDE", "12345", "12345")}
MAX_ENTITIES = 50
MAX_SUMMARY = 2000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_FIELDS = (
    "id",
    "kind",
    "target",
    "summary",
    "entities",
    "valid_from",
    "valid_to",
    "scale",
    "source_grade",
    "info_grade",
    "handling",
    "jurisdiction",
)


class IntelError(RiskGraphError, ValueError):
    """A record (or a file of them) that cannot be recorded as given; the message says which field and why."""

    status, code = 422, "invalid_intel"


@dataclass(frozen=True)
class IntelRecord:
    """A checked record: entities carry their match keys (``ingest.entities``), dates are ISO text."""

    id: str
    kind: str
    target: str
    summary: str
    entities: tuple[dict, ...]
    valid_from: str | None
    valid_to: str | None
    scale: str
    source_grade: str
    info_grade: str
    handling: str | None = None
    jurisdiction: str | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["entities"] = list(self.entities)
        return out


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(raw: dict, name: str) -> str | None:
    text = _text(raw, name)
    if text is None:
        return None
    parsed = nz.parse_date(text)
    if parsed is None:
        raise IntelError(f"{name}: {text[:40]!r} is not a date (2026-05-30, 2026/05/30 or 20260530)")
    return parsed


def _entities(value) -> list[dict]:
    """``[{type, value}]`` as a list, JSON text, or ``type:value;type:value`` (a CSV cell)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise IntelError("entities: not a JSON list of {type, value}") from None
        else:
            value = [dict(zip(("type", "value"), part.split(":", 1), strict=False)) for part in text.split(";") if part]
    if not isinstance(value, list) or not value:
        raise IntelError("entities: name at least one entity ({type, value})")
    if len(value) > MAX_ENTITIES:
        raise IntelError(f"entities: at most {MAX_ENTITIES} in one record")
    out = []
    for at, item in enumerate(value, start=1):
        if not isinstance(item, dict) or "type" not in item or "value" not in item:
            raise IntelError(f"entities: entity {at} is not {{type, value}} (in a CSV cell: type:value;type:value)")
        kind = str(item["type"]).strip().lower()
        try:
            keys = entity_keys(kind, item["value"])
        except EntityError as exc:
            raise IntelError(f"entities: entity {at}: {exc}") from None
        out.append({"type": kind, "value": str(item["value"]).strip(), "keys": [list(k) for k in keys]})
    return out


def _grading(raw: dict) -> tuple[str, str, str, str | None]:
    scale = (_text(raw, "scale") or "admiralty").lower()
    if scale not in SCALES:
        raise IntelError(f"scale: {scale[:20]!r} is not one of {', '.join(SCALES)}")
    sources, infos, handlings = SCALES[scale]
    source = (_text(raw, "source_grade") or "").upper()
    info = _text(raw, "info_grade") or ""
    handling = _text(raw, "handling")
    if len(source) != 1 or source not in sources:
        raise IntelError(f"source_grade: {source[:20]!r} is not a {scale} source grade ({', '.join(sources)})")
    if len(info) != 1 or info not in infos:
        raise IntelError(f"info_grade: {info[:20]!r} is not a {scale} information grade ({', '.join(infos)})")
    if handlings is None and handling is not None:
        raise IntelError("handling: only the 5x5x5 scale has a handling code")
    if handlings is not None and (handling is None or len(handling) != 1 or handling not in handlings):
        raise IntelError(f"handling: the 5x5x5 scale needs a handling code ({', '.join(handlings)})")
    return scale, source, info, handling


def _office(name: str | None) -> str | None:
    if name is None:
        return None
    found = resolve_office(name)
    if found is None:
        raise IntelError(f"jurisdiction: {name[:60]!r} is not a customs office of the hierarchy in force")
    return found.code


def _content_id(record: dict) -> str:
    content = json.dumps(
        [record[k] for k in _FIELDS if k not in ("id", "entities")]
        + [sorted((e["type"], e["keys"][0][1]) for e in record["entities"])],
        default=str,
    )
    return "INT-" + hashlib.blake2b(content.encode(), digest_size=6).hexdigest()


def check_record(raw: dict, jurisdiction: str | None = None) -> IntelRecord:
    """A checked record from a mapping (an API body, a CSV row, a JSON line); raises :class:`IntelError`.

    ``jurisdiction`` (an office code) is what the record is restricted to when ``raw`` names none.
    """
    kind = (_text(raw, "kind") or "").lower()
    if kind not in KINDS:
        raise IntelError(f"kind: {kind[:20]!r} is not one of {', '.join(KINDS)}")
    target = (_text(raw, "target") or "").lower()
    if target not in targets_in_force():
        raise IntelError(f"target: {target[:40]!r} is not a risk target in force ({', '.join(targets_in_force())})")
    summary = _text(raw, "summary")
    if summary is None or len(summary) > MAX_SUMMARY:
        raise IntelError(f"summary: say what the record is about in 1 to {MAX_SUMMARY} characters")
    valid_from, valid_to = _date(raw, "valid_from"), _date(raw, "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise IntelError(f"valid_to: {valid_to} is before valid_from {valid_from}")
    scale, source, info, handling = _grading(raw)
    given_id = _text(raw, "id")
    if given_id is not None and not _ID.match(given_id):
        raise IntelError("id: 1 to 64 letters, digits and . _ : - (starting with a letter or digit)")
    record = {
        "id": given_id,
        "kind": kind,
        "target": target,
        "summary": summary,
        "entities": _entities(raw.get("entities")),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "scale": scale,
        "source_grade": source,
        "info_grade": info,
        "handling": handling,
        "jurisdiction": _office(_text(raw, "jurisdiction")) or jurisdiction,
    }
    record["id"] = given_id or _content_id(record)
    record["entities"] = tuple(record["entities"])
    return IntelRecord(**record)


def _rows(path: Path) -> list[tuple[int, dict]]:
    """(line or row number, raw mapping) of a CSV file or a JSON-lines file (by suffix: .jsonl, .json, .ndjson)."""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            rows.append((number, item if isinstance(item, dict) else {"__bad__": "not a JSON object"}))
        return rows
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [(number, row) for number, row in enumerate(csv.DictReader(f), start=2)]


def read_intel_file(path: Path | str, jurisdiction: str | None = None) -> list[IntelRecord]:
    """Every record of a CSV or JSON-lines file, checked; :class:`IntelError` naming each bad row (up to 20),
    and then nothing of the file is used."""
    path = Path(path)
    try:
        rows = _rows(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IntelError(f"{path}: cannot be read ({exc})") from None
    records, faults = [], []
    for number, raw in rows:
        if "__bad__" in raw:
            faults.append(f"line {number}: {raw['__bad__']}")
            continue
        try:
            records.append(check_record(raw, jurisdiction))
        except IntelError as exc:
            faults.append(f"{'row' if path.suffix.lower() == '.csv' else 'line'} {number}: {exc}")
    if faults:
        more = f" (and {len(faults) - 20} more)" if len(faults) > 20 else ""
        raise IntelError(f"{path.name}: nothing loaded; " + "; ".join(faults[:20]) + more)
    if not records:
        raise IntelError(f"{path.name}: no records (columns: {', '.join(_FIELDS)})")
    return records
