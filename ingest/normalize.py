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
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = [
    "normalize_names",
    "normalize_name",
    "normalize_person_names",
    "normalize_person_name",
    "address_keys",
    "address_key",
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
]


#: Results kept across chunks, per transform: the same firms and addresses come back chunk after chunk.
_CACHES: dict[Callable, dict[str, object]] = {}
_CACHE_LIMIT = 500_000
_MISSING = object()


def _by_unique(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a Series transform to the distinct values only, then spread the result back (text dtype).

    Distinct values already seen in an earlier call are not transformed again.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
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


def _blank_to_none(s: pd.Series) -> pd.Series:
    return s.where(s.str.len() > 0, None)


def _clean_text(s: pd.Series) -> pd.Series:
    """Full-width forms to ASCII (common in Chinese files), upper case, runs of whitespace to one space."""
    return s.str.normalize("NFKC").str.upper().str.replace(r"\s+", " ", regex=True).str.strip()


# --- enterprise and person names -------------------------------------------------------------

# Whole-word legal-form spellings folded onto one form, so "Co., Ltd.", "CO LTD" and
# "Company Limited" agree. Applied after punctuation is gone.
_LEGAL_FORMS = (
    (r"\bCOMPANY\b", "CO"),
    (r"\bLIMITED\b", "LTD"),
    (r"\bCORPORATION\b", "CORP"),
    (r"\bINCORPORATED\b", "INC"),
    (r"\bPRIVATE\b", "PTE"),
    (r"\bL L C\b", "LLC"),
    (r"\bG M B H\b", "GMBH"),
)


def _names(s: pd.Series) -> pd.Series:
    s = _clean_text(s).str.replace("&", " AND ", regex=False)
    s = s.str.replace(r"[^\w]+|_", " ", regex=True)
    for pattern, repl in _LEGAL_FORMS:
        s = s.str.replace(pattern, repl, regex=True)
    return _blank_to_none(s.str.replace(r"\s+", " ", regex=True).str.strip())


def normalize_names(s: pd.Series) -> pd.Series:
    """Enterprise names to ``name_norm``: upper case, no punctuation, legal forms folded (CO LTD, CORP, INC)."""
    return _by_unique(s, _names)


def normalize_name(value: object) -> str | None:
    return _scalar(_names, value)


def _persons(s: pd.Series) -> pd.Series:
    s = _clean_text(s).str.replace(r"[^\w]+|_", " ", regex=True)
    return _blank_to_none(s.str.replace(r"\s+", " ", regex=True).str.strip())


def normalize_person_names(s: pd.Series) -> pd.Series:
    """Person names (legal representatives): upper case, punctuation and extra spaces removed, order kept.

    Token order is kept on purpose: "LI WEI" and "WEI LI" can be two different people.
    """
    return _by_unique(s, _persons)


def normalize_person_name(value: object) -> str | None:
    return _scalar(_persons, value)


# --- addresses -------------------------------------------------------------------------------

_MARKERS = {
    "ROOM": "RM",
    "RM": "RM",
    "FLOOR": "FL",
    "FL": "FL",
    "BUILDING": "BLDG",
    "BLDG": "BLDG",
    "BLD": "BLDG",
    "BLOCK": "BLK",
    "BLK": "BLK",
    "UNIT": "UNIT",
    "NO": "NO",
    "NUMBER": "NO",
    "NUM": "NO",
}
_MARKER = "|".join(sorted(_MARKERS, key=len, reverse=True))
_NUM = r"\d+(?:-\d+)?[A-Z]?"
# "Room 12", "No.8", "Rm#12": a marker followed by its number (whitespace only, a comma ends it).
_PREFIXED = re.compile(rf"\b({_MARKER})\s*#?\s*({_NUM})\b")
# "12 Room", "3F", "3/F": a number followed by its marker.
_POSTFIXED = re.compile(rf"\b({_NUM})\s*(?:/\s*)?({_MARKER}|F)\b")
_BARE_NUMBER = re.compile(rf"\b({_NUM})\b")
_STREET_WORDS = {
    "ROAD": "RD",
    "STREET": "ST",
    "AVENUE": "AVE",
    "BOULEVARD": "BLVD",
    "LANE": "LN",
    "DRIVE": "DR",
    "HIGHWAY": "HWY",
    "SQUARE": "SQ",
    "TOWER": "TWR",
    "INDUSTRIAL": "IND",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "MIDDLE": "MID",
}
# Words some writers add and others leave out: dropping them is what lets the forms agree.
_NOISE = re.compile(
    r"\b(?:NEW AREA|NEW DISTRICT|DISTRICT|CITY|PROVINCE|P R CHINA|PR CHINA|PRC|CHINA|COUNTY|TOWN|THE)\b"
)


def _marker_token(match: re.Match, number_group: int, marker_group: int) -> str:
    marker = match.group(marker_group)
    return f" {_MARKERS.get(marker, 'FL')}{match.group(number_group)} "


def _address_key(text: str) -> str:
    text = text.replace(".", " ").replace("'", "")
    text = _PREFIXED.sub(lambda m: _marker_token(m, 2, 1), text)
    text = _POSTFIXED.sub(lambda m: _marker_token(m, 1, 2), text)
    text = _BARE_NUMBER.sub(lambda m: f" NO{m.group(1)} ", text)  # "8 Huaihai Rd" means No. 8
    text = re.sub(r"[^A-Z0-9\u00c0-\uffff-]+", " ", text)
    text = _NOISE.sub(" ", text)
    tokens = {_STREET_WORDS.get(t, t) for t in text.split() if t.strip("-")}
    return " ".join(sorted(tokens))


def _addresses(s: pd.Series) -> pd.Series:
    s = _clean_text(s)
    return _blank_to_none(s.map(_address_key))


def address_keys(s: pd.Series) -> pd.Series:
    """Order-independent address keys: abbreviations folded, numbers tied to their marker, tokens sorted.

    "Room 12, No. 8 Huaihai Rd, Shanghai" and "RM 12 NO 8 HUAIHAI RD. SHANGHAI" give the same key
    ("HUAIHAI NO8 RD RM12 SHANGHAI"); another room or street number gives another key. District and
    country words (DISTRICT, NEW AREA, CHINA) are dropped because writers add or leave them out.
    """
    return _by_unique(s, _addresses)


def address_key(value: object) -> str | None:
    return _scalar(_addresses, value)


def _address_texts(s: pd.Series) -> pd.Series:
    s = s.str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip(" ,;")
    return _blank_to_none(s)


def address_texts(s: pd.Series) -> pd.Series:
    """Addresses for display: as written, whitespace tidied."""
    return _by_unique(s, _address_texts)


def address_text(value: object) -> str | None:
    return _scalar(_address_texts, value)


# --- phones ----------------------------------------------------------------------------------


def _phones(s: pd.Series) -> pd.Series:
    s = s.str.normalize("NFKC").str.strip().str.replace("(0)", "", regex=False)  # "+44 (0)20 ..."
    international = s.str.match(r"^(?:\+|00)").to_numpy(dtype=bool)
    digits = s.str.replace(r"\D", "", regex=True)
    digits = digits.where(~s.str.startswith("00"), digits.str[2:])
    # "+86 (0)21 ..." writes the trunk 0 after the country code; it is dropped with the code.
    chinese = digits.str.startswith("86").to_numpy(dtype=bool)
    national = digits.str[2:].str.lstrip("0")
    # Without "+" or "00", a leading 86 is the country code only when what follows is a
    # full national number (10 or 11 digits); Chinese area codes never begin with 86.
    bare_86 = chinese & ~international & national.str.len().isin([10, 11]).to_numpy(dtype=bool)
    strip_cc = (chinese & international) | bare_86
    out = np.where(strip_cc, national, np.where(international, digits, digits.str.lstrip("0")))
    out = pd.Series(out, index=s.index, dtype=object)
    return out.where(out.str.len() >= 5, None)


def normalize_phones(s: pd.Series) -> pd.Series:
    """Phone numbers as digits, Chinese numbers without +86/0086/86 and without the trunk 0.

    "+86 21 5555 1234", "0086-21-55551234", "021-55551234" and "(021) 5555-1234" all give
    "2155551234"; a foreign number written with "+" or "00" keeps its country code
    ("+44 20 7946 0958" gives "442079460958"). Fewer than 5 digits is not a phone: ``None``.
    """
    return _by_unique(s, _phones)


def normalize_phone(value: object) -> str | None:
    return _scalar(_phones, value)


# --- dates -----------------------------------------------------------------------------------

# Year-first forms only. Day-first and month-first forms ("30/05/2026", "05/30/2026") are refused:
# "05/06/2026" means different days in different countries, and accepting only the rows where the
# day happens to exceed 12 would load part of a file and quarantine the rest.
_DATE_SEPARATED = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
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
