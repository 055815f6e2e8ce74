"""Small named scenarios with obvious answers, for tests, examples and demos.

Like networkx's ``karate_club_graph``: hand-built frames in the input contract of
:func:`analysis.pipeline.analyze_frames`, each population chosen so the right answer is
plain to a customs officer.
"""

from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

__all__ = ["SCENARIO_AS_OF", "bridged_cliques", "shell_ring_scenario"]

#: the reference date of :func:`shell_ring_scenario`
SCENARIO_AS_OF = pd.Timestamp("2026-01-01")


def bridged_cliques(size: int = 5) -> ig.Graph:
    """Two cliques ``a0..`` and ``b0..`` joined through a bridge vertex ``hub``, plus an isolated ``solo``.

    Every edge has weight 1. The right answers: two communities, ``hub`` has the highest
    betweenness, ``solo`` is a singleton.

    Examples
    --------
    >>> g = bridged_cliques(3)
    >>> g.vcount(), g.ecount()
    (8, 8)
    """
    g = ig.Graph()
    g.add_vertices([f"a{i}" for i in range(size)] + [f"b{i}" for i in range(size)] + ["hub", "solo"])
    edges = [(f"{s}{i}", f"{s}{j}") for s in "ab" for i in range(size) for j in range(i + 1, size)]
    g.add_edges(edges + [("a0", "hub"), ("hub", "b0")])
    g.es["weight"] = [1.0] * g.ecount()
    return g


def shell_ring_scenario(seed: int = 0) -> dict:
    """A shell-company ring among honest look-alikes.

    Populations (ids in brackets):

    - ``RING1..RING5``: registered four months ago, sharing one address, one phone, one legal
      representative, one small broker ``BRK-RING`` and one overseas seller ``SELL-RING``;
      all their declarations fall in the last two months. The ring to find.
    - ``BC01..BC40``: firms of 2005-2014 registered at one business-centre address, all using
      the big broker ``BRK-BIG``, each with its own phone, representative and seller.
    - ``OLD01..OLD30``: old independent firms, also clients of ``BRK-BIG``, each buying from two
      of ``BIGIMP``'s suppliers; ``BIGIMP`` is a big old importer with 200 suppliers.
    - ``VIOL``: a known violator (closed case) sharing a phone with ``NEAR1``, which shares an
      address with ``NEAR2``; ``ALONE`` shares nothing with anyone.
    - ``CHEAP``: one declaration of HS 850440 from CN at a tenth of its peers' unit value.

    Returns
    -------
    dict
        ``enterprises``, ``declarations``, ``links`` (DataFrames), ``known_violators`` (set) and
        ``as_of`` (Timestamp).

    Examples
    --------
    >>> s = shell_ring_scenario()
    >>> sorted(s)
    ['as_of', 'declarations', 'enterprises', 'known_violators', 'links']
    """
    rng = np.random.default_rng(seed)
    as_of = SCENARIO_AS_OF
    ents: list[dict] = []
    links: list[tuple[str, str, str]] = []
    decls: list[dict] = []

    def firm(fid: str, registered: str, category: str | None = "B") -> None:
        ents.append(
            {
                "id": fid,
                "name": f"{fid} Trading Co.",
                "category": category,
                "registered": pd.Timestamp(registered),
                "country": None,
            }
        )

    def declare(
        importer: str,
        day: pd.Timestamp,
        broker: str,
        seller: str,
        hs6: str = "610910",
        origin: str = "VN",
        unit_value: float = 5.0,
        mass: float = 1000.0,
        route: str = "VNSGN>CNSHA",
    ) -> None:
        decls.append(
            {
                "id": f"D{len(decls):05d}",
                "date": day,
                "importer_id": importer,
                "declarant_id": broker,
                "seller_id": seller,
                "consignment_id": f"BL{len(decls):05d}",
                "hs6": hs6,
                "origin": origin,
                "route": route,
                "value": unit_value * mass,
                "net_mass": mass,
                "quantity": mass / 2,
                "tax_rate": 0.1,
                "inspected": np.nan,
                "violation": np.nan,
                "violation_type": None,
                "revenue_recovered": np.nan,
                "office": "2200",
            }
        )

    def past_days(n: int, start_days_ago: int, end_days_ago: int) -> list[pd.Timestamp]:
        offsets = np.sort(rng.integers(end_days_ago, start_days_ago, size=n))[::-1]
        return [as_of - pd.Timedelta(days=int(o)) for o in offsets]

    for i in range(1, 6):
        fid = f"RING{i}"
        firm(fid, "2025-09-01", category=None)
        links += [(fid, "address", "ADDR-RING"), (fid, "phone", "PH-RING"), (fid, "legal_rep", "P-RING")]
        for day in past_days(8, 60, 1):
            declare(fid, day, "BRK-RING", "SELL-RING", unit_value=float(rng.normal(5.0, 0.3)))

    for i in range(1, 41):
        fid = f"BC{i:02d}"
        firm(fid, f"{2005 + i % 10}-03-01", category="A")
        links += [(fid, "address", "ADDR-BC"), (fid, "phone", f"PH-{fid}"), (fid, "legal_rep", f"P-{fid}")]
        for day in past_days(24, 720, 1):
            declare(fid, day, "BRK-BIG", f"SELL-{fid}", unit_value=float(rng.normal(5.0, 0.3)))

    firm("BIGIMP", "2001-01-01", category="AA")
    links += [("BIGIMP", "address", "ADDR-BIGIMP"), ("BIGIMP", "phone", "PH-BIGIMP")]
    for s, day in enumerate(past_days(200, 720, 1)):
        declare("BIGIMP", day, "BRK-OWN", f"SUP{s:03d}", unit_value=float(rng.normal(5.0, 0.3)))
    for i in range(1, 31):
        fid = f"OLD{i:02d}"
        firm(fid, f"{2000 + i % 15}-06-01")
        links += [(fid, "address", f"ADDR-{fid}"), (fid, "phone", f"PH-{fid}")]
        for k, day in enumerate(past_days(12, 720, 1)):
            declare(fid, day, "BRK-BIG", f"SUP{(2 * i + k % 2) % 200:03d}", unit_value=float(rng.normal(5.0, 0.3)))

    for fid in ("VIOL", "NEAR1", "NEAR2", "ALONE"):
        firm(fid, "2012-01-01", category="C" if fid == "VIOL" else "B")
    links += [
        ("VIOL", "phone", "PH-VIOL"),
        ("NEAR1", "phone", "PH-VIOL"),
        ("NEAR1", "address", "ADDR-NEAR"),
        ("NEAR2", "address", "ADDR-NEAR"),
        ("ALONE", "phone", "PH-ALONE"),
    ]
    for fid in ("VIOL", "NEAR1", "NEAR2", "ALONE"):
        for day in past_days(6, 720, 1):
            declare(
                fid, day, f"BRK-{fid}", f"SELL-{fid}", hs6="850440", origin="CN", unit_value=10.0, route="CNSHA>CNNGB"
            )
    decls[-1]["violation"] = 0
    for d in decls:
        if d["importer_id"] == "VIOL":
            d.update(inspected=1, violation=1, violation_type="smuggling", revenue_recovered=5000.0)
            break

    firm("CHEAP", "2010-01-01")
    links.append(("CHEAP", "phone", "PH-CHEAP"))
    for day in past_days(20, 720, 1):
        declare(
            "OLD01",
            day,
            "BRK-BIG",
            "SUP900",
            hs6="850440",
            origin="CN",
            unit_value=float(rng.normal(10.0, 0.5)),
            route="CNSHA>CNNGB",
        )
    declare(
        "CHEAP",
        as_of - pd.Timedelta(days=30),
        "BRK-CHEAP",
        "SELL-CHEAP",
        hs6="850440",
        origin="CN",
        unit_value=1.0,
        route="CNSHA>CNNGB",
    )

    return {
        "enterprises": pd.DataFrame(ents),
        "declarations": pd.DataFrame(decls),
        "links": pd.DataFrame(links, columns=["enterprise", "kind", "target"]),
        "known_violators": {"VIOL"},
        "as_of": as_of,
    }
