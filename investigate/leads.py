"""Post-clearance leads: whom to audit and which networks to hand to anti-smuggling, best first.

**Audit leads** are importers, ranked by the expected value of auditing them::

    expected_value = probability x revenue_at_stake
    probability    = the enterprise's analysed risk (0..1, noisy-OR of its own and its network's signals)
    revenue_at_stake = duty_declared + tax_shortfall
    duty_declared  = sum of value x tax_rate over its declarations in the audit period
    tax_shortfall  = duty missing on its declarations strongly below peer unit values (latest snapshot)

The audit period is the three years before the latest declaration in the graph, the span a
post-clearance audit may reach back. Revenue at stake is the duty those declarations should have
borne: what they declared plus what the peer comparison says is missing, so an under-valuer is not
ranked low for having declared little. Every amount is in US dollars at the reference rates of
:mod:`graph.currency` (a declaration in a currency without a rate is left out of the sums, not taken
at par); the shortfall comes from the analysis, which compares unit values in dollars too. Members of
anti-smuggling networks are left out: a ring is a case to open, not an audit to plan, and it is listed
as an anti-smuggling lead.

**Anti-smuggling leads** are the networks ``riskgraph analyze`` routed to anti-smuggling, ranked by
network score (0..100), each with its members (riskiest first, the key enterprises) and the trade
behind it in the same period.

Both accept ``districts``: only enterprises that lodged a declaration at one of those district
offices (networks: with such a member), so a caller can hold a user to a jurisdiction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import neo4j

from graph.currency import USD_VALUE, graph_money
from graph.jurisdiction import Scope
from graph.model import schema
from graph.runs import shown, shown_run
from graph.scope import ENTERPRISE, KINDS, LATEST_DATE, in_jurisdiction

__all__ = ["KINDS", "AUDIT_YEARS", "rank_leads", "snapshot_shortfalls"]

AUDIT_YEARS = 3

for _label in ("Enterprise", "Declaration", "Network", "CustomsOffice"):
    schema().node(_label)
for _rel in ("MEMBER_OF", "FILED", "LODGED_AT"):
    schema().relationship(_rel)

IN_DISTRICTS = in_jurisdiction(ENTERPRISE, "e")

AUDIT_CANDIDATES = f"""
MATCH (d:Declaration)
WHERE d.date >= date($since) AND d.date <= date($until) AND d.importer_id IS NOT NULL
WITH d.importer_id AS id, count(d) AS declarations, sum({USD_VALUE}) AS declared_value,
     sum({USD_VALUE} * coalesce(d.tax_rate, 0.0)) AS duty_declared, count(d.tax_rate) AS with_duty_rate,
     sum(coalesce(d.inspected, 0)) AS inspected, sum(coalesce(d.violation, 0)) AS violations
MATCH (e:Enterprise {{id: id}})-[:ASSESSED]->(a:Assessment)
WHERE {shown("a")} AND a.risk > 0 AND {IN_DISTRICTS}
OPTIONAL MATCH (e)-[:MEMBER_OF]->(n:Network) WHERE {shown("n")}
WITH e, a, n, declarations, declared_value, duty_declared, with_duty_rate, inspected, violations
WHERE n IS NULL OR n.kind <> 'anti-smuggling'
RETURN e.id AS id, e.name AS name, e.category AS category, a.risk AS risk, a.reasons AS reasons,
       n.id AS network_id, declarations, declared_value, duty_declared, with_duty_rate, inspected, violations
"""

NETWORK_LEADS = f"""
MATCH (n:Network {{kind: 'anti-smuggling'}})
WHERE {shown("n")} AND ($districts IS NULL OR EXISTS {{
  MATCH (e:Enterprise)-[:MEMBER_OF]->(n) WHERE {IN_DISTRICTS} }})
WITH n ORDER BY n.score DESC, n.id LIMIT $limit
MATCH (e:Enterprise)-[:MEMBER_OF]->(n)
OPTIONAL MATCH (e)-[:ASSESSED]->(a:Assessment) WHERE {shown("a")}
OPTIONAL CALL (e) {{
  MATCH (e)-[:FILED {{role: 'consignee'}}]->(d:Declaration)
  WHERE d.date >= date($since) AND d.date <= date($until)
  RETURN count(d) AS declarations, sum({USD_VALUE}) AS declared_value,
         sum(coalesce(d.inspected, 0)) AS inspected, sum(coalesce(d.violation, 0)) AS violations
}}
WITH n, e, a.risk AS risk, declarations, declared_value, inspected, violations
ORDER BY coalesce(risk, 0.0) DESC, e.id
RETURN n.id AS id, n.score AS score, n.size AS size, n.value_at_stake AS value_at_stake, n.reasons AS reasons,
       collect(e {{.id, .name, risk: risk}}) AS members, sum(declarations) AS declarations,
       sum(declared_value) AS declared_value, sum(inspected) AS inspected, sum(violations) AS violations
ORDER BY score DESC, id
"""


def snapshot_shortfalls(home: Path) -> dict[str, float]:
    """Per enterprise, the tax (US dollars) missing on its declarations strongly below peers, from the latest snapshot.

    Empty when no analysis has been saved under ``home`` (the leads then rest on declared duty alone).
    """
    from analysis.snapshot import SnapshotMissing, load_snapshot

    try:
        table = load_snapshot(home).enterprises
    except SnapshotMissing:
        return {}
    if "tax_at_stake" not in table:
        return {}
    taxes = table.set_index("id")["tax_at_stake"].dropna()
    return {str(k): float(v) for k, v in taxes.items() if v > 0}


def _period(driver: neo4j.Driver, database: str) -> tuple[str, str] | None:
    """(from, to) ISO dates of the audit period, or None when there are no declarations."""
    record = driver.execute_query(LATEST_DATE, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    if record["latest"] is None:
        return None
    latest = record["latest"].to_native()
    return (latest - timedelta(days=round(365.25 * AUDIT_YEARS))).isoformat(), latest.isoformat()


def _audit_leads(driver, database, period, limit, districts, shortfalls: Mapping[str, float]) -> list[dict]:
    money = graph_money(driver, database)
    records = driver.execute_query(
        AUDIT_CANDIDATES,
        **shown_run(driver, database),
        since=period[0],
        until=period[1],
        districts=districts,
        per_usd=money.per_unit,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    ).records
    leads = []
    for r in records:
        shortfall = shortfalls.get(r["id"], 0.0)
        declared = r["declared_value"] or 0.0
        # Without any duty rate the duty is unknown, not zero: the declared value is what an audit reaches.
        by_value = r["with_duty_rate"] == 0 and shortfall == 0
        stake = declared if by_value else r["duty_declared"] + shortfall
        value = r["risk"] * stake
        if value <= 0:
            continue
        leads.append(
            {
                "id": r["id"],
                "kind": "audit",
                "subject": "enterprise",
                "name": r["name"],
                "score": round(value, 2),
                "figures": {
                    "expected_value": round(value, 2),
                    "probability": round(r["risk"], 4),
                    "revenue_at_stake": round(stake, 2),
                    "stake_basis": "declared value (no duty rate recorded)" if by_value else "duty",
                    "currency": money.unit,
                    "duty_declared": round(r["duty_declared"], 2),
                    "tax_shortfall": round(shortfall, 2),
                    "declarations": r["declarations"],
                    "declared_value": round(declared, 2),
                    "inspected": r["inspected"],
                    "violations": r["violations"],
                    "category": r["category"],
                    "network_id": r["network_id"],
                    "period_from": period[0],
                    "period_to": period[1],
                },
                "reasons": json.loads(r["reasons"] or "[]"),
                "members": [],
            }
        )
    leads.sort(key=lambda lead: (-lead["score"], lead["id"]))
    return leads[:limit]


def _network_leads(driver, database, period, limit, districts) -> list[dict]:
    scope = Scope(driver, database, districts)
    records = driver.execute_query(
        NETWORK_LEADS,
        **shown_run(driver, database),
        since=period[0],
        until=period[1],
        districts=districts,
        limit=limit,
        per_usd=graph_money(driver, database).per_unit,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    ).records
    return [
        {
            "id": r["id"],
            "kind": "anti-smuggling",
            "subject": "network",
            "name": f"network {r['id']} ({r['size']} firms)",
            "score": r["score"],
            "figures": {
                "network_score": r["score"],
                "size": r["size"],
                "value_at_stake": round(r["value_at_stake"] or 0.0, 2),
                "declarations": r["declarations"],
                "declared_value": round(r["declared_value"] or 0.0, 2),
                "inspected": r["inspected"],
                "violations": r["violations"],
                "period_from": period[0],
                "period_to": period[1],
            },
            "reasons": scope.scrub_reasons(json.loads(r["reasons"] or "[]")),
            "members": scope.firms(
                [
                    {"id": m["id"], "name": m["name"], "risk": None if m["risk"] is None else round(m["risk"], 4)}
                    for m in r["members"]
                ]
            ),
        }
        for r in records
    ]


def rank_leads(
    driver: neo4j.Driver,
    database: str,
    kind: str,
    limit: int = 100,
    *,
    districts: frozenset[str] | None = None,
    shortfalls: Mapping[str, float] | None = None,
) -> list[dict]:
    """The ``limit`` best leads of ``kind``, best first.

    Parameters
    ----------
    kind : {"audit", "anti-smuggling"}
    districts : frozenset of str, optional
        District office codes; None means everywhere.
    shortfalls : mapping, optional
        Enterprise id -> tax shortfall (:func:`snapshot_shortfalls`); audit leads only.

    Returns
    -------
    list of dict
        ``{"id", "kind", "subject" ("enterprise" | "network"), "name", "score" (expected value for
        audit, network score for anti-smuggling), "figures" (what the score was computed from),
        "reasons" ([{signal, strength, detail}], strongest first), "members" ([{id, name, risk}],
        networks only)}``. Empty when the graph holds no declarations.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    period = _period(driver, database)
    if period is None:
        return []
    scope = None if districts is None else sorted(districts)
    if kind == "audit":
        return _audit_leads(driver, database, period, limit, scope, shortfalls or {})
    return _network_leads(driver, database, period, limit, scope)
