"""Identifiers as real customs data writes them: credit codes, container and waybill numbers, and the
several surface forms one address or one phone number takes on different declarations.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "credit_codes",
    "container_numbers",
    "air_waybills",
    "address_forms",
    "phone_forms",
    "ADDRESS_FORMS",
    "building_forms",
    "PHONE_FORMS",
    "digits",
]


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal text of non-negative integers (works on empty arrays too)."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return np.empty(0, dtype=f"U{width}")
    return np.char.zfill(values.astype(str), width)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check(body: str) -> str:
    total = sum(_ORG_CHARS.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _uscc_check(body: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def credit_codes(rng: np.random.Generator, regions: list[str]) -> list[str]:
    """Unified social credit codes (GB 32100-2015) with valid check characters, one per region code given.

    Layout: '9' (market regulator) + '1' (enterprise) + 6-digit division + 9-character organisation code + check.
    """
    digits = rng.integers(0, 10, size=(len(regions), 8))
    letter = rng.random(len(regions)) < 0.25  # some organisation codes carry a letter
    letters = rng.integers(10, len(_ORG_CHARS), size=len(regions))
    codes, seen = [], set()
    for i, region in enumerate(regions):
        org = "".join(map(str, digits[i]))
        if letter[i]:
            org = org[:7] + _ORG_CHARS[letters[i]]
        body = "91" + region + org + _org_check(org)
        code = body + _uscc_check(body)
        while code in seen:  # astronomically rare; keep ids unique
            org = "".join(map(str, rng.integers(0, 10, size=8)))
            body = "91" + region + org + _org_check(org)
            code = body + _uscc_check(body)
        seen.add(code)
        codes.append(code)
    return codes


_LETTER_VALUES = {c: v for c, v in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", [v for v in range(10, 39) if v % 11], strict=True)}


def container_numbers(prefixes: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """ISO 6346 container numbers (owner code + 6-digit serial + check digit), vectorised over rows."""
    uniq, inverse = np.unique(prefixes, return_inverse=True)
    prefix_sum = np.array([sum(_LETTER_VALUES[c] * 2**i for i, c in enumerate(p)) for p in uniq])[inverse]
    total = prefix_sum.astype(np.int64)
    for i in range(6):
        digit = (serials // 10 ** (5 - i)) % 10
        total = total + digit * 2 ** (4 + i)
    check = (total % 11) % 10
    serial_text = digits(serials, 6)
    return np.char.add(np.char.add(prefixes.astype(str), serial_text), check.astype(str)).astype(object)


def air_waybills(prefixes: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """Air waybill numbers: airline prefix, 7-digit serial and its modulo-7 check digit ("999-12345675")."""
    serial_text = digits(serials, 7)
    check = (serials % 7).astype(str)
    return np.char.add(np.char.add(np.char.add(prefixes.astype(str), "-"), serial_text), check).astype(object)


#: the surface forms of one address, in order; form 0 is the usual one.
ADDRESS_FORMS = 5


def address_forms(room: str, number: str, street: str, kind: str, district: str, city: str) -> tuple[str, ...]:
    """One address written the ways declarations write it."""
    abbr = {"Road": "Rd", "Street": "St", "Avenue": "Ave"}[kind]
    district_short = district.replace(" District", "").replace(" New Area", "")
    return (
        f"Room {room}, No. {number} {street} {kind}, {district}, {city}",
        f"No.{number} {street} {abbr} Rm {room} {district_short} {city}",
        f"{city} {district} {street} {kind} No. {number}, Room {room}",
        f"RM {room}, NO. {number} {street.upper()} {abbr.upper()}, {district.upper()}, {city.upper()}",
        f"{room} Room, {number} {street} {kind}, {district_short}, {city}, China",
    )


_FORM0 = re.compile(r"^Room (\d+), No\. (\d+) (.+) (Road|Street|Avenue), ([^,]+), (.+)$")


def building_forms(form0: str) -> tuple[str, ...]:
    """The same room written as other filers write it (unit or suite, the floor spelt out, the city first);
    ``form0`` is an address's usual form (:func:`address_forms`)."""
    room, number, street, kind, district, city = _FORM0.match(form0).groups()
    floor = room[:-2]
    abbr = {"Road": "Rd", "Street": "St", "Avenue": "Ave"}[kind]
    return (
        f"Unit {room}, Floor {floor}, No. {number} {street} {kind}, {district}, {city}",
        f"Suite {room}, {number} {street} {abbr}., {district}, {city}",
        f"{city}, {district}, {street} {kind} No.{number}, Rm. {room}",
    )


#: the surface forms of one phone number, in order; form 0 is the usual one.
PHONE_FORMS = 4


def phone_forms(area: str, number: str, mobile: bool) -> tuple[str, ...]:
    """One phone number written the ways declarations write it (landline with area code, or mobile)."""
    if mobile:
        return (
            f"+86 {number[:3]} {number[3:7]} {number[7:]}",
            number,
            f"0086-{number}",
            f"{number[:3]}-{number[3:7]}-{number[7:]}",
        )
    half = len(number) // 2
    return (
        f"+86 {area} {number[:half]} {number[half:]}",
        f"0086-{area}-{number}",
        f"0{area}-{number}",
        f"(0{area}) {number[:half]}-{number[half:]}",
    )
