"""One call from the four input frames to scored enterprises and networks.

:func:`analyze_frames` runs the pure algorithm layer end to end: project the shared-identifier
graph, find communities, compute centrality, propagate risk from known violators, compare unit
values with peers, detect recent changes, then score networks and enterprises. It touches no
database; the Neo4j projection and write-back wrap it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import igraph as ig
import pandas as pd

from algorithms.activity import Activity, importer_activity
from algorithms.centrality import degree_centrality
from algorithms.communities import keep_numbers
from algorithms.frames import as_id_set, require_columns, significant
from algorithms.networks import enterprise_risk, network_risk
from algorithms.peers import enterprise_peer_stats, unit_value_anomalies
from algorithms.projection import REUSE_DAYS, EnterpriseEdges, activity_links, enterprise_edges
from algorithms.propagation import propagated_risk
from algorithms.recency import recency_from_activity
from analysis.engines import GraphEngine, InProcessEngine, beside

__all__ = ["AnalysisInputs", "AnalysisResult", "analyze_frames", "analyze_inputs", "enterprise_table", "published"]

_ENTERPRISE_COLUMNS = ("id", "name", "category", "registered", "country")
_DECLARATION_COLUMNS = ("id", "date", "importer_id", "hs6", "origin", "value")
_LINK_COLUMNS = ("enterprise", "kind", "target")

#: decimals of the published risk and propagated risk (the reasons' strengths have four too), and significant digits
#: of PageRank: a change below them is no change. Every firm's PageRank and propagated risk move in their last digits
#: when any declaration or outcome arrives, and a run writes back only the firms whose results changed.
DECIMALS = {"risk": 4, "propagated_risk": 4}
SIGNIFICANT = {"pagerank": 3}


@dataclass
class AnalysisInputs:
    """What the analysis needs, enterprise-sized: no declaration is held on its own.

    Attributes
    ----------
    enterprises : DataFrame
        ``id``, ``name``, ``category``, ``registered``, ``country`` of the enterprises analysed.
    links : DataFrame
        ``enterprise``, ``kind``, ``target``: identifiers from the enterprises' own records.
    activity : Activity
        The declarations folded per importer (:mod:`algorithms.activity`).
    peer_stats : DataFrame
        :func:`algorithms.peers.enterprise_peer_stats`, indexed by importer id.
    known_violators : set of str
    peer_parts : DataFrame, optional
        The peer sums per (importer, HS6 code) behind ``peer_stats`` (:func:`algorithms.peers.peer_stat_parts`),
        kept so an incremental run can replace the codes new data touched.
    currencies : list of str, optional
        The currencies of the declarations (their money basis is the peer comparison's unit).
    audit : DataFrame, optional
        Per importer, what a post-clearance audit would reach (``analysis.aggregates.AUDIT_FIGURES``), kept in
        the snapshot for the audit leads.
    """

    enterprises: pd.DataFrame
    links: pd.DataFrame
    activity: Activity
    peer_stats: pd.DataFrame
    known_violators: set[str]
    peer_parts: pd.DataFrame | None = None
    currencies: list[str] | None = None
    audit: pd.DataFrame | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {
            "enterprises": len(self.enterprises),
            "declarations": int(self.activity.importers["n"].sum()),
            "links": len(self.links),
            "known_violators": len(self.known_violators),
            # what Python holds instead of the declarations
            "usage_rows": len(self.activity.usage),
            "shared_consignment_uses": len(self.activity.consignments),
        }


@dataclass
class AnalysisResult:
    """What :func:`analyze_frames` found.

    Attributes
    ----------
    enterprises : DataFrame
        One row per enterprise (column ``id``): ``name``, ``category``, ``community``,
        ``community_size``, ``pagerank``, ``betweenness``, ``degree``, ``weighted_degree``,
        ``propagated_risk``, ``is_violator``, ``violator_neighbours``, peer statistics
        (``peer_compared``, ``peer_share_below``, ``value_shortfall`` and
        ``tax_at_stake`` in US dollars), recency signals (``age_days``, ``young``, ``recent_count``,
        ``volume_spike``, ``new_route``, ``new_chapter``, ``broker_switch``, ...), ``risk``
        (0..1) and ``reasons``; sorted by ``risk``, highest first.
    networks : list of dict
        Scored communities, highest first (see :func:`algorithms.networks.network_risk`).
    declarations : DataFrame or None
        Per-declaration peer comparison (see :func:`algorithms.peers.unit_value_anomalies`) when the
        analysis ran on a declarations frame; None when it ran on aggregates.
    edges : EnterpriseEdges or None
        The projected enterprise graph's edges as arrays (igraph's own edge list is slow to take out).
    graph : igraph.Graph
        The projected enterprise graph, built again from ``edges`` when asked: the analysis lets its own go once
        the communities and centralities are found (0.2 GB at 1M declarations, a Python float per edge weight).
    timings : dict
        Seconds per stage.
    betweenness_method : str
        ``"exact"`` or ``"sampled"``.
    """

    enterprises: pd.DataFrame
    networks: list[dict]
    declarations: pd.DataFrame | None
    edges: EnterpriseEdges | None = None
    timings: dict[str, float] = field(default_factory=dict)
    betweenness_method: str = "exact"

    @property
    def graph(self) -> ig.Graph:
        if self.edges is None:
            raise ValueError("the analysis let its graph go")
        return self.edges.graph()


def analyze_frames(
    enterprises: pd.DataFrame,
    declarations: pd.DataFrame,
    links: pd.DataFrame,
    known_violators: Iterable[str] | pd.Series | None,
    as_of,
    seed: int = 0,
    *,
    max_degree: int = 50,
    weighting: str = "idf",
    reuse_days: int = REUSE_DAYS,
    kind_weights: dict[str, float] | None = None,
    community_method: str = "leiden",
    community_resolution: float | None = None,
    exact_betweenness_max: int = 5000,
    betweenness_samples: int = 100,
    window_days: int = 90,
    young_days: int = 365,
    engine: GraphEngine | None = None,
    on_stage: Callable[[str, float], None] | None = None,
    numbers: pd.Series | None = None,
) -> AnalysisResult:
    """Run the whole network analysis on in-memory frames.

    Parameters
    ----------
    enterprises : DataFrame
        ``id``, ``name``, ``category``, ``registered``, ``country``.
    declarations : DataFrame
        ``id``, ``date``, ``importer_id``, ``hs6``, ``origin``, ``value`` and ``net_mass`` or
        ``quantity``; optionally ``currency`` (values are compared in US dollars; without the column
        they are taken as dollars), ``declarant_id``, ``seller_id``, ``consignment_id``, ``route``,
        ``tax_rate``, ``violation``, ``violation_type``. Rows dated after ``as_of`` are ignored.
    links : DataFrame
        ``enterprise``, ``kind``, ``target`` (address, phone, legal_rep).
    known_violators : iterable of str
        Enterprises with confirmed past violations.
    as_of : date-like
        Reference date for recency and for cutting off later declarations.
    reuse_days, kind_weights :
        How shared containers and each kind of identifier count in the projection
        (:func:`algorithms.projection.declaration_links`, :func:`algorithms.projection.enterprise_graph`).
    seed : int
        Seed for community detection and sampled betweenness.
    community_method : {"leiden", "louvain"}
        ``"leiden"`` (constant Potts model, keeps small rings small; resolution default 0.5) or
        ``"louvain"`` (modularity; resolution default 1.0).
    engine : GraphEngine, optional
        Where communities, PageRank and betweenness run: in this process (default) or, with
        :class:`analysis.gds.GdsEngine`, inside Neo4j Graph Data Science.
    on_stage : callable, optional
        Called with ``(stage, seconds)`` as each stage finishes, for a progress display.
    numbers : Series, optional
        Each firm's community in an earlier run: a community found again keeps its number (:func:`analyze_inputs`).

    Returns
    -------
    AnalysisResult

    Examples
    --------
    >>> e = pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"], "category": [None, None],
    ...                   "registered": pd.to_datetime(["2025-06-01", "2025-06-01"]), "country": [None, None]})
    >>> d = pd.DataFrame({"id": ["1"], "date": pd.to_datetime(["2025-12-01"]), "importer_id": ["a"], "hs6": ["850440"],
    ...                   "origin": ["CN"], "value": [100.0], "net_mass": [10.0]})
    >>> l = pd.DataFrame({"enterprise": ["a", "b"], "kind": ["phone", "phone"], "target": ["p", "p"]})
    >>> r = analyze_frames(e, d, l, set(), "2026-01-01")
    >>> r.networks[0]["members"]
    ['a', 'b']
    """
    require_columns(enterprises, _ENTERPRISE_COLUMNS, "enterprises")
    require_columns(declarations, _DECLARATION_COLUMNS, "declarations")
    require_columns(links, _LINK_COLUMNS, "links")
    as_of = pd.Timestamp(as_of)
    began = time.perf_counter()
    decl = declarations[pd.to_datetime(declarations["date"]) <= as_of]
    anomalies = unit_value_anomalies(decl)
    inputs = AnalysisInputs(
        enterprises=enterprises,
        links=links,
        activity=importer_activity(decl, as_of, window_days=window_days),
        peer_stats=enterprise_peer_stats(anomalies),
        known_violators=as_id_set(known_violators),
    )
    folded = round(time.perf_counter() - began, 4)
    if on_stage is not None:
        on_stage("peers", folded)
    result = analyze_inputs(
        inputs,
        seed=seed,
        max_degree=max_degree,
        weighting=weighting,
        reuse_days=reuse_days,
        kind_weights=kind_weights,
        community_method=community_method,
        community_resolution=community_resolution,
        exact_betweenness_max=exact_betweenness_max,
        betweenness_samples=betweenness_samples,
        young_days=young_days,
        engine=engine,
        on_stage=on_stage,
        numbers=numbers,
    )
    result.declarations = anomalies
    result.timings = {"peers": folded, **result.timings}
    return result


def analyze_inputs(
    inputs: AnalysisInputs,
    seed: int = 0,
    *,
    max_degree: int = 50,
    weighting: str = "idf",
    reuse_days: int = REUSE_DAYS,
    kind_weights: dict[str, float] | None = None,
    community_method: str = "leiden",
    community_resolution: float | None = None,
    exact_betweenness_max: int = 5000,
    betweenness_samples: int = 100,
    young_days: int = 365,
    engine: GraphEngine | None = None,
    on_stage: Callable[[str, float], None] | None = None,
    numbers: pd.Series | None = None,
) -> AnalysisResult:
    """The analysis from enterprise-sized inputs (:class:`AnalysisInputs`): what :func:`analyze_frames` runs
    after folding the declarations, and what ``riskgraph analyze`` runs on the aggregates Neo4j computes.

    ``numbers`` is each firm's community in an earlier run: a community found again with the same members keeps
    its number (:func:`algorithms.communities.keep_numbers`), the others get new ones."""
    if community_method not in ("leiden", "louvain"):
        raise ValueError(f"community_method must be 'leiden' or 'louvain', got {community_method!r}")
    require_columns(inputs.enterprises, _ENTERPRISE_COLUMNS, "enterprises")
    require_columns(inputs.links, _LINK_COLUMNS, "links")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now
        if on_stage is not None:
            on_stage(stage, timings[stage])

    enterprises, activity = inputs.enterprises, inputs.activity
    ids = sorted(set(enterprises["id"].astype(str)) | set(activity.importers["id"].astype(str)))
    # the links as one frame only while the projection reads them (about a million rows: not kept to the end)
    edges = enterprise_edges(
        pd.concat([inputs.links[list(_LINK_COLUMNS)], activity_links(activity, reuse_days=reuse_days)]),
        enterprises=ids,
        max_degree=max_degree,
        weighting=weighting,
        kind_weights=kind_weights,
    )
    g = edges.graph()
    lap("projection")

    engine = engine or InProcessEngine()
    # centrality starts first: the in-process engine computes betweenness on the other core while Leiden runs
    centrality = engine.start_centrality(
        g, seed=seed, exact_max_vertices=exact_betweenness_max, samples=betweenness_samples, edges=edges
    )
    membership = engine.communities(g, seed=seed, method=community_method, resolution=community_resolution)
    if numbers is not None:
        membership, _ = keep_numbers(membership, numbers)
    lap("communities")

    pagerank, betweenness = centrality()
    del g, centrality  # nothing after reads the igraph graph: the edge arrays serve the rest
    degrees = degree_centrality(edges)
    lap("centrality")

    # recency (pandas) in a forked child while propagation (the walk over the edge arrays) runs here
    recency = beside(len(edges.ends))(recency_from_activity, enterprises, activity, young_days=young_days)
    propagation = propagated_risk(edges, inputs.known_violators)
    lap("propagation")
    recency = recency.result()
    lap("recency")

    table = enterprise_table(
        ids, enterprises, membership, [pagerank, betweenness, degrees, propagation, inputs.peer_stats], recency
    )
    networks = network_risk(edges, table, activity=activity)
    lap("networks")

    table = published(table.join(enterprise_risk(table, networks))).sort_values(
        ["risk", "id"], ascending=[False, True], kind="stable"
    )
    lap("enterprise_risk")
    return AnalysisResult(
        enterprises=table.reset_index(),
        networks=networks,
        declarations=None,
        edges=edges,
        timings=timings,
        betweenness_method=betweenness.attrs.get("method", "exact"),
    )


def published(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its results to the precision they are published with (:data:`DECIMALS`, :data:`SIGNIFICANT`).

    >>> published(pd.DataFrame({"risk": [0.123456], "propagated_risk": [0.00004], "pagerank": [0.0123456]}))
         risk  propagated_risk  pagerank
    0  0.1235              0.0    0.0123
    """
    rounded = {c: table[c].round(d) for c, d in DECIMALS.items() if c in table}
    for column, digits in SIGNIFICANT.items():
        if column in table:
            rounded[column] = pd.Series(significant(table[column], digits), index=table.index)
    return table.assign(**rounded)


def enterprise_table(
    ids: list[str],
    enterprises: pd.DataFrame,
    membership: dict[str, int] | pd.Series,
    signals: list[pd.DataFrame | pd.Series],
    recency: pd.DataFrame,
) -> pd.DataFrame:
    """One row per enterprise in ``ids``: name, category, community and its size, then every signal joined."""
    info = enterprises.assign(id=enterprises["id"].astype(str)).drop_duplicates("id").set_index("id")
    table = pd.DataFrame(index=pd.Index(ids, name="id"))
    table = table.join(info[["name", "category"]])
    table["community"] = pd.Series(membership).reindex(table.index)
    table["community_size"] = table.groupby("community")["community"].transform("size")
    # each signal taken for these firms alone: joined as a list, pandas joins the frames outer first, and a signal of
    # more firms (an incremental run's peer figures are every importer's) left the community column float
    table = table.join([signal.reindex(table.index) for signal in signals])
    table = table.join(recency.drop(columns=[c for c in recency.columns if c in table.columns]))
    table["peer_compared"] = table["peer_compared"].fillna(0).astype(int)
    return table
