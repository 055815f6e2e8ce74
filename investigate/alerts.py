"""Alerts: firms newly linked to an active intelligence record, raised after each analysis.

Cross-referencing walks from what each active record names to the firms within ``RISKGRAPH_INTEL_HOPS`` of it
(1 by default): at one hop the firm named, or holding the phone, address or legal representative named, or
the importer of a declaration that carried a named container (for a seizure, within
:data:`analysis.seizures.SEIZURE_WINDOW_DAYS` of it); each further hop shares a phone, address or
representative with a firm of the hop before. Each (record, firm) pair raises one alert, once: a pair already
alerted is not raised again, so after every ``riskgraph analyze`` the inbox holds what is new. An investigator
acknowledges an alert or opens a case on its firm from it.

A lookout hit at lodging raises its alert without waiting for an analysis (:func:`raise_lodging_alerts`, fed off
the request path by ``api.lodging_alerts``): the declaration's importer is linked to the record from then on. It
is the same (record, firm) alert the next analysis would raise, so that analysis raises no second one; a firm
the graph does not know yet is named by the alert alone until ingest brings it (then the analysis links it).

An alert is seen only by keys that may see both its record (``investigate.intel``) and its firm (lodged within
the key's jurisdiction, or for a hit at lodging, the declaration's office is); any other answers 404.
"""

from __future__ import annotations

import neo4j

from analysis.seizures import SEIZURE_WINDOW_DAYS
from graph.errors import RiskGraphError
from graph.model import schema
from graph.scope import ENTERPRISE, lodged_in_districts
from graph.targets import OTHER, targets_in_force
from investigate import cases

__all__ = [
    "AlertNotFound",
    "raise_alerts",
    "raise_lodging_alerts",
    "list_alerts",
    "acknowledge_alert",
    "open_case_from_alert",
]

for _label in ("Alert", "Intel", "Enterprise", "Address", "Phone", "Person", "Consignment", "Declaration"):
    schema().node(_label)
for _rel in ("RAISED_BY", "ABOUT", "MENTIONS", "HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "COVERS"):
    schema().relationship(_rel)

_SHARED = "HAS_ADDRESS|HAS_PHONE|HAS_LEGAL_REP"
_FIRST_HOP = f"""
MATCH (i:Intel {{status: 'active'}})-[m:MENTIONS]->(x)
WHERE i.valid_to IS NULL OR i.valid_to >= date()
CALL (i, x) {{
  WITH x WHERE x:Enterprise
  RETURN x AS e
  UNION
  MATCH (x)<-[:{_SHARED}]-(e:Enterprise)
  RETURN e
  UNION
  MATCH (x:Consignment)<-[:COVERS]-(d:Declaration)
  WHERE i.kind <> 'seizure' OR i.valid_from IS NULL OR abs(duration.inDays(i.valid_from, d.date).days) <= $days
  MATCH (e:Enterprise {{id: d.importer_id}})
  RETURN e
}}
"""
_MERGE = """
WITH i, f, min(hops) AS hops, min(via) AS via
MERGE (a:Alert {record: i.id, enterprise: f.id})
ON CREATE SET a.id = 'ALR-' + left(replace(randomUUID(), '-', ''), 12), a.raised = datetime(), a.status = 'new',
              a.hops = hops, a.via = via, a.source = 'analysis'
MERGE (a)-[:RAISED_BY]->(i)
MERGE (a)-[:ABOUT]->(f)
RETURN count(CASE WHEN a.raised >= $started THEN 1 END) AS raised
"""
#: the cross-reference for each number of hops (a fixed set of statements: nothing is pasted into Cypher)
_VIA = "m.as + ':' + coalesce(x.id, x.number, x.key) AS via"
CROSS_REFERENCE = {
    1: _FIRST_HOP + f"WITH i, e AS f, 1 AS hops, {_VIA}\n" + _MERGE,
    **{
        hops: _FIRST_HOP
        + f"""
MATCH p = (e)(()-[:{_SHARED}]->()<-[:{_SHARED}]-(:Enterprise)){{0,{hops - 1}}}(f:Enterprise)
WITH i, f, length(p) / 2 + 1 AS hops, {_VIA}
"""
        + _MERGE
        for hops in (2, 3)
    },
}
# A hit at lodging: one alert per (record, importer), as the cross-reference's; linked to the firm where it exists.
LODGING = """
UNWIND $hits AS h
MATCH (i:Intel {id: h.record})
MERGE (a:Alert {record: h.record, enterprise: h.enterprise})
ON CREATE SET a.id = 'ALR-' + left(replace(randomUUID(), '-', ''), 12), a.raised = datetime(), a.status = 'new',
              a.hops = 1, a.via = h.via, a.source = 'lodging', a.declaration = h.declaration, a.office = h.office,
              a.name = h.name
MERGE (a)-[:RAISED_BY]->(i)
WITH a
OPTIONAL MATCH (e:Enterprise {id: a.enterprise})
FOREACH (_ IN CASE WHEN e IS NULL THEN [] ELSE [1] END | MERGE (a)-[:ABOUT]->(e))
RETURN count(DISTINCT CASE WHEN a.raised >= $started THEN a END) AS raised
"""
_FIRM = f"(e IS NOT NULL AND {lodged_in_districts(ENTERPRISE, 'e')})"
_VISIBLE = f"($districts IS NULL OR (i.jurisdiction IN $districts AND ({_FIRM} OR a.office IN $districts)))"
_MATCH = "OPTIONAL MATCH (a)-[:ABOUT]->(e:Enterprise)\nWITH a, i, e"
_FIELDS = """a {.id, .record, .enterprise, .hops, .via, .status, .handled_by, .case_id, .declaration, .office,
   source: coalesce(a.source, 'analysis'), raised: toString(a.raised), handled: toString(a.handled), kind: i.kind,
   target: i.target, name: coalesce(e.name, a.name)} AS alert"""
LIST = f"""
MATCH (a:Alert)-[:RAISED_BY]->(i:Intel) WHERE $status IS NULL OR a.status = $status
{_MATCH} WHERE {_VISIBLE}
WITH a, i, e ORDER BY a.raised DESC, a.id LIMIT $limit
RETURN {_FIELDS}
"""
READ = f"""
MATCH (a:Alert {{id: $id}})-[:RAISED_BY]->(i:Intel)
{_MATCH} WHERE {_VISIBLE}
RETURN {_FIELDS}
"""
HANDLE = f"""
MATCH (a:Alert {{id: $id}})-[:RAISED_BY]->(i:Intel)
{_MATCH} WHERE {_VISIBLE}
SET a.status = CASE WHEN a.status = 'case' THEN 'case' ELSE $status END, a.handled = datetime(), a.handled_by = $by,
    a.case_id = coalesce(a.case_id, $case_id)
RETURN {_FIELDS}
"""


class AlertNotFound(RiskGraphError, LookupError):
    """No alert with this id that the caller may see."""

    status, code = 404, "not_found"


def raise_alerts(driver: neo4j.Driver, database: str, hops: int = 1) -> int:
    """Cross-reference every active record with the graph; how many alerts were new."""
    started = driver.execute_query("RETURN datetime() AS now", database_=database).records[0]["now"]
    found = driver.execute_query(CROSS_REFERENCE[hops], days=SEIZURE_WINDOW_DAYS, started=started, database_=database)
    return found.records[0]["raised"] if found.records else 0


def raise_lodging_alerts(driver: neo4j.Driver, database: str, hits: list[dict]) -> int:
    """Raise the alerts of lookout hits at lodging (``{record, enterprise, name, declaration, office, via}``
    each); how many were new. A hit on a record withdrawn since, or on a pair already alerted, raises none."""
    if not hits:
        return 0
    started = driver.execute_query("RETURN datetime() AS now", database_=database).records[0]["now"]
    found = driver.execute_query(LODGING, hits=hits, started=started, database_=database)
    return found.records[0]["raised"] if found.records else 0


def _why(alert: dict) -> str:
    if alert["source"] == "lodging":
        return (
            f"{alert['kind']} {alert['record']} ({alert['target']}) names {alert['via']}; declaration "
            f"{alert['declaration']} of {alert['enterprise']} lodged at {alert['office']} hit it"
        )
    holds = (
        "is named by it or holds it" if alert["hops"] == 1 else f"is {alert['hops'] - 1} shared identifier(s) from it"
    )
    return f"{alert['kind']} {alert['record']} ({alert['target']}) names {alert['via']}; {alert['enterprise']} {holds}"


def _public(alert: dict) -> dict:
    return {**alert, "why": _why(alert)}


def _districts(districts) -> list[str] | None:
    return None if districts is None else sorted(districts)


def list_alerts(
    driver: neo4j.Driver, database: str, districts=None, status: str | None = None, limit: int = 50
) -> list[dict]:
    """Alerts the caller may see, newest first, each with why."""
    found = driver.execute_query(
        LIST,
        districts=_districts(districts),
        status=status,
        limit=limit,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return [_public(r["alert"]) for r in found.records]


def _handle(driver, database, alert_id: str, by: str, status: str, districts, case_id: str | None = None) -> dict:
    found = driver.execute_query(
        HANDLE, id=alert_id, by=by, status=status, case_id=case_id, districts=_districts(districts), database_=database
    ).records
    if not found:
        raise AlertNotFound(f"no alert {alert_id!r}")
    return _public(found[0]["alert"])


def acknowledge_alert(driver: neo4j.Driver, database: str, alert_id: str, by: str, districts=None) -> dict:
    """Mark an alert seen (an alert a case was opened from stays so)."""
    return _handle(driver, database, alert_id, by, "acknowledged", districts)


def open_case_from_alert(
    driver: neo4j.Driver, database: str, alert_id: str, by: str, districts=None, scope=None, title: str | None = None
) -> dict:
    """Open an anti-smuggling case on the alert's firm (once: a second call returns the alert with its case)."""
    found = driver.execute_query(
        READ, id=alert_id, districts=_districts(districts), database_=database, routing_=neo4j.RoutingControl.READ
    ).records
    if not found:
        raise AlertNotFound(f"no alert {alert_id!r}")
    alert = found[0]["alert"]
    if alert["case_id"]:
        return _public(alert)
    case = cases.create_case(
        driver,
        database,
        title=title or f"{alert['kind']} {alert['record']} ({alert['target']}): {alert['enterprise']}",
        opened_by=by,
        enterprise_id=alert["enterprise"],
        kind="anti-smuggling",
        target=alert["target"] if alert["target"] in (*targets_in_force(), OTHER) else None,  # the record's
        scope=scope,
    )
    return _handle(driver, database, alert_id, by, "case", districts, case["id"])
