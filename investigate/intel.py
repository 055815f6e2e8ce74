"""Intelligence records in the graph: ``Intel`` nodes linked by ``MENTIONS`` to the entities they name.

A record names entities by their normalised keys (``ingest.entities``), so it links to the very nodes
ingest made of the declarations: a phone, address, person, consignment or vessel node is merged (a
lookout on a phone nobody has used yet is linked when the first declaration with it arrives), an
enterprise or seller is linked where a firm with that code or normalised name exists (no firm is made
up from a name). A seizure makes the firms it names violators (``analysis.seizures``). A record is never
deleted: it is withdrawn, with who and when, and a withdrawn or expired lookout no longer hits.

After every change the active lookouts are read back from the graph, the system of record, and
published for the scorers (``scoring.lookouts``), so a lost or stale file is made whole by the next change.

**Need to know.** A record may be restricted to a jurisdiction (an office code): a key limited to a
jurisdiction sees only records restricted to an office within it, and any other record answers as if it
did not exist (404). Records without a restriction are the department's: unlimited keys only.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import neo4j

from analysis.seizures import seizure_violators
from graph.errors import RiskGraphError
from graph.model import schema
from ingest.entities import GRAPH_NODE
from investigate.intel_records import IntelRecord
from scoring.lookouts import publish_lookouts
from scoring.violator_journal import ViolatorEvent, ViolatorJournal

__all__ = ["IntelNotFound", "record_intel", "list_intel", "read_intel", "withdraw_intel", "publish_active_lookouts"]

_INTEL, _MENTIONS = schema().node("Intel").label, schema().relationship("MENTIONS").type

# Content is set on every write (the same id loaded again from a corrected file updates it); status and
# creation only when the record is new, so a withdrawn record stays withdrawn when its file is loaded again.
MERGE_RECORDS = f"""
UNWIND $records AS r
MERGE (i:{_INTEL} {{id: r.id}})
ON CREATE SET i.status = 'active', i.created = datetime(), i.created_by = $by
SET i.kind = r.kind, i.target = r.target, i.summary = r.summary, i.entities = r.entities,
    i.valid_from = date(r.valid_from), i.valid_to = date(r.valid_to), i.scale = r.scale,
    i.source_grade = r.source_grade, i.info_grade = r.info_grade, i.handling = r.handling,
    i.jurisdiction = r.jurisdiction
WITH i
OPTIONAL MATCH (i)-[old:{_MENTIONS}]->()
DELETE old
"""


def _merge_link(label: str, key: str) -> str:
    """Link statement for an identifier node, merged by its key; ``text`` names it where the label has a caption."""
    caption = {"Address": "text", "Person": "name"}.get(label)
    on_create = f"ON CREATE SET n.{caption} = l.text" if caption else ""
    return f"""
UNWIND $links AS l
MATCH (i:{_INTEL} {{id: l.record}})
MERGE (n:{label} {{{key}: l.key}})
{on_create}
MERGE (i)-[m:{_MENTIONS}]->(n) SET m.as = l.as
"""


# An enterprise is linked by code or by normalised name, only where it exists.
_FIRM = schema().node("Enterprise")
LINK_FIRMS = f"""
UNWIND $links AS l
MATCH (i:{_INTEL} {{id: l.record}})
CALL (l) {{
  MATCH (n:{_FIRM.label} {{id: l.key}}) RETURN n
  UNION
  MATCH (n:{_FIRM.label} {{name_norm: l.name}}) WHERE l.name IS NOT NULL RETURN n
}}
MERGE (i)-[m:{_MENTIONS}]->(n) SET m.as = l.as
"""
LINKS = {
    label: LINK_FIRMS if label == _FIRM.label else _merge_link(schema().node(label).label, schema().node(label).key)
    for label, _ in GRAPH_NODE.values()
}
for _label, _key in GRAPH_NODE.values():  # the entity table and the schema declaration agree
    assert schema().node(_label).key == _key and _label in schema().relationship(_MENTIONS).targets

_VISIBLE = "($districts IS NULL OR i.jurisdiction IN $districts)"
_FIELDS = """i {.id, .kind, .target, .summary, .scale, .source_grade, .info_grade, .handling, .jurisdiction, .status,
   .created_by, .withdrawn_by, valid_from: toString(i.valid_from), valid_to: toString(i.valid_to),
   created: toString(i.created), withdrawn: toString(i.withdrawn), entities: i.entities} AS record"""
LIST = f"""
MATCH (i:{_INTEL}) WHERE {_VISIBLE} AND ($kind IS NULL OR i.kind = $kind) AND ($status IS NULL OR i.status = $status)
WITH i ORDER BY i.created DESC, i.id LIMIT $limit
RETURN {_FIELDS}
"""
READ = f"""
MATCH (i:{_INTEL} {{id: $id}}) WHERE {_VISIBLE}
RETURN {_FIELDS}
"""
WITHDRAW = f"""
MATCH (i:{_INTEL} {{id: $id}}) WHERE {_VISIBLE}
SET i.withdrawn = coalesce(i.withdrawn, datetime()), i.withdrawn_by = coalesce(i.withdrawn_by, $by),
    i.status = 'withdrawn'
RETURN {_FIELDS}
"""
ACTIVE_LOOKOUTS = f"""
MATCH (i:{_INTEL} {{kind: 'lookout', status: 'active'}})
RETURN i.id AS id, i.target AS target, toString(i.valid_from) AS valid_from, toString(i.valid_to) AS valid_to,
       i.entities AS entities
"""


class IntelNotFound(RiskGraphError, LookupError):
    """No record with this id that the caller may see."""

    status, code = 404, "not_found"


def _public(record: dict) -> dict:
    """A record as read: entities as ``{type, value}`` (their match keys stay inside)."""
    out = dict(record)
    out["entities"] = [{"type": e["type"], "value": e["value"]} for e in json.loads(record["entities"] or "[]")]
    return out


def _links(records: list[IntelRecord]) -> dict[str, list[dict]]:
    by_label: dict[str, list[dict]] = {}
    for r in records:
        for e in r.entities:
            label = GRAPH_NODE[e["type"]][0]
            keys = dict(map(tuple, e["keys"]))
            key = keys.get("firm") or e["keys"][0][1]
            link = {"record": r.id, "key": key, "as": e["type"], "text": e["value"], "name": keys.get("firm_name")}
            by_label.setdefault(label, []).append(link)
    return by_label


def _write_tx(tx: neo4j.ManagedTransaction, records: list[dict], links: dict[str, list[dict]], by: str) -> None:
    tx.run(MERGE_RECORDS, records=records, by=by).consume()
    for label, rows in links.items():
        tx.run(LINKS[label], links=rows).consume()


def record_intel(driver: neo4j.Driver, database: str, home: Path, records: list[IntelRecord], by: str) -> list[str]:
    """Write the records and their links in one transaction, then publish the active lookouts and journal the
    firms a seizure makes violators (``analysis.seizures``, ``scoring.violator_journal``); the records' ids."""
    if not records:
        return []
    rows = [{**r.as_dict(), "entities": json.dumps(list(r.entities))} for r in records]
    with driver.session(database=database) as session:
        session.execute_write(_write_tx, rows, _links(records), by)
    publish_active_lookouts(driver, database, home)
    seizures = [r.id for r in records if r.kind == "seizure"]
    if seizures:  # the scorers know them as violators at once, as they do a confirmed case's firms
        found = seizure_violators(driver, database, seizures)
        events = [ViolatorEvent(i, day, case=record) for i, record, day in found.itertuples(index=False)]
        ViolatorJournal(home).append(events)
    return [r.id for r in records]


def list_intel(
    driver: neo4j.Driver,
    database: str,
    districts: frozenset[str] | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[dict]:
    """Records the caller may see, newest first."""
    found = driver.execute_query(
        LIST,
        districts=None if districts is None else sorted(districts),
        kind=kind,
        status=status,
        limit=limit,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return [_public(r["record"]) for r in found.records]


def read_intel(driver: neo4j.Driver, database: str, record_id: str, districts: frozenset[str] | None = None) -> dict:
    found = driver.execute_query(
        READ,
        id=record_id,
        districts=None if districts is None else sorted(districts),
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    ).records
    if not found:
        raise IntelNotFound(f"no intelligence record {record_id!r}")
    return _public(found[0]["record"])


def withdraw_intel(
    driver: neo4j.Driver, database: str, home: Path, record_id: str, by: str, districts: frozenset[str] | None = None
) -> dict:
    """Withdraw a record (again: no change) and publish the lookouts still active; the record as it now reads."""
    found = driver.execute_query(
        WITHDRAW,
        id=record_id,
        by=by,
        districts=None if districts is None else sorted(districts),
        database_=database,
    ).records
    if not found:
        raise IntelNotFound(f"no intelligence record {record_id!r}")
    publish_active_lookouts(driver, database, home)
    return _public(found[0]["record"])


def publish_active_lookouts(driver: neo4j.Driver, database: str, home: Path) -> int:
    """Write every active lookout, with its entities' match keys, for the scorers; how many.

    Read and written under a lock on the home: of two writers, the one publishing last read the graph after
    both had committed, so no change is lost to an older read published later."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lookouts.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = driver.execute_query(ACTIVE_LOOKOUTS, database_=database, routing_=neo4j.RoutingControl.READ)
        return _publish(home, found.records)


def _publish(home: Path, found: list) -> int:
    lookouts = [
        {
            "id": r["id"],
            "target": r["target"],
            "valid_from": r["valid_from"],
            "valid_to": r["valid_to"],
            "keys": [k for e in json.loads(r["entities"] or "[]") for k in e["keys"]],
        }
        for r in found
    ]
    publish_lookouts(home, lookouts)
    return len(lookouts)
