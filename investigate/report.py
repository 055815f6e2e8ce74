"""The figures of the analysis report for decision makers, computed once for the HTML page and the JSON.

What a monthly report answers, in the seed's terms (step 2's results: an *analysis report*, a
*warning*, *instructions*):

- **trends**: declarations, declared value and the share lodged by high-risk importers, per month,
  with inspections, violations found and the hit rate (violations / inspections);
- **channel mix**: the clearance decisions logged by the risk engine, per channel and level;
- **where inspection capacity went**: inspections per district, sub-centre, channel and level, each
  with its hit rate and revenue recovered (a place that inspects a lot and finds little is capacity
  to move);
- **risk targets**: per target (tax, security, IPR, drugs, ...: the target of a violation is that of its type,
  :mod:`graph.targets`), its violations per month, its share of inspections that found one, and the districts
  that found them;
- **top networks** with their links, for a small chart each;
- **warnings**: high-risk networks in the latest analysis run that the previous run did not have
  (networks are renumbered every run, so they are matched by members: a network is new when none of
  its members was in a high-risk network before);
- **special operations**: what each operation selected, inspected and found, its interim review at half time and
  its hit rate against the same scope before it started (``scoring.operation_results``, given by the caller);
- **utilisation**: per office and officer, inspections assigned and done, hours rostered, hits per officer-hour, and
  the days capacity was short or idle (:mod:`scoring.utilisation`);
- **policy recommendations**: findings turned into proposals (a reference price, a licence requirement, a procedure
  change at an office), each with its evidence (:mod:`investigate.recommendations`);
- **instructions**: the networks to open an anti-smuggling case on, the importers to audit (the top
  leads of :mod:`investigate.leads`) and their latest declarations never inspected, each with why.

Amounts are in US dollars at the reference rates of :mod:`graph.currency` (a declaration in a currency
without a rate is left out of the sums). The declaration-sized figures (months, inspections, violations by
type) are aggregated by the declarations engine over the columnar copy; the graph answers the rest. Trends,
capacity and hit rates cover the ``months`` months up to the latest declaration.
``districts`` limits everything to declarations lodged at those district offices and to the
enterprises and networks with one there.
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path

import neo4j
import pyarrow as pa

from analysis.aggregates import newest_date, register_rates
from analysis.snapshot import SnapshotMissing, load_snapshot, snapshot_versions
from columnar.engines import DeclarationEngine, open_declarations
from columnar.store import DeclarationStore
from graph.jurisdiction import OUTSIDE, Scope
from graph.model import schema
from graph.reference import office_by_code, sub_centre_of
from graph.runs import shown, shown_run
from graph.scope import DECLARATION, in_jurisdiction
from graph.targets import target_table
from investigate import explore
from investigate.leads import rank_leads
from investigate.queries import top_networks
from investigate.recommendations import QUERIES as RECOMMENDATION_QUERIES
from investigate.recommendations import policy_recommendations
from scoring.model import model_card
from scoring.utilisation import read_utilisation

__all__ = ["HIGH_RISK", "HIGH_NETWORK_SCORE", "analysis_report", "new_high_risk_networks"]

#: an enterprise is high-risk from this analysed risk (the red band of the charts)
HIGH_RISK = 0.6
#: a network is high-risk from this score (0..100), the same line on its scale
HIGH_NETWORK_SCORE = 60.0
CHART_NODES = 60

for _label in ("Enterprise", "Declaration", "Network", "CustomsOffice"):
    schema().node(_label)
for _rel in ("FILED", "LODGED_AT", "MEMBER_OF"):
    schema().relationship(_rel)

# The declaration-sized figures, aggregated by the declarations engine over the columnar copy
# (:mod:`columnar`), not streamed out of the graph: the declarations of the period (from $since to $until) lodged
# in the key's offices (the ``scope`` table; every office when $everywhere), in the money unit (``rates``).
_PERIOD = """
WITH period AS (
  SELECT d.*, strftime(d.date, '%Y-%m') AS month, d.value / r.per_unit AS money,
         d.revenue_recovered / r.per_unit AS recovered
  FROM declarations d LEFT JOIN rates r ON r.currency = d.currency
  WHERE d.date >= $since AND d.date <= $until AND ($everywhere OR d.office IN (SELECT code FROM scope))
)
"""
MONTHS = (
    _PERIOD
    + """
SELECT month, count(*) AS declarations, coalesce(sum(money), 0.0) AS declared_value,
       CAST(sum(coalesce(inspected, 0)) AS BIGINT) AS inspected,
       CAST(sum(coalesce(violation, 0)) AS BIGINT) AS violations, coalesce(sum(recovered), 0.0) AS revenue_recovered,
       CAST(sum(CASE WHEN importer_id IN (SELECT id FROM high_risk) THEN 1 ELSE 0 END) AS BIGINT)
         AS high_risk_declarations
FROM period GROUP BY month ORDER BY month
"""
)
INSPECTIONS = (
    _PERIOD
    + """
SELECT office, channel, level, coalesce(random_selected, 0) AS random, count(*) AS inspected,
       CAST(sum(coalesce(violation, 0)) AS BIGINT) AS violations, coalesce(sum(recovered), 0.0) AS revenue_recovered
FROM period WHERE inspected = 1 GROUP BY office, channel, level, coalesce(random_selected, 0)
"""
)
VIOLATIONS_BY_TYPE = (
    _PERIOD
    + """
SELECT month, office, violation_type AS type, count(*) AS n
FROM period WHERE violation = 1 GROUP BY month, office, violation_type
"""
)
#: the queries above by name (run on both engines by the engines' agreement test)
QUERIES = {"MONTHS": MONTHS, "INSPECTIONS": INSPECTIONS, "VIOLATIONS_BY_TYPE": VIOLATIONS_BY_TYPE}

HIGH_RISK_FIRMS = f"""
MATCH (a:Assessment) WHERE {shown("a")} AND a.risk >= $high
RETURN collect(a.enterprise) AS ids
"""

UNINSPECTED = f"""
UNWIND $ids AS id
MATCH (e:Enterprise {{id: id}})-[:FILED {{role: 'consignee'}}]->(d:Declaration)
WHERE coalesce(d.inspected, 0) = 0 AND {in_jurisdiction(DECLARATION, "d")}
WITH e, d ORDER BY d.date DESC, d.id
WITH e, collect(d)[..$per] AS latest
UNWIND latest AS d
RETURN e.id AS enterprise, d.id AS id, toString(d.date) AS date, d.office AS office, d.hs6 AS hs6,
       d.origin AS origin, d.value AS value, d.currency AS currency
"""


def _read(driver: neo4j.Driver, database: str, query: str, **params) -> list[dict]:
    records = driver.execute_query(query, params, database_=database, routing_=neo4j.RoutingControl.READ).records
    return [r.data() for r in records]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _month_keys(latest: date, months: int) -> list[str]:
    """``YYYY-MM`` of the ``months`` months ending with the month of ``latest``, oldest first."""
    last = latest.year * 12 + latest.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(last - months + 1, last + 1)]


def _declaration_figures(
    driver, database, engine: DeclarationEngine, period: tuple[str, str], districts
) -> tuple[dict[str, list[dict]], str]:
    """The rows of :data:`QUERIES` (and of the recommendations') for the period and districts, and their money
    unit, from the declarations' columnar copy (written by ``ingest`` beside the graph; a load killed between
    the two shows here once the next analysis checked it)."""
    high = driver.execute_query(
        HIGH_RISK_FIRMS, shown_run(driver, database), high=HIGH_RISK, database_=database,
        routing_=neo4j.RoutingControl.READ,
    ).records[0]["ids"]  # fmt: skip
    params = {
        "since": date.fromisoformat(period[0]),
        "until": date.fromisoformat(period[1]),
        "everywhere": districts is None,
    }
    money = register_rates(engine)
    engine.register("scope", pa.table({"code": pa.array(list(districts or []), pa.string())}))
    engine.register("high_risk", pa.table({"id": pa.array(high, pa.string())}))
    queries = {**QUERIES, **RECOMMENDATION_QUERIES}
    frames = {name: engine.frame(query, params) for name, query in queries.items()}
    # through JSON: plain ints, floats and None for what the page and the API serialise
    return {name: json.loads(frame.to_json(orient="records")) for name, frame in frames.items()}, money.unit


def _trends(rows: list[dict], months: list[str]) -> list[dict]:
    """One row per month of the period, months without declarations included (as zeros)."""
    found = {r["month"]: r for r in rows}
    empty = {"declarations": 0, "declared_value": 0.0, "inspected": 0, "violations": 0, "revenue_recovered": 0.0}
    empty["high_risk_declarations"] = 0
    rows = [found.get(month, {"month": month, **empty}) for month in months]
    return [
        {
            "month": row["month"],
            **{k: int(row[k]) for k in ("declarations", "inspected", "violations", "high_risk_declarations")},
            "declared_value": round(float(row["declared_value"]), 2),
            "revenue_recovered": round(float(row["revenue_recovered"]), 2),
            "high_risk_share": _rate(int(row["high_risk_declarations"]), int(row["declarations"])),
            "hit_rate": _rate(int(row["violations"]), int(row["inspected"])),
        }
        for row in rows
    ]


def _sub_centre_name(office) -> str:
    """The sub-centre above a district or a post (its district's), else the office's parent."""
    above = office and (sub_centre_of(office.code) or office.parent)
    return office_by_code(above).name if above and office_by_code(above) else "not recorded"


def _capacity(rows: list[dict]) -> dict:
    """Inspections per district, sub-centre, channel, level and selection (random or targeted), largest first,
    with hit rates; ``selection_gap``: how many points the targeted hit rate is above the random one (the
    random selections show what all declarations hold, so the gap is what targeting adds - or, in a model's
    training data, the selection bias it would learn)."""
    total = sum(r["inspected"] for r in rows)
    groups: dict[str, dict] = {
        k: defaultdict(lambda: [0, 0, 0.0]) for k in ("office", "sub_centre", "channel", "level", "selection")
    }
    for r in rows:
        office = office_by_code(r["office"] or "")
        keys = {
            "office": office.name if office else "not recorded",
            "sub_centre": _sub_centre_name(office),
            "channel": r["channel"] or "before risk scoring",
            "level": r["level"] or "before risk scoring",
            "selection": "random" if r["random"] == 1 else "targeted" if r["channel"] else "before risk scoring",
        }
        for dimension, key in keys.items():
            entry = groups[dimension][key]
            entry[0] += r["inspected"]
            entry[1] += r["violations"]
            entry[2] += r["revenue_recovered"]
    chosen = {k: groups["selection"].get(k, [0, 0, 0.0]) for k in ("random", "targeted")}
    rates = {k: _rate(found, n) for k, (n, found, _) in chosen.items()}
    return {
        "inspected": total,
        "selection_gap": {
            "random": {"inspected": chosen["random"][0], "hit_rate": rates["random"]},
            "targeted": {"inspected": chosen["targeted"][0], "hit_rate": rates["targeted"]},
            "points": None if None in rates.values() else round(100 * (rates["targeted"] - rates["random"]), 2),
        },
        **{
            f"by_{dimension}": [
                {
                    "name": key,
                    "inspected": n,
                    "share": round(n / total, 4) if total else None,
                    "violations": found,
                    "hit_rate": _rate(found, n),
                    "revenue_recovered": round(recovered, 2),
                }
                for key, (n, found, recovered) in sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ]
            for dimension, table in groups.items()
        },
    }


def _targets(rows: list[dict], months: list[str], inspected: int) -> list[dict]:
    """Per risk target: its violations per month, its hit rate among all inspections, and the districts that
    found them (most first); ``other`` gathers the types no target claims."""
    table = target_table()
    of, _ = table.classify(r["type"] for r in rows)
    found = {t: {"months": defaultdict(int), "offices": defaultdict(int)} for t in table.targets()}
    for r, target in zip(rows, of, strict=True):
        entry = found.setdefault(target, {"months": defaultdict(int), "offices": defaultdict(int)})
        entry["months"][r["month"]] += r["n"]
        office = office_by_code(r["office"] or "")
        entry["offices"][office.name if office else "not recorded"] += r["n"]
    out = []
    for target, entry in found.items():
        total = sum(entry["months"].values())
        out.append(
            {
                "target": target,
                "violations": total,
                "hit_rate": _rate(total, inspected),
                "months": [{"month": m, "violations": entry["months"].get(m, 0)} for m in months],
                "by_office": [
                    {"name": name, "violations": n}
                    for name, n in sorted(entry["offices"].items(), key=lambda kv: (-kv[1], kv[0]))
                ],
            }
        )
    return out


def _top_networks(scope: Scope, top: int) -> list[dict]:
    chosen = top_networks(scope.driver, scope.database, top, scope=scope)
    for net in chosen:
        net["reasons"] = net["reasons"][:3]
        inside = [m for m in net["members"] if m is not None]
        net["chart"] = explore.neighbourhood(scope.driver, scope.database, inside, 1, CHART_NODES, scope)
        net["members"] = [m or OUTSIDE for m in net["members"]]
    return chosen


def new_high_risk_networks(latest: list[dict], previous: list[dict], threshold: float = HIGH_NETWORK_SCORE) -> list:
    """Networks of ``latest`` scoring at least ``threshold`` none of whose members was in one before.

    Each comes back with ``previous_score``: the highest score among earlier networks sharing a
    member (None when its members were in none), so "escalated" reads apart from "appeared".
    """
    before_high = {m for net in previous if net["score"] >= threshold for m in net["members"]}
    before_score: dict[str, float] = {}
    for net in previous:
        for m in net["members"]:
            before_score[m] = max(before_score.get(m, 0.0), net["score"])
    found = []
    for net in latest:
        if net["score"] >= threshold and not before_high.intersection(net["members"]):
            scores = [before_score[m] for m in net["members"] if m in before_score]
            found.append({**net, "previous_score": max(scores) if scores else None})
    return found


def _warnings(scope: Scope, home: Path) -> dict:
    versions = snapshot_versions(home)
    try:
        latest = load_snapshot(home)
    except SnapshotMissing:
        return {"latest": None, "previous": None, "items": []}
    earlier = [v for v in versions if v < latest.version]
    if not earlier:
        return {"latest": latest.version, "previous": None, "items": []}
    previous = load_snapshot(home, earlier[-1])
    found = new_high_risk_networks(latest.networks, previous.networks)
    seen = scope.visible("Enterprise", [m for n in found for m in n["members"]])
    items = []
    for net in found:
        if not seen.intersection(net["members"]):
            continue
        members = [m if m in seen else OUTSIDE for m in net["members"]]
        how = (
            "appeared since the previous run"
            if net["previous_score"] is None
            else f"rose from score {net['previous_score']:.0f}"
        )
        lead = scope.scrub(net["reasons"][0]["detail"]) if net["reasons"] else ""
        items.append(
            {
                "network_id": net["id"],
                "score": net["score"],
                "kind": net["kind"],
                "members": members,
                "previous_score": net["previous_score"],
                "detail": f"network {net['id']} ({len(net['members'])} firms, score {net['score']:.0f}, "
                f"{net['kind']}) {how}: {lead}",
            }
        )
    return {
        "latest": latest.version,
        "latest_as_of": latest.metadata.get("as_of"),
        "previous": previous.version,
        "previous_as_of": previous.metadata.get("as_of"),
        "items": items,
    }


def _instructions(scope: Scope, home: Path, count: int) -> list[dict]:
    """Cases to open, audits to plan and declarations to check, each with its reason."""
    out = []
    driver, database, districts = scope.driver, scope.database, scope.districts
    limit = None if districts is None else frozenset(districts)
    for lead in rank_leads(driver, database, "anti-smuggling", max(1, count // 3), home=home, districts=limit):
        shown = [m["id"] or OUTSIDE for m in lead["members"][:6]]
        members = ", ".join(shown) + (" …" if len(lead["members"]) > 6 else "")
        why = lead["reasons"][0]["detail"] if lead["reasons"] else f"network score {lead['score']:.0f}"
        out.append(
            {
                "action": "open an anti-smuggling case",
                "target": f"network {lead['id']}: {members}",
                "enterprises": [m["id"] for m in lead["members"] if m["id"] is not None],
                "why": f"score {lead['score']:.0f}; {why}",
            }
        )
    for lead in rank_leads(driver, database, "audit", count, home=home, districts=limit):
        figures = lead["figures"]
        why = lead["reasons"][0]["detail"] if lead["reasons"] else "analysed risk"
        out.append(
            {
                "action": "targeted customs audit",
                "target": f"{lead['id']} {lead['name'] or ''}".strip(),
                "enterprises": [lead["id"]],
                "why": f"expected value {figures['expected_value']:,.0f} (risk {figures['probability']:.2f} x "
                f"revenue at stake {figures['revenue_at_stake']:,.0f}); {why}",
            }
        )
    firms = list(dict.fromkeys(e for item in out for e in item["enterprises"]))
    reason_of = {e: item["action"] for item in out for e in reversed(item["enterprises"])}
    rows = _read(driver, database, UNINSPECTED, ids=firms, per=2, districts=districts)
    rows.sort(key=lambda r: (firms.index(r["enterprise"]), r["date"] or "", r["id"]))
    for r in rows[: 2 * count]:
        office = office_by_code(r["office"] or "")
        out.append(
            {
                "action": "check declaration",
                "target": f"{r['id']} of {r['date']} at {office.name if office else 'unknown office'}",
                "enterprises": [r["enterprise"]],
                "why": f"latest uninspected declaration of {r['enterprise']} (to {reason_of[r['enterprise']]}): "
                f"HS {r['hs6']} from {r['origin']}, value {r['value'] or 0:,.0f} {r['currency'] or ''}".rstrip(),
            }
        )
    return out


def analysis_report(
    driver: neo4j.Driver,
    database: str,
    home: Path,
    *,
    decisions: dict | None = None,
    months: int = 12,
    top: int = 5,
    instructions: int = 6,
    districts: frozenset[str] | None = None,
    operations: list[dict] | None = None,
) -> dict:
    """Every figure of the report as plain JSON-ready data.

    Parameters
    ----------
    home : Path
        ``$RISKGRAPH_HOME``: the analysis snapshots to compare and the tax shortfalls.
    decisions : dict, optional
        :meth:`scoring.decision_log.DecisionLog.channel_mix` (None: no clearance decisions to show).
    months : int
        How many months of trends, ending with the month of the latest declaration.
    top : int
        How many networks to show with a chart.
    instructions : int
        How many audits to instruct (cases: a third of it; declarations: twice it).
    operations : list of dict, optional
        :func:`scoring.operation_results.operations_review` (None: none to show).
    """
    if months < 1 or top < 1 or instructions < 1:
        raise ValueError("months, top and instructions must be at least 1")
    # the copy the figures come from, opened once for its newest date and its figures
    with open_declarations(DeclarationStore(home)) as engine:
        return _report(driver, database, home, engine, decisions, months, top, instructions, districts, operations)


def _report(
    driver, database, home: Path, engine: DeclarationEngine, decisions, months, top, instructions, districts, operations
) -> dict:
    scope = None if districts is None else sorted(districts)
    newest = newest_date(engine)
    latest = None if newest is None else newest.date()
    snapshot_meta = None
    with suppress(SnapshotMissing):
        snapshot_meta = load_snapshot(home).metadata
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "districts": scope,
        "analysis": snapshot_meta and {k: snapshot_meta.get(k) for k in ("version", "as_of", "analysed_at", "engine")},
        "decisions": decisions,
        "model": model_card(home),
        "operations": operations or [],
    }
    limited = Scope(driver, database, scope)
    report["warnings"] = _warnings(limited, home)
    if latest is None:  # nothing ingested yet: the report says so instead of failing
        return {
            **report,
            "period": None,
            "totals": None,
            "months": [],
            "capacity": None,
            "utilisation": None,
            "targets": [],
            "networks": [],
            "instructions": [],
            "recommendations": [],
        }
    keys = _month_keys(latest, months)
    period = (f"{keys[0]}-01", latest.isoformat())
    figures, unit = _declaration_figures(driver, database, engine, period, scope)
    trend = _trends(figures["MONTHS"], keys)
    totals = {
        k: sum(m[k] for m in trend)
        for k in ("declarations", "declared_value", "inspected", "violations", "revenue_recovered")
    }
    totals["hit_rate"] = _rate(totals["violations"], totals["inspected"])
    totals["declared_value"] = round(totals["declared_value"], 2)
    totals["revenue_recovered"] = round(totals["revenue_recovered"], 2)
    return {
        **report,
        "period": {"from": period[0], "to": period[1], "months": months},
        "totals": totals,
        "months": trend,
        "capacity": _capacity(figures["INSPECTIONS"]),
        "utilisation": read_utilisation(home, *map(date.fromisoformat, period), districts),
        "targets": _targets(figures["VIOLATIONS_BY_TYPE"], keys, totals["inspected"]),
        "networks": _top_networks(limited, top),
        "instructions": _instructions(limited, home, instructions),
        "recommendations": policy_recommendations(figures, unit),
    }
