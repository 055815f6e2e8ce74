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
number of candidates: many lines are looked at). Counted in the graph, one aggregate query per kind.
"""

from __future__ import annotations

import neo4j
from scipy import stats

from graph.currency import USD_VALUE, graph_money
from graph.model import schema
from graph.reference import office_by_code
from graph.scope import DECLARATION, in_jurisdiction

__all__ = ["policy_recommendations"]

schema().node("Declaration")

_PERIOD = (
    f"d.inspected = 1 AND d.date >= date($since) AND d.date <= date($until) AND {in_jurisdiction(DECLARATION, 'd')}"
)
#: a violation type meaning under-valuation, however it is spelt (under-valuation, undervalued, ...)
_UNDER = "replace(replace(toLower(coalesce(d.violation_type, '')), '-', ''), ' ', '') CONTAINS 'undervalu'"

PER_LINE = f"""
MATCH (d:Declaration) WHERE {_PERIOD} AND d.hs6 IS NOT NULL
WITH d.hs6 AS line, d, CASE WHEN d.violation = 1 AND {_UNDER} THEN 1 ELSE 0 END AS under,
     CASE WHEN d.net_mass > 0 THEN {USD_VALUE} / d.net_mass END AS unit
RETURN line, count(d) AS inspected, sum(under) AS under,
       percentileCont(CASE WHEN coalesce(d.violation, 0) = 0 THEN unit END, 0.5) AS clean_unit,
       percentileCont(CASE WHEN under = 1 THEN unit END, 0.5) AS under_unit
"""
PER_HEADING = f"""
MATCH (d:Declaration) WHERE {_PERIOD} AND d.hs6 IS NOT NULL
WITH substring(d.hs6, 0, 4) AS heading, d, coalesce(trim(d.licence_ids), '') = '' AS bare
WITH heading, bare, coalesce(d.violation, 0) AS hit
RETURN heading, sum(CASE WHEN bare THEN 1 ELSE 0 END) AS bare, sum(CASE WHEN bare THEN hit ELSE 0 END) AS bare_hits,
       sum(CASE WHEN bare THEN 0 ELSE 1 END) AS licensed, sum(CASE WHEN bare THEN 0 ELSE hit END) AS licensed_hits
"""
PER_OFFICE = f"""
MATCH (d:Declaration) WHERE {_PERIOD}
RETURN d.office AS office, count(d) AS inspected, sum(coalesce(d.violation, 0)) AS hits
"""


def _read(driver, database: str, query: str, **params) -> list[dict]:
    records = driver.execute_query(query, params, database_=database, routing_=neo4j.RoutingControl.READ).records
    return [r.data() for r in records]


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
    driver: neo4j.Driver,
    database: str,
    period: tuple[str, str],
    districts: list[str] | None,
    min_hits: int = 5,
    alpha: float = 0.01,
) -> list[dict]:
    """The proposals for the period's inspections (within ``districts`` when given), strongest evidence first."""
    within = {"since": period[0], "until": period[1], "districts": districts}
    money = graph_money(driver, database)
    return [
        *_reference_prices(
            _read(driver, database, PER_LINE, **within, per_usd=money.per_unit), min_hits, alpha, money.unit
        ),
        *_licences(_read(driver, database, PER_HEADING, **within), min_hits, alpha),
        *_offices(_read(driver, database, PER_OFFICE, **within), min_hits, alpha),
    ]
