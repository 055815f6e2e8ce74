"""Links at lodging: who else uses the declaration's address, phone, representative, name, seller, broker, consignment.

A shell ring works through fresh companies: the firm lodging its first declaration has no history and
``riskgraph analyze`` never saw it, but it shares a phone, an address or a legal representative with
firms the graph already knows. The :class:`LinkIndex` (part of the scoring snapshot) answers, for any
normalised identifier, which known importers use it, with their analysed risk, network and known-violator
status, in a few microseconds and without the graph.

Layout, compact at millions of identifiers: every ``(kind, key)`` is a 64-bit hash in one sorted array
(``keys``); the importers using it are ``members[starts[i]:starts[i + 1]]`` (row numbers, CSR); per
importer row the arrays ``risk``, ``network``, ``violations``, ``last_violation`` and ``taint``. The key
text itself is not kept: the reason quotes the value the declaration sent.

How much a shared identifier weighs (:meth:`LinkIndex.evidence`):

* each member has a *taint*: ``max(analysed risk above the 90th percentile, rescaled to 0..1, 0.9 * 0.5 **
  (years since its last violation or confirmed case / 2))`` - a known violator counts most, fading with a
  two-year half-life, and a firm of a flagged network next; the ordinary risk most honest firms carry
  counts for nothing, or every popular seller would taint its clients;
* the group's taint is a noisy-OR of its three most tainted members (three violators behind one phone
  weigh more than one);
* specificity divides by ``log2(1 + n)`` for ``n`` firms using the identifier, like an inverse document
  frequency: a phone used by one firm keeps its full weight, a business-centre address used by 60 firms
  keeps 17 %, and a broker with 500 clients 11 %; the identifier's kind weighs too (:data:`KIND_WEIGHT`);
* identifiers combine as a noisy-OR into the declaration's *link risk* (a seller found by id and by name
  counts once).

An importer the analysis knew was already scored through its own identifiers (its analysed risk), so
for it an identifier it already uses counts only through members that became violators after the
snapshot (:meth:`LinkIndex.mark_violator`, fed by feedback and confirmed cases while the server runs).
The declaration's network risk is the larger of the importer's analysed risk and its link risk.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial

import numpy as np
import pandas as pd

from ingest import normalize as nz
from scoring.memo import BoundedMemo

__all__ = [
    "KINDS",
    "KIND_WEIGHT",
    "LinkIndex",
    "build_link_index",
    "declaration_identifiers",
    "identifier_columns",
    "party_links",
]

#: identifier kinds, with how strongly a shared one ties two firms (a name or phone is personal; a
#: broker or seller serves many honest clients too)
KIND_WEIGHT = {
    "phone": 1.0,
    "legal_rep": 1.0,
    "name": 1.0,
    "address": 0.9,
    "consignment": 0.8,
    "seller": 0.7,
    "seller_name": 0.7,
    "declarant": 0.5,
}
KINDS = tuple(KIND_WEIGHT)
#: kinds naming the same party: a declaration's seller found by id and by name is one link, not two
_FAMILY = {"seller_name": "seller"}
_LABEL = {
    "phone": "phone",
    "legal_rep": "legal representative",
    "name": "company name",
    "address": "address",
    "consignment": "consignment",
    "seller": "seller",
    "seller_name": "seller",
    "declarant": "declarant",
}
VIOLATOR_TAINT = 0.9
HALF_LIFE_DAYS = 730
#: analysed risk counts only above this quantile over the indexed importers (most honest firms have some)
RISK_FLOOR_QUANTILE = 0.9
#: a link weaker than this adds nothing and is not reported
MIN_STRENGTH = 0.02
_TOP = 3
_SMALL = 32
_SHOWN_FIRMS = 5
_MEMO_SIZE = 200_000
_UNSEEN = object()


def _hash(kind: str, key: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}\x1f{key}".encode(), digest_size=8).digest(), "little")


def _search_sorted(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``keys.searchsorted(values)``, the values searched in order: half the time on a large ``keys``, whose
    pages are then read in order rather than at random."""
    order = np.argsort(values, kind="stable")
    at = np.empty(len(values), dtype=np.intp)
    at[order] = keys.searchsorted(values[order])
    return at


#: a clearance stream repeats the same parties: their hashes are looked up, per kind, not recomputed (a dictionary
#: read costs a fifth of an ``lru_cache`` call)
_KIND_HASHES: dict[str, BoundedMemo] = {}


def _kind_hashes(kind: str) -> BoundedMemo:
    """:func:`_hash` of one kind's keys, kept in :data:`_KIND_HASHES`."""
    known = _KIND_HASHES.get(kind)
    if known is None:
        known = _KIND_HASHES[kind] = BoundedMemo(partial(_hash, kind), _MEMO_SIZE)
    return known


def _hashes(kind: str, keys: list[str]) -> np.ndarray:
    """:func:`_hash` of each of ``keys`` (one kind), as uint64."""
    known = _kind_hashes(kind)
    found = [known[k] for k in keys]
    return np.array(found, dtype=np.uint64).reshape(len(found))


# ---------------------------------------------------------------- a declaration's identifiers

# The ingest normalisers (one code path) behind a cache: a clearance stream repeats the same firms,
# and a normaliser call on one value costs far more than the look-up itself.
_address = lru_cache(maxsize=200_000)(nz.address_key)
_phone = lru_cache(maxsize=200_000)(nz.normalize_phone)
_person = lru_cache(maxsize=200_000)(nz.normalize_person_name)
_name = lru_cache(maxsize=200_000)(nz.normalize_name)


# (kind, already-normalised field as ingest's validation writes it, raw field, normaliser)
_FIELDS = (
    ("address", "importer_address_key", "importer_address", _address),
    ("phone", "importer_phone_norm", "importer_phone", _phone),
    ("legal_rep", "importer_legal_rep_norm", "importer_legal_rep", _person),
    ("name", "importer_name_norm", "importer_name", _name),
    ("seller_name", "seller_name_norm", "seller_name", _name),
)
_IDS = (("seller", "seller_id"), ("declarant", "declarant_id"), ("consignment", "consignment_id"))


def _given(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def declaration_identifiers(raw: dict) -> list[tuple[str, str]]:
    """``(kind, normalised key)`` of every party field the declaration carries (none: an empty list)."""
    out = []
    for kind, normalised, field_name, normalise in _FIELDS:
        key = _given(raw.get(normalised))
        if key is None:
            text = _given(raw.get(field_name))
            key = normalise(text) if text is not None else None
        if key is not None:
            out.append((kind, key))
    for kind, field_name in _IDS:
        key = _given(raw.get(field_name))
        if key is not None:
            out.append((kind, key))
    return out


def _given_column(values) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_given` over a column, by distinct value: (codes, -1 where nothing given; the values given)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    given = [_given(v) for v in uniques]
    keep = np.array([g is not None for g in given] + [False], dtype=bool)  # codes of -1 read the last slot
    codes = np.where(keep[codes], codes, -1)
    return codes, np.array([*given, None], dtype=object)


def identifier_columns(frame: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """:func:`declaration_identifiers` of every row of a frame, as ``(kind, key or None per row)`` columns in
    the same order; each distinct value is normalised once."""
    out = []
    absent = np.full(len(frame), None, dtype=object)
    for kind, normalised, field_name, normalise in _FIELDS:
        codes, keys = _given_column(frame.get(normalised, absent))
        column = keys[codes]
        if field_name in frame and (codes < 0).any():  # normalised here where the frame does not have it
            todo = np.flatnonzero(codes < 0)
            raw_codes, raw = _given_column(frame[field_name].to_numpy(dtype=object)[todo])
            made = np.array([None if v is None else normalise(v) for v in raw], dtype=object)
            column[todo] = made[raw_codes]
        out.append((kind, column))
    for kind, field_name in _IDS:
        codes, keys = _given_column(frame.get(field_name, absent))
        out.append((kind, keys[codes]))
    return out


# ---------------------------------------------------------------- the index


@dataclass
class LinkIndex:
    """Identifier -> importers using it, with what the graph knew about each (see the module docstring)."""

    keys: np.ndarray  # uint64, sorted
    starts: np.ndarray  # int64, len(keys) + 1
    members: np.ndarray  # int32 importer rows
    ids: list[str]
    risk: np.ndarray  # float32
    network: np.ndarray  # int32, -1 outside any network
    violations: np.ndarray  # int32: declarations with a violation found
    last_violation: np.ndarray  # int32 ordinal day of the latest violation or confirmed case, 0 if none
    taint: np.ndarray  # float32, see the module docstring
    key_taint: np.ndarray  # float32 per identifier: its most tainted user (lets a look-up skip clean groups)
    cases: dict[int, tuple[tuple[str, str], ...]]  # row -> ((case id, closed ISO date), ...)
    networks: dict[int, tuple[str, float]]  # network id -> (kind, score 0-100)
    as_of: int  # ordinal day the violator fading is counted from
    read_at: str  # ISO time the graph was read: later journal entries are applied on top
    row_of: dict[str, int] = field(default_factory=dict)
    fresh: set[int] = field(default_factory=set)  # rows that became violators after the snapshot
    #: (kind, key, importer row) -> what the identifier says (see :meth:`_look_up`); emptied by
    #: :meth:`mark_violator`, never pickled
    _memo: dict = field(default_factory=dict, repr=False)
    #: (generation, identifier position) -> what it says about an importer outside its group (the same for
    #: all of them, description included); emptied with :attr:`_memo`
    _shared: dict = field(default_factory=dict, repr=False)
    _pair_keys: np.ndarray | None = field(default=None, repr=False)  # see :meth:`_pairs`, never pickled
    _generation: int = 0

    def __post_init__(self) -> None:
        if not self.row_of:
            self.row_of = {eid: i for i, eid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.keys)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_memo", "_shared", "_pair_keys")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._memo, self._shared, self._generation = {}, {}, state.get("_generation", 0)
        self._pair_keys = None
        if "key_taint" not in state:  # pickled before identifiers kept their most tainted user
            self.key_taint = _key_taint(self.taint, self.members, self.starts)

    def nbytes(self) -> int:
        """Approximate memory held (arrays, ids, dicts), for the scoring benchmark."""
        arrays = (self.keys, self.starts, self.members, self.risk, self.network, self.violations)
        total = sum(a.nbytes for a in (*arrays, self.last_violation, self.taint, self.key_taint))
        total += sys.getsizeof(self.ids) + sum(sys.getsizeof(s) for s in self.ids)
        total += sys.getsizeof(self.row_of) + sys.getsizeof(self.cases) + sys.getsizeof(self.networks)
        return total

    # -------------------------------------------------------- live updates

    def refresh_analysis(self, enterprises: pd.DataFrame, networks: Iterable[tuple[int, str, float]]) -> None:
        """Take a newer analysis's ``risk`` and ``network_id`` (frame indexed by enterprise id) for the indexed
        importers it covers, and its networks; taints follow."""
        rows = pd.Series(self.row_of, dtype="int64")
        both = rows.index.intersection(enterprises.index)
        where = rows.loc[both].to_numpy()
        risk = pd.to_numeric(enterprises.loc[both, "risk"], errors="coerce").fillna(0.0)
        network = pd.to_numeric(enterprises.loc[both, "network_id"], errors="coerce").fillna(-1)
        self.risk[where] = risk.to_numpy(dtype=np.float32)
        self.network[where] = network.to_numpy(dtype=np.int32)
        self.networks = {int(i): (str(k), float(s)) for i, k, s in networks}
        self.taint = _taint(self.risk, self.last_violation, self.as_of)
        self.key_taint = _key_taint(self.taint, self.members, self.starts)

    def mark_violator(self, enterprise_id: str, day: date, case_id: str | None = None) -> bool:
        """Make an importer a known violator now (feedback or a confirmed case); False if it is not indexed."""
        row = self.row_of.get(enterprise_id)
        if row is None:
            return False
        ordinal = day.toordinal()
        if case_id is not None:
            known = self.cases.get(row, ())
            if case_id not in (c for c, _ in known):
                self.cases[row] = (*known, (case_id, day.isoformat()))
        else:
            self.violations[row] += 1
        self.last_violation[row] = max(int(self.last_violation[row]), ordinal)
        self.taint[row] = max(float(self.taint[row]), _violator_taint(self.as_of - int(self.last_violation[row])))
        keys = np.searchsorted(self.starts, np.flatnonzero(self.members == row), side="right") - 1
        self.key_taint[keys] = np.maximum(self.key_taint[keys], self.taint[row])
        self.fresh.add(row)
        self._generation += 1
        self._memo.clear()
        self._shared.clear()
        return True

    # -------------------------------------------------------- look-up

    def evidence(self, importer_id: str | None, identifiers: list[tuple[str, str]]) -> tuple[float, list[dict]]:
        """(link risk 0..1, the links that carry it, strongest first) for one declaration.

        Per-declaration cost matters (the clearance bar is 0.2 ms in all). A clearance stream repeats the
        same parties, so what one identifier means for one importer is kept (:attr:`_memo`, emptied when
        a violator is marked) and only identifiers not seen before are looked up in the arrays.
        """
        if not identifiers or not len(self.keys):
            return 0.0, []
        me = self.row_of.get(importer_id, -1) if importer_id else -1
        memo = self._memo
        hits = [memo.get((kind, key, me), _UNSEEN) for kind, key in identifiers]
        unseen = [x for x, hit in zip(identifiers, hits, strict=True) if hit is _UNSEEN]
        if unseen:
            looked_up = self._look_up(me, unseen)
            hits = [looked_up[x] if hit is _UNSEEN else hit for x, hit in zip(identifiers, hits, strict=True)]
        best: dict[str, list] = {}
        for hit in hits:
            if hit is not None and hit[0] > best.get(hit[1], (0.0,))[0]:
                best[hit[1]] = hit
        if not best:
            return 0.0, []
        chosen = sorted(best.values(), key=lambda x: -x[0])
        risk = 1.0 - math.prod(1.0 - x[0] for x in chosen)
        links = []
        for hit in chosen:
            if hit[3] is None:
                hit[3] = self._describe(*hit[2], hit[0])
            links.append({**hit[3], "weight": round(hit[0], 3)})
        return risk, links

    def evidence_many(
        self, importer_ids: list, identifiers: list[tuple[str, np.ndarray]]
    ) -> tuple[np.ndarray, list[list[dict]]]:
        """:meth:`evidence` of many declarations (``identifiers`` as :func:`identifier_columns` gives them).

        Most declarations share nothing tainted: each distinct identifier is first checked against the bound
        :meth:`_link` starts with, in arrays, and only declarations with an identifier past it are looked up
        one by one (:meth:`evidence`, so the answers are the single declaration's).
        """
        n = len(importer_ids)
        risk, found = np.zeros(n), [[] for _ in range(n)]
        if not len(self.keys) or not identifiers:
            return risk, found
        flags = []  # per identifier column: rows whose identifier may carry a link
        last = len(self.keys) - 1
        me = pd.Series(self.row_of, dtype="int64").reindex(pd.Index(importer_ids, dtype=object)).fillna(-1)
        me = me.to_numpy(dtype=np.int64)
        pairs, fresh = self._pairs(), self._fresh_keys()
        for kind, keys in identifiers:
            codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
            hashes = _hashes(kind, uniques.tolist())
            at = np.minimum(_search_sorted(self.keys, hashes), last)
            size = (self.starts[at + 1] - self.starts[at]).astype(np.float64)
            bound = 1.0 - (1.0 - self.key_taint[at].astype(np.float64)) ** np.minimum(size, _TOP)
            strength = KIND_WEIGHT[kind] * bound / np.log2(1 + np.maximum(size - 1, 1))
            # a hair below the bar: numpy's power and log may differ from math's in the last bit
            may = (self.keys[at] == hashes) & (strength >= MIN_STRENGTH * (1 - 1e-9))
            flag = np.append(may, False)[codes]
            # an importer's own identifier links only through firms that became violators since (fresh); asked
            # of the rows whose identifier may link only (a search of the pairs costs more than all the rest)
            maybe = np.flatnonzero(flag)
            row_at, mine = at[codes[maybe]], me[maybe]
            pair = row_at * len(self.ids) + mine
            member = (mine >= 0) & (pairs[np.minimum(_search_sorted(pairs, pair), len(pairs) - 1)] == pair)
            flag[maybe] = ~member | fresh[row_at]
            flags.append(flag)
        rows = np.flatnonzero(np.logical_or.reduce(flags))
        # the candidates' identifiers as plain lists: indexing numpy arrays row by row costs more than the look-up
        flagged = [
            (kind, keys[rows].tolist(), flag[rows].tolist())
            for (kind, keys), flag in zip(identifiers, flags, strict=True)
        ]
        for at, i in enumerate(rows.tolist()):  # an identifier not flagged carries no link: left out
            row = [(kind, keys[at]) for kind, keys, flag in flagged if flag[at]]
            risk[i], found[i] = self.evidence(importer_ids[i], row)
        return risk, found

    def _pairs(self) -> np.ndarray:
        """``position * importers + row`` of every (identifier, user) pair, sorted (rows are sorted within an
        identifier): who uses an identifier, for many at once. Kept, as the users never change."""
        if self._pair_keys is None:
            at = np.repeat(np.arange(len(self.keys), dtype=np.int64), np.diff(self.starts))
            self._pair_keys = at * len(self.ids) + self.members
        return self._pair_keys

    def _fresh_keys(self) -> np.ndarray:
        """Per identifier: whether a user of it became a violator after the snapshot (see :attr:`fresh`)."""
        if not self.fresh or not len(self.keys):
            return np.zeros(len(self.keys), dtype=bool)
        news = np.isin(self.members, np.fromiter(self.fresh, dtype=np.int32, count=len(self.fresh)))
        return np.logical_or.reduceat(news, self.starts[:-1])

    def _look_up(self, me: int, identifiers: list[tuple[str, str]]) -> dict[tuple[str, str], list | None]:
        """Per identifier, ``[strength, family, (kind, key, others, counted), description or None]`` for
        importer row ``me`` (-1: unknown), or None when it carries no link; kept in :attr:`_memo`."""
        generation = self._generation
        out: dict[tuple[str, str], list | None] = {}
        keys, last = self.keys, len(self.keys) - 1
        for kind, key in identifiers:  # one scalar search each: cheaper than numpy on a handful of keys
            h = np.uint64(_kind_hashes(kind)[key])
            i = min(int(keys.searchsorted(h)), last)
            out[(kind, key)] = self._link(me, kind, key, i) if keys[i] == h else None
        if generation == self._generation:  # no violator marked meanwhile: the answers still hold
            if len(self._memo) > _MEMO_SIZE:
                self._memo.clear()
            self._memo.update(((k, v, me), hit) for (k, v), hit in out.items())
        return out

    def _link(self, me: int, kind: str, key: str, i: int) -> list | None:
        """What identifier ``i`` (position in :attr:`keys`) says about importer row ``me``, or None."""
        lo, hi = int(self.starts[i]), int(self.starts[i + 1])
        size = hi - lo
        bound = 1.0 - (1.0 - float(self.key_taint[i])) ** min(size, _TOP)
        if KIND_WEIGHT[kind] * bound / math.log2(1 + max(size - 1, 1)) < MIN_STRENGTH:
            return None  # no user tainted enough for this identifier to reach MIN_STRENGTH
        members = self.members[lo:hi]
        if me < 0 or me not in members:  # an outsider: the same answer for every importer outside the group
            key_of = (self._generation, i)
            shared = self._shared.get(key_of, _UNSEEN)
            if shared is _UNSEEN:
                if len(self._shared) > _MEMO_SIZE:
                    self._shared.clear()
                shared = self._shared[key_of] = self._group_link(-1, kind, key, members)
            return shared
        return self._group_link(me, kind, key, members)

    def _group_link(self, me: int, kind: str, key: str, members: np.ndarray) -> list | None:
        """:meth:`_link` once the identifier's users ``members`` are known."""
        size = len(members)
        if size <= _SMALL:  # most identifiers: plain Python is several times cheaper here
            rows = members.tolist()
            others = [r for r in rows if r != me]
            counted = others if len(others) == len(rows) else [r for r in others if r in self.fresh]
            if not counted:  # nobody else, or only the importer's own known links and no news
                return None
            n = len(others)
            taints = sorted(self.taint[counted].tolist(), reverse=True)[:_TOP]
            group = 1.0 - math.prod(1.0 - t for t in taints)
        else:
            others = members[members != me]
            n = len(others)
            counted = others
            if n < len(members):  # the importer's own identifier: only news since the snapshot
                fresh = np.fromiter(self.fresh, dtype=np.int32, count=len(self.fresh))
                counted = others[np.isin(others, fresh)] if len(fresh) else others[:0]
            if not len(counted):
                return None
            top = np.sort(self.taint[counted])[-_TOP:].astype(np.float64)
            group = 1.0 - float(np.prod(1.0 - top))
        strength = KIND_WEIGHT[kind] * group / math.log2(1 + n)
        if strength < MIN_STRENGTH:
            return None
        return [strength, _FAMILY.get(kind, kind), (kind, key, others, counted), None]

    def _describe(self, kind: str, key: str, others, counted, strength: float) -> dict:
        """The link as a reason: what was shared, with how many firms, which network, which violators.

        ``others`` are every other firm using the identifier, ``counted`` those whose taint counted (row
        lists or arrays).
        """
        rows = np.asarray(others, dtype=np.int32)
        counted = np.asarray(counted, dtype=np.int32)
        days = self.last_violation[counted].tolist()
        violators = [r for r, last in zip(counted.tolist(), days, strict=True) if last > 0]
        cases = sorted({c for r in violators for c, _ in self.cases.get(r, ())})
        text = f"shares {_LABEL[kind]} {key} with {len(rows)} firm{'s' if len(rows) != 1 else ''}"
        network = None
        tally = Counter(n for n in self.network[rows].tolist() if n >= 0)
        if tally:
            net, count = min(tally.items(), key=lambda x: (-x[1], x[0]))  # the network most of them belong to
            net_kind, score = self.networks.get(net, ("", 0.0))
            network = {"id": net, "kind": net_kind, "score": score, "firms": count}
            if count == len(rows):
                text += f" of network {net} ({net_kind}, score {score:.0f})"
            else:
                text += f", {count} of network {net} ({net_kind}, score {score:.0f})"
        if violators:
            last = date.fromordinal(int(self.last_violation[violators].max())).isoformat()
            text += f"; {len(violators)} known violator{'s' if len(violators) != 1 else ''} (latest {last})"
            if cases:
                text += f", case{'s' if len(cases) != 1 else ''} {', '.join(cases[:3])}"
        top = rows[np.argsort(-self.taint[rows], kind="stable")[:_SHOWN_FIRMS]]
        return {
            "identifier": kind,
            "value": key,
            "firms": len(rows),
            "with": [self.ids[r] for r in top.tolist()],
            "violators": len(violators),
            "cases": cases,
            "network": network,
            "weight": strength,
            "detail": text,
        }


def _taint(risk: np.ndarray, last: np.ndarray, as_of: int) -> np.ndarray:
    """Each member's taint: analysed risk above the floor quantile, or a fading past violation."""
    age = as_of - last.astype(np.int64)
    violator = np.where(last > 0, VIOLATOR_TAINT * 0.5 ** (np.maximum(age, 0) / HALF_LIFE_DAYS), 0.0)
    floor = float(np.quantile(risk, RISK_FLOOR_QUANTILE)) if len(risk) else 0.0
    excess = np.clip((risk - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0)
    return np.maximum(excess, violator).astype(np.float32)


def _key_taint(taint: np.ndarray, members: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if len(starts) < 2:
        return np.zeros(0, dtype=np.float32)
    return np.maximum.reduceat(taint[members], starts[:-1]).astype(np.float32)


def _violator_taint(age_days: int) -> float:
    return VIOLATOR_TAINT * 0.5 ** (max(age_days, 0) / HALF_LIFE_DAYS)


def _ordinals(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").map(lambda t: 0 if pd.isna(t) else t.toordinal())


def party_links(identifiers: pd.DataFrame, declarations: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Every ``enterprise, kind, key`` an importer uses: its own ``identifiers`` (address, phone, legal
    representative), its name, and from its ``declarations`` the sellers (by id and by name), brokers and
    consignments. ``names``: normalised name by enterprise id (importers and sellers)."""
    importers = declarations["importer_id"].dropna().astype(str).unique()
    sellers = declarations[["importer_id", "seller_id"]].dropna().drop_duplicates()
    parts = [
        identifiers[["enterprise", "kind", "key"]],
        pd.DataFrame({"enterprise": importers, "kind": "name", "key": names.reindex(importers).to_numpy()}),
        pd.DataFrame(
            {"enterprise": sellers["importer_id"], "kind": "seller_name", "key": sellers["seller_id"].map(names)}
        ),
    ]
    for kind, column in (("seller", "seller_id"), ("declarant", "declarant_id"), ("consignment", "consignment_id")):
        pairs = declarations[["importer_id", column]].dropna().drop_duplicates()
        parts.append(pd.DataFrame({"enterprise": pairs["importer_id"], "kind": kind, "key": pairs[column]}))
    return pd.concat(parts, ignore_index=True)


def build_link_index(
    links: pd.DataFrame,
    enterprises: pd.DataFrame,
    violations: pd.DataFrame,
    cases: pd.DataFrame,
    networks: Iterable[tuple[int, str, float]],
    *,
    as_of: date,
    read_at: str,
) -> LinkIndex:
    """The index from plain frames (read from the graph by ``scoring.graph_read``).

    ``links``: ``enterprise, kind, key`` (normalised keys, kinds from :data:`KINDS`); ``enterprises``:
    ``id, risk, network_id``; ``violations``: ``importer_id, date`` per declaration with a violation found;
    ``cases``: ``enterprise, case_id, closed`` per confirmed case; ``networks``: ``(id, kind, score)``.
    """
    links = links.dropna().drop_duplicates()
    links = links[links["kind"].isin(KINDS) & (links["key"].astype(str).str.len() > 0)]
    ids = pd.Index(pd.unique(links["enterprise"].astype(str)))
    rows = ids.get_indexer(links["enterprise"].astype(str)).astype(np.int32)
    pairs = links["kind"].astype(str) + "\x1f" + links["key"].astype(str)
    codes, uniques = pd.factorize(pairs)
    unique_hashes = np.fromiter((_hash(*p.split("\x1f", 1)) for p in uniques), dtype=np.uint64, count=len(uniques))
    hashes = unique_hashes[codes]
    order = np.lexsort((rows, hashes))
    hashes, rows = hashes[order], rows[order]
    keys, first = np.unique(hashes, return_index=True)
    starts = np.append(first, len(hashes)).astype(np.int64)

    n = len(ids)
    info = enterprises.drop_duplicates("id").set_index("id").reindex(ids)
    risk = pd.to_numeric(info.get("risk"), errors="coerce").fillna(0.0).to_numpy(dtype=np.float32)
    network = pd.to_numeric(info.get("network_id"), errors="coerce").fillna(-1).to_numpy(dtype=np.int32)
    count = np.zeros(n, dtype=np.int32)
    last = np.zeros(n, dtype=np.int32)
    if len(violations):
        where = ids.get_indexer(violations["importer_id"].astype(str))
        days = _ordinals(violations["date"]).to_numpy(dtype=np.int64)
        ok = where >= 0
        np.add.at(count, where[ok], 1)
        np.maximum.at(last, where[ok], days[ok].astype(np.int32))
    case_map: dict[int, tuple[tuple[str, str], ...]] = {}
    if len(cases):
        where = ids.get_indexer(cases["enterprise"].astype(str))
        days = _ordinals(cases["closed"]).to_numpy(dtype=np.int64)
        for r, case_id, day in zip(where, cases["case_id"].astype(str), days, strict=True):
            if r < 0:
                continue
            day = int(day) or as_of.toordinal()
            case_map[int(r)] = (*case_map.get(int(r), ()), (case_id, date.fromordinal(day).isoformat()))
            last[r] = max(int(last[r]), day)
    taint = _taint(risk, last, as_of.toordinal())
    members = rows.astype(np.int32)
    return LinkIndex(
        keys=keys.astype(np.uint64),
        starts=starts,
        members=members,
        ids=[sys.intern(s) for s in ids],
        risk=risk,
        network=network,
        violations=count,
        last_violation=last,
        taint=taint,
        key_taint=_key_taint(taint, members, starts),
        cases=case_map,
        networks={int(i): (str(k), float(s)) for i, k, s in networks},
        as_of=as_of.toordinal(),
        read_at=read_at,
    )
