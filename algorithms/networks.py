"""Network risk: score each community of linked enterprises and each enterprise, with reasons.

A community is scored from signals that hold on real data, each a strength in 0..1:

=====================  =====================================================================  ======
signal                 strength                                                               weight
=====================  =====================================================================  ======
``shell_ring``         share of young members x density of strong links (the two together)    0.70
``strong_links``       share of member pairs linked by >= 2 kinds of rare shared identifier   0.30
``young_members``      share of members registered less than ``young_days`` ago                 0.15
``exclusive_intermediaries``  members' declarations through their top broker / seller, times   0.25
                       the share of that broker's / seller's clients inside the community
``closed_group``       density of strong links x exclusive intermediaries (the two together):  0.50
                       firms tied by rare identifiers trading through a broker / seller of
                       their own, whatever their age
``undervaluation``     2 x share of members' declarations strongly below peer unit values     0.50
``violator_links``     highest propagated risk from known violators among members             0.40
``recent_changes``     share of members with a volume spike, new route/chapter, broker switch  0.25
=====================  =====================================================================  ======

and combined as a noisy-OR, ``score = 100 * (1 - prod(1 - weight * strength))``: independent
pieces of evidence reinforce each other and no single weak one can reach the top. Honest
look-alikes stay low by construction: a business-centre address or a big broker is damped
in the projection (no strong links), old firms have no young-member signal, and a broker with
clients outside the community is not exclusive.

``kind`` routes the lead. A **ring** - at least :data:`RING_DENSITY` of member pairs tied by several rare
shared identifiers, plus young members or an exclusive broker or seller (under-valuation and transshipment
are named with them but do not make a ring alone) - goes to ``"anti-smuggling"``: under-valuation inside a
ring of shells is how smuggled goods are cleared, not a valuation dispute for an auditor. Otherwise ``"audit"`` when tax
evidence (under-valuation, valuation or classification violations) outweighs smuggling evidence (violator
links whose past violations are smuggling, drugs, counterfeits or origin), else ``"anti-smuggling"``.
"""

from __future__ import annotations

import math

import igraph as ig
import numpy as np
import pandas as pd

from algorithms.activity import Activity, importer_activity
from algorithms.frames import in_values
from algorithms.projection import EnterpriseEdges, edges_of

__all__ = ["NETWORK_SIGNAL_WEIGHTS", "RING_DENSITY", "network_risk", "enterprise_risk"]

NETWORK_SIGNAL_WEIGHTS: dict[str, float] = {
    "shell_ring": 0.70,
    "strong_links": 0.30,
    "young_members": 0.15,
    "exclusive_intermediaries": 0.25,
    "closed_group": 0.50,
    "undervaluation": 0.50,
    "violator_links": 0.40,
    "recent_changes": 0.25,
}
#: share of member pairs with strong links from which a community is a ring (with one more marker)
RING_DENSITY = 1 / 3
#: members a network needs before an exclusive broker or seller marks it a ring: two firms of one family
#: sharing their supplier is ordinary trade; three or more tied to one intermediary is a ring's
EXCLUSIVE_MIN_MEMBERS = 3
_TAX_WORDS = ("valuation", "classification", "tax", "duty", "quota", "preference")
_SMUGGLING_WORDS = ("smuggl", "drug", "narcotic", "counterfeit", "ipr", "origin", "launder", "weapon", "prohibited")
_RECENCY_FLAGS = ("volume_spike", "young_with_volume", "new_route", "new_chapter", "broker_switch")
_ENTERPRISE_FLAG_WEIGHTS = {
    "volume_spike": 0.2,
    "young_with_volume": 0.25,
    "new_route": 0.1,
    "new_chapter": 0.1,
    "broker_switch": 0.15,
}


def _label(names: dict, ids: list[str], limit: int = 5) -> str:
    shown = [f"{names[i]} ({i})" if isinstance(names.get(i), str) else i for i in ids[:limit]]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(shown) + more


def _column(table: pd.DataFrame, name: str, default) -> pd.Series:
    if name in table:
        return table[name]
    return pd.Series(default, index=table.index)


def _violation_kinds(violations: pd.DataFrame) -> dict:
    """Per community: counts of (tax, smuggling) violations from ``community``/``type``/``n`` rows; a violation
    without a type (a fraud flag) is neither."""
    if violations.empty:
        return {}
    kinds = violations["type"].astype(str).str.lower()
    names = kinds.unique().tolist()
    tax = kinds.map({k: any(w in k for w in _TAX_WORDS) for k in names}).astype(int)
    smuggling = kinds.map({k: any(w in k for w in _SMUGGLING_WORDS) for k in names}).astype(int)
    n = violations["n"].astype(int)
    sums = pd.DataFrame({"c": violations["community"], "tax": n * tax, "smuggling": n * smuggling}).groupby("c").sum()
    return {c: (int(t), int(m)) for c, t, m in zip(sums.index, sums["tax"], sums["smuggling"], strict=True)}


def _top_share(usage: pd.DataFrame, community: pd.Series) -> pd.DataFrame:
    """Per community: top intermediary of the usage rows, its share of members' declarations, its exclusivity.

    The usage rows of one kind are one per importer and value (``algorithms.activity``), so a value's rows count
    its clients: sizes, not distinct counts (a distinct count over a million rows was a second of an incremental
    run at 1M), counted for the top values only (grouping every value took 5 s at 10M), and only the rows of the
    communities' members are mapped to them (an incremental run scores a tenth).
    """
    if usage.empty:
        return pd.DataFrame(columns=["top", "share", "exclusive"])
    used = usage[in_values(usage["importer_id"], community.index)]
    used = used.assign(community=used["importer_id"].map(community))
    counts = used[used["community"].notna()].groupby(["community", "value"]).agg(n=("n", "sum"), members=("n", "size"))
    counts = counts.reset_index().sort_values(["community", "n", "value"], ascending=[True, False, True])
    totals = counts.groupby("community")["n"].sum()
    top = counts.drop_duplicates("community").set_index("community")
    clients = usage.loc[in_values(usage["value"], top["value"].unique()), "value"].value_counts()
    return pd.DataFrame(
        {
            "top": top["value"],
            "share": top["n"] / totals.reindex(top.index),
            "exclusive": top["members"] / clients.reindex(top["value"]).to_numpy(),
        }
    )


def _transshipment(importers: pd.DataFrame, community: pd.Series) -> pd.Series:
    """Per community: share of members' routed declarations that pass a transit port."""
    routed = importers[importers["routed"] > 0]
    if routed.empty:
        return pd.Series(dtype=float)
    per = routed.assign(community=routed["id"].map(community)).dropna(subset=["community"])
    sums = per.groupby("community")[["transit", "routed"]].sum()
    return sums["transit"] / sums["routed"]


def _routing(density: float, markers: dict[str, float], tax: float, smuggling: float) -> tuple[str, str]:
    """(kind, why): a ring goes to anti-smuggling whatever its tax evidence."""
    present = [name for name, value in markers.items() if value > 0]
    # a transit port or cheap invoices alone are ordinary trade or a valuation case: a ring needs a shell marker
    if density >= RING_DENSITY and set(present) - {"transshipment", "under-valuation"}:
        return (
            "anti-smuggling",
            f"ring: {density:.0%} of member pairs share rare identifiers, with {', '.join(present)}",
        )
    if smuggling > tax:
        return "anti-smuggling", "smuggling evidence outweighs tax evidence"
    return "audit", "tax evidence without a ring" if tax > 0 else "no ring and no smuggling evidence"


def network_risk(
    graph: ig.Graph | EnterpriseEdges,
    table: pd.DataFrame,
    declarations: pd.DataFrame | None = None,
    *,
    activity: Activity | None = None,
    min_size: int = 2,
    strong_weight: float = 0.8,
    weights: dict[str, float] | None = None,
) -> list[dict]:
    """Score every community with at least ``min_size`` members.

    Parameters
    ----------
    graph : igraph.Graph or EnterpriseEdges
        The projection's edge arrays (:func:`algorithms.projection.enterprise_edges`; kinds as bit masks), or an
        enterprise graph with edge attributes ``weight`` and ``kinds``.
    table : DataFrame
        Indexed by enterprise id with a ``community`` column; uses, when present, ``young``,
        ``peer_share_below``, ``peer_compared``, ``value_shortfall``, ``tax_at_stake`` (US dollars),
        ``propagated_risk``, ``is_violator``, the recency flags and ``name``.
    declarations : DataFrame, optional
        With ``importer_id`` and optionally ``declarant_id``, ``seller_id``, ``route``, ``violation``,
        ``violation_type``: for intermediary concentration, transshipment and for routing the kind.
    activity : Activity, optional
        The same evidence already folded per importer (:mod:`algorithms.activity`); used instead of
        ``declarations``.
    strong_weight : float
        A link is strong when it has at least two kinds and at least this weight.
    weights : dict, optional
        Overrides of :data:`NETWORK_SIGNAL_WEIGHTS`.

    Returns
    -------
    list of dict
        Sorted by score (highest first): ``{"id", "score" (0..100), "kind", "routing" (why that kind), "members",
        "value_at_stake" (members' tax at stake, or their value shortfall without tax rates; US dollars),
        "reasons": [{"signal", "strength", "detail"}]}``.

    Examples
    --------
    >>> g = ig.Graph([(0, 1)]); g.vs["name"] = ["a", "b"]; g.es["weight"] = [2.0]
    >>> g.es["kinds"] = [("address", "phone")]
    >>> t = pd.DataFrame({"community": [0, 0], "young": [True, True]}, index=["a", "b"])
    >>> network_risk(g, t)[0]["score"] > 70
    True

    References
    ----------
    .. [1] OECD, *Behind the Corporate Veil* (2001) and FATF/Egmont, *Concealment of Beneficial
       Ownership* (2018): shared addresses, agents and directors among young shells.
    """
    if "community" not in table:
        raise ValueError("table is missing columns: community")
    w = {**NETWORK_SIGNAL_WEIGHTS, **(weights or {})}
    community = table["community"]
    sizes = community.value_counts()
    eligible = sizes[sizes >= min_size].index
    if len(eligible) == 0:
        return []

    # Strong internal links per community, vectorised over the edge list.
    edges = edges_of(graph)
    memb = community.reindex(edges.names).to_numpy()
    ends, ew, mask, kind_names = edges.ends, edges.weight, edges.kind_mask, edges.kind_names
    strong_pairs: dict = {}
    strong_masks: dict = {}
    if len(ends):
        ca, cb = memb[ends[:, 0]], memb[ends[:, 1]]
        several = (mask & (mask - 1)) != 0  # two kinds or more
        strong = np.flatnonzero((ca == cb) & (ew >= strong_weight) & pd.notna(ca) & several)
        for c, m in zip(ca[strong].tolist(), mask[strong].tolist(), strict=True):
            strong_pairs[c] = strong_pairs.get(c, 0) + 1
            strong_masks[c] = strong_masks.get(c, 0) | m
    strong_kinds = {c: [k for i, k in enumerate(kind_names) if m >> i & 1] for c, m in strong_masks.items()}

    # The members' figures as arrays by table position, summed in member order as Python floats (a dict per
    # figure held 88,871 boxed values each).
    position = {name: i for i, name in enumerate(table.index)}
    col = {
        "young": _column(table, "young", False).fillna(False).astype(bool).to_numpy(),
        "below": _column(table, "peer_share_below", 0.0).fillna(0.0).to_numpy(),
        "compared": _column(table, "peer_compared", 0.0).fillna(0.0).to_numpy(),
        "shortfall": _column(table, "value_shortfall", 0.0).fillna(0.0).to_numpy(),
        "tax": _column(table, "tax_at_stake", np.nan).to_numpy(),
        "propagated": _column(table, "propagated_risk", 0.0).fillna(0.0).to_numpy(),
        "violator": _column(table, "is_violator", False).fillna(False).astype(bool).to_numpy(),
    }
    recent_any = pd.Series(False, index=table.index)
    for flag in _RECENCY_FLAGS:
        recent_any |= _column(table, flag, False).fillna(False).astype(bool)
    col["recent"] = recent_any.to_numpy()
    labels = table["name"].to_dict() if "name" in table else {}
    wanted = set(eligible)
    groups: dict = {}
    for name, c in community.items():
        if c in wanted:
            groups.setdefault(c, []).append(name)
    groups = {c: sorted(ids) for c, ids in groups.items()}

    broker = seller = pd.DataFrame(columns=["top", "share", "exclusive"])
    transship = pd.Series(dtype=float)
    violations: dict = {}
    if activity is None and declarations is not None and "importer_id" in declarations:
        as_of = declarations["date"].max() if "date" in declarations else None
        activity = importer_activity(declarations, as_of)
    if activity is not None:
        broker = _top_share(activity.kind("declarant"), community)
        seller = _top_share(activity.kind("seller"), community)
        transship = _transshipment(activity.importers, community)
        bad = activity.violations.assign(community=activity.violations["importer_id"].map(community))
        bad = bad[bad["community"].isin(eligible)]
        violations = _violation_kinds(bad)

    brokers, sellers = broker.to_dict("index"), seller.to_dict("index")  # a row per network: dicts, not .loc
    transship = transship.to_dict()
    results = []
    for c in eligible:
        members = groups[c]
        n = len(members)
        reasons = []

        def add(signal: str, strength: float, detail: str, _reasons: list = reasons) -> None:
            if strength > 0:
                _reasons.append({"signal": signal, "strength": round(float(min(strength, 1.0)), 4), "detail": detail})

        at = [position[m] for m in members]
        figures = {k: values[at].tolist() for k, values in col.items()}
        young_ids = [m for m, young in zip(members, figures["young"], strict=True) if young]
        young_share = len(young_ids) / n
        density = strong_pairs.get(c, 0) / (n * (n - 1) / 2)
        kinds_text = ", ".join(sorted(strong_kinds.get(c, ())))
        add(
            "shell_ring",
            young_share * density,
            f"{len(young_ids)} of {n} members are young and "
            f"{density:.0%} of member pairs share several rare identifiers ({kinds_text})",
        )
        add(
            "strong_links",
            density,
            f"{strong_pairs.get(c, 0)} of {n * (n - 1) // 2} member pairs share at "
            f"least two rare identifiers ({kinds_text}): {_label(labels, members)}",
        )
        add(
            "young_members",
            young_share,
            f"{len(young_ids)} of {n} members registered recently: {_label(labels, young_ids)}",
        )

        parts, exclusive = [], 0.0
        for label, rows in (("broker", brokers), ("seller", sellers)):
            if c in rows:
                row = rows[c]
                parts.append((float(row["share"] * row["exclusive"]), label, row))
        if parts:
            strength = sum(p[0] for p in parts) / 2.0
            exclusive = max(p[0] for p in parts)
            detail = "; ".join(
                f"{row['share']:.0%} of declarations via {label} {row['top']}, "
                f"which serves {row['exclusive']:.0%} of its clients inside this network"
                for _, label, row in parts
            )
            add("exclusive_intermediaries", strength, detail)
            add(
                "closed_group",
                density * strength,
                f"{density:.0%} of member pairs share several rare identifiers and trade through "
                f"intermediaries of their own ({detail})",
            )

        n_compared = sum(figures["compared"])
        n_below = sum(b * k for b, k in zip(figures["below"], figures["compared"], strict=True))
        below = n_below / n_compared if n_compared > 0 else 0.0
        flagged = [m for m, b in zip(members, figures["below"], strict=True) if b > 0]
        short = sum(figures["shortfall"])
        taxes = [t for t in figures["tax"] if pd.notna(t)]
        stake = float(sum(taxes)) if taxes else float(short)
        add(
            "undervaluation",
            2 * below,
            f"{below:.0%} of members' declarations are strongly below peer unit "
            f"values ({_label(labels, flagged)}); shortfall {short:,.0f} USD",
        )

        exposure = float(max(figures["propagated"]))
        known = [m for m, v in zip(members, figures["violator"], strict=True) if v]
        add(
            "violator_links",
            exposure,
            f"linked to known violators ({_label(labels, known) or 'outside the network'}); "
            f"highest propagated risk {exposure:.2f}",
        )

        changed = [m for m, r in zip(members, figures["recent"], strict=True) if r]
        add(
            "recent_changes",
            len(changed) / n,
            f"{len(changed)} of {n} members changed recently "
            f"(volume spike, new route or chapter, broker switch): {_label(labels, changed)}",
        )

        strengths = {r["signal"]: r["strength"] for r in reasons}
        score = 100.0 * (1.0 - math.prod(1.0 - w[s] * v for s, v in strengths.items()))
        tax_n, smuggling_n = violations.get(c, (0, 0))
        tax_evidence = strengths.get("undervaluation", 0.0) + (0.5 if tax_n > smuggling_n else 0.0)
        markers = {
            "young members": young_share,
            "an exclusive broker or seller": exclusive if exclusive >= 0.25 and n >= EXCLUSIVE_MIN_MEMBERS else 0.0,
            "under-valuation": below,
            "transshipment": float(transship.get(c, 0.0)),
        }
        ring = strengths.get("shell_ring", 0.0) + strengths.get("closed_group", 0.0)
        kind, routing = _routing(density, markers, tax_evidence, ring + (0.5 if smuggling_n > tax_n else 0.0))
        reasons.sort(key=lambda r: -w[r["signal"]] * r["strength"])
        results.append(
            {
                "id": int(c) if isinstance(c, (int, np.integer)) else c,
                "score": round(score, 1),
                "kind": kind,
                "routing": routing,
                "members": members,
                "value_at_stake": round(stake, 2),
                "reasons": reasons,
            }
        )
    results.sort(key=lambda r: (-r["score"], str(r["id"])))
    return results


def enterprise_risk(table: pd.DataFrame, networks: list[dict]) -> pd.DataFrame:
    """Risk of every enterprise (0..1) with reasons, as a noisy-OR of its own and its network's signals.

    Uses, when present: the network score of its community, ``propagated_risk``,
    ``is_violator``, ``peer_share_below`` (damped below 3 compared declarations), the recency flags and
    credit ``category`` (C and D are customs' own low ratings).

    Returns
    -------
    DataFrame
        Indexed like ``table``: ``risk`` (0..1) and ``reasons`` (list of dicts, strongest first).

    Examples
    --------
    >>> t = pd.DataFrame({"propagated_risk": [1.0, 0.0]}, index=["a", "b"])
    >>> enterprise_risk(t, [])["risk"].round(2).tolist()
    [0.5, 0.0]
    """
    network_of = {m: net for net in networks for m in net["members"]}
    propagated = _column(table, "propagated_risk", 0.0).fillna(0.0).to_numpy(dtype=float)
    violator = _column(table, "is_violator", False).fillna(False).astype(bool).to_numpy()
    share_below = _column(table, "peer_share_below", 0.0).fillna(0.0).to_numpy(dtype=float)
    compared = _column(table, "peer_compared", 0.0).fillna(0.0).to_numpy(dtype=float)
    category = _column(table, "category", None).to_numpy(dtype=object)
    flags = {f: _column(table, f, False).fillna(False).astype(bool).to_numpy() for f in _ENTERPRISE_FLAG_WEIGHTS}
    risks, all_reasons = [], []
    for pos, i in enumerate(table.index):
        reasons = []
        net = network_of.get(i)
        if net is not None and net["score"] > 0:
            detail = (
                f"member of network {net['id']} ({len(net['members'])} firms, score {net['score']:.0f}, {net['kind']})"
            )
            reasons.append(("network", 0.6, net["score"] / 100.0, detail))
        if propagated[pos] > 0:
            detail = f"shares identifiers with known violators (propagated risk {propagated[pos]:.2f})"
            reasons.append(("violator_links", 0.5, propagated[pos], detail))
        if violator[pos]:
            reasons.append(("past_violation", 0.3, 1.0, "confirmed violation in a closed case"))
        if compared[pos] > 0 and share_below[pos] > 0:
            # One cheap declaration is a hint, a pattern over three or more is evidence.
            strength = min(1.0, 2 * share_below[pos]) * min(1.0, compared[pos] / 3)
            detail = f"{share_below[pos]:.0%} of {compared[pos]:.0f} declarations strongly below peer unit values"
            reasons.append(("undervaluation", 0.5, strength, detail))
        for flag, fw in _ENTERPRISE_FLAG_WEIGHTS.items():
            if flags[flag][pos]:
                reasons.append((flag, fw, 1.0, flag.replace("_", " ")))
        if category[pos] in ("C", "D"):
            fw = 0.3 if category[pos] == "D" else 0.15
            reasons.append(("credit_category", fw, 1.0, f"credit category {category[pos]}"))
        # to 12 decimals: firms with equal evidence (two members of one network) then rank by id, not by the last
        # bits of sums taken in parallel
        risks.append(round(1.0 - math.prod(1.0 - weight * v for _, weight, v, _ in reasons), 12))
        reasons.sort(key=lambda r: -r[1] * r[2])
        all_reasons.append([{"signal": sig, "strength": round(float(v), 4), "detail": d} for sig, _, v, d in reasons])
    return pd.DataFrame({"risk": risks, "reasons": all_reasons}, index=table.index)
