"""Fresh risk after new data: redo only what the declarations loaded since the last run touched.

New declarations are those of a load (one ``riskgraph ingest`` run, :func:`ingest.pipeline.new_load`) the
last run did not see (or that has grown since), and declarations with feedback recorded after it; a load that
shrank (its rows written again by a later one) makes the run full. Their importers are *touched*. The run then

1. when the touched declarations are all new (from loads the last run did not know), reads only them and
   adds their counts to the last run's activity tables (when they move the latest date, the touched
   importers' declarations are folded again instead, since their windows moved), compares the HS6 codes they
   fall in again from the stored peer columns (:mod:`analysis.peer_rows`) and the new rows (whole peer groups,
   so exact), and reads the uses of their consignments and their importers' own identifiers; otherwise
   (feedback on old declarations, a grown load) it re-reads, as a full run reads, the declarations of the
   touched importers and of every member of their communities, the consignments they used, their own
   identifiers, and the declarations of the HS6 codes touched;
2. merges that into the last run's enterprise-sized inputs (:mod:`analysis.state`) and projects the
   enterprise graph from them (identifier weights stay global);
3. runs Leiden again on the subgraph of the touched firms' communities, the communities they are now
   tied to by a link above the resolution, new firms, and the firms whose propagated risk a new outcome
   moved, with their communities (the constant Potts model is local, so a community away from the new
   data would be found unchanged); PageRank,
   degree and propagation from known violators (new outcomes included) are recomputed on the whole graph, and a
   firm whose propagated risk moved by :data:`PROPAGATION_MOVE` or more is rescored with its community;
4. scores those communities' networks and members and writes back only them.

The communities a touched firm joined are rescored from the last run's activity tables (exact while the
latest declaration date has not moved). Firms outside the touched communities keep the last run's figures
(their PageRank or peer comparison may have moved a little); betweenness is kept from the last run
(a new firm has 0) and
``--full`` recomputes everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import neo4j
import pandas as pd

from algorithms.activity import CONSIGNMENT_COLUMNS, Activity, ActivityFold, shared_consignment_uses
from algorithms.centrality import degree_centrality, pagerank_centrality
from algorithms.communities import leiden_communities
from algorithms.networks import enterprise_risk, network_risk
from algorithms.peers import combine_peer_parts
from algorithms.projection import activity_links, enterprise_graph
from algorithms.propagation import propagated_risk
from algorithms.recency import recency_from_activity
from analysis.aggregates import (
    analysis_currencies,
    code_pages,
    day_pages,
    fold_pages,
    importer_pages,
    peer_sums,
    reading_session,
)
from analysis.engines import DEFAULT_RESOLUTION, LEIDEN_ITERATIONS
from analysis.graph_io import CASE_VIOLATORS, CONFIRMED_CASE_OUTCOMES, ENTERPRISE_COLUMNS, LINK_COLUMNS
from analysis.peer_rows import PEER_ROW_COLUMNS, PeerRowWriter, link_parts, read_peer_rows
from analysis.pipeline import AnalysisInputs, enterprise_table
from analysis.state import AnalysisState
from graph.currency import money_basis
from graph.model import schema
from graph.paging import read_pages

__all__ = ["Touched", "IncrementalResult", "load_counts", "find_touched", "analyse_touched"]

for _label in ("Declaration", "Enterprise", "Address", "Phone", "Person", "Network", "Consignment"):
    schema().node(_label)
for _rel in ("HAS_ADDRESS", "HAS_PHONE", "HAS_LEGAL_REP", "PROBABLY_SAME_FIRM", "FILED", "COVERS"):
    schema().relationship(_rel)

#: a firm whose propagated risk moved less than this keeps its figures until the nightly ``--full`` (or until
#: its drift since it was last rescored passes it): any new violator rescales everyone's exposure a little (the
#: walk restarts at each violator in turn, and the result is scaled to the highest), which would otherwise rescore
#: every firm; half the two decimals reasons show it with, and at most 0.0025 of risk (its weight is 0.5)
PROPAGATION_MOVE = 0.005

# both from indexes and the count store, not a scan of the declarations
LOAD_COUNTS = "MATCH (d:Declaration) WHERE d.load IS NOT NULL RETURN d.load AS load, count(*) AS n"
DECLARATIONS = "MATCH (d:Declaration) RETURN count(d) AS n"

# What the graph shows of the last run: a graph emptied and loaded again since shows none of it.
SHOWN = """
RETURN COUNT { MATCH (e:Enterprise) WHERE e.risk IS NOT NULL } AS analysed, COUNT { MATCH (:Network) } AS networks
"""

# the declarations of the loads $loads or with feedback since $since, each from its index
_TOUCHED = """
CALL () {
  MATCH (d:Declaration) WHERE d.load IN $loads RETURN d
  UNION
  MATCH (d:Declaration) WHERE d.feedback_at > $since RETURN d%s
}
RETURN collect(DISTINCT d.importer_id) AS importers, collect(DISTINCT d.hs6) AS codes, count(d) AS declarations,
       toString(max(d.date)) AS latest, count(CASE WHEN d.feedback_at > $since THEN 1 END) AS feedback
"""

THEIR_LINKS = """
UNWIND $ids AS id
MATCH (e:Enterprise {id: id})
CALL (e) {
  MATCH (e)-[:HAS_ADDRESS]->(a:Address) RETURN e.id AS enterprise, 'address' AS kind, a.key AS target
  UNION ALL
  MATCH (e)-[:HAS_PHONE]->(p:Phone) RETURN e.id AS enterprise, 'phone' AS kind, p.number AS target
  UNION ALL
  MATCH (e)-[:HAS_LEGAL_REP]->(p:Person) RETURN e.id AS enterprise, 'legal_rep' AS kind, p.id AS target
  UNION ALL
  MATCH (e)-[r:PROBABLY_SAME_FIRM]-(:Enterprise) WHERE r.status <> 'rejected'
  WITH r, startNode(r) AS a, endNode(r) AS b
  UNWIND [a.id, b.id] AS enterprise
  RETURN enterprise, CASE r.status WHEN 'confirmed' THEN 'same_firm' ELSE 'probable_same_firm' END AS kind,
         a.id + '|' + b.id AS target
}
RETURN collect([enterprise, kind, target]) AS rows
"""

# every use of the consignments $consignments
USES_OF = """
MATCH (c:Consignment) WHERE c.id IN $consignments
MATCH (c)<-[:COVERS]-(u:Declaration) WHERE u.importer_id IS NOT NULL AND u.date <= $as_of
RETURN collect([u.importer_id, u.consignment_id, toString(u.date)]) AS rows
"""

# every use of the consignments the importers in $ids used (whoever used them), to tell which are shared
CONSIGNMENT_USES = """
MATCH (e:Enterprise)-[:FILED {role: 'consignee'}]->(d:Declaration)-[:COVERS]->(c:Consignment)
WHERE e.id IN $ids AND d.importer_id = e.id AND d.date <= $as_of
WITH DISTINCT c
MATCH (c)<-[:COVERS]-(u:Declaration) WHERE u.importer_id IS NOT NULL AND u.date <= $as_of
RETURN collect([u.importer_id, u.consignment_id, toString(u.date)]) AS rows
"""

THEIR_INFO = """
MATCH (e:Enterprise) WHERE e.id IN $ids
RETURN collect([e.id, e.name, e.category, toString(e.registered), e.country]) AS rows
"""


@dataclass
class Touched:
    """What changed since the last run."""

    loads: dict[str, int]
    importers: list[str]
    codes: list[str]
    declarations: int
    latest: pd.Timestamp | None
    grown: list[str]  # the loads new or grown since ("" for declarations written without one)
    feedback: int = 0  # declarations with feedback since

    def only_new(self, state: AnalysisState) -> bool:
        """Whether the touched declarations are all new ones (from loads the last run did not know): then
        only they are read, and compared with their peers from the stored peer columns."""
        known = any(s in state.loads for s in self.grown)
        kept = state.inputs.peer_rows is not None and state.inputs.currencies is not None
        return kept and not known and self.feedback == 0

    def later(self, state: AnalysisState) -> bool:
        """Whether the new declarations move the latest date, and with it every recent window."""
        return self.latest is not None and self.latest > state.inputs.activity.as_of


@dataclass
class IncrementalResult:
    table: pd.DataFrame  # the whole enterprise table, touched communities rescored
    networks: list[dict]  # every network, those of touched communities rescored
    changed: pd.DataFrame  # the rows rescored (written back)
    changed_networks: list[dict]
    removed_networks: list[int]  # ids of networks that no longer exist or were rescored
    inputs: AnalysisInputs
    graph_edges: int
    counts: dict[str, int]


def load_counts(driver: neo4j.Driver, database: str) -> dict[str, int]:
    """Declarations per load (``""`` for those written without one)."""
    read = neo4j.RoutingControl.READ
    counts = {r["load"]: r["n"] for r in driver.execute_query(LOAD_COUNTS, database_=database, routing_=read).records}
    unloaded = driver.execute_query(DECLARATIONS, database_=database, routing_=read).records[0]["n"] - sum(
        counts.values()
    )
    return counts | ({"": unloaded} if unloaded else {})


def find_touched(driver: neo4j.Driver, database: str, state: AnalysisState) -> Touched | None:
    """The declarations new since ``state``; None when only a full run is right: a load shrank or vanished,
    or the graph does not show the results of the run ``state`` describes (it was emptied, or analysed elsewhere)."""
    shown = driver.execute_query(SHOWN, database_=database, routing_=neo4j.RoutingControl.READ).records[0]
    if (shown["analysed"], shown["networks"]) != (len(state.table), len(state.networks)):
        return None
    loads = load_counts(driver, database)
    if any(loads.get(s, 0) < n for s, n in state.loads.items()):
        return None
    grown = [s for s, n in loads.items() if n != state.loads.get(s)]
    record = driver.execute_query(
        touched_query("" in grown),
        loads=grown,
        since=state.analysed_at,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    ).records[0]
    latest = pd.Timestamp(record["latest"]) if record["latest"] else None
    return Touched(
        loads,
        sorted(record["importers"]),
        sorted(record["codes"]),
        record["declarations"],
        latest,
        grown,
        record["feedback"],
    )


def touched_query(unloaded: bool) -> str:
    """The touched declarations' query; with ``unloaded``, those written without a load count as new too."""
    return _TOUCHED % ("\n  UNION\n  MATCH (d:Declaration) WHERE d.load IS NULL RETURN d" if unloaded else "")


def _replace(old: pd.DataFrame, new: pd.DataFrame, column: str, keys) -> pd.DataFrame:
    kept = old[~old[column].isin(set(keys))]
    return pd.concat([kept, new[list(old.columns)]], ignore_index=True) if len(new) else kept.reset_index(drop=True)


def _read(driver, database, state: AnalysisState, touched: Touched, affected: list[str], as_of, rows: Path) -> dict:
    """Everything about the ``affected`` importers and the touched HS6 codes, read again."""
    activity = state.inputs.activity
    fold = ActivityFold(as_of, window_days=activity.window_days, history_days=activity.history_days)
    writer = PeerRowWriter(rows)
    if state.inputs.peer_rows is not None:  # the other codes' rows as they were
        writer.write(read_peer_rows(state.inputs.peer_rows, touched.codes, exclude=True))

    def work(tx: neo4j.ManagedTransaction) -> dict:
        fold_pages(importer_pages(tx, affected), as_of, fold=fold)
        currencies = analysis_currencies(tx, as_of)
        money = money_basis(currencies)
        read = {"peer_parts": fold_pages(code_pages(tx, codes=touched.codes), as_of, money=money, rows=writer)}
        read["currencies"] = currencies
        uses = tx.run(CONSIGNMENT_USES, ids=affected, as_of=as_of.date()).single()["rows"]
        read["uses"] = pd.DataFrame.from_records(uses, columns=list(CONSIGNMENT_COLUMNS))
        read["links"] = tx.run(THEIR_LINKS, ids=affected).single()["rows"]
        read["info"] = tx.run(THEIR_INFO, ids=affected).single()["rows"]
        return read

    with reading_session(driver, database) as session:
        read = session.execute_read(work)
    writer.close()
    read["activity"], read["violated"] = fold.activity(), fold.violated
    read["cases"] = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
    return read


def _own_records(old: AnalysisInputs, read: dict, ids) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last run's links and enterprises with those of ``ids`` replaced by what was read of them."""
    links = pd.DataFrame.from_records(read["links"], columns=list(LINK_COLUMNS))
    links = _replace(old.links, links, "enterprise", ids).drop_duplicates(ignore_index=True)
    info = pd.DataFrame.from_records(read["info"], columns=list(ENTERPRISE_COLUMNS))
    info["registered"] = pd.to_datetime(info["registered"], format="%Y-%m-%d", errors="coerce")
    return links, _replace(old.enterprises, info, "id", ids)


def _merge(
    state: AnalysisState, read: dict, affected: list[str], touched: Touched, as_of, rows: Path
) -> AnalysisInputs:
    old = state.inputs
    activity, fresh = old.activity, read["activity"]
    uses = read["uses"].assign(date=pd.to_datetime(read["uses"]["date"], format="%Y-%m-%d"))
    merged = Activity(
        importers=_replace(activity.importers, fresh.importers, "id", affected),
        usage=_replace(activity.usage, fresh.usage, "importer_id", affected),
        violations=_replace(activity.violations, fresh.violations, "importer_id", affected),
        consignments=_replace(
            activity.consignments, shared_consignment_uses(uses), "consignment_id", set(uses["consignment_id"])
        ),
        as_of=as_of,
        window_days=activity.window_days,
        history_days=activity.history_days,
    )
    links, enterprises = _own_records(old, read, affected)
    parts = old.peer_parts
    parts = parts[~parts.index.get_level_values("hs6").isin(set(touched.codes))]
    parts = pd.concat([parts, read["peer_parts"]]) if len(read["peer_parts"]) else parts
    return _inputs(
        old,
        read,
        affected,
        enterprises=enterprises,
        links=links,
        activity=merged,
        peer_parts=parts,
        peer_rows=rows if old.peer_rows is not None else None,  # without the other codes' rows, none are kept
        currencies=read["currencies"],
    )


def _inputs(old: AnalysisInputs, read: dict, reread, *, peer_parts: pd.DataFrame, **patched) -> AnalysisInputs:
    """The patched inputs; a re-read firm is a known violator again only if what was read says so."""
    violators = (old.known_violators - set(reread)) | read["violated"]
    violators |= set(read["cases"]["id"].dropna().astype(str))
    return AnalysisInputs(
        peer_stats=combine_peer_parts([peer_parts]), known_violators=violators, peer_parts=peer_parts, **patched
    )


def _read_day(driver, database, state: AnalysisState, touched: Touched, as_of, rows: Path) -> dict:
    """The new declarations only, their consignments' uses, and the touched importers' own records."""
    activity = state.inputs.activity
    fold = ActivityFold(as_of, window_days=activity.window_days, history_days=activity.history_days)

    # a later date moves the touched importers' windows: their declarations are all folded again
    again = touched.importers if touched.later(state) else []

    def work(tx: neo4j.ManagedTransaction) -> dict:
        pages = list(day_pages(tx, touched.grown))
        fold_pages(importer_pages(tx, again) if again else iter(pages), as_of, fold=fold)
        day = pd.concat(pages, ignore_index=True)
        day = day[day["date"] <= as_of]
        consignments = sorted({c for c in day["consignment_id"].dropna() if c != ""})
        uses = tx.run(USES_OF, consignments=consignments, as_of=as_of.date()).single()["rows"]
        return {
            "day": day,
            "uses": pd.DataFrame.from_records(uses, columns=list(CONSIGNMENT_COLUMNS)),
            "links": tx.run(THEIR_LINKS, ids=touched.importers).single()["rows"],
            "info": tx.run(THEIR_INFO, ids=touched.importers).single()["rows"],
        }

    with reading_session(driver, database) as session:
        read = session.execute_read(work)
    read["activity"], read["violated"], read["again"] = fold.activity(), fold.violated, again
    read["cases"] = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
    return read


def _added(old: pd.DataFrame, new: pd.DataFrame, keys: list[str], *, first: tuple[str, ...] = ()) -> pd.DataFrame:
    """``old`` with the counts of ``new`` added row by row on ``keys`` (the earliest of the ``first`` columns)."""
    if new.empty:
        return old
    mine = old[keys[0]].isin(set(new[keys[0]]))
    both = pd.concat([old[mine], new[list(old.columns)]], ignore_index=True)
    how = {c: ("min" if c in first else "sum") for c in old.columns if c not in keys}
    added = both.groupby(keys, sort=False, as_index=False, dropna=False).agg(how)
    return pd.concat([old[~mine], added[list(old.columns)]], ignore_index=True)


def _patch(state: AnalysisState, read: dict, touched: Touched, as_of, rows: Path) -> AnalysisInputs:
    """The last run's inputs with the new declarations added: their counts (or, when the latest date moved, the
    touched importers' counts folded again), their peer groups compared again (the stored rows of those HS6
    codes and the new ones), their consignments' uses."""
    old = state.inputs
    activity, day = old.activity, read["activity"]
    uses = read["uses"].assign(date=pd.to_datetime(read["uses"]["date"], format="%Y-%m-%d"))
    if read["again"]:

        def combine(before: pd.DataFrame, after: pd.DataFrame, keys: list[str], **_) -> pd.DataFrame:
            return _replace(before, after, keys[0], read["again"])
    else:
        combine = _added
    merged = Activity(
        importers=combine(activity.importers, day.importers, ["id"], first=("first_history",)),
        usage=combine(activity.usage, day.usage, ["importer_id", "kind", "value"]),
        violations=combine(activity.violations, day.violations, ["importer_id", "type"]),
        consignments=_replace(
            activity.consignments, shared_consignment_uses(uses), "consignment_id", set(uses["consignment_id"])
        ),
        as_of=as_of,
        window_days=activity.window_days,
        history_days=activity.history_days,
    )
    links, enterprises = _own_records(old, read, touched.importers)

    new_rows = read["day"][read["day"]["hs6"].notna()]
    currencies = sorted(set(old.currencies) | set(new_rows["currency"].dropna()))
    money = money_basis(currencies)
    # a new currency that changes the unit of money changes every comparison: all codes are compared again
    codes = None if money.unit != money_basis(old.currencies).unit else sorted(set(new_rows["hs6"]))
    stored = read_peer_rows(old.peer_rows, codes)
    link_parts(old.peer_rows, rows)
    writer = PeerRowWriter(rows)
    writer.write(new_rows)
    writer.close()
    groups = pd.concat([stored, new_rows[list(PEER_ROW_COLUMNS)]], ignore_index=True)
    parts = old.peer_parts
    if codes is not None:
        parts = parts[~parts.index.get_level_values("hs6").isin(set(codes))]
        parts = pd.concat([parts, peer_sums(groups, money)])
    else:
        parts = peer_sums(groups, money)
    return _inputs(
        old,
        read,
        read["again"],
        enterprises=enterprises,
        links=links,
        activity=merged,
        peer_parts=parts,
        peer_rows=rows,
        currencies=currencies,
    )


def _joined_communities(g, firms: list[str], old: pd.Series) -> set:
    """Old communities a touched firm is now tied to strongly enough to join (a link above the CPM resolution)."""
    position = {name: i for i, name in enumerate(g.vs["name"])}
    weight = g.es["weight"] if g.ecount() else []
    names = g.vs["name"]
    found = set()
    for firm in firms:
        if firm not in position:
            continue
        for edge in g.incident(position[firm]):
            if weight[edge] >= DEFAULT_RESOLUTION["leiden"]:
                other = names[g.es[edge].target if g.es[edge].source == position[firm] else g.es[edge].source]
                community = old.get(other)
                if community is not None and pd.notna(community):
                    found.add(community)
    return found


def _communities(g, region: list[str], old: pd.Series, seed: int) -> tuple[dict[str, int], set[int]]:
    """Leiden again on the region's subgraph; a community found with the same members keeps its number.

    Returns the region's membership and the old community numbers it no longer uses.
    """
    position = {name: i for i, name in enumerate(g.vs["name"])}
    sub = g.induced_subgraph([position[v] for v in region])
    found = leiden_communities(sub, seed=seed, resolution=DEFAULT_RESOLUTION["leiden"], n_iterations=LEIDEN_ITERATIONS)
    groups: dict[int, list[str]] = {}
    for name, c in found.items():
        groups.setdefault(c, []).append(name)
    before: dict[frozenset, int] = {}
    for c, members in old.dropna().groupby(old.dropna()).groups.items():
        before[frozenset(members)] = int(c)
    next_id = int(old.max()) + 1 if old.notna().any() else 0
    membership, kept = {}, set()
    for members in sorted(groups.values(), key=lambda m: (-len(m), min(m))):
        number = before.get(frozenset(members))
        if number is None:
            number, next_id = next_id, next_id + 1
        else:
            kept.add(number)
        membership.update(dict.fromkeys(members, number))
    previous = {int(c) for c in old.reindex(region).dropna()}
    return membership, previous - kept


def analyse_touched(
    driver: neo4j.Driver,
    database: str,
    state: AnalysisState,
    touched: Touched,
    rows: Path,
    *,
    seed: int = 0,
    lap: Callable[[str], None] = lambda stage: None,
) -> IncrementalResult:
    """Rescore the communities of the touched importers (see the module notes); the declarations' peer columns
    of the new state are written to the folder ``rows``. ``lap`` is called with each stage's name as it ends."""
    as_of = (
        max(state.inputs.activity.as_of, touched.latest) if touched.latest is not None else state.inputs.activity.as_of
    )
    old_community = state.table.set_index("id")["community"]
    touched_communities = set(old_community.reindex(touched.importers).dropna())
    affected = sorted(set(touched.importers) | set(old_community[old_community.isin(touched_communities)].index))

    if touched.only_new(state):
        inputs = _patch(state, _read_day(driver, database, state, touched, as_of, rows), touched, as_of, rows)
    else:
        read = _read(driver, database, state, touched, affected, as_of, rows)
        inputs = _merge(state, read, affected, touched, as_of, rows)
    lap("read")
    activity = inputs.activity
    ids = sorted(set(inputs.enterprises["id"].astype(str)) | set(activity.importers["id"].astype(str)))
    g = enterprise_graph(pd.concat([inputs.links, activity_links(activity)]), enterprises=ids)
    lap("projection")

    joined = _joined_communities(g, touched.importers, old_community)
    extra = set(old_community[old_community.isin(joined - touched_communities)].index)
    # a new outcome (feedback, a case closed confirmed) moves its neighbours' propagated risk, whatever
    # community they are in: they and their communities are rescored too
    propagated = propagated_risk(g, inputs.known_violators)
    now = propagated["propagated_risk"]
    before = state.table.set_index("id")["propagated_risk"].reindex(now.index).fillna(0.0)
    moved = set(now.index[(now - before).abs() > PROPAGATION_MOVE])
    extra |= moved | set(old_community[old_community.isin(set(old_community.reindex(list(moved)).dropna()))].index)
    region = sorted(set(affected) | extra | (set(ids) - set(old_community.index)))
    lap("propagation")
    membership, gone = _communities(g, region, old_community.reindex(ids), seed)
    lap("communities")
    betweenness = state.table.set_index("id")["betweenness"].reindex(region).fillna(0.0)
    signals = [
        pagerank_centrality(g).reindex(region),
        betweenness,
        degree_centrality(g).reindex(region),
        propagated.reindex(region),
        inputs.peer_stats,
    ]
    mine = set(region)
    own = Activity(
        importers=activity.importers[activity.importers["id"].isin(mine)],
        usage=activity.usage[activity.usage["importer_id"].isin(mine)],
        violations=activity.violations,
        consignments=activity.consignments,
        as_of=as_of,
        window_days=activity.window_days,
        history_days=activity.history_days,
    )
    firms = inputs.enterprises[inputs.enterprises["id"].isin(mine)]
    recency = recency_from_activity(firms, own)
    table = enterprise_table(region, firms, membership, signals, recency)
    networks = network_risk(g, table, activity=activity)
    table = table.join(enterprise_risk(table, networks)).reset_index()

    rescored = {int(c) for c in table["community"].dropna()} | gone
    kept_networks = [n for n in state.networks if int(n["id"]) not in rescored]
    all_networks = sorted(kept_networks + networks, key=lambda r: (-r["score"], str(r["id"])))
    rest = state.table[~state.table["id"].isin(mine)]
    whole = pd.concat([rest, table[[c for c in table.columns if c in rest.columns]]], ignore_index=True)
    whole = whole.sort_values(["risk", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    counts = {
        "touched_declarations": touched.declarations,
        "touched_importers": len(touched.importers),
        "rescored_enterprises": len(table),
        "rescored_networks": len(networks),
    }
    return IncrementalResult(
        table=whole,
        networks=all_networks,
        changed=table,
        changed_networks=networks,
        removed_networks=sorted(rescored),
        inputs=inputs,
        graph_edges=g.ecount(),
        counts=counts,
    )
