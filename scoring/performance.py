"""Performance feedback: hit rates per rule, channel, office and sub-centre, and what targeting misses.

Hit rate = violations found / declarations inspected with a recorded outcome. The random sample
(declarations sent to inspection by random selection, whatever their score) is the unbiased part
of the feedback: its violation rate among declarations the score would have *released*
(level low) estimates how many violations the fast-release channel lets through. A rule that has
not hit for ``idle_days`` (or hit ``MIN_INSPECTED`` inspected declarations without one violation)
is listed as a candidate to retire. Revenue recovered is summed in US dollars (:mod:`graph.currency`;
an outcome on a declaration in a currency without a rate adds nothing).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import neo4j

from graph.currency import USD_REVENUE_RECOVERED, graph_money
from graph.model import schema
from graph.reference import office_by_code
from scoring.decision_log import DecisionLog
from scoring.rules import Rule

__all__ = ["performance_report"]

schema().node("Declaration")
MIN_INSPECTED = 20

OUTCOMES_WITH_DECISIONS = f"""
MATCH (d:Declaration)
WHERE d.channel IS NOT NULL AND d.inspected = 1
  AND ($since IS NULL OR d.date >= date($since)) AND ($until IS NULL OR d.date <= date($until))
RETURN collect([d.office, d.channel, d.level, d.random_selected, d.rule_hits, d.violation, {USD_REVENUE_RECOVERED}])
       AS rows
"""


def _rate(entry: dict) -> dict:
    entry["hit_rate"] = round(entry["violations"] / entry["inspected"], 4) if entry["inspected"] else None
    return entry


def _empty() -> dict:
    return {"inspected": 0, "violations": 0, "revenue_recovered": 0.0}


def performance_report(
    driver: neo4j.Driver,
    database: str,
    log: DecisionLog,
    rules: list[Rule],
    since: date | None = None,
    until: date | None = None,
    idle_days: int = 90,
) -> dict:
    params = {
        "since": since and since.isoformat(),
        "until": until and until.isoformat(),
        "per_usd": graph_money(driver, database).per_unit,
    }
    rows = driver.execute_query(
        OUTCOMES_WITH_DECISIONS, params, database_=database, routing_=neo4j.RoutingControl.READ
    ).records[0]["rows"]
    by = {k: defaultdict(_empty) for k in ("channel", "office", "sub_centre", "rule")}
    random = defaultdict(_empty)
    for office, channel, level, chosen, hits, violation, revenue in rows:
        found, recovered = int(violation == 1), float(revenue or 0.0)
        office_ref = office_by_code(office or "")
        keys = {
            "channel": [channel],
            "office": [office or "unknown"],
            "sub_centre": [office_ref.parent if office_ref else "unknown"],
            "rule": [r for r in (hits or "").split(";") if r],
        }
        if chosen:
            keys["channel"] = ["random selection"]
        for kind, names in keys.items():
            for name in names:
                entry = by[kind][name]
                entry["inspected"] += 1
                entry["violations"] += found
                entry["revenue_recovered"] += recovered
        if chosen:
            entry = random[level or "unknown"]
            entry["inspected"] += 1
            entry["violations"] += found
    scored_since = since.isoformat() if since else None
    scored_until = (until + timedelta(days=1)).isoformat() if until else None
    activity = log.rule_activity(scored_since, scored_until)
    ever = log.rule_activity()
    stale_before = (datetime.now(UTC) - timedelta(days=idle_days)).isoformat()
    rules_out = {}
    for rule in rules:
        outcome = by["rule"].get(rule.id, _empty())
        last_hit = ever.get(rule.id, {}).get("last_hit")
        entry = _rate({"hits": activity.get(rule.id, {}).get("hits", 0), "last_hit": last_hit, **outcome})
        entry["enabled"] = rule.enabled
        reasons = []
        old_enough = rule.changed_at is None or rule.changed_at.isoformat() < stale_before
        if rule.enabled and old_enough and (last_hit is None or last_hit < stale_before):
            reasons.append(f"no hit in the last {idle_days} days")
        if rule.enabled and entry["inspected"] >= MIN_INSPECTED and entry["violations"] == 0:
            reasons.append(f"{entry['inspected']} inspected hits, no violation")
        entry["retire_candidate"] = "; ".join(reasons) or None
        rules_out[rule.id] = entry
    released = random.get("low", _empty())
    return {
        "period": {"from": params["since"], "to": params["until"]},
        "outcomes": len(rows),
        "channels": {k: _rate(v) for k, v in sorted(by["channel"].items())},
        "offices": {k: _rate(v) for k, v in sorted(by["office"].items())},
        "sub_centres": {k: _rate(v) for k, v in sorted(by["sub_centre"].items())},
        "rules": rules_out,
        "random_sample": {
            "by_level": {k: _rate(v) for k, v in sorted(random.items())},
            "missed_in_fast_release": {
                "inspected": released["inspected"],
                "violation_rate": _rate(dict(released))["hit_rate"],
                "meaning": "violation rate among randomly inspected declarations the score would have released",
            },
        },
    }
