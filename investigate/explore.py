"""Read-only exploration queries for investigators: search, neighbourhoods, paths, timelines, networks.

Every label and relationship type written into Cypher here is checked against the schema when the
module is imported; user input only ever travels as parameters. A node is named across labels by a
reference ``Label:key`` (``Address:...``); a bare reference is an enterprise id.
"""

from __future__ import annotations

import json

import neo4j

from graph.jurisdiction import OUTSIDE, Scope, unlimited
from graph.model import schema
from graph.runs import ASSESSMENT, shown, shown_run
from investigate.same_firm import evidence

__all__ = [
    "IDENTIFIER_TYPES",
    "SEARCHABLE",
    "node_ref",
    "parse_ref",
    "search",
    "neighbourhood",
    "paths",
    "timeline",
    "network",
    "node_exists",
]

#: properties searched per label (case-insensitive substring)
SEARCHABLE = {
    "Enterprise": ("id", "name"),
    "Address": ("text",),
    "Phone": ("number",),
    "Consignment": ("id",),
}
#: shared identifiers: the classic shell-company links
IDENTIFIER_TYPES = ("HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP")
#: relationships a path may follow; shared countries, commodities, offices and routes connect everyone
PATH_TYPES = (*IDENTIFIER_TYPES, "FILED", "COVERS", "CONCERNS")
#: a party to more declarations than this (a shipping line, a big broker) is shown but not walked through:
#: its clients share nothing but a service, and listing them would take seconds and bury the chart
HUB = 250
_CAPTION = {"Enterprise": "name", "Address": "text", "Person": "name", "Phone": "number", "Intel": "caption"}

for _label, _props in SEARCHABLE.items():
    for _prop in _props:
        if _prop not in schema().node(_label).properties:
            raise ValueError(f"{_label}.{_prop} is searched but not declared in graph/schema/")
#: probable same firms (``riskgraph resolve``): drawn between the two enterprises with the match weight
SAME_FIRM_TYPE = "PROBABLY_SAME_FIRM"
for _rel in (*PATH_TYPES, "FOLLOWS", "MEMBER_OF", SAME_FIRM_TYPE):
    schema().relationship(_rel)
for _label in ("Declaration", "Route", "Network", "Case", "AnalysisRun"):
    schema().node(_label)

_IDENT = "|".join(IDENTIFIER_TYPES)


def node_ref(label: str, key: str) -> str:
    return key if label == "Enterprise" else f"{label}:{key}"


def parse_ref(ref: str) -> tuple[str, str]:
    """``Label:key`` for a declared label, else an enterprise id (ids may contain colons)."""
    label, sep, key = ref.partition(":")
    if sep and label in schema().nodes and key:
        return label, key
    return "Enterprise", ref


def _node(label: str, props: dict) -> dict:
    key = props.get(schema().node(label).key)
    caption = props.get(_CAPTION.get(label, "")) or key
    node = {"id": node_ref(label, key), "label": label, "key": key, "caption": caption}
    if label == "Enterprise":  # the analysis results are filled in by _with_results
        node.update(
            {
                "risk": None,
                "community": None,
                "network_id": None,
                "category": props.get("category"),
                "registered": str(props["registered"]) if props.get("registered") else None,
                "country": props.get("country"),
            }
        )
    return node


# What the run shown found of these enterprises (the charts colour and size them by it).
RESULTS = f"""
UNWIND $ids AS eid
MATCH (e:Enterprise {{id: eid}})-[:ASSESSED]->(a:Assessment) WHERE {shown("a")}
RETURN e.id AS id, a.risk AS risk, a.community AS community, a.network_id AS network_id
"""


def _with_results(driver: neo4j.Driver, database: str, nodes: list[dict], run: dict | None = None) -> list[dict]:
    """``nodes`` with the risk, community and network of their enterprises, as the run shown (or ``run``) found
    them."""
    ids = [n["key"] for n in nodes if n["label"] == "Enterprise"]
    if ids:
        run = run or shown_run(driver, database)
        found = {r["id"]: r for r in driver.execute_query(RESULTS, run, ids=ids, database_=database).records}
        for node in nodes:
            if node["label"] == "Enterprise" and node["key"] in found:
                result = found[node["key"]]
                node.update(risk=result["risk"], community=result["community"], network_id=result["network_id"])
    return nodes


#: an identifier only intelligence names (a lookout's phone nobody has used yet) is not searched nor found as
#: the end of a path: its existence would show a key outside the record's restriction that a record names it
#: (``investigate.intel``)
_MENTIONS = schema().relationship("MENTIONS").type
_KNOWN = f"EXISTS {{ (n)-[r]-() WHERE type(r) <> '{_MENTIONS}' }}"


def _search_query(label: str, props: tuple[str, ...]) -> str:
    where = " OR ".join(f"toLower(toString(n.{p})) CONTAINS $q" for p in props)
    return f"MATCH (n:{label}) WHERE ({where}) AND {_KNOWN} RETURN properties(n) AS p LIMIT $limit"


_SEARCH = {label: _search_query(label, props) for label, props in SEARCHABLE.items()}


def search(driver: neo4j.Driver, database: str, q: str, limit: int) -> list[dict]:
    """Entities whose id, name, address text, phone number or consignment id contains ``q``; exact keys first."""
    needle = q.strip().lower()
    found = []
    for label, query in _SEARCH.items():
        for record in driver.execute_query(query, q=needle, limit=limit, database_=database).records:
            found.append(_node(label, record["p"]))
    _with_results(driver, database, found)
    found.sort(key=lambda n: (str(n["key"]).lower() != needle, -(n.get("risk") or 0.0), n["label"], str(n["key"])))
    return found[:limit]


def _key_match(label: str, var: str, param: str) -> str:
    return f"({var}:{label} {{{schema().node(label).key}: ${param}}})"


def node_exists(driver: neo4j.Driver, database: str, label: str, key: str) -> bool:
    """Whether the graph knows the entity from declarations or cases (not from intelligence alone)."""
    query = f"MATCH {_key_match(label, 'n', 'key')} WHERE {_KNOWN} RETURN count(n) AS n"
    return driver.execute_query(query, key=key, database_=database).records[0]["n"] > 0


SHARED = f"""
UNWIND $ids AS eid
MATCH (e:Enterprise {{id: eid}})-[r:{_IDENT}]->(x)
OPTIONAL MATCH (x)<-[:{_IDENT}]-(o:Enterprise) WHERE o <> e
OPTIONAL MATCH (o)-[:ASSESSED]->(a:Assessment) WHERE {shown("a")}
WITH e, r, x, o ORDER BY coalesce(a.risk, 0.0) DESC
RETURN e.id AS source, type(r) AS type, labels(x)[0] AS label, properties(x) AS x,
       collect(properties(o))[..$cap] AS others
"""

COUNTERPARTIES = """
UNWIND $ids AS eid
MATCH (e:Enterprise {id: eid}) WHERE COUNT { (e)-[:FILED]->() } <= $hub
MATCH (e)-[f:FILED]->(d:Declaration)<-[g:FILED]-(o:Enterprise)
WHERE o <> e AND (f.role = 'consignee' OR g.role = 'consignee')
WITH e, o, f.role AS own, g.role AS role, count(d) AS n, min(d.date) AS first, max(d.date) AS last
ORDER BY n DESC
RETURN e.id AS source, own, role, properties(o) AS o, n, toString(first) AS first, toString(last) AS last
LIMIT $cap
"""


SAME_FIRM = f"""
UNWIND $ids AS eid
MATCH (e:Enterprise {{id: eid}})-[r:{SAME_FIRM_TYPE}]-(o:Enterprise)
WHERE r.status <> 'rejected'
RETURN startNode(r).id AS a, endNode(r).id AS b, e.id AS source, properties(o) AS o,
       r.match_weight AS weight, r.status AS status, r.weights AS weights, r.levels AS levels
ORDER BY r.match_weight DESC
LIMIT $cap
"""


class _Builder:
    """Nodes and edges collected up to ``limit`` nodes; edges only between kept nodes; ``dropped`` once one was cut."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.nodes: dict[str, dict] = {}
        self.edges: dict[tuple, dict] = {}
        self.dropped = False

    @property
    def full(self) -> bool:
        return len(self.nodes) >= self.limit

    def add_node(self, label: str, props: dict) -> str | None:
        node = _node(label, props)
        if node["id"] not in self.nodes:
            if self.full:
                self.dropped = True
                return None
            self.nodes[node["id"]] = node
        return node["id"]

    def add_edge(self, source: str | None, target: str | None, rel_type: str, **extra) -> None:
        if source and target and source in self.nodes and target in self.nodes:
            self.edges.setdefault(
                (source, target, rel_type, extra.get("role")),
                {"source": source, "target": target, "type": rel_type, **extra},
            )

    def result(self, driver: neo4j.Driver, database: str, run: dict) -> dict:
        nodes = _with_results(driver, database, list(self.nodes.values()), run)
        return {"nodes": nodes, "edges": list(self.edges.values()), "truncated": self.dropped}


# Intelligence records on a chart, linked to what they name: active ones the caller may see (a record limited to
# a jurisdiction by keys within it, one without a limit by unlimited keys: ``investigate.intel``); others leave
# no trace. The caption is the record's kind and target, its id the key.
_INTEL = schema().node("Intel").label
INTEL_NAMING = {
    label: f"""
MATCH (n:{label}) WHERE n.{schema().node(label).key} IN $keys
MATCH (i:{_INTEL} {{status: 'active'}})-[:{_MENTIONS}]->(n)
WHERE (i.valid_to IS NULL OR i.valid_to >= date()) AND ($districts IS NULL OR i.jurisdiction IN $districts)
RETURN n.{schema().node(label).key} AS key, i.id AS id, i.kind + ' (' + i.target + ')' AS caption
ORDER BY id
"""
    for label in schema().relationship(_MENTIONS).targets
}


def _add_intel(built: _Builder, driver: neo4j.Driver, database: str, scope: Scope) -> None:
    by_label: dict[str, list[str]] = {}
    for node in list(built.nodes.values()):
        if node["label"] in INTEL_NAMING:
            by_label.setdefault(node["label"], []).append(node["key"])
    for label, keys in by_label.items():
        found = driver.execute_query(INTEL_NAMING[label], keys=keys, districts=scope.districts, database_=database)
        for r in found.records:
            record = built.add_node(_INTEL, {"id": r["id"], "caption": r["caption"]})
            built.add_edge(record, node_ref(label, r["key"]), _MENTIONS)


def _walkable(scope: Scope, ids: list[str]) -> list[str]:
    """The enterprises a walk may continue from: those the caller may see, in order."""
    seen = scope.visible("Enterprise", ids)
    return [i for i in ids if i in seen]


def neighbourhood(
    driver: neo4j.Driver,
    database: str,
    enterprise_ids: list[str],
    depth: int,
    limit: int,
    scope: Scope | None = None,
    intel: bool = False,
) -> dict:
    """Enterprises within ``depth`` steps, a step being a shared identifier, a shared declaration or a
    probable-same-firm link (``PROBABLY_SAME_FIRM`` edge with its ``weight``, ``status`` and ``evidence``, what each
    field weighed: ``same_firm.evidence``; rejected ones hidden).

    Shared identifiers appear as nodes (``Address``, ``Phone``, ``Person``); an importer's broker,
    seller or carrier is one ``FILED`` edge per pair and role with its count of declarations and the
    dates of the first and last (``first``, ``last``: a chart can then show the links active in a time
    window), since hundreds of declaration nodes would hide the structure (two intermediaries of the same
    declarations are not linked: every broker would join every seller). A party to more than
    ``HUB`` declarations is not walked through. Riskier neighbours come first when
    ``limit`` nodes cut the breadth-first walk short. Firms outside ``scope`` are placeholders and
    are not walked through. With ``intel``, the active intelligence records the caller may see are linked
    (``MENTIONS``) to what they name among the nodes shown: only for a chart drawn for that caller, never for
    one kept (a case's evidence, a report) that others may read later.
    """
    scope = scope or unlimited(driver, database)
    run = shown_run(driver, database)  # one run for the whole walk
    built = _Builder(limit)
    seeds = driver.execute_query(
        "MATCH (e:Enterprise) WHERE e.id IN $ids RETURN properties(e) AS p", ids=enterprise_ids, database_=database
    ).records
    for record in seeds:
        built.add_node("Enterprise", record["p"])
    frontier, seen = _walkable(scope, [n["key"] for n in built.nodes.values()]), set()
    for _ in range(depth):
        seen.update(frontier)
        reached: list[str] = []
        cap = limit - len(built.nodes)
        if cap <= 0:  # more steps to walk and no room left
            built.dropped = True
            break
        for r in driver.execute_query(SHARED, run, ids=frontier, cap=cap, database_=database).records:
            ident = built.add_node(r["label"], r["x"])
            built.add_edge(r["source"], ident, r["type"])
            for other in r["others"]:
                oid = built.add_node("Enterprise", other)
                built.add_edge(oid, ident, r["type"])
                reached.append(other["id"])
        for r in driver.execute_query(SAME_FIRM, ids=frontier, cap=cap, database_=database).records:
            built.add_node("Enterprise", r["o"])
            why = evidence(r["weights"], r["levels"])
            built.add_edge(r["a"], r["b"], SAME_FIRM_TYPE, weight=r["weight"], status=r["status"], evidence=why)
            reached.append(r["o"]["id"])
        for r in driver.execute_query(COUNTERPARTIES, ids=frontier, cap=cap, hub=HUB, database_=database).records:
            oid = built.add_node("Enterprise", r["o"])
            span = {"declarations": r["n"], "first": r["first"], "last": r["last"]}
            if r["own"] == "consignee":
                built.add_edge(oid, r["source"], "FILED", role=r["role"], **span)
            else:
                built.add_edge(r["source"], oid, "FILED", role=r["own"], **span)
            reached.append(r["o"]["id"])
        frontier = _walkable(scope, [i for i in dict.fromkeys(reached) if i not in seen and i in built.nodes])
        if not frontier:
            break
    if intel:
        _add_intel(built, driver, database, scope)
    return scope.redact_graph(built.result(driver, database, run))


def paths(
    driver: neo4j.Driver,
    database: str,
    start: tuple[str, str],
    end: tuple[str, str],
    max_hops: int,
    limit: int,
    scope: Scope | None = None,
) -> list[dict]:
    """All shortest connections of at most ``max_hops`` relationships through identifiers and declarations;
    firms, declarations and cases outside ``scope`` are placeholders."""
    scope = scope or unlimited(driver, database)
    query = (
        f"MATCH {_key_match(start[0], 'a', 'a')}, {_key_match(end[0], 'b', 'b')} "
        f"MATCH p = allShortestPaths((a)-[:{'|'.join(PATH_TYPES)}*..{int(max_hops)}]-(b)) "
        "RETURN [n IN nodes(p) | [labels(n)[0], properties(n)]] AS nodes, "
        "[r IN relationships(p) | [type(r), r.role]] AS rels, "
        "[r IN relationships(p) | elementId(startNode(r))] AS starts, [n IN nodes(p) | elementId(n)] AS ids "
        "LIMIT $limit"
    )
    run = shown_run(driver, database)  # one run for every path
    found = []
    for r in driver.execute_query(query, a=start[1], b=end[1], limit=limit, database_=database).records:
        nodes = _with_results(driver, database, [_node(label, props) for label, props in r["nodes"]], run)
        edges = []
        for i, ((rel_type, role), start_id) in enumerate(zip(r["rels"], r["starts"], strict=True)):
            forward = r["ids"][i] == start_id
            source, target = (nodes[i], nodes[i + 1]) if forward else (nodes[i + 1], nodes[i])
            edge = {"source": source["id"], "target": target["id"], "type": rel_type}
            if role:
                edge["role"] = role
            edges.append(edge)
        found.append(scope.redact_graph({"hops": len(edges), "nodes": nodes, "edges": edges}))
    return found


TIMELINE = """
MATCH (e:Enterprise {id: $id})-[f:FILED]->(d:Declaration)
WITH e, f, d ORDER BY d.date, d.id LIMIT $limit
OPTIONAL MATCH (d)-[:COVERS]->(c:Consignment)
OPTIONAL MATCH (c)-[:FOLLOWS]->(r:Route)
OPTIONAL MATCH (b:Enterprise)-[:FILED {role: 'declarant'}]->(d)
OPTIONAL MATCH (s:Enterprise)-[:FILED {role: 'consignor'}]->(d)
OPTIONAL MATCH (k:Case)-[:CONCERNS]->(d)
RETURN d.id AS id, toString(d.date) AS date, f.role AS role, d.hs_code AS hs_code, d.origin AS origin,
       d.value AS value, d.currency AS currency, d.channel AS channel, d.inspected AS inspected,
       d.violation AS violation, d.violation_type AS violation_type, d.revenue_recovered AS revenue_recovered,
       c.id AS consignment, r.id AS route, b.id AS broker, s.id AS seller, collect(DISTINCT k.id) AS cases
ORDER BY date, id
"""

CASES = """
MATCH (k:Case)-[:CONCERNS]->(:Enterprise {id: $id})
RETURN k.id AS id, k.kind AS kind, k.title AS title, k.status AS status, k.outcome AS outcome,
       k.assignee AS assignee, toString(k.opened) AS opened, toString(k.closed) AS closed
ORDER BY opened, id
"""

_TRACKED = ("broker", "seller", "route")


def timeline(driver: neo4j.Driver, database: str, enterprise_id: str, limit: int, scope: Scope | None = None) -> dict:
    """Its declarations by date with outcomes, its cases, and each switch to a broker, seller or route it
    had not used before (going back to an old one is routine, a new one is what investigators look for).
    A broker or seller outside ``scope`` reads :data:`~graph.jurisdiction.OUTSIDE`; a declaration lodged outside
    it keeps only its date and the firm's role (``outside: true``), and switches are those seen inside it."""
    scope = scope or unlimited(driver, database)
    rows = [r.data() for r in driver.execute_query(TIMELINE, id=enterprise_id, limit=limit, database_=database).records]
    if scope.limited:
        lodged_inside = scope.visible("Declaration", [r["id"] for r in rows])
        rows = [r if r["id"] in lodged_inside else _outside_declaration(r) for r in rows]
    changes, last, seen = [], {}, {field: set() for field in _TRACKED}
    for row in rows:
        for field in _TRACKED:
            value = row[field]
            if value is None:
                continue
            if field in last and value not in seen[field]:
                changes.append(
                    {"date": row["date"], "declaration": row["id"], "field": field, "from": last[field], "to": value}
                )
            last[field] = value
            seen[field].add(value)
    cases = [r.data() for r in driver.execute_query(CASES, id=enterprise_id, database_=database).records]
    if scope.limited:
        seen = scope.visible("Enterprise", [r[f] for r in rows for f in ("broker", "seller")])
        for row in rows:
            row.update({f: OUTSIDE for f in ("broker", "seller") if row[f] is not None and row[f] not in seen})
        for change in changes:
            if change["field"] != "route":
                change.update({end: OUTSIDE for end in ("from", "to") if change[end] not in seen})
    return {"id": enterprise_id, "declarations": rows, "changes": changes, "cases": cases}


def _outside_declaration(row: dict) -> dict:
    return {**{k: None for k in row}, "date": row["date"], "role": row["role"], "cases": [], "outside": True}


NETWORK = f"""
MATCH (n:Network {{id: $id}}) WHERE {shown("n")}
OPTIONAL MATCH (e:Enterprise)-[:MEMBER_OF]->(n)
{ASSESSMENT}
WITH n, e, a.risk AS risk ORDER BY coalesce(risk, 0.0) DESC, e.id
RETURN n {{.id, .score, .kind, .size, .value_at_stake, .reasons, analysed_at: $analysed_at}} AS network,
       collect(e {{.id, .name, risk: risk, .category, registered: toString(e.registered)}}) AS members
"""


def network(driver: neo4j.Driver, database: str, network_id: int, scope: Scope | None = None) -> dict | None:
    """One scored network with its members (riskiest first) and decoded reasons; ``None`` if unknown.
    Members outside ``scope`` are placeholders and the reasons do not name them."""
    scope = scope or unlimited(driver, database)
    records = driver.execute_query(NETWORK, shown_run(driver, database), id=network_id, database_=database).records
    if not records:
        return None
    found = dict(records[0]["network"])
    found["reasons"] = scope.scrub_reasons(json.loads(found["reasons"] or "[]"))
    found["members"] = scope.firms(records[0]["members"])
    return found
