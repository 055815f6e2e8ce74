"""The declaration contract shared by file ingest and the API: what is refused, with which sentence.

Ingest (:mod:`ingest.validate`) checks whole columns at once; the API checks one declaration at a
time with :func:`check_value`. Both use the sentences here, so a row the API refuses is one ingest
quarantines, with the same field and the same reason (``tests/test_contract.py`` proves it on the
generator's rows and on each kind of fault). Everything else a file may write - any transport-mode
or trade-mode code, a country or port that does not parse (dropped), names, addresses, phones - is
accepted by both.
"""

from __future__ import annotations

import math

from ingest import normalize as nz
from ingest.fields import NUMERIC_FIELDS, REQUIRED_FIELDS

__all__ = [
    "DATE_FIELDS",
    "MISSING",
    "BAD_DATE",
    "NOT_NUMBER",
    "NEGATIVE",
    "BAD_HS",
    "quoted",
    "check_value",
    "ContractError",
]

DATE_FIELDS = ("date", "importer_registered")
MISSING = "missing required field '{field}'"
BAD_DATE = "unparseable date in '{field}': {value} (accepted: 2026-05-30, 2026/05/30, 20260530)"
NOT_NUMBER = "non-numeric '{field}': {value}"
NEGATIVE = "negative '{field}': {value} (must be 0 or more)"
BAD_HS = "invalid HS code in 'hs_code': {value} (needs 6, 8 or 10 digits)"


class ContractError(ValueError):
    """One field refused, with the sentence ingest would quarantine it with."""


def quoted(text: str) -> str:
    return "'" + text[:80] + "'"


def _number(text: str) -> float:
    cleaned = text.replace(",", "").replace(" ", "").replace("\t", "")
    try:
        value = float(cleaned)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def check_value(field: str, value: object) -> object:
    """``value`` of canonical ``field`` as ingest stores it (date as ISO text, HS code repaired, numbers as
    float, text stripped, None when empty), or :class:`ContractError` with ingest's sentence."""
    if value is None:
        if field in REQUIRED_FIELDS:
            raise ContractError(MISSING.format(field=field))
        return None
    text = value if isinstance(value, str) else format(value, "g") if isinstance(value, float) else str(value)
    text = text.strip()
    if text == "":
        if field in REQUIRED_FIELDS:
            raise ContractError(MISSING.format(field=field))
        return None
    if field in DATE_FIELDS:
        parsed = nz.parse_date(text)
        if parsed is None:
            raise ContractError(BAD_DATE.format(field=field, value=quoted(text)))
        return parsed
    if field in NUMERIC_FIELDS:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else _number(text)
        if math.isnan(number) or math.isinf(number):
            raise ContractError(NOT_NUMBER.format(field=field, value=quoted(text)))
        if number < 0:
            raise ContractError(NEGATIVE.format(field=field, value=quoted(text)))
        return float(number)
    if field == "hs_code":
        code = nz.repair_hs_code(text)
        if code is None:
            raise ContractError(BAD_HS.format(field=field, value=quoted(text)))
        return code
    return text
