"""Policy recommendations for decision makers: findings of the period turned into proposals, each with its evidence.

- **reference price** for a tariff line (HS6) whose inspections keep finding under-valuation: the proposal is the
  median unit value (per kg, in the money unit of the report: US dollars, or the declarations' one currency) of the
  line's inspections that found nothing;
- **licence requirement** for a commodity (HS heading) whose inspections without a licence or certificate keep
  hitting, against the same heading's licensed ones;
- **procedure change** at an office whose inspections find far less (move capacity to document checks or
  targeted selection) or far more (more capacity) than the flow's.

A finding counts when it rests on at least ``min_hits`` violations and its hit rate is significantly above the
rate it is compared with (one-sided exact binomial test, ``scipy.stats.binomtest``, below ``alpha`` divided by the
number of candidates: many lines are looked at). Counted by the declarations engine over the columnar copy, one
aggregate query per kind.
"""

from __future__ import annotations

from scipy import stats

from graph.reference import office_by_code

__all__ = ["QUERIES", "policy_recommendations"]

# Aggregated by the declarations engine over the columnar copy, like the report's other figures
# (:mod:`investigate.report` registers ``rates`` and ``scope`` and gives $since, $until and $everywhere): the
# inspections of the period in the key's offices, the value in the money unit.
_INSPECTED = """
WITH inspected AS (
  SELECT d.*, d.value / r.per_unit AS money FROM declarations d LEFT JOIN rates r ON r.currency = d.currency
  WHERE d.inspected = 1 AND d.date >= $since AND d.date <= $until
    AND ($everywhere OR d.office IN (SELECT code FROM scope))
)
"""
PER_LINE = (
    _INSPECTED
    + """
SELECT line, count(*) AS inspected, CAST(sum(under) AS BIGINT) AS under,
       median(CASE WHEN violation = 0 THEN unit END) AS clean_unit,
       median(CASE WHEN under = 1 THEN unit END) AS under_unit
FROM (
  SELECT hs6 AS line, coalesce(violation, 0) AS violation, CASE WHEN net_mass > 0 THEN money / net_mass END AS unit,
         -- a violation type meaning under-valuation, however it is spelt (under-valuation, undervalued, ...)
         CASE WHEN violation = 1 AND replace(replace(lower(coalesce(violation_type, '')), '-', ''), ' ', '')
                  LIKE '%undervalu%' THEN 1 ELSE 0 END AS under
  FROM inspected WHERE hs6 IS NOT NULL
) lines
GROUP BY line
"""
)
PER_HEADING = (
    _INSPECTED
    + """
SELECT heading, CAST(sum(bare) AS BIGINT) AS bare, CAST(sum(bare * hit) AS BIGINT) AS bare_hits,
       CAST(sum(1 - bare) AS BIGINT) AS licensed, CAST(sum((1 - bare) * hit) AS BIGINT) AS licensed_hits
FROM (
  SELECT substr(hs6, 1, 4) AS heading, coalesce(violation, 0) AS hit,
         CASE WHEN coalesce(trim(licence_ids), '') = '' THEN 1 ELSE 0 END AS bare
  FROM inspected WHERE hs6 IS NOT NULL
) headings
GROUP BY heading
"""
)
PER_OFFICE = (
    _INSPECTED
    + """
SELECT office, count(*) AS inspected, CAST(sum(coalesce(violation, 0)) AS BIGINT) AS hits
FROM inspected GROUP BY office
"""
)
#: the queries above by name (run on both engines by the engines' agreement test)
QUERIES = {"PER_LINE": PER_LINE, "PER_HEADING": PER_HEADING, "PER_OFFICE": PER_OFFICE}


def _above(hits: int, n: int, rate: float) -> float:
    return stats.binomtest(hits, n, min(max(rate, 1e-6), 1 - 1e-6), alternative="greater").pvalue


def _below(hits: int, n: int, rate: float) -> float:
    return stats.binomtest(hits, n, min(max(rate, 1e-6), 1 - 1e-6), alternative="less").pvalue


def _reference_prices(rows: list[dict], min_hits: int, alpha: float, unit: str) -> list[dict]:
    inspected = sum(r["inspected"] for r in rows)
    rate = sum(r["under"] for r in rows) / inspected if inspected else 0.0
    bar = alpha / max(len(rows), 1)
    out = []
    for r in rows:
        if r["under"] < min_hits or r["clean_unit"] is None or _above(r["under"], r["inspected"], rate) >= bar:
            continue
        out.append(
            {
                "kind": "reference price",
                "subject": f"HS {r['line']}",
                "proposal": f"set a reference price of {r['clean_unit']:,.2f} {unit}/kg for HS {r['line']}",
                "evidence": {
                    "inspected": r["inspected"],
                    "under_valued": r["under"],
                    "hit_rate": round(r["under"] / r["inspected"], 4),
                    "flow_rate": round(rate, 4),
                    "money_unit": unit,
                    "clean_unit_value": round(r["clean_unit"], 2),
                    "under_valued_unit_value": None if r["under_unit"] is None else round(r["under_unit"], 2),
                },
            }
        )
    return out


def _licences(rows: list[dict], min_hits: int, alpha: float) -> list[dict]:
    inspected = sum(r["bare"] + r["licensed"] for r in rows)
    rate = sum(r["bare_hits"] + r["licensed_hits"] for r in rows) / inspected if inspected else 0.0
    bar = alpha / max(len(rows), 1)
    out = []
    for r in rows:
        licensed_rate = r["licensed_hits"] / r["licensed"] if r["licensed"] else None
        compared = max(rate, licensed_rate or 0.0)
        if r["bare_hits"] < min_hits or _above(r["bare_hits"], r["bare"], compared) >= bar:
            continue
        out.append(
            {
                "kind": "licence requirement",
                "subject": f"HS heading {r['heading']}",
                "proposal": f"require a licence or certificate for HS heading {r['heading']}",
                "evidence": {
                    "inspected_without_licence": r["bare"],
                    "hits_without_licence": r["bare_hits"],
                    "hit_rate_without_licence": round(r["bare_hits"] / r["bare"], 4),
                    "inspected_with_licence": r["licensed"],
                    "hit_rate_with_licence": None if licensed_rate is None else round(licensed_rate, 4),
                    "flow_rate": round(rate, 4),
                },
            }
        )
    return out


def _offices(rows: list[dict], min_hits: int, alpha: float) -> list[dict]:
    inspected = sum(r["inspected"] for r in rows)
    rate = sum(r["hits"] for r in rows) / inspected if inspected else 0.0
    bar = alpha / max(len(rows), 1)
    out = []
    for r in rows:
        office = office_by_code(r["office"] or "")
        name = office.name if office else r["office"] or "not recorded"
        evidence = {"inspected": r["inspected"], "hits": r["hits"], "hit_rate": round(r["hits"] / r["inspected"], 4)}
        evidence["flow_rate"] = round(rate, 4)
        if r["hits"] >= min_hits and _above(r["hits"], r["inspected"], 2 * rate) < bar:
            proposal = f"give {name} more inspection capacity: its inspections find more than twice the flow's rate"
        elif r["inspected"] * rate >= 2 * min_hits and _below(r["hits"], r["inspected"], rate / 2) < bar:
            proposal = (
                f"change the procedure at {name}: its inspections find less than half the flow's rate; move "
                "capacity to document checks or to targeted selection"
            )
        else:
            continue
        out.append({"kind": "procedure change", "subject": name, "proposal": proposal, "evidence": evidence})
    return out


def policy_recommendations(
    rows: dict[str, list[dict]], unit: str, min_hits: int = 5, alpha: float = 0.01
) -> list[dict]:
    """The proposals from the rows of :data:`QUERIES` (the period's inspections within the key's offices, values
    in ``unit``), strongest evidence first."""
    return [
        *_reference_prices(rows["PER_LINE"], min_hits, alpha, unit),
        *_licences(rows["PER_HEADING"], min_hits, alpha),
        *_offices(rows["PER_OFFICE"], min_hits, alpha),
    ]
