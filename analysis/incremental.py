"""Fresh risk after new data: rescore only the communities the declarations loaded since the last run touched.

New declarations are those of a load (one ``riskgraph ingest`` run, :func:`ingest.pipeline.new_load`) the
last run did not see (or that has grown since), and declarations with feedback recorded after it; a load that
shrank (its rows written again by a later one) makes the run full. Their importers are *touched*.

The inputs are read as a full run reads them (:func:`analysis.aggregates.read_analysis_inputs`): the engine
aggregates every declaration of the columnar copy in seconds, so windows that a new latest date moved and
peer groups that new rows joined are exact, with no state kept but the last run's results. The run then

1. projects the enterprise graph;
2. runs Leiden again on the subgraph of the touched firms' communities, the communities they are now
   tied to by a link above the resolution, new firms, and the firms whose propagated risk a new outcome
   moved, with their communities (the constant Potts model is local, so a community away from the new
   data would be found unchanged); PageRank, degree and propagation from known violators (new outcomes
   included) are recomputed on the whole graph, and a firm whose propagated risk moved by
   :data:`PROPAGATION_MOVE` or more is rescored with its community;
3. scores those communities' networks and members and writes back only them.

Firms outside the rescored communities keep the last run's figures (their PageRank or peer comparison may
have moved a little); betweenness is kept from the last run (a new firm has 0) and ``--full`` recomputes
everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import neo4j
import pandas as pd

from algorithms.activity import Activity
from algorithms.centrality import degree_centrality, pagerank_centrality
from algorithms.communities import keep_numbers, leiden_communities
from algorithms.frames import in_values
from algorithms.networks import enterprise_risk, network_risk
from algorithms.projection import EnterpriseEdges, activity_links, enterprise_edges
from algorithms.propagation import propagated_risk
from algorithms.recency import recency_from_activity
from analysis.engines import DEFAULT_RESOLUTION, LEIDEN_ITERATIONS, beside
from analysis.pipeline import AnalysisInputs, enterprise_table, published
from analysis.state import AnalysisState
from columnar.sync import graph_load_counts
from graph.model import schema
from graph.runs import shown, shown_run

__all__ = ["Touched", "IncrementalResult", "find_touched", "analyse_touched", "strong_ties"]

schema().node("Declaration")
schema().node("Enterprise")
schema().node("Network")

#: a firm whose propagated risk moved less than this keeps its figures until the nightly ``--full`` (or until
#: its drift since it was last rescored passes it): any new violator rescales everyone's exposure a little (the
#: walk restarts at each violator in turn, and the result is scaled to the highest), which would otherwise rescore
#: every firm; half the two decimals reasons show it with, and at most 0.0025 of risk (its weight is 0.5)
PROPAGATION_MOVE = 0.005

# What the graph shows of the last run: a graph emptied and loaded again since shows none of it.
SHOWN = f"""
RETURN COUNT {{ MATCH (a:Assessment) WHERE {shown("a")} }} AS analysed,
       COUNT {{ MATCH (n:Network) WHERE {shown("n")} }} AS networks
"""

# the declarations of the loads $loads or with feedback since $since, each from its index
_TOUCHED = """
CALL () {
  MATCH (d:Declaration) WHERE d.load IN $loads RETURN d
  UNION
  MATCH (d:Declaration) WHERE d.feedback_at > $since RETURN d%s
}
RETURN collect(DISTINCT d.importer_id) AS importers, count(d) AS declarations,
       collect(DISTINCT d.seller_id) + collect(DISTINCT d.declarant_id) + collect(DISTINCT d.carrier_id) AS parties
"""


@dataclass
class Touched:
    """What changed since the last run."""

    loads: dict[str, int]  # declarations per load now
    importers: list[str]
    declarations: int
    #: every firm the new declarations name (importer, seller, declarant, carrier): ingest may have changed its records
    parties: list[str]


@dataclass
class IncrementalResult:
    table: pd.DataFrame  # the whole enterprise table, touched communities rescored
    networks: list[dict]  # every network, those of touched communities rescored
    changed: pd.DataFrame  # the rows rescored (written back)
    changed_networks: list[dict]
    removed_networks: list[int]  # ids of networks that no longer exist or were rescored
    graph_edges: int
    counts: dict[str, int]
    ties: pd.DataFrame  # the strong ties of the whole graph now (:func:`strong_ties`), for the next run


def find_touched(
    driver: neo4j.Driver,
    database: str,
    state: AnalysisState,
    also: Iterable[str] = (),
    loads: dict[str, int] | None = None,
) -> Touched | None:
    """The declarations new since ``state``, and the firms ``also`` names (those whose same-firm candidates the
    analysis's resolution changed); None when only a full run is right: a load shrank or vanished, or the graph
    does not show the results of the run ``state`` describes (it was emptied, or analysed elsewhere). ``loads`` are
    the graph's declarations per load when the caller has read them (those the columnar copy was checked against)."""
    graph_shows = driver.execute_query(
        SHOWN, shown_run(driver, database), database_=database, routing_=neo4j.RoutingControl.READ
    ).records[0]
    if (graph_shows["analysed"], graph_shows["networks"]) != (len(state.table), len(state.networks)):
        return None
    loads = graph_load_counts(driver, database) if loads is None else loads
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
    importers = sorted({*record["importers"], *also})
    return Touched(loads, importers, record["declarations"], sorted({*importers, *record["parties"]}))


def touched_query(unloaded: bool) -> str:
    """The touched declarations' query; with ``unloaded``, those written without a load count as new too."""
    return _TOUCHED % ("\n  UNION\n  MATCH (d:Declaration) WHERE d.load IS NULL RETURN d" if unloaded else "")


def strong_ties(edges: EnterpriseEdges) -> pd.DataFrame:
    """The pairs tied by a link above the CPM resolution, over which one community may join another (columns
    ``a`` and ``b``, ids, ``a < b``)."""
    ends = edges.ends[edges.weight >= DEFAULT_RESOLUTION["leiden"]]
    return pd.DataFrame({"a": edges.names[ends[:, 0]], "b": edges.names[ends[:, 1]]})


def _sorted_ids(*columns: pd.Series) -> list[str]:
    """The ids the columns hold, once each, sorted: in pandas, since a Python set built from Arrow-backed strings
    iterates them one by one (half a second for 88,871 firms); Arrow sorts strings by their UTF-8 bytes, which is
    the order of their code points, as Python's ``sorted``."""
    return pd.concat([c.astype(str) for c in columns]).drop_duplicates().sort_values().tolist()


def _joined_communities(ties: pd.DataFrame, before: pd.DataFrame | None, firms: list[str], old: pd.Series) -> set:
    """Old communities a touched firm is now tied to by a strong link it did not have at the last run (``before``;
    every strong link when that run kept none). A tie the last run already had did not join the two communities
    then, and the other community has no new data to change that."""
    mine = ties[ties["a"].isin(firms) | ties["b"].isin(firms)]
    if before is not None:
        mine = mine.merge(before[["a", "b"]], how="left", on=["a", "b"], indicator=True)
        mine = mine[mine["_merge"] == "left_only"]
    chosen = set(firms)
    others = pd.concat([mine.loc[mine["a"].isin(chosen), "b"], mine.loc[mine["b"].isin(chosen), "a"]])
    return set(old.reindex(others.unique()).dropna())


def _communities(
    edges: EnterpriseEdges, region: list[str], old: pd.Series, seed: int
) -> tuple[dict[str, int], set[int]]:
    """Leiden again on the region's subgraph; a community found with the same members keeps its number.

    Returns the region's membership and the old community numbers it no longer uses.
    """
    sub = edges.among(region).graph()
    found = leiden_communities(sub, seed=seed, resolution=DEFAULT_RESOLUTION["leiden"], n_iterations=LEIDEN_ITERATIONS)
    membership, kept = keep_numbers(found, old)
    previous = {int(c) for c in old.reindex(region).dropna()}
    return membership, previous - kept


def analyse_touched(
    state: AnalysisState,
    touched: Touched,
    inputs: AnalysisInputs,
    *,
    seed: int = 0,
    lap: Callable[[str], None] = lambda stage: None,
) -> IncrementalResult:
    """Rescore the communities of the touched importers from ``inputs`` (read as a full run reads them; see the
    module notes). ``lap`` is called with each stage's name as it ends."""
    old_community = state.table.set_index("id")["community"]
    touched_communities = set(old_community.reindex(touched.importers).dropna())
    affected = sorted(set(touched.importers) | set(old_community[old_community.isin(touched_communities)].index))
    as_of = inputs.activity.as_of
    activity = inputs.activity
    ids = _sorted_ids(inputs.enterprises["id"], activity.importers["id"])
    # no igraph graph of the whole: the walk, degrees and network scores read the arrays, and Leiden needs only the
    # region's (igraph sorts its edge index as it builds a graph: a second for 2.6M links)
    edges = enterprise_edges(pd.concat([inputs.links, activity_links(activity)]), enterprises=ids)
    ties = strong_ties(edges)
    lap("projection")

    joined = _joined_communities(ties, state.ties, touched.importers, old_community)
    extra = set(old_community[old_community.isin(joined - touched_communities)].index)
    # a new outcome (feedback, a case closed confirmed) moves its neighbours' propagated risk, whatever
    # community they are in: they and their communities are rescored too
    propagated = propagated_risk(edges, inputs.known_violators)
    now = propagated["propagated_risk"]
    before = state.table.set_index("id")["propagated_risk"].reindex(now.index).fillna(0.0)
    moved = set(now.index[(now - before).abs() > PROPAGATION_MOVE])
    moved_region = moved | set(
        old_community[old_community.isin(set(old_community.reindex(list(moved)).dropna()))].index
    )
    new_firms = set(ids) - set(old_community.index)
    region = sorted(set(affected) | extra | moved_region | new_firms)
    lap("propagation")
    membership, gone = _communities(edges, region, old_community.reindex(ids), seed)
    lap("communities")
    betweenness = state.table.set_index("id")["betweenness"].reindex(region).fillna(0.0)
    signals = [betweenness, degree_centrality(edges).reindex(region), propagated.reindex(region), inputs.peer_stats]
    mine = set(region)
    own = Activity(
        importers=activity.importers[in_values(activity.importers["id"], mine)],
        usage=activity.usage[in_values(activity.usage["importer_id"], mine)],
        violations=activity.violations,
        consignments=activity.consignments,
        as_of=as_of,
        window_days=activity.window_days,
        history_days=activity.history_days,
    )
    firms = inputs.enterprises[in_values(inputs.enterprises["id"], mine)]
    recency = recency_from_activity(firms, own)
    table = enterprise_table(region, firms, membership, signals, recency)
    # no score reads PageRank: the networks are scored in a forked child while it runs here, and it joins the table
    # after, where a full run's table has it
    scoring = beside(len(edges.ends))(network_risk, edges, table, activity=activity)
    pagerank = pagerank_centrality(edges).reindex(table.index)
    table.insert(table.columns.get_loc("community_size") + 1, "pagerank", pagerank)
    networks = scoring.result()
    table = published(table.join(enterprise_risk(table, networks))).reset_index()

    rescored = {int(c) for c in table["community"].dropna()} | gone
    kept_networks = [n for n in state.networks if int(n["id"]) not in rescored]
    all_networks = sorted(kept_networks + networks, key=lambda r: (-r["score"], str(r["id"])))
    rest = state.table[~in_values(state.table["id"], mine)]
    whole = pd.concat([rest, table[[c for c in table.columns if c in rest.columns]]], ignore_index=True)
    whole = whole.sort_values(["risk", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    counts = {
        "touched_declarations": touched.declarations,
        "touched_importers": len(touched.importers),
        "rescored_enterprises": len(table),
        # why each was rescored (a firm may have several reasons): its own or its community's new declarations,
        # a community it is now tied to, a propagated risk that moved (with its community), new to the graph
        "rescored_for_declarations": len(affected),
        "rescored_for_joined": len(extra),
        "rescored_for_propagation": len(moved_region),
        "rescored_new": len(new_firms),
        "rescored_networks": len(networks),
    }
    return IncrementalResult(
        table=whole,
        networks=all_networks,
        changed=table,
        changed_networks=networks,
        removed_networks=sorted(rescored),
        graph_edges=len(edges.ends),
        counts=counts,
        ties=ties,
    )
