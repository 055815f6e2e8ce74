"""Leads as spreadsheets an auditor opens: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese
names right) and Excel (bold frozen header, filters, money formats, reasons wrapped in their cell).

Both carry the same columns, in the order an auditor reads a lead: who, how much, why. Reasons are
one text cell, strongest first, one per line.

Names come from declarations, so an importer can register one that a spreadsheet would run
(``=HYPERLINK(...)``, ``+1+1``, ``@SUM(...)``): every text cell starting as a formula can is written as text
(:func:`as_text_cell`; OWASP's CSV-injection advice), in CSV with a leading quote and in Excel as a string
cell. Numbers are never touched, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from graph.jurisdiction import OUTSIDE

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "as_text_cell",
    "lead_columns",
    "lead_rows",
    "reasons_text",
    "leads_csv",
    "leads_xlsx",
]

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# (header, where the value comes from: a top-level field or a figure, Excel number format, column width)
_AUDIT = (
    ("Rank", "rank", "0", 6),
    ("Enterprise", "id", "@", 16),
    ("Name", "name", "@", 30),
    ("Target", "target", "@", 9),
    ("Expected value (USD)", "expected_value", "#,##0.00", 16),
    ("Probability", "probability", "0.00", 11),
    ("Revenue at stake (USD)", "revenue_at_stake", "#,##0.00", 16),
    ("Duty declared (USD)", "duty_declared", "#,##0.00", 15),
    ("Tax shortfall (USD)", "tax_shortfall", "#,##0.00", 14),
    ("Declarations", "declarations", "#,##0", 12),
    ("Declared value (USD)", "declared_value", "#,##0.00", 16),
    ("Inspected", "inspected", "#,##0", 10),
    ("Violations", "violations", "#,##0", 10),
    ("Credit category", "category", "@", 9),
    ("Network", "network_id", "0", 9),
    ("Period from", "period_from", "@", 12),
    ("Period to", "period_to", "@", 12),
    ("Reasons", "reasons", "@", 90),
)
_NETWORK = (
    ("Rank", "rank", "0", 6),
    ("Network", "id", "@", 9),
    ("Score", "network_score", "0.0", 8),
    ("Target", "target", "@", 9),
    ("Firms", "size", "0", 7),
    ("Members (riskiest first)", "members", "@", 50),
    ("Value at stake (USD)", "value_at_stake", "#,##0.00", 16),
    ("Declarations", "declarations", "#,##0", 12),
    ("Declared value (USD)", "declared_value", "#,##0.00", 16),
    ("Inspected", "inspected", "#,##0", 10),
    ("Violations", "violations", "#,##0", 10),
    ("Period from", "period_from", "@", 12),
    ("Period to", "period_to", "@", 12),
    ("Reasons", "reasons", "@", 90),
)
_COLUMNS = {"audit": _AUDIT, "anti-smuggling": _NETWORK}
#: what a spreadsheet reads as the start of a formula (OWASP: CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value):
    """``value`` as a CSV cell that no spreadsheet runs: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def lead_columns(kind: str, unit: str = "USD") -> list[str]:
    """The header row for leads of ``kind``, money in ``unit`` (the graph's one currency, or US dollars)."""
    return [c[0].replace("(USD)", f"({unit})") for c in _COLUMNS[kind]]


def _unit(items: list[dict]) -> str:
    return next((i["figures"].get("currency") for i in items if i["figures"].get("currency")), "USD")


def reasons_text(reasons: list[dict]) -> str:
    return "\n".join(f"{i}. {r['signal']} ({r['strength']:.2f}): {r['detail']}" for i, r in enumerate(reasons, 1))


def _members_text(members: list[dict]) -> str:
    return "\n".join(
        OUTSIDE
        if m.get("outside")
        else f"{m['id']} {m.get('name') or ''} (risk {'n/a' if m.get('risk') is None else format(m['risk'], '.2f')})"
        for m in members
    )


def lead_rows(items: list[dict], kind: str) -> list[list]:
    """One row per lead, values in the order of :func:`lead_columns` (numbers stay numbers)."""
    rows = []
    for rank, item in enumerate(items, 1):
        fields = {
            **item["figures"],
            "rank": rank,
            "id": item["id"],
            "name": item["name"],
            "target": item.get("target"),
            "reasons": reasons_text(item["reasons"]),
            "members": _members_text(item["members"]),
        }
        rows.append([fields.get(source) for _, source, _, _ in _COLUMNS[kind]])
    return rows


def leads_csv(items: list[dict], kind: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(lead_columns(kind, _unit(items)))
    writer.writerows(["" if v is None else as_text_cell(v) for v in row] for row in lead_rows(items, kind))
    return out.getvalue().encode("utf-8-sig")


def leads_xlsx(items: list[dict], kind: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"{kind} leads"
    columns = _COLUMNS[kind]
    sheet.append(lead_columns(kind, _unit(items)))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in lead_rows(items, kind):
        sheet.append(row)
    for index, (_, source, number_format, width) in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        wrap = source in ("reasons", "members")
        for cell in sheet[letter][1:]:
            cell.number_format = number_format
            if isinstance(cell.value, str):  # text, never a formula (openpyxl reads a leading "=" as one)
                cell.data_type = "s"
            cell.alignment = Alignment(vertical="top", wrap_text=wrap)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
