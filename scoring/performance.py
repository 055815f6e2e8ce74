"""Performance feedback: hit rates per rule, channel, office, sub-centre, risk target, officer and inspection type,
and what targeting misses.

Hit rate = violations found / declarations inspected with a recorded outcome. The random sample
(declarations sent to inspection by random selection, whatever their score) is the unbiased part
of the feedback: its violation rate among declarations the score would have *released*
(level low) estimates how many violations the fast-release channel lets through. A rule that has
not hit for ``idle_days`` (or hit ``MIN_INSPECTED`` inspected declarations without one violation)
is listed as a candidate to retire.

Per risk target (``graph.targets``: the target of a violation is that of its type): the declarations the scoring
led with that target that were inspected, and how many of them held a violation *of that target* (its hit rate);
the violations of the target found whatever led; and the random sample's rate of them, the unbiased estimate of
how common they are among what is lodged. Revenue recovered is summed in US dollars (:mod:`graph.currency`;
an outcome on a declaration in a currency without a rate adds nothing).

Per officer and per inspection type (from inspection acts, ``POST /v1/inspections``): inspections, violations,
revenue, hours spent (start to end) and violations per hour.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from analysis.aggregates import register_rates
from columnar.engines import open_declarations
from columnar.store import DeclarationStore
from graph.reference import office_by_code, sub_centre_of
from graph.targets import OTHER, target_table
from scoring.decision_log import DecisionLog
from scoring.rules import Rule

__all__ = ["QUERIES", "performance_report"]

MIN_INSPECTED = 20

# Declaration-sized, so aggregated by the declarations engine over the columnar copy (what the graph shows, with
# the outcomes and inspection acts recorded since): one row per combination of what the report groups by.
OUTCOMES_WITH_DECISIONS = """
SELECT d.office, d.channel, d.level, coalesce(d.random_selected, 0) AS random, d.rule_hits,
       coalesce(d.violation, 0) AS violation, d.violation_type, d.leading_target, d.officer, d.inspection_type,
       count(*) AS n, coalesce(sum(d.revenue_recovered / r.per_unit), 0.0) AS revenue,
       coalesce(sum(d.inspection_minutes), 0.0) AS minutes
FROM declarations d LEFT JOIN rates r ON r.currency = d.currency
WHERE d.channel IS NOT NULL AND d.inspected = 1 AND d.date >= $since AND d.date <= $until
GROUP BY d.office, d.channel, d.level, coalesce(d.random_selected, 0), d.rule_hits, coalesce(d.violation, 0),
         d.violation_type, d.leading_target, d.officer, d.inspection_type
"""
#: the queries above by name (run on both engines by the engines' agreement test)
QUERIES = {"OUTCOMES_WITH_DECISIONS": OUTCOMES_WITH_DECISIONS}


def _rate(entry: dict) -> dict:
    entry["hit_rate"] = round(entry["violations"] / entry["inspected"], 4) if entry["inspected"] else None
    return entry


def _empty() -> dict:
    return {"inspected": 0, "violations": 0, "revenue_recovered": 0.0}


def _act_entry() -> dict:
    return {**_empty(), "hours": 0.0}


def _per_hour(entry: dict) -> dict:
    entry = _rate(entry)
    entry["hours"] = round(entry["hours"], 2)
    entry["violations_per_hour"] = round(entry["violations"] / entry["hours"], 4) if entry["hours"] else None
    return entry


def _target_entry() -> dict:
    return {"inspected": 0, "violations": 0, "found": 0, "random_violations": 0}


def _target_rates(entry: dict, random_inspected: int) -> dict:
    rate = entry.pop("random_violations") / random_inspected if random_inspected else None
    return {**_rate(entry), "random_violation_rate": None if rate is None else round(rate, 4)}


def _outcome_groups(store: DeclarationStore, since: date | None, until: date | None) -> list[tuple]:
    with open_declarations(store) as engine:
        register_rates(engine)
        bounds = {"since": since or date.min, "until": until or date.max}
        frame = engine.frame(OUTCOMES_WITH_DECISIONS, bounds)
    frame = frame.astype(object).where(frame.notna(), None)
    return list(frame.itertuples(index=False, name=None))


def performance_report(
    store: DeclarationStore,
    log: DecisionLog,
    rules: list[Rule],
    since: date | None = None,
    until: date | None = None,
    idle_days: int = 90,
) -> dict:
    groups = _outcome_groups(store, since, until)
    by = {k: defaultdict(_empty) for k in ("channel", "office", "sub_centre", "rule")}
    acts = {k: defaultdict(_act_entry) for k in ("officer", "inspection_type")}
    random = defaultdict(_empty)
    table = target_table()
    targets = {t: _target_entry() for t in table.targets()}
    random_inspected = outcomes = 0
    for office, channel, level, chosen, hits, violation, vtype, leading, officer, kind, n, revenue, minutes in groups:
        found, recovered, chosen = int(violation == 1) * n, float(revenue), int(chosen == 1) * n
        outcomes += n
        for group, name in (("officer", officer), ("inspection_type", kind)):
            if name is not None:
                entry = acts[group][name]
                entry["inspected"] += n
                entry["violations"] += found
                entry["revenue_recovered"] += recovered
                entry["hours"] += float(minutes) / 60
        of = (table.target_of(vtype) or OTHER) if found else None
        if of is not None:
            targets.setdefault(of, _target_entry())["found"] += found
            targets[of]["random_violations"] += chosen
        if leading is not None:
            led = targets.setdefault(leading, _target_entry())
            led["inspected"] += n
            led["violations"] += found if of == leading else 0
        random_inspected += chosen
        office_ref = office_by_code(office or "")
        keys = {
            "channel": ["random selection" if chosen else channel],
            "office": [office or "unknown"],
            "sub_centre": [(sub_centre_of(office) or "unknown") if office_ref else "unknown"],
            "rule": [r for r in (hits or "").split(";") if r],
        }
        for group, names in keys.items():
            for name in names:
                entry = by[group][name]
                entry["inspected"] += n
                entry["violations"] += found
                entry["revenue_recovered"] += recovered
        if chosen:
            entry = random[level or "unknown"]
            entry["inspected"] += n
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
        "period": {"from": since and since.isoformat(), "to": until and until.isoformat()},
        "outcomes": outcomes,
        "channels": {k: _rate(v) for k, v in sorted(by["channel"].items())},
        "offices": {k: _rate(v) for k, v in sorted(by["office"].items())},
        "sub_centres": {k: _rate(v) for k, v in sorted(by["sub_centre"].items())},
        "rules": rules_out,
        "targets": {t: _target_rates(e, random_inspected) for t, e in targets.items()},
        "officers": {k: _per_hour(v) for k, v in sorted(acts["officer"].items())},
        "inspection_types": {k: _per_hour(v) for k, v in sorted(acts["inspection_type"].items())},
        "random_sample": {
            "by_level": {k: _rate(v) for k, v in sorted(random.items())},
            "missed_in_fast_release": {
                "inspected": released["inspected"],
                "violation_rate": _rate(dict(released))["hit_rate"],
                "meaning": "violation rate among randomly inspected declarations the score would have released",
            },
        },
    }
