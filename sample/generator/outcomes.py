"""The labelled history: which declarations were inspected or audited, and what was found.

Targeting was imperfect: inspection leans on credit category, sensitive goods, young firms and (somewhat)
on the planted schemes, but most planted declarations were never looked at, and an inspection does not
always find what is there. Honest declarations sometimes show minor violations.
"""

from __future__ import annotations

import numpy as np

from .flows import to_currency
from .world import PRODUCTS

__all__ = ["label_outcomes", "VIOLATION_TYPES"]

_CATEGORY_RATE = np.array([0.006, 0.015, 0.035, 0.10, 0.25])  # AA, A, B, C, D
_SCHEME_TYPE = {
    "shell_ring": "under-valuation",
    "undervaluation": "under-valuation",
    "misclassification": "mis-classification",
    "origin_laundering": "false origin",
    "split_shipment": "split consignment",
    "drug_route": "drug smuggling",
    "ipr_counterfeit": "IPR infringement",
    "dual_use": "dual-use goods without licence",
}
_FOUND = {  # chance that an inspection uncovers the scheme
    "shell_ring": 0.8,
    "undervaluation": 0.8,
    "misclassification": 0.75,
    "origin_laundering": 0.6,
    "split_shipment": 0.7,
    "drug_route": 0.5,
    "ipr_counterfeit": 0.85,
    "dual_use": 0.6,
}
_MINOR = ("documentation error", "quantity discrepancy", "value discrepancy")
VIOLATION_TYPES = tuple(dict.fromkeys([*_SCHEME_TYPE.values(), *_MINOR, "licence missing"]))


def label_outcomes(rng: np.random.Generator, batch: dict, category: np.ndarray, registered: np.ndarray) -> None:
    """Add inspected, violation, violation_type and revenue_recovered (declared currency) to the batch."""
    n = len(batch["firm"])
    scheme = batch["scheme"]
    planted = scheme != ""
    young = (batch["day"] - registered[batch["firm"]]) < 365
    sensitive = np.array([p.sensitive for p in PRODUCTS])[batch["desc_product"]]
    needs_licence = np.array([bool(p.licences) for p in PRODUCTS])[batch["product"]]
    missing = needs_licence & (batch["licences"] == "")
    p = _CATEGORY_RATE[category[batch["firm"]]] * sensitive
    p = p * np.where(young, 1.8, 1.0) * np.where(batch["transit"] != "", 1.2, 1.0) * np.where(missing, 2.0, 1.0)
    p = p * np.where(planted, 2.2, 1.0)
    inspected = rng.random(n) < np.minimum(p, 0.6)

    found_p = np.array([_FOUND.get(s, 0.0) for s in scheme]) if planted.any() else np.zeros(n)
    honest_p = np.where(missing, 0.7, 0.05)
    u = rng.random(n)
    violation = inspected & (u < np.where(planted, found_p, honest_p))

    vtype = np.full(n, "", dtype=object)
    rows = violation & planted
    vtype[rows] = [_SCHEME_TYPE[s] for s in scheme[rows]]
    minor = violation & ~planted
    vtype[minor] = np.array(_MINOR, dtype=object)[rng.integers(0, len(_MINOR), int(minor.sum()))]
    vtype[minor & missing] = "licence missing"

    true_usd = batch["value_usd"]
    declared_usd = true_usd * batch["price_factor"]
    rate = batch["tax_rate"]
    evaded = np.zeros(n)
    for s in ("shell_ring", "undervaluation"):
        r = rows & (scheme == s)
        evaded[r] = (true_usd[r] - declared_usd[r]) * rate[r] * 1.13  # duty plus VAT on the duty base, roughly
    true_rate = batch["true_rate"]
    r = rows & np.isin(scheme, ["misclassification", "origin_laundering"])
    evaded[r] = declared_usd[r] * np.maximum(true_rate[r] - rate[r], 0)
    fine = evaded * rng.uniform(0.3, 1.0, n)
    r = rows & (scheme == "split_shipment")
    fine[r] = declared_usd[r] * 0.05
    r = rows & (scheme == "ipr_counterfeit")
    fine[r] = declared_usd[r] * rng.uniform(0.2, 0.5, int(r.sum()))
    fine[rows & (scheme == "dual_use")] = declared_usd[rows & (scheme == "dual_use")] * 0.3  # seized, and fined
    m = minor & (vtype != "documentation error")
    evaded[m] = declared_usd[m] * rate[m] * rng.uniform(0.02, 0.2, int(m.sum()))
    fine[minor] = np.where(vtype[minor] == "licence missing", declared_usd[minor] * 0.03, 0.0)
    revenue = to_currency(evaded + fine, batch["currency"])

    batch["inspected"] = inspected.astype(np.int8)
    batch["violation"] = np.where(inspected, violation.astype(np.int8), -1)
    batch["violation_type"] = vtype
    batch["revenue"] = np.where(violation, revenue, np.where(inspected, 0.0, np.nan))
