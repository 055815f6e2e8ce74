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

from algorithms._frames import _require_columns
from algorithms.centrality import degree_centrality
from algorithms.networks import enterprise_risk, network_risk
from algorithms.peers import enterprise_peer_stats, unit_value_anomalies
from algorithms.projection import REUSE_DAYS, declaration_links, enterprise_graph
from algorithms.propagation import propagated_risk
from algorithms.recency import recency_signals
from analysis.engines import GraphEngine, InProcessEngine

__all__ = ["AnalysisResult", "analyze_frames"]

_ENTERPRISE_COLUMNS = ("id", "name", "category", "registered", "country")
_DECLARATION_COLUMNS = ("id", "date", "importer_id", "hs6", "origin", "value")
_LINK_COLUMNS = ("enterprise", "kind", "target")


@dataclass
class AnalysisResult:
    """What :func:`analyze_frames` found.

    Attributes
    ----------
    enterprises : DataFrame
        One row per enterprise (column ``id``): ``name``, ``category``, ``community``,
        ``community_size``, ``pagerank``, ``betweenness``, ``degree``, ``weighted_degree``,
        ``propagated_risk``, ``is_violator``, ``violator_neighbours``, peer statistics
        (``peer_compared``, ``peer_share_below``, ``peer_median_z``, ``value_shortfall`` and
        ``tax_at_stake`` in US dollars), recency signals (``age_days``, ``young``, ``recent_count``,
        ``volume_spike``, ``new_route``, ``new_chapter``, ``broker_switch``, ...), ``risk``
        (0..1) and ``reasons``; sorted by ``risk``, highest first.
    networks : list of dict
        Scored communities, highest first (see :func:`algorithms.networks.network_risk`).
    declarations : DataFrame
        Per-declaration peer comparison (see :func:`algorithms.peers.unit_value_anomalies`).
    graph : igraph.Graph
        The projected enterprise graph.
    timings : dict
        Seconds per stage.
    betweenness_method : str
        ``"exact"`` or ``"sampled"``.
    """

    enterprises: pd.DataFrame
    networks: list[dict]
    declarations: pd.DataFrame
    graph: ig.Graph
    timings: dict[str, float] = field(default_factory=dict)
    betweenness_method: str = "exact"


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
    _require_columns(enterprises, _ENTERPRISE_COLUMNS, "enterprises")
    _require_columns(declarations, _DECLARATION_COLUMNS, "declarations")
    _require_columns(links, _LINK_COLUMNS, "links")
    if community_method not in ("leiden", "louvain"):
        raise ValueError(f"community_method must be 'leiden' or 'louvain', got {community_method!r}")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now
        if on_stage is not None:
            on_stage(stage, timings[stage])

    as_of = pd.Timestamp(as_of)
    decl = declarations[pd.to_datetime(declarations["date"]) <= as_of]
    ids = sorted(set(enterprises["id"].astype(str)) | set(decl["importer_id"].astype(str)))
    used = declaration_links(decl, reuse_days=reuse_days)[list(_LINK_COLUMNS)]
    all_links = pd.concat([links[list(_LINK_COLUMNS)], used])
    g = enterprise_graph(
        all_links, enterprises=ids, max_degree=max_degree, weighting=weighting, kind_weights=kind_weights
    )
    lap("projection")

    engine = engine or InProcessEngine()
    membership = engine.communities(g, seed=seed, method=community_method, resolution=community_resolution)
    lap("communities")

    pagerank, betweenness = engine.centrality(
        g, seed=seed, exact_max_vertices=exact_betweenness_max, samples=betweenness_samples
    )
    degrees = degree_centrality(g)
    lap("centrality")

    propagation = propagated_risk(g, known_violators)
    lap("propagation")

    anomalies = unit_value_anomalies(decl)
    peer_stats = enterprise_peer_stats(anomalies)
    lap("peers")

    recency = recency_signals(enterprises, decl, as_of, window_days=window_days, young_days=young_days)
    lap("recency")

    info = enterprises.assign(id=enterprises["id"].astype(str)).drop_duplicates("id").set_index("id")
    table = pd.DataFrame(index=pd.Index(ids, name="id"))
    table = table.join(info[["name", "category"]])
    table["community"] = pd.Series(membership).reindex(table.index)
    table["community_size"] = table.groupby("community")["community"].transform("size")
    table = table.join([pagerank, betweenness, degrees, propagation, peer_stats])
    table = table.join(recency.drop(columns=[c for c in recency.columns if c in table.columns]))
    table["peer_compared"] = table["peer_compared"].fillna(0).astype(int)
    networks = network_risk(g, table, decl)
    lap("networks")

    scored = enterprise_risk(table, networks)
    table = table.join(scored).sort_values(["risk", "id"], ascending=[False, True], kind="stable")
    lap("enterprise_risk")
    return AnalysisResult(
        enterprises=table.reset_index(),
        networks=networks,
        declarations=anomalies,
        graph=g,
        timings=timings,
        betweenness_method=betweenness.attrs.get("method", "exact"),
    )
