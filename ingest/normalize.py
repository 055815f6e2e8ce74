"""Normalisers for entity resolution: one enterprise, address or phone written many ways becomes one key.

Each normaliser has a Series form for ingest and a scalar form for single values (API look-ups,
tests). The Series forms run their string work once per *distinct* value (declarations repeat the
same firms, addresses and codes), so a 1M-row chunk costs about as much as its distinct values.
Every normaliser returns a missing value (``None`` from the scalar forms, NA in the text-dtype Series
forms) for a value it cannot make sense of, and never raises.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import phonenumbers
from cleanco.clean import NON_NFKD_MAP, prepare_default_terms, strip_punct, strip_tail
from rigour.addresses import address_fingerprint
from rigour.names import replace_org_types_compare
from rigour.territories import lookup_by_identifier
from rigour.text.normalize import Normalize, normalize
from rigour.text.translit import ascii_text

from graph.config import settings

__all__ = [
    "normalize_names",
    "normalize_name",
    "normalize_person_names",
    "normalize_person_name",
    "address_keys",
    "address_key",
    "building_key",
    "address_texts",
    "address_text",
    "normalize_phones",
    "normalize_phone",
    "parse_dates",
    "parse_date",
    "repair_hs_codes",
    "repair_hs_code",
    "hs6",
    "hs_chapter",
    "normalize_countries",
    "normalize_country",
    "normalize_ports",
    "normalize_port",
    "normalize_port_lists",
    "normalize_port_list",
    "warm_up",
    "warming_up",
]


#: Results kept across chunks, per transform: the same firms and addresses come back chunk after chunk.
_CACHES: dict[Callable, dict[str, object]] = {}
_CACHE_LIMIT = 500_000
_MISSING = object()


def _by_unique(values: pd.Series, fn: Callable[[pd.Series], pd.Series], across_calls: bool = True) -> pd.Series:
    """Apply a Series transform to the distinct values only, then spread the result back (text dtype).

    Distinct values already seen in an earlier call are not transformed again, unless ``across_calls`` is
    false: a transform done in Arrow (no Python per value) costs less than looking each value up in Python.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not across_calls:
        done = fn(pd.Series(uniques, dtype="str")).to_numpy(dtype=object)
        return pd.Series(pd.array(done, dtype="str").take(codes, allow_fill=True), index=values.index)
    cache = _CACHES.setdefault(fn, {})
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    keys = pd.Series(uniques, dtype="str").to_numpy(dtype=object)
    done = np.array([cache.get(k, _MISSING) for k in keys], dtype=object)
    todo = np.flatnonzero(np.array([v is _MISSING for v in done], dtype=bool))
    if len(todo):
        fresh = fn(pd.Series(keys[todo], dtype="str")).to_numpy(dtype=object)
        fresh = np.array([None if pd.isna(v) else v for v in fresh], dtype=object)
        done[todo] = fresh
        cache.update(zip(keys[todo], fresh, strict=True))
    return pd.Series(pd.array(done, dtype="str").take(codes, allow_fill=True), index=values.index)


def _scalar(fn: Callable[[pd.Series], pd.Series], value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    out = fn(pd.Series([str(value)], dtype="str")).iloc[0]
    return None if pd.isna(out) else out


def _one(key: Callable[[str], str | None], value: object) -> str | None:
    """``key`` of one value, as the Series transform built on it gives it, without a Series: at
    clearance one declaration's fields are normalised at a time, and a one-row Series costs far more
    than the key itself."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return key(str(value))


def _blank_to_none(s: pd.Series) -> pd.Series:
    return s.where(s.str.len() > 0, None)


def _home(region: str | None) -> str:
    """The administration's country (ISO alpha-2), lower case as rigour writes territory codes."""
    return (region or settings().home_country).strip().lower()


def _clean_text(s: pd.Series) -> pd.Series:
    """Full-width forms to ASCII (common in Chinese files), upper case, runs of whitespace to one space."""
    return s.str.normalize("NFKC").str.upper().str.replace(r"\s+", " ", regex=True).str.strip()


# --- enterprise and person names -------------------------------------------------------------

# rigour's own input convention: its legal-form tables are built with these flags, so names are
# normalised with the same flags before they are looked up.
_NAME_FLAGS = Normalize.CASEFOLD | Normalize.NAME


def _accents_out(text: str) -> str:
    """cleanco's ``remove_accents``; ASCII text (most names) only needs case folding."""
    if text.isascii():
        return text.casefold()
    nfkd = unicodedata.normalize("NFKD", text.casefold())
    return "".join(NON_NFKD_MAP.get(c, c) for c in nfkd if unicodedata.category(c) != "Mn")


#: cleanco's legal-form terms in its matching order, and where each (as token tuple) stands in it
_TERMS = prepare_default_terms()
_TERM_AT: dict[tuple[str, ...], list[int]] = {}
for _at, (_, _parts) in enumerate(_TERMS):
    _TERM_AT.setdefault(tuple(_parts), []).append(_at)
_LONGEST_TERM = max(size for size, _ in _TERMS)


def _basename(name: str) -> str:
    """cleanco's ``basename`` (trailing legal forms out) with the same result, found by look-up.

    cleanco compares the name's tail with each of its 321 terms in turn, deleting a match and going
    on with the next term; here the next term that matches the current tail is looked up by its
    tokens, which visits the same terms in the same order at a fraction of the cost.
    """
    name = strip_tail(name)
    parts = name.split()
    folded = [strip_punct(p) for p in _accents_out(name).split()]
    at = 0
    while folded:
        found = [
            i
            for size in range(1, min(_LONGEST_TERM, len(folded)) + 1)
            for i in _TERM_AT.get(tuple(folded[-size:]), ())
            if i >= at
        ]
        if not found:
            break
        at = min(found)
        size = _TERMS[at][0]
        del folded[-size:], parts[-size:]
        at += 1
    return strip_tail(" ".join(parts))


def _strip_legal_forms(name: str) -> str:
    """Legal forms out of a normalised name: rigour folds them across jurisdictions onto a generic form
    (GmbH, Ltd, Co., Ltd. -> llc; AG, Plc -> jsc), cleanco strips the trailing ones it knows (llc, Inc,
    Corp, Company), repeated because "Company Limited" ends in two."""
    name = replace_org_types_compare(name, normalize_flags=_NAME_FLAGS, generic=True)
    while True:
        stripped = normalize(_basename(name), _NAME_FLAGS) or name
        if stripped == name:
            return name
        name = stripped


def _ascii(text: str) -> str:
    """rigour's romanisation, which leaves ASCII text as it is (and costs a call across to Rust)."""
    return text if text.isascii() else ascii_text(text)


def _name_key(value: str) -> str | None:
    name = normalize(value, _NAME_FLAGS | Normalize.NFKC)
    if not name:
        return None
    return " ".join(_ascii(_strip_legal_forms(name)).split()) or None


def _names(s: pd.Series) -> pd.Series:
    return s.map(_name_key)


def normalize_names(s: pd.Series) -> pd.Series:
    """Enterprise names to ``name_norm``: case, punctuation and script folded, legal forms out.

    "Shanghai Huaxin Trading Co., Ltd.", "SHANGHAI HUAXIN TRADING CO LTD" and "Shanghai Huaxin
    Trading Company Limited" all give "shanghai huaxin trading"; "Siemens AG" and "Siemens
    Aktiengesellschaft" give "siemens jsc". The legal-form tables are rigour's (OpenSanctions).
    """
    return _by_unique(s, _names)


def normalize_name(value: object) -> str | None:
    return _one(_name_key, value)


def _person_key(value: str) -> str | None:
    name = normalize(value, _NAME_FLAGS | Normalize.NFKC)
    if not name:
        return None
    return " ".join(_ascii(name).split()).upper() or None


def _persons(s: pd.Series) -> pd.Series:
    return s.map(_person_key)


def normalize_person_names(s: pd.Series) -> pd.Series:
    """Person names (legal representatives): upper case, punctuation out, romanised, order kept.

    Token order is kept on purpose: "LI WEI" and "WEI LI" can be two different people.
    """
    return _by_unique(s, _persons)


def normalize_person_name(value: object) -> str | None:
    return _one(_person_key, value)


# --- addresses -------------------------------------------------------------------------------

#: rigour's canonical forms of the parts inside a building (room, floor, suite, block, ...): a number
#: right after one is that part's number, not the street number
_UNIT_KEYWORDS = frozenset({"rm", "fl", "ste", "apt", "blk", "bldg", "twr", "unt", "sec"})
#: rigour's canonical forms of words writers add or leave out: district/area/quarter (kv) and the
#: number marker (No., Nr., №: no), which rigour keeps before some numbers and not others
_OPTIONAL_KEYWORDS = frozenset({"kv", "no"})


def _is_home(token: str, home: str) -> bool:
    """The fingerprint already writes a country's names as its code ("China", "PRC", "Zhongguo" -> cn), so a
    code lookup is enough; rigour's name lookup would index every territory's names first (2.7 s a process,
    on every daily load), and on the generator's 168,579 addresses gives the same keys."""
    if token == home:
        return True
    territory = lookup_by_identifier(token) if len(token) > 1 else None
    return territory is not None and territory.code == home


@functools.lru_cache(maxsize=1 << 16)
def _segment_tokens(segment: str, home: str) -> tuple[str, ...]:
    """One comma-separated part's tokens; cached, since parts ("Baoshan District", "Room 1904") repeat."""
    fingerprint = address_fingerprint(segment)
    tokens = [t for t in (fingerprint or "").split() if t not in _OPTIONAL_KEYWORDS and not _is_home(t, home)]
    # A unit keyword ("rm", "fl") takes the number after it, else the number before it ("12 Room"),
    # so sorting the tokens cannot swap a room number with a street number.
    for i, token in enumerate(tokens):
        if token not in _UNIT_KEYWORDS:
            continue
        for j in (i + 1, i - 1):
            if 0 <= j < len(tokens) and tokens[j].isdigit():
                tokens[i], tokens[j] = token + tokens[j], ""
                break
    return tuple(t for t in tokens if t)


def _address_key(value: str, home: str) -> str | None:
    # Segments are fingerprinted one by one: a comma is where "12 Room, 8 Huaihai Rd" separates its numbers.
    tokens = {t for segment in re.split(r"[,;\n]", value) for t in _segment_tokens(segment, home)}
    return " ".join(sorted(tokens)) or None


@cache
def _address_transform(home: str) -> Callable[[pd.Series], pd.Series]:
    """One transform per home country, so the distinct-value cache never mixes two countries' keys."""
    return lambda s: s.map(lambda v: _address_key(v, home))


def address_keys(s: pd.Series, home: str | None = None) -> pd.Series:
    """Order-independent address keys from rigour's address fingerprint.

    Each comma-separated part is fingerprinted (keywords folded: Road/Rd. -> rd, Straße/Str -> st,
    Room -> rm; "No. 8" -> 8; territory names to codes: "China", "PRC" -> cn, "Shanghai" -> cn-sh),
    then the home country (``home``, ISO alpha-2, default the ``RISKGRAPH_HOME_COUNTRY`` setting) and
    district/area words are dropped, since writers add or omit them, a room or floor number is tied to
    its keyword, and the tokens are sorted. "Room 12, No. 8 Huaihai Rd, Shanghai" and "RM 12 NO 8
    HUAIHAI ROAD SHANGHAI CHINA" share a key for a Chinese administration; room 13, No. 18 or the two
    numbers swapped give other keys.
    """
    return _by_unique(s, _address_transform(_home(home)))


def address_key(value: object, home: str | None = None) -> str | None:
    home = _home(home)
    return _one(lambda v: _address_key(v, home), value)


_UNIT_TOKEN = re.compile(rf"^(?:{'|'.join(sorted(_UNIT_KEYWORDS))})\d+$")


def building_key(key: object) -> str | None:
    """An address key without its room, floor or suite: the building, shared by every firm inside it.

    >>> building_key("8 cn-sh huaihai rd rm12")
    '8 cn-sh huaihai rd'
    """
    if not isinstance(key, str):
        return None
    return " ".join(t for t in key.split() if not _UNIT_TOKEN.match(t)) or None


def _address_texts(s: pd.Series) -> pd.Series:
    s = s.str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip(" ,;")
    return _blank_to_none(s)


def address_texts(s: pd.Series) -> pd.Series:
    """Addresses for display: as written, whitespace tidied."""
    return _by_unique(s, _address_texts, across_calls=False)


def address_text(value: object) -> str | None:
    return _scalar(_address_texts, value)


# --- phones ----------------------------------------------------------------------------------


def _parsed(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _phone_key(value: str, region: str) -> str | None:
    text = value.strip()
    number = _parsed(text, region)
    # "00" is the international prefix most files write, whatever the home region dials. Tested first:
    # the validity check costs a fifth of the key, and only a "00" number needs it.
    if text.startswith("00") and (number is None or not phonenumbers.is_valid_number(number)):
        number = _parsed("+" + text[2:], region) or number
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@cache
def _phone_transform(region: str) -> Callable[[pd.Series], pd.Series]:
    """One transform per home region, so the distinct-value cache never mixes two regions' keys."""
    return lambda s: s.str.normalize("NFKC").map(lambda v: _phone_key(v, region))


def normalize_phones(s: pd.Series, region: str | None = None) -> pd.Series:
    """Phone numbers as E.164 keys (libphonenumber), local forms read against the home region.

    ``region`` (ISO alpha-2) defaults to the ``RISKGRAPH_HOME_COUNTRY`` setting. For a Korean
    administration "02-1234-5678", "(02) 1234-5678" and "+82 2 1234 5678" all give "+82212345678";
    a number written with "+" or "00" keeps its own country. A value that cannot be a phone
    number anywhere is ``None``.
    """
    return _by_unique(s, _phone_transform(_home(region).upper()))


def normalize_phone(value: object, region: str | None = None) -> str | None:
    region = _home(region).upper()
    return _one(lambda v: _phone_key(unicodedata.normalize("NFKC", v), region), value)


# --- dates -----------------------------------------------------------------------------------

# Year-first forms only. Day-first and month-first forms ("30/05/2026", "05/30/2026") are refused:
# "05/06/2026" means different days in different countries, and accepting only the rows where the
# day happens to exceed 12 would load part of a file and quarantine the rest.
# ASCII digits only (after NFKC): other scripts' digits are not dates in a declaration, and both paths
# must refuse them alike (int() would read "౨000" as 2000 where pandas does not)
_DATE_SEPARATED = re.compile(
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$", re.ASCII
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_YEARS = (1800, 2200)  # a date outside is a typing slip (0000, 9999), not a lodging or registration


def _dates(s: pd.Series) -> pd.Series:
    s = s.str.normalize("NFKC").str.strip()
    sep = s.str.extract(_DATE_SEPARATED)
    compact = s.str.extract(_DATE_COMPACT)
    parts = pd.DataFrame(
        {
            "year": sep[0].fillna(compact[0]),
            "month": sep[2].fillna(compact[1]),
            "day": sep[3].fillna(compact[2]),
        }
    )
    ok = parts.notna().all(axis=1) & pd.to_numeric(parts["year"], errors="coerce").between(*_YEARS)
    result = pd.Series(None, index=s.index, dtype=object)
    if ok.any():
        numbers = parts[ok].astype(int)
        when = pd.to_datetime(numbers, errors="coerce")  # refuses 2026-02-30
        result[ok] = when.dt.strftime("%Y-%m-%d").where(when.notna(), None)
    return result


def parse_dates(s: pd.Series) -> pd.Series:
    """Dates to ISO strings ("2026-05-30"); ``None`` where the value is not a valid date.

    Accepted: ``2026-05-30``, ``2026/05/30``, ``2026.05.30`` (one- or two-digit month and day, an
    optional time part is ignored) and ``20260530``. Day-first and month-first forms are refused as
    ambiguous.
    """
    return _by_unique(s, _dates)


@functools.lru_cache(maxsize=4096)
def _date_text(text: str) -> str | None:
    text = unicodedata.normalize("NFKC", text).strip()
    found = _DATE_SEPARATED.match(text)
    parts = (found[1], found[3], found[4]) if found else None
    if parts is None and (found := _DATE_COMPACT.match(text)):
        parts = (found[1], found[2], found[3])
    if parts is None or not _YEARS[0] <= int(parts[0]) <= _YEARS[1]:
        return None
    try:
        return pd.Timestamp(*map(int, parts)).strftime("%Y-%m-%d")  # the bounds and calendar of _dates
    except (ValueError, OverflowError):
        return None


def parse_date(value: object) -> str | None:
    """One date as :func:`parse_dates` reads it, in plain Python (the API's per-declaration path)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return _date_text(str(value))


# --- HS codes --------------------------------------------------------------------------------


def _hs(s: pd.Series) -> pd.Series:
    s = s.str.normalize("NFKC").str.strip()
    s = s.str.replace(r"\.0$", "", regex=True)  # a number that went through a float: "90121.0"
    digits = s.str.replace(r"[\s.\-]", "", regex=True)
    digits = digits.where(digits.str.fullmatch(r"\d+"), "")
    # A spreadsheet turned "090121" into the number 90121: an odd length lost its leading zero.
    digits = digits.where(digits.str.len() % 2 == 0, "0" + digits)
    valid = digits.str.len().isin([6, 8, 10]) & (digits.str[:2] != "00")
    return digits.where(valid, None)


def repair_hs_codes(s: pd.Series) -> pd.Series:
    """HS codes as 6, 8 or 10 digits; a lost leading zero is restored ("90121" -> "090121").

    Dots, spaces and hyphens are ignored ("0901.21" -> "090121"); anything else is ``None``.
    """
    return _by_unique(s, _hs)


_HS_FLOAT = re.compile(r"\.0$")
_HS_SEPARATORS = re.compile(r"[\s.\-]")
_DIGITS = re.compile(r"\d+")


@functools.lru_cache(maxsize=4096)
def _hs_text(text: str) -> str | None:
    text = _HS_FLOAT.sub("", unicodedata.normalize("NFKC", text).strip(), count=1)
    digits = _HS_SEPARATORS.sub("", text)
    if not _DIGITS.fullmatch(digits):
        return None
    if len(digits) % 2:
        digits = "0" + digits
    return digits if len(digits) in (6, 8, 10) and digits[:2] != "00" else None


def repair_hs_code(value: object) -> str | None:
    """One HS code as :func:`repair_hs_codes` repairs it, in plain Python (the API's per-declaration path)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return _hs_text(str(value))


def hs6(codes: pd.Series) -> pd.Series:
    """The 6-digit subheading of repaired HS codes (``None`` stays ``None``)."""
    return codes.str[:6].where(codes.notna(), None)


def hs_chapter(codes: pd.Series) -> pd.Series:
    """The 2-digit chapter of repaired HS codes."""
    return codes.str[:2].where(codes.notna(), None)


# --- countries and ports ---------------------------------------------------------------------


def _countries(s: pd.Series) -> pd.Series:
    s = _clean_text(s)
    return s.where(s.str.fullmatch(r"[A-Z]{2}"), None)


def normalize_countries(s: pd.Series) -> pd.Series:
    """ISO 3166 alpha-2 codes in upper case; anything that is not two letters is ``None``."""
    return _by_unique(s, _countries)


def normalize_country(value: object) -> str | None:
    return _scalar(_countries, value)


_LOCODE = r"[A-Z]{2}[A-Z2-9]{3}"


def _ports(s: pd.Series) -> pd.Series:
    s = _clean_text(s).str.replace(r"[\s\-]", "", regex=True)
    return s.where(s.str.fullmatch(_LOCODE), None)


def normalize_ports(s: pd.Series) -> pd.Series:
    """UN/LOCODEs as 5 upper-case characters ("cn sha" -> "CNSHA"); anything else is ``None``."""
    return _by_unique(s, _ports)


def normalize_port(value: object) -> str | None:
    return _scalar(_ports, value)


def _port_lists(s: pd.Series) -> pd.Series:
    s = _clean_text(s).str.replace(r"[\s\-]", "", regex=True)
    codes = s.str.split(r"[;,|>]", regex=True)
    joined = codes.map(lambda parts: ";".join(p for p in parts if re.fullmatch(_LOCODE, p)))
    return _blank_to_none(joined)


def normalize_port_lists(s: pd.Series) -> pd.Series:
    """Transit ports as ``;``-separated UN/LOCODEs in their order; also splits on ``,``, ``|`` and ``>``.

    Entries that are not LOCODEs are left out; an empty list is ``None``.
    """
    return _by_unique(s, _port_lists)


def normalize_port_list(value: object) -> str | None:
    return _scalar(_port_lists, value)


def warm_up() -> None:
    """Load the normalisers' reference data before a value needs it (rigour's address tables, built in Rust outside
    the GIL: 0.4 s on a quiet machine, 2-6 s on a busy one; its name tables; libphonenumber's metadata). Commands
    and servers run it in a thread as they start (:func:`warming_up`), beside their own start-up."""
    address_key("Room 1, No. 1 Warm-up Road")
    normalize_phone("+86 21 5555 0000")
    normalize_person_name("Warm Up")
    normalize_name("Warm-up Trading Co. Ltd")


def warming_up() -> threading.Thread:
    """:func:`warm_up` in a daemon thread, started."""
    thread = threading.Thread(target=warm_up, name="normaliser-warm-up", daemon=True)
    thread.start()
    return thread
