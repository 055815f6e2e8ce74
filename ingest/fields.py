"""The canonical declaration fields every source file is mapped onto.

A customs administration's own column names are mapped onto these by a YAML mapping
(``fields:``), so everything after mapping speaks one vocabulary.
"""

from __future__ import annotations

__all__ = ["CANONICAL_FIELDS", "REQUIRED_FIELDS", "OUTCOME_FIELDS", "NUMERIC_FIELDS"]

#: field -> one-line meaning, in the order the generator writes them.
CANONICAL_FIELDS: dict[str, str] = {
    "declaration_id": "declaration number, unique",
    "date": "lodging date (ISO, 2026/05/30 or 20260530)",
    "direction": "I (import) or E (export)",
    "office": "customs district code or name where lodged",
    "trade_mode": "trade mode, e.g. general trade, processing trade",
    "transport_mode": "sea, air, road, rail, post",
    "importer_id": "consignee's customs code / unified social credit code",
    "importer_name": "consignee's name",
    "importer_address": "consignee's registered address",
    "importer_phone": "consignee's phone",
    "importer_category": "consignee's credit category (AA, A, B, C, D)",
    "importer_registered": "consignee's registration date",
    "importer_legal_rep": "consignee's legal representative",
    "seller_id": "overseas seller's id",
    "seller_name": "overseas seller's name",
    "seller_country": "overseas seller's country (ISO alpha-2)",
    "declarant_id": "customs broker that lodged the declaration",
    "carrier_id": "carrier or shipping line",
    "hs_code": "HS code as declared (6, 8 or 10 digits)",
    "goods_description": "goods description",
    "origin_country": "country of origin (ISO alpha-2)",
    "departure_country": "country of departure (ISO alpha-2)",
    "loading_port": "loading port (UN/LOCODE)",
    "transit_ports": "transit ports (UN/LOCODE), ;-separated, in order",
    "discharge_port": "discharge port (UN/LOCODE)",
    "consignment_id": "bill of lading or container number",
    "quantity": "quantity in the declared unit",
    "net_mass": "net mass in kg",
    "value": "customs value",
    "currency": "currency of the value (ISO 4217)",
    "tax_rate": "duty rate as a fraction",
    "licence_ids": "licences and certificates, ;-separated",
    "inspected": "past declarations: 1 if inspected or audited",
    "violation": "past declarations: 1 if a violation was found",
    "violation_type": "past declarations: kind of violation found",
    "revenue_recovered": "past declarations: duty and fines recovered",
}

REQUIRED_FIELDS: tuple[str, ...] = ("declaration_id", "date", "importer_id", "hs_code", "value")
OUTCOME_FIELDS: tuple[str, ...] = ("inspected", "violation", "violation_type", "revenue_recovered")
NUMERIC_FIELDS: tuple[str, ...] = ("quantity", "net_mass", "value", "tax_rate", "revenue_recovered")
