"""Post-clearance leads: whom to audit and which networks to hand to anti-smuggling, best first.

**Audit leads** are importers, ranked by the expected value of auditing them::

    expected_value = probability x revenue_at_stake
    probability    = the enterprise's analysed risk (0..1, noisy-OR of its own and its network's signals)
    revenue_at_stake = duty_declared + tax_shortfall
    duty_declared  = sum of value x tax_rate over its declarations in the audit period
    tax_shortfall  = duty missing on its declarations strongly below peer unit values (latest snapshot)

The audit period is the three years before the latest declaration the analysis shown read, the span a
post-clearance audit may reach back. Revenue at stake is the duty those declarations should have
borne: what they declared plus what the peer comparison says is missing, so an under-valuer is not
ranked low for having declared little. Every amount is in US dollars at the reference rates of
:mod:`graph.currency` (a declaration in a currency without a rate is left out of the sums, not taken
at par); the shortfall comes from the analysis, which compares unit values in dollars too. Every figure is
the analysis's (aggregated by its declarations engine and kept in its snapshot), so reading leads makes no
pass over the declarations. Members of
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
from dataclasses import dataclass
from pathlib import Path

import neo4j
import pandas as pd

from analysis.aggregates import AUDIT_COLUMNS, AUDIT_YEARS
from analysis.snapshot import SnapshotMissing, load_snapshot
from graph.errors import RiskGraphError
from graph.jurisdiction import Scope
from graph.model import schema
from graph.runs import shown, shown_run_and_snapshot
from graph.scope import ENTERPRISE, KINDS, in_jurisdiction
from graph.targets import leading_target

__all__ = ["KINDS", "AUDIT_YEARS", "LeadsNeedAnalysis", "rank_leads"]

for _label in ("Enterprise", "Declaration", "Network", "CustomsOffice"):
    schema().node(_label)
for _rel in ("MEMBER_OF", "FILED", "LODGED_AT"):
    schema().relationship(_rel)

IN_DISTRICTS = in_jurisdiction(ENTERPRISE, "e")

# The audit candidates a ranking picked, in its order, with what the graph shows of them: the run's risk and
# reasons, outside an anti-smuggling network, in the key's districts.
AUDIT_DETAILS = f"""
UNWIND $ids AS id
MATCH (e:Enterprise {{id: id}})-[:ASSESSED]->(a:Assessment)
WHERE {shown("a")} AND a.risk > 0 AND {IN_DISTRICTS}
OPTIONAL MATCH (e)-[:MEMBER_OF]->(n:Network) WHERE {shown("n")}
WITH e, a, n WHERE n IS NULL OR n.kind <> 'anti-smuggling'
RETURN e.id AS id, e.name AS name, e.category AS category, a.risk AS risk, a.reasons AS reasons, n.id AS network_id
"""

NETWORK_LEADS = f"""
MATCH (n:Network {{kind: 'anti-smuggling'}})
WHERE {shown("n")} AND ($districts IS NULL OR EXISTS {{
  MATCH (e:Enterprise)-[:MEMBER_OF]->(n) WHERE {IN_DISTRICTS} }})
WITH n ORDER BY n.score DESC, n.id LIMIT $limit
MATCH (e:Enterprise)-[:MEMBER_OF]->(n)
OPTIONAL MATCH (e)-[:ASSESSED]->(a:Assessment) WHERE {shown("a")}
WITH n, e, a.risk AS risk
ORDER BY coalesce(risk, 0.0) DESC, e.id
RETURN n.id AS id, n.score AS score, n.size AS size, n.value_at_stake AS value_at_stake, n.reasons AS reasons,
       collect(e {{.id, .name, risk: risk}}) AS members
ORDER BY score DESC, id
"""


class LeadsNeedAnalysis(RiskGraphError, LookupError):
    """The run the graph shows has no snapshot with the audit figures (analysed by an older version)."""

    status, code = 503, "no_snapshot"


@dataclass
class _Figures:
    """What the analysis shown found an audit of each importer would reach (its snapshot), and the period."""

    table: pd.DataFrame  # indexed by enterprise id: risk, tax_at_stake and the audit columns
    period: tuple[str, str]
    unit: str  # the money unit of the values


def _figures(home: Path, version: str) -> _Figures:
    """The audit figures of the snapshot ``version`` (the run the graph shows)."""
    try:
        snapshot = load_snapshot(home, version)
    except SnapshotMissing as exc:
        raise LeadsNeedAnalysis(f"{exc}; the leads rank what the analysis shown found") from exc
    columns = [f"audit_{c}" for c in AUDIT_COLUMNS]
    if "audit_period" not in snapshot.metadata or not set(columns) <= set(snapshot.enterprises.columns):
        raise LeadsNeedAnalysis("the analysis shown predates the audit figures: run `riskgraph analyze` again")
    table = snapshot.enterprises.set_index(snapshot.enterprises["id"].astype(str).rename(None))
    optional = [c for c in ("tax_at_stake", "violation_targets") if c in table]
    table = table[["risk", *optional, *columns]]
    table.columns = [c.removeprefix("audit_") for c in table.columns]
    start, end = snapshot.metadata["audit_period"]
    return _Figures(table, (start, end), snapshot.metadata.get("money_unit", "USD"))


def _targets(encoded: object) -> dict[str, int]:
    return json.loads(encoded) if isinstance(encoded, str) else {}


def _stakes(figures: pd.DataFrame, target: str | None) -> pd.DataFrame:
    """Revenue at stake and expected value per importer with declarations in the period, best first; with
    ``target``, only importers whose lead has that target (an audit recovers duty: ``tax`` when none was found)."""
    found = figures[figures["declarations"].fillna(0) > 0].copy()
    encoded = found["violation_targets"] if "violation_targets" in found else pd.Series(None, index=found.index)
    found["targets"] = encoded.map(_targets)
    found["target"] = found["targets"].map(lambda t: leading_target(t, "tax"))
    if target is not None:
        found = found[found["target"] == target]
    shortfall = found["tax_at_stake"].fillna(0.0).clip(lower=0.0) if "tax_at_stake" in found else 0.0
    found["shortfall"] = shortfall
    # Without any duty rate the duty is unknown, not zero: the declared value is what an audit reaches.
    found["by_value"] = (found["with_duty_rate"] == 0) & (found["shortfall"] == 0)
    declared = found["declared_value"].fillna(0.0)
    found["stake"] = declared.where(found["by_value"], found["duty_declared"].fillna(0.0) + found["shortfall"])
    found["value"] = found["risk"].fillna(0.0) * found["stake"]
    found = found[found["value"] > 0]
    found["order"] = found.index
    return found.sort_values(["value", "order"], ascending=[False, True])


def _audit_leads(driver, database, run: dict, figures: _Figures, limit, districts, target: str | None) -> list[dict]:
    """The best ``limit`` importers by expected value that the graph shows in the key's districts, outside
    anti-smuggling networks: the ranking is read from the snapshot, the graph asked about its head only
    (a batch at a time, larger each round, until ``limit`` are found)."""
    ranked = _stakes(figures.table, target)
    leads, start, batch = [], 0, max(2 * limit, 200)
    while len(leads) < limit and start < len(ranked):
        head = ranked.iloc[start : start + batch]
        records = driver.execute_query(
            AUDIT_DETAILS,
            **run,
            ids=head.index.tolist(),
            districts=districts,
            database_=database,
            routing_=neo4j.RoutingControl.READ,
        ).records
        found = {r["id"]: r for r in records}
        for eid, row in head.iterrows():
            if eid in found and len(leads) < limit:
                leads.append(_audit_lead(found[eid], row, figures.unit, figures.period))
        start, batch = start + batch, batch * 4
    return leads


def _audit_lead(r, row, unit: str, period: tuple[str, str]) -> dict:
    stake, value = float(row["stake"]), float(r["risk"]) * float(row["stake"])
    return {
        "id": r["id"],
        "kind": "audit",
        "subject": "enterprise",
        "name": r["name"],
        "target": row["target"],
        "score": round(value, 2),
        "figures": {
            "expected_value": round(value, 2),
            "probability": round(r["risk"], 4),
            "revenue_at_stake": round(stake, 2),
            "stake_basis": "declared value (no duty rate recorded)" if row["by_value"] else "duty",
            "currency": unit,
            "duty_declared": round(float(row["duty_declared"]), 2),
            "tax_shortfall": round(float(row["shortfall"]), 2),
            "declarations": int(row["declarations"]),
            "declared_value": round(float(row["declared_value"] or 0.0), 2),
            "inspected": int(row["inspected"]),
            "violations": int(row["violations"]),
            "violations_by_target": row["targets"],
            "category": r["category"],
            "network_id": r["network_id"],
            "period_from": period[0],
            "period_to": period[1],
        },
        "reasons": json.loads(r["reasons"] or "[]"),
        "members": [],
    }


def _network_leads(driver, database, run: dict, figures: _Figures, limit, districts, target: str | None) -> list[dict]:
    """The networks routed to anti-smuggling, best first; with ``target``, those whose members' violations
    mostly belong to it (read a batch at a time, as audit leads are)."""
    scope = Scope(driver, database, districts)
    table = figures.table
    leads: list[dict] = []
    asked = limit if target is None else max(4 * limit, 100)
    while True:
        records = driver.execute_query(
            NETWORK_LEADS,
            **run,
            districts=districts,
            limit=asked,
            database_=database,
            routing_=neo4j.RoutingControl.READ,
        ).records
        leads = [lead for r in records if (lead := _network_lead(r, table, figures.period, scope))]
        leads = [lead for lead in leads if target is None or lead["target"] == target]
        if len(leads) >= limit or len(records) < asked:
            return leads[:limit]
        asked *= 4


def _network_lead(r, table: pd.DataFrame, period: tuple[str, str], scope: Scope) -> dict:
    members = table.reindex([m["id"] for m in r["members"]])
    targets: dict[str, int] = {}
    for encoded in members.get("violation_targets", pd.Series(dtype=object)):
        for name, n in _targets(encoded).items():
            targets[name] = targets.get(name, 0) + n
    return {
        "id": r["id"],
        "kind": "anti-smuggling",
        "subject": "network",
        "name": f"network {r['id']} ({r['size']} firms)",
        "target": leading_target(targets, None),
        "score": r["score"],
        "figures": {
            "network_score": r["score"],
            "size": r["size"],
            "value_at_stake": round(r["value_at_stake"] or 0.0, 2),
            "declarations": int(members["declarations"].fillna(0).sum()),
            "declared_value": round(float(members["declared_value"].fillna(0.0).sum()), 2),
            "inspected": int(members["inspected"].fillna(0).sum()),
            "violations": int(members["violations"].fillna(0).sum()),
            "violations_by_target": targets,
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


def rank_leads(
    driver: neo4j.Driver,
    database: str,
    kind: str,
    limit: int = 100,
    *,
    home: Path,
    districts: frozenset[str] | None = None,
    target: str | None = None,
) -> list[dict]:
    """The ``limit`` best leads of ``kind``, best first, as the analysis the graph shows found them.

    The figures (declarations, values, duty, inspections and violations over the audit period, and the tax
    shortfall) are those the analysis aggregated from the declarations and kept in its snapshot under
    ``home``: a lead is read without a pass over the declarations, and ranks what that run knew.

    Parameters
    ----------
    kind : {"audit", "anti-smuggling"}
    districts : frozenset of str, optional
        District office codes; None means everywhere.
    target : str, optional
        Only leads of this risk target (``graph.targets``): the target most of the violations found on the
        firm's (the network members') declarations belong to; an audit lead without any is ``tax``, the duty
        an audit recovers.

    Returns
    -------
    list of dict
        ``{"id", "kind", "subject" ("enterprise" | "network"), "name", "target", "score" (expected value for
        audit, network score for anti-smuggling), "figures" (what the score was computed from),
        "reasons" ([{signal, strength, detail}], strongest first), "members" ([{id, name, risk}],
        networks only)}``. Empty before the first analysis.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    run, version = shown_run_and_snapshot(driver, database)  # one read: the figures and the graph of one run
    if version is None:
        return []
    figures = _figures(home, version)
    scope = None if districts is None else sorted(districts)
    if kind == "audit":
        return _audit_leads(driver, database, run, figures, limit, scope, target)
    return _network_leads(driver, database, run, figures, limit, scope, target)
