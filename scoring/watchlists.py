"""Watchlists: sanctions and denied-party lists, matched by name at lodging and against the graph.

A list is loaded from FollowTheMoney / OpenSanctions JSON lines (``{"id", "schema", "properties": {"name",
"alias", "country", ...}}``, persons and organisations) or from a CSV (``name``, optional ``id``, ``aliases``
``;``-separated, ``kind`` person or organisation, ``country``) and kept as reference data under
``$RISKGRAPH_HOME/watchlists/<list>.json`` (loading a list again replaces it), like the offices and rates.

Names are keyed by the entity-resolution normalisers (``ingest.normalize``: legal forms, case, script and
punctuation folded; a person's name tokens in any order; an organisation's connector words, which rigour
lists as stopwords, left out, so "Smith & Sons" and "Smith and Sons" key alike), and a party's name *scores*
against a listed name as the Levenshtein similarity of their sorted tokens (``rigour``): "SHANGHAI HUAXIN
TRADING CO LTD" scores 1.0 against "Shanghai Huaxin Trading Co., Ltd.", a one-letter slip about 0.95, while
"Shenzhen Huaxin Trading" scores 0.83 and "Shanghai Huaxin Logistics" 0. A match needs the list's threshold
(0.9 by default). Candidates share a name token with the party (blocking), so a look-up costs a few comparisons.

At lodging the importer's and seller's names and the legal representative's are screened; a match sends the
declaration to the list's channel (physical inspection by default) with a reason naming the list, the entry
and the score. Every scorer follows the folder within a second, as it follows the lookouts.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rigour.text import is_stopword
from rigour.text.distance import levenshtein_similarity

from graph.errors import RiskGraphError
from graph.home import WATCHLISTS
from ingest import normalize as nz
from scoring.lookouts import raise_channel

__all__ = [
    "WATCHLISTS",
    "DEFAULT_THRESHOLD",
    "WatchlistError",
    "WatchlistIndex",
    "read_watchlist_file",
    "save_watchlist",
    "read_watchlists",
    "watchlists_stamp",
    "name_score",
    "name_key",
    "party_hits",
    "apply_watchlist_hits",
    "PARTIES",
]

DEFAULT_THRESHOLD = 0.9
_CHANNEL = "physical inspection"
_LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PERSON_SCHEMATA = {"Person"}
_ORG_SCHEMATA = {"Company", "Organization", "LegalEntity", "PublicBody"}
#: party field -> the kind of name it holds
PARTIES = {"importer_name": "organisation", "seller_name": "organisation", "importer_legal_rep": "person"}


class WatchlistError(RiskGraphError, ValueError):
    """A list file or name that cannot be used, with the line and the reason."""

    status, code = 422, "invalid_watchlist"


#: the version of :func:`name_key`; a list saved with keys of another version is keyed again when read
KEYS_VERSION = 2


@lru_cache(maxsize=200_000)  # a clearance stream repeats the same parties
def name_key(name: str, kind: str) -> str | None:
    """A name's key: normalised as ingest keys it (a person's or an organisation's), tokens sorted; an
    organisation's stopwords ("and", "und", "et", "of", "the": rigour's list) out, unless nothing else is left
    ("&" is punctuation to the normaliser, so "and" has to go for the two to key alike)."""
    key = nz.normalize_person_name(name) if kind == "person" else nz.normalize_name(name)
    if not key:
        return None
    tokens = key.lower().split()
    if kind != "person":
        tokens = [t for t in tokens if not is_stopword(t)] or tokens
    return " ".join(sorted(tokens))


def _keyed(body: dict) -> dict:
    """A saved list with keys of this version (a list saved by an earlier one is keyed again from its names)."""
    if body.get("keys_version") == KEYS_VERSION:
        return body
    entries = [{**e, "keys": _keys(e.get("names", []), e["kind"]) or e["keys"]} for e in body["entries"]]
    return {**body, "entries": entries}


def _keys(names: list, kind: str) -> list[str]:
    return sorted({k for name in names if isinstance(name, str) and (k := name_key(name, kind))})


def name_score(a: str, b: str) -> float:
    """Similarity of two name keys (sorted tokens), 0..1."""
    return 1.0 if a == b else float(levenshtein_similarity(a, b))


def _ftm(line: dict) -> dict | None:
    schema = line.get("schema")
    kind = "person" if schema in _PERSON_SCHEMATA else "organisation" if schema in _ORG_SCHEMATA else None
    if kind is None:
        return None  # vessels, addresses, sanctions statements: not a party name
    props = line.get("properties") or {}
    names = [*props.get("name", []), *props.get("alias", []), *props.get("previousName", [])]
    return {"id": str(line.get("id") or ""), "kind": kind, "names": names, "countries": props.get("country", [])}


def _csv_row(row: dict) -> dict:
    kind = (row.get("kind") or "organisation").strip().lower()
    aliases = [a for a in (row.get("aliases") or "").split(";") if a.strip()]
    countries = [c.strip() for c in (row.get("country") or "").split(";") if c.strip()]
    return {
        "id": (row.get("id") or "").strip(),
        "kind": kind,
        "names": [row.get("name") or "", *aliases],
        "countries": countries,
    }


def read_watchlist_file(path: Path | str) -> list[dict]:
    """Entries ``{id, kind, names, keys, countries}`` of a FollowTheMoney JSON-lines file or a CSV (by suffix);
    :class:`WatchlistError` naming each bad line (the file is refused whole)."""
    path = Path(path)
    entries, faults = [], []
    try:
        if path.suffix.lower() in (".json", ".jsonl", ".ndjson", ".ftm"):
            for number, text in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
                if not text.strip():
                    continue
                try:
                    raw = _ftm(json.loads(text))
                except (ValueError, AttributeError, TypeError):
                    faults.append(f"line {number}: not a FollowTheMoney entity")
                    continue
                if raw is not None:
                    entries.append((number, raw))
        else:
            with path.open(newline="", encoding="utf-8-sig") as f:
                entries = [(number, _csv_row(row)) for number, row in enumerate(csv.DictReader(f), start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise WatchlistError(f"{path}: cannot be read ({exc})") from None
    out = []
    for number, raw in entries:
        if raw["kind"] not in ("person", "organisation"):
            faults.append(f"line {number}: kind {raw['kind'][:20]!r} is not person or organisation")
            continue
        keys = _keys(raw["names"], raw["kind"])
        if not keys:
            faults.append(f"line {number}: no name")
            continue
        out.append({**raw, "id": raw["id"] or f"{path.stem}-{number}", "keys": keys})
    if faults:
        raise WatchlistError(f"{path.name}: nothing loaded; " + "; ".join(faults[:20]))
    if not out:
        raise WatchlistError(f"{path.name}: no persons or organisations in it")
    return out


def _folder(home: Path) -> Path:
    return Path(home) / WATCHLISTS


def save_watchlist(
    home: Path,
    name: str,
    entries: list[dict],
    threshold: float = DEFAULT_THRESHOLD,
    channel: str = "physical inspection",
) -> Path:
    """Keep (or replace) list ``name``, written whole so a scorer never reads half of it."""
    if not _LIST_NAME.match(name):
        raise WatchlistError(f"list name {name!r}: lower-case letters, digits, - and _ (up to 64)")
    if not 0.5 <= threshold <= 1.0:
        raise WatchlistError(f"threshold {threshold}: between 0.5 and 1")
    if channel not in ("document check", "physical inspection"):
        raise WatchlistError(f"channel {channel!r}: document check or physical inspection")
    folder = _folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    path, staging = folder / f"{name}.json", folder / f".{name}.{os.getpid()}.tmp"
    staging.write_text(
        json.dumps(
            {"list": name, "threshold": threshold, "channel": channel, "keys_version": KEYS_VERSION, "entries": entries}
        )
    )
    os.replace(staging, path)
    return path


def watchlists_stamp(home: Path) -> tuple:
    """What changes when a list is loaded or removed: each list file's (name, inode, mtime)."""
    try:
        return tuple(sorted((p.name, p.stat().st_ino, p.stat().st_mtime_ns) for p in _folder(home).glob("*.json")))
    except FileNotFoundError:
        return ()


@dataclass(frozen=True)
class Listed:
    list: str
    id: str
    key: str
    kind: str
    threshold: float
    channel: str


class WatchlistIndex:
    """Listed name keys by token, for screening a name in a few comparisons."""

    def __init__(self, lists: list[dict] = ()) -> None:
        by_token: dict[tuple[str, str], list[Listed]] = defaultdict(list)
        self.lists = {}
        for body in lists:
            self.lists[body["list"]] = len(body["entries"])
            for entry in body["entries"]:
                for key in entry["keys"]:
                    listed = Listed(body["list"], entry["id"], key, entry["kind"], body["threshold"], body["channel"])
                    for token in set(key.split()):
                        by_token[(entry["kind"], token)].append(listed)
        self._by_token = dict(by_token)

    def __len__(self) -> int:
        return len(self._by_token)

    def screen(self, name: str, kind: str) -> list[tuple[Listed, float]]:
        """The listed entries ``name`` (a person's or an organisation's) matches, best first, one per entry."""
        key = name_key(name, kind) if self._by_token else None
        if not key:
            return []
        best: dict[tuple[str, str], tuple[Listed, float]] = {}
        for listed in {x for token in set(key.split()) for x in self._by_token.get((kind, token), ())}:
            score = name_score(key, listed.key)
            seen = best.get((listed.list, listed.id))
            if score >= listed.threshold and (seen is None or score > seen[1]):
                best[(listed.list, listed.id)] = (listed, round(score, 3))
        return sorted(best.values(), key=lambda x: (-x[1], x[0].list, x[0].id))


def party_hits(index: WatchlistIndex, raw: dict) -> list[tuple[str, Listed, float]]:
    """``(party field, entry, score)`` for each party name of a declaration (a dict) that a list matches."""
    out = []
    for field, kind in PARTIES.items():
        name = raw.get(field)
        if isinstance(name, str) and name.strip():
            out += [(field, listed, score) for listed, score in index.screen(name, kind)]
    return out


def apply_watchlist_hits(decision, hits: list[tuple[str, Listed, float]]) -> None:
    """Raise ``decision`` to the channel of the lists its parties match, each match a reason (after lookouts')."""
    if not hits:
        return
    for _, listed, _ in hits:
        raise_channel(decision, listed.channel)
    at = next(
        (i for i, r in enumerate(decision.reasons) if r["kind"] not in ("random", "intel")), len(decision.reasons)
    )
    decision.reasons[at:at] = [
        {
            "kind": "watchlist",
            "list": listed.list,
            "entry": listed.id,
            "party": field,
            "score": score,
            "channel": listed.channel,
            "detail": f"{field} matches {listed.list} entry {listed.id} (name score {score:.2f}): {listed.channel}",
        }
        for field, listed, score in hits
    ]


def read_watchlists(home: Path) -> WatchlistIndex:
    bodies = []
    for path in sorted(_folder(home).glob("*.json")) if _folder(home).exists() else ():
        try:
            bodies.append(_keyed(json.loads(path.read_text())))
        except (OSError, ValueError):
            continue  # a list being replaced is read at the next check
    return WatchlistIndex(bodies)
