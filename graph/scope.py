"""The vocabulary every investigator and audit query shares: jurisdiction, as-of date, case kinds and states.

**Jurisdiction.** A key limited to some district offices sees what was *lodged at one of
``$districts``*: a declaration whose ``LODGED_AT`` office has one of those codes, an enterprise that
filed such a declaration, a network or case through its member or concerned enterprises. The rule is
written once, in :func:`in_jurisdiction`; each query passes the path from what it filters to the
declaration, and the query's ``$districts`` parameter (``None`` = no limit).

**As of.** Periods end at the latest declaration (the newest date of the declarations' columnar copy, whose
figures they frame), not today, so a historical load reads the same as a live one.

**Cases.** The kinds of lead and case (:data:`KINDS`), the case statuses and their moves, and the
outcomes; :data:`CONFIRMED_OUTCOMES` also feed the analysis (its known violators). On the ground floor so
both ``analysis/`` and ``investigate/`` (and the API's access check) read it without importing each other.
"""

from __future__ import annotations

from graph.model import schema

__all__ = [
    "KINDS",
    "STATUSES",
    "TRANSITIONS",
    "OUTCOMES",
    "CONFIRMED_OUTCOMES",
    "DECLARATION",
    "ENTERPRISE",
    "NETWORK",
    "CASE",
    "in_jurisdiction",
    "lodged_in_districts",
]

for _label in ("Declaration", "CustomsOffice", "Enterprise", "Network", "Case"):
    schema().node(_label)
for _rel in ("LODGED_AT", "FILED", "MEMBER_OF", "CONCERNS"):
    schema().relationship(_rel)

#: the two kinds of lead, network and case: post-clearance audit of importers, anti-smuggling networks
KINDS = ("audit", "anti-smuggling")
STATUSES = ("open", "investigating", "referred", "closed")
#: where each status may go; a referral can come back for more investigation, a closed case is final
TRANSITIONS = {
    "open": ("investigating", "closed"),
    "investigating": ("referred", "closed"),
    "referred": ("investigating", "closed"),
    "closed": (),
}
#: the outcome of a closed case
OUTCOMES = ("confirmed", "no_violation", "insufficient_evidence")
#: outcomes that make the concerned enterprises known violators (read by ``analysis.graph_io``)
CONFIRMED_OUTCOMES = ("confirmed",)

#: paths from what a query filters to the declarations that decide its jurisdiction
DECLARATION = "({var})"
ENTERPRISE = "({var})-[:FILED]->(:Declaration)"
NETWORK = "({var})<-[:MEMBER_OF]-(:Enterprise)-[:FILED]->(:Declaration)"
CASE = "({var})-[:CONCERNS]->(:Enterprise)-[:FILED]->(:Declaration)"


def lodged_in_districts(path: str, var: str) -> str:
    """Cypher: some declaration at the end of ``path`` (one of the constants above) was lodged at one of
    ``$districts``. For a variable ``var`` bound by the query; true or false, never null."""
    return f"EXISTS {{ {path.format(var=var)}-[:LODGED_AT]->(o:CustomsOffice) WHERE o.code IN $districts }}"


def in_jurisdiction(path: str, var: str) -> str:
    """Cypher: :func:`lodged_in_districts`, or true when ``$districts`` is null (a key with no limit)."""
    return f"($districts IS NULL OR {lodged_in_districts(path, var)})"
