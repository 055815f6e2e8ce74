"""Project the customs graph onto an enterprise-to-enterprise graph of shared identifiers.

Two importers are linked when they share an identifier: an address, a phone, a legal
representative (from their own records), or a broker, an overseas seller or a consignment
(from their declarations). Each shared identifier adds to the pair's weight, damped by how
many enterprises share it, so one rare identifier counts for much and a business-centre
address or a broker used by thousands counts for nothing.

The damping follows the link-prediction literature: ``"idf"`` is the Adamic-Adar weight
``1 / log2(1 + k)`` and ``"resource_allocation"`` is ``1 / (k - 1)``, where ``k`` is the
number of enterprises holding the identifier. Identifiers held by more than ``max_degree``
enterprises are dropped before the self-join, which also bounds its cost: at most
``max_degree**2 / 2`` pairs per identifier.

Specificity also depends on time for containers: shipping lines reuse a container for unrelated
shippers all year, so two importers share a container number only when their uses fall in one
voyage (uses less than :data:`REUSE_DAYS` apart); months apart it is reuse and links nobody. A bill of
lading or waybill names one shipment, so it links whenever it is shared. Even within one voyage a
shared container is co-loading by a forwarder more often than a relation, so it counts for half an
identifier by default (:data:`KIND_WEIGHTS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import igraph as ig
import numpy as np
import pandas as pd

from algorithms.activity import Activity
from algorithms.frames import require_columns
from algorithms.walk import Walk

__all__ = [
    "EnterpriseEdges",
    "edges_of",
    "enterprise_edges",
    "OWN_LINK_KINDS",
    "DEFAULT_KIND_WEIGHTS",
    "DECLARATION_LINK_KINDS",
    "KIND_WEIGHTS",
    "REUSE_DAYS",
    "declaration_links",
    "activity_links",
    "enterprise_graph",
]

#: link kinds an enterprise's own records provide; ``same_firm`` and ``probable_same_firm`` are the
#: confirmed and candidate probable-same-firm links, each shared by its two firms (analysis/resolve.py)
OWN_LINK_KINDS: tuple[str, ...] = ("address", "phone", "legal_rep", "same_firm", "probable_same_firm")
#: default multipliers: a link no investigator has confirmed counts half a shared identifier
DEFAULT_KIND_WEIGHTS: dict[str, float] = {"probable_same_firm": 0.5}
#: link kinds derived from declarations: declaration column -> kind
DECLARATION_LINK_KINDS: dict[str, str] = {
    "declarant_id": "declarant",
    "seller_id": "seller",
    "consignment_id": "consignment",
}

#: default multiplier per kind of shared identifier (others 1.0)
KIND_WEIGHTS: dict[str, float] = {"consignment": 0.5}
#: uses of one container at least this many days apart belong to different voyages (reuse)
REUSE_DAYS = 14
#: ISO 6346 container number: owner code and category (4 letters), serial and check digit (7 digits)
_CONTAINER = re.compile(r"^[A-Z]{4}[0-9]{7}$")

_LINK_COLUMNS = ("enterprise", "kind", "target")


def _voyages(pairs: pd.DataFrame, column: str, dates: pd.Series, reuse_days: int) -> pd.Series:
    """Container numbers made voyage-specific: ``ID`` for the first voyage, ``ID#2``, ``ID#3``... after
    each gap of ``reuse_days`` or more between consecutive uses; other consignment ids unchanged."""
    target = pairs[column].astype(str)
    day = pd.to_datetime(dates.reindex(pairs.index), errors="coerce")
    container = target.str.upper().str.match(_CONTAINER) & day.notna()
    if not container.any():
        return target
    uses = pd.DataFrame({"id": target[container], "day": day[container]}).sort_values(["id", "day"], kind="stable")
    gap = uses.groupby("id")["day"].diff().dt.days
    voyage = (gap.isna() | (gap >= reuse_days)).groupby(uses["id"]).cumsum()
    labelled = uses["id"].where(voyage == 1, uses["id"] + "#" + voyage.astype(str))
    return target.where(~container, labelled.reindex(target.index))


def declaration_links(declarations: pd.DataFrame, *, reuse_days: int = REUSE_DAYS) -> pd.DataFrame:
    """Links from each importer to the brokers, sellers and consignments it used.

    Parameters
    ----------
    declarations : DataFrame
        Needs ``importer_id``; uses whichever of ``declarant_id``, ``seller_id`` and
        ``consignment_id`` are present. Missing values are skipped. With ``date``, a container
        number is a different identifier on each voyage (see the module notes).
    reuse_days : int
        Uses of one container at least this many days apart are different voyages.

    Returns
    -------
    DataFrame
        Columns ``enterprise``, ``kind`` (``"declarant"``, ``"seller"``, ``"consignment"``),
        ``target`` and ``n`` (number of declarations behind the link), one row per distinct
        (enterprise, kind, target).

    Examples
    --------
    >>> d = pd.DataFrame({"importer_id": ["a", "a", "b"], "declarant_id": ["x", "x", "x"]})
    >>> declaration_links(d).values.tolist()
    [['a', 'declarant', 'x', 2], ['b', 'declarant', 'x', 1]]
    """
    require_columns(declarations, ["importer_id"], "declarations")
    parts = []
    for column, kind in DECLARATION_LINK_KINDS.items():
        if column not in declarations.columns:
            continue
        pairs = declarations[["importer_id", column]].dropna()
        pairs = pairs[pairs[column].astype(str) != ""]
        if kind == "consignment" and "date" in declarations.columns:
            pairs = pairs.assign(**{column: _voyages(pairs, column, declarations["date"], reuse_days)})
        counts = pairs.groupby(["importer_id", column], sort=True, observed=True).size()
        part = counts.reset_index()
        part.columns = ["enterprise", "target", "n"]
        part.insert(1, "kind", kind)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"enterprise": [], "kind": [], "target": [], "n": []})
    out = pd.concat(parts, ignore_index=True)
    out["enterprise"] = out["enterprise"].astype(str)
    out["target"] = out["target"].astype(str)
    out["n"] = out["n"].astype("int64")
    return out[["enterprise", "kind", "target", "n"]]


def activity_links(activity: Activity, *, reuse_days: int = REUSE_DAYS) -> pd.DataFrame:
    """:func:`declaration_links` from an :class:`~algorithms.activity.Activity`: the brokers and sellers each
    importer used, and the consignments it shared with another importer (containers split by voyage).

    Returns the columns ``enterprise``, ``kind``, ``target``; the same identifiers :func:`enterprise_graph`
    would link from the declarations themselves (consignment ids of one importer only link nobody).
    """
    parts = []
    for kind in ("declarant", "seller"):
        used = activity.kind(kind)
        used = used[used["value"].astype(str) != ""]
        parts.append(
            pd.DataFrame(
                {"enterprise": used["importer_id"].astype(str), "kind": kind, "target": used["value"].astype(str)}
            )
        )
    shared = declaration_links(activity.consignments[["importer_id", "consignment_id", "date"]], reuse_days=reuse_days)
    parts.append(shared[["enterprise", "kind", "target"]])
    return pd.concat(parts, ignore_index=True)


def _identifier_weight(degree: np.ndarray, weighting: str) -> np.ndarray:
    if weighting == "idf":
        return 1.0 / np.log2(1.0 + degree)
    if weighting == "resource_allocation":
        return 1.0 / (degree - 1.0)
    raise ValueError(f"weighting must be 'idf' or 'resource_allocation', got {weighting!r}")


@dataclass(frozen=True)
class EnterpriseEdges:
    """The enterprise graph's vertices and edges as arrays: what the walk (:mod:`algorithms.walk`), degrees and
    network scores run on, and what the communities' igraph graph is built from (igraph hands its edge list out as
    Python tuples, seconds for millions of edges)."""

    names: np.ndarray  # vertex names (enterprise ids) in vertex order (the projection sorts them)
    ends: np.ndarray  # (edges, 2) vertex positions, the smaller first
    weight: np.ndarray
    shared: np.ndarray  # identifiers the pair shares
    kind_mask: np.ndarray  # the distinct kinds shared, bit i for ``kind_names[i]``
    kind_names: tuple[str, ...]  # sorted

    @property
    def kinds(self) -> list[tuple[str, ...]]:
        """Each edge's distinct kinds, sorted (Python tuples: slow on millions of edges)."""
        decoded = {int(m): self.decode(int(m)) for m in np.unique(self.kind_mask)}
        return [decoded[m] for m in self.kind_mask.tolist()]

    def decode(self, mask: int) -> tuple[str, ...]:
        """The kinds a mask holds, sorted."""
        return tuple(name for i, name in enumerate(self.kind_names) if mask >> i & 1)

    @classmethod
    def of_graph(cls, g: ig.Graph, weights: str | None = "weight") -> EnterpriseEdges:
        """The arrays of an igraph graph built elsewhere (vertex ``name``; edge ``weight`` unless ``weights`` is
        None, ``kinds`` and ``shared`` when present), for the functions that take either.

        >>> g = ig.Graph([(0, 1)]); g.vs["name"] = ["a", "b"]; g.es["weight"] = [2.0]
        >>> EnterpriseEdges.of_graph(g).weight.tolist()
        [2.0]
        """
        if g.vcount() and "name" not in g.vs.attributes():
            raise ValueError("graph vertices need a 'name' attribute")
        m, attributes = g.ecount(), g.es.attributes()
        if weights is not None and m and weights not in attributes:
            raise ValueError(f"graph has no edge attribute {weights!r}")
        kinds = g.es["kinds"] if "kinds" in attributes else [()] * m
        kind_names = tuple(sorted({k for ks in kinds for k in ks}))
        bit = {k: 1 << i for i, k in enumerate(kind_names)}
        return cls(
            names=np.array(g.vs["name"] if g.vcount() else [], dtype=object),
            ends=np.array(g.get_edgelist(), dtype=np.int64).reshape(-1, 2),
            weight=np.asarray(g.es[weights], dtype=float) if weights is not None and m else np.ones(m),
            shared=np.asarray(g.es["shared"], dtype=np.int64) if "shared" in attributes else np.ones(m, np.int64),
            kind_mask=np.array([sum(bit[k] for k in set(ks)) for ks in kinds], dtype=np.int64),
            kind_names=kind_names,
        )

    @cached_property
    def walk(self) -> Walk:
        """The random walk over these edges (:mod:`algorithms.walk`), made once for PageRank, propagation and the
        degrees."""
        return Walk.of(len(self.names), self.ends, self.weight)

    def among(self, names: Iterable[str]) -> EnterpriseEdges:
        """The edges between ``names`` (vertices of this graph), which become the vertices in that order; the edges
        keep their order (each with its smaller end first).

        >>> edges = enterprise_edges(pd.DataFrame({"enterprise": list("abc"), "kind": "phone", "target": "P"}))
        >>> sub = edges.among(["c", "a"])
        >>> sub.names.tolist(), sub.ends.tolist()
        (['c', 'a'], [[0, 1]])
        """
        names = np.asarray(list(names), dtype=object)
        place = np.full(len(self.names), -1, dtype=np.int64)
        place[pd.Index(self.names).get_indexer(names)] = np.arange(len(names))
        ends = place[self.ends]
        inside = (ends >= 0).all(axis=1)
        return EnterpriseEdges(
            names=names,
            ends=np.sort(ends[inside], axis=1),
            weight=self.weight[inside],
            shared=self.shared[inside],
            kind_mask=self.kind_mask[inside],
            kind_names=self.kind_names,
        )

    def graph(self) -> ig.Graph:
        """The weighted igraph graph the algorithms run on (vertex ``name``, edge ``weight``); the other edge
        figures stay here, as arrays."""
        g = ig.Graph(n=len(self.names), directed=False)
        g.vs["name"] = self.names.tolist()
        g.add_edges(self.ends)  # the array as it is: its .tolist() costs as much again
        g.es["weight"] = self.weight.tolist()
        return g


def edges_of(graph: ig.Graph | EnterpriseEdges, weights: str | None = "weight") -> EnterpriseEdges:
    """The edge arrays of ``graph``: itself when the projection made it, else read out of the igraph graph
    (:meth:`EnterpriseEdges.of_graph`)."""
    return graph if isinstance(graph, EnterpriseEdges) else EnterpriseEdges.of_graph(graph, weights)


def _member_pairs(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of holders of one identifier as positions ``(i, j)``, ``i < j``, into the members, which come
    identifier after identifier (``sizes`` holders each), each identifier's by enterprise (``i``'s is the smaller).
    Built per size from one triangle, in int32: a self-join of the members held every ordered pair, each member
    with itself too, in int64 columns (the projection's peak memory)."""
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int32)
    firsts, seconds = [], []
    for size in np.unique(sizes):
        i, j = np.triu_indices(int(size), 1)
        at = starts[sizes == size][:, None]
        firsts.append((at + i.astype(np.int32)).ravel())
        seconds.append((at + j.astype(np.int32)).ravel())
    if not firsts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(firsts), np.concatenate(seconds)


def enterprise_graph(
    links: pd.DataFrame,
    *,
    enterprises: Iterable[str] | None = None,
    max_degree: int = 50,
    weighting: str = "idf",
    kind_weights: Mapping[str, float] | None = None,
) -> ig.Graph:
    """Undirected weighted graph of enterprises that share identifiers.

    Parameters
    ----------
    links : DataFrame
        Columns ``enterprise``, ``kind``, ``target`` (see :func:`declaration_links` for the
        declaration-derived kinds). Duplicate rows are ignored.
    enterprises : iterable of str, optional
        Ids to include as vertices even without any shared identifier (isolated vertices).
    max_degree : int
        Identifiers held by more than this many enterprises contribute nothing.
    weighting : {"idf", "resource_allocation"}
        Damping of an identifier held by ``k`` enterprises: ``1/log2(1+k)`` or ``1/(k-1)``.
    kind_weights : mapping, optional
        Multiplier per kind over :data:`DEFAULT_KIND_WEIGHTS` and :data:`KIND_WEIGHTS` (1.0 for any other kind).

    Returns
    -------
    igraph.Graph
        Vertex attribute ``name`` (enterprise id, vertices sorted by id); edge attributes
        ``weight`` (sum over shared identifiers), ``kinds`` (sorted tuple of the distinct
        kinds shared) and ``shared`` (number of shared identifiers).

    Examples
    --------
    >>> links = pd.DataFrame({"enterprise": ["a", "b", "a", "b"], "kind": ["address", "address", "phone", "phone"],
    ...                       "target": ["A1", "A1", "P1", "P1"]})
    >>> g = enterprise_graph(links)
    >>> g.es[0]["kinds"], round(g.es[0]["weight"], 3)
    (('address', 'phone'), 1.262)

    References
    ----------
    .. [1] L. Adamic, E. Adar, "Friends and neighbors on the Web", Social Networks 25 (2003).
    .. [2] T. Zhou, L. Lü, Y.-C. Zhang, "Predicting missing links via local information",
       Eur. Phys. J. B 71 (2009) (resource allocation).
    """
    edges = enterprise_edges(
        links, enterprises=enterprises, max_degree=max_degree, weighting=weighting, kind_weights=kind_weights
    )
    g = edges.graph()
    g.es["shared"] = edges.shared.tolist()
    g.es["kinds"] = edges.kinds
    return g


def enterprise_edges(
    links: pd.DataFrame,
    *,
    enterprises: Iterable[str] | None = None,
    max_degree: int = 50,
    weighting: str = "idf",
    kind_weights: Mapping[str, float] | None = None,
) -> EnterpriseEdges:
    """The edges :func:`enterprise_graph` builds its graph from, as arrays (same parameters)."""
    require_columns(links, _LINK_COLUMNS, "links")
    if max_degree < 2:
        raise ValueError(f"max_degree must be at least 2, got {max_degree}")
    _identifier_weight(np.array([2.0]), weighting)  # validates the name early

    frame = links[list(_LINK_COLUMNS)].dropna()
    # Work on integer codes: factorising each column once is far cheaper than hashing string tuples.
    ent_codes, ent_names = pd.factorize(frame["enterprise"].astype(str), sort=True)
    kind_codes, kind_names = pd.factorize(frame["kind"].astype(str), sort=True)
    target_codes, target_names = pd.factorize(frame["target"].astype(str))
    ids = set(ent_names)
    if enterprises is not None:
        ids.update(str(e) for e in enterprises)
    names = np.array(sorted(ids), dtype=object)
    ent = pd.Index(names).get_indexer(ent_names)[ent_codes].astype(np.int64)
    group = kind_codes.astype(np.int64) * max(len(target_names), 1) + target_codes
    n_ent = max(len(names), 1)
    pair_key = np.sort(pd.unique(group * n_ent + ent))  # drops duplicate (identifier, enterprise) rows
    group, ent = pair_key // n_ent, pair_key % n_ent
    kind_codes = group // max(len(target_names), 1)
    group, _ = pd.factorize(group, sort=True)
    degree = np.bincount(group)
    keep = (degree[group] >= 2) & (degree[group] <= max_degree)
    ent, group, kind_codes = ent[keep], group[keep], kind_codes[keep]

    if len(ent) == 0:
        empty = np.zeros(0, np.int64)
        return EnterpriseEdges(names, np.zeros((0, 2), np.int64), np.zeros(0), empty, empty, tuple(kind_names))

    chosen = {**DEFAULT_KIND_WEIGHTS, **KIND_WEIGHTS, **(kind_weights or {})}
    factors = np.array([float(chosen.get(k, 1.0)) for k in kind_names])
    ident_w = _identifier_weight(degree.astype(float), weighting)

    first, second = _member_pairs(degree[(degree >= 2) & (degree <= max_degree)])
    # A pair may share two sellers: sum weights and counts over identifiers, but record each kind once. Grouped
    # by one integer key per (pair, kind), sorted, so the edges come out ordered by pair; within a key by weight,
    # so the sums do not depend on the order the links came in (two readings of one graph give equal weights).
    # Built in place, one array of pairs at a time: these arrays, millions long, are the projection's peak memory.
    n_kinds = len(kind_names)
    key = ent[first]
    key *= n_ent
    key += ent[second]
    del second
    key *= n_kinds
    key += kind_codes[first]
    w = ident_w[group[first]]
    del first
    w *= factors[key % n_kinds]
    order = np.lexsort((w, key))
    key = key[order]
    w = w[order]
    del order
    firsts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    per_kind = key[firsts]
    kind_weight = np.add.reduceat(w, firsts)
    kind_count = np.diff(np.r_[firsts, len(key)])
    del key, w, firsts
    pair = per_kind // n_kinds
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    kind_mask = np.add.reduceat(np.left_shift(np.int64(1), per_kind % n_kinds), starts)
    del per_kind
    pair = pair[starts]
    weight = np.add.reduceat(kind_weight, starts)
    shared = np.add.reduceat(kind_count, starts).astype(np.int64)
    del kind_weight, kind_count, starts
    return EnterpriseEdges(
        names=names,
        ends=np.column_stack([pair // n_ent, pair % n_ent]),
        weight=weight,
        shared=shared,
        kind_mask=kind_mask,
        kind_names=tuple(kind_names),
    )
