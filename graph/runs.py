"""Which analysis results a reader sees: the versions valid for the run the ``AnalysisRun`` pointer names.

``riskgraph analyze`` writes a new ``Assessment`` (per enterprise) or ``Network`` version only where results
changed, in bounded transactions, and moves the pointer last. A reader reads the pointer first
(:func:`shown_run`: parameters ``$run`` and ``$analysed_at``) and keeps the versions valid for that run with
:func:`shown`, so it sees one run whole whatever write-back is under way. (Read inside the same statement the
pointer is no guard: Neo4j reads committed data as it goes, and the planner may scan the versions first. For
the same reason ``until``, which the write-back changes, has no index: a seek along it could miss a version
that moves while it is read.)

>>> shown("a")
'(a.since <= $run AND $run < a.until)'
"""

from __future__ import annotations

import neo4j

from graph.model import schema

__all__ = ["OPEN", "shown", "shown_run", "shown_run_and_snapshot", "ASSESSMENT", "RESULT_FIELDS"]

for _label in ("AnalysisRun", "Assessment", "Network"):
    schema().node(_label)
for _rel in ("ASSESSED", "MEMBER_OF"):
    schema().relationship(_rel)

#: ``until`` of a version still current
OPEN = 2**62

POINTER = """
MATCH (r:AnalysisRun {id: 'current'})
RETURN r.number AS number, toString(r.analysed_at) AS analysed_at, r.snapshot AS snapshot
"""


def shown_run(driver: neo4j.Driver, database: str) -> dict:
    """The query parameters naming the run shown: ``run`` (0 before the first analysis: then no version is
    shown) and ``analysed_at`` (its time as text, or None)."""
    return shown_run_and_snapshot(driver, database)[0]


def shown_run_and_snapshot(driver: neo4j.Driver, database: str) -> tuple[dict, str | None]:
    """:func:`shown_run` and the snapshot version of that run, from one read of the pointer (a reader that
    takes both must not see the run of one write-back and the snapshot of the next)."""
    records = driver.execute_query(POINTER, database_=database, routing_=neo4j.RoutingControl.READ).records
    if not records or records[0]["number"] is None:
        return {"run": 0, "analysed_at": None}, None
    record = records[0]
    return {"run": int(record["number"]), "analysed_at": record["analysed_at"]}, record["snapshot"]


def shown(var: str) -> str:
    """A predicate keeping the versions valid for the run ``$run``."""
    return f"({var}.since <= $run AND $run < {var}.until)"


#: binds ``a``, the shown version of enterprise ``e``'s results (null when not analysed)
ASSESSMENT = f"OPTIONAL MATCH (e)-[:ASSESSED]->(a:Assessment) WHERE {shown('a')}"

#: the results an assessment holds, as a map projection's entries
RESULT_FIELDS = (
    "risk: a.risk, community: a.community, community_size: a.community_size, network_id: a.network_id, "
    "pagerank: a.pagerank, betweenness: a.betweenness, degree: a.degree, propagated_risk: a.propagated_risk, "
    "reasons: a.reasons"
)
