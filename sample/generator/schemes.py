"""Planted risks and the honest look-alikes that make naive detectors fail.

Every planted declaration carries its scheme (and ring, if any) in the batch; the truth tables record who
took part. What gives a scheme away is only what customs data shows: shared identifiers among young firms,
unit values far from peers, one broker and one seller behind a group, routes that do not fit the declared
origin, many small declarations on one consignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .flows import PRODUCT_INDEX, Context, assemble, consignments, duty_rates
from .identifiers import phone_forms
from .world import CITIES, OFFICES, PRODUCTS

__all__ = ["Truth", "plant_schemes", "plant_dual_use", "plant_lookalikes", "SCHEMES", "SPLIT_THRESHOLD_USD"]

SCHEMES = (
    "shell_ring",
    "undervaluation",
    "misclassification",
    "origin_laundering",
    "split_shipment",
    "drug_route",
    "ipr_counterfeit",
    "dual_use",
)
SPLIT_THRESHOLD_USD = 5000.0
_CITY = {c.name: i for i, c in enumerate(CITIES)}
_OFFICE = {o.code: i for i, o in enumerate(OFFICES)}

# Share of all declarations each scheme gets.
_SHARE = {
    "shell_ring": 0.03,
    "undervaluation": 0.012,
    "misclassification": 0.006,
    "origin_laundering": 0.005,
    "split_shipment": 0.004,
    "drug_route": 0.003,
    "ipr_counterfeit": 0.003,
    "dual_use": 0.003,
}
_RING_GOODS = ("wine", "whisky", "cosmetics", "cars", "watches", "handbags", "shoes_leather", "tshirts", "beef")
_RING_CITIES = ("Shanghai", "Ningbo", "Shenzhen", "Guangzhou", "Dongguan", "Xiamen", "Tianjin", "Qingdao")
_MISCLASS = (  # (goods really shipped, heading declared)
    ("coffee_roasted", "coffee_green"),
    ("shoes_leather", "shoe_parts"),
    ("cars", "auto_parts"),
    ("tvs", "monitors"),
)
_LAUNDER = {  # product -> (countries under anti-dumping duty it really comes from, countries it is washed through)
    "stainless": (("KR", "ID", "JP"), ("MY", "VN", "TH")),
    "pom": (("US", "JP", "TW"), ("MY", "TH")),
    "phenol": (("KR", "US", "JP"), ("MY", "SG")),
}
_LAUNDER_PORT = {"MY": "MYPKG", "VN": "VNSGN", "TH": "THLCH", "SG": "SGSIN"}
# the grave schemes (drugs, IPR, dual-use) run a few months each and start on any day up to November, so
# that, as in a real year, some are still running in its last months (a model validated on the newest
# inspections sees them too)
_LAST_START = 330


@dataclass
class Truth:
    """Ground truth collected while planting."""

    rings: list[tuple[str, str, str, str]] = field(default_factory=list)  # ring_id, entity id, scheme, role
    enterprises: list[tuple[str, str, str]] = field(default_factory=list)  # enterprise id, scheme, ring_id
    lookalikes: list[tuple[str, str, str]] = field(default_factory=list)  # kind, entity id, detail


def _count(n: int, share: float) -> int:
    return max(1, int(round(n * share)))


def _dutiable_origins(product: str) -> tuple[list[str], np.ndarray]:
    p = PRODUCTS[PRODUCT_INDEX[product]]
    countries = [c for c in p.origins if duty_rates(np.array([PRODUCT_INDEX[product]]), np.array([c]))[0] > 0]
    w = np.array([p.origins[c] for c in countries])
    return countries, w / w.sum()


class _Plan:
    """Rows of one scheme collected part by part, then assembled in one vectorised call."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, m: int, **columns) -> None:
        for key, value in columns.items():
            arr = np.asarray(value)
            if arr.ndim == 0:
                arr = np.full(m, value, dtype=object if isinstance(value, str) else None)
            self.parts.setdefault(key, []).append(arr)

    def column(self, key: str) -> np.ndarray:
        return np.concatenate(self.parts[key])

    def assemble(self, ctx: Context, scheme: str) -> dict:
        b = assemble(
            ctx,
            self.column("firm").astype(np.int64),
            self.column("product").astype(np.int64),
            self.column("origin").astype(object),
            self.column("day").astype(np.int64),
            seller=self.column("seller").astype(np.int64),
            broker=self.column("broker").astype(np.int64),
            mode=self.column("mode").astype(object),
        )
        b["scheme"][:] = scheme
        b["ring"] = self.column("ring").astype(object)
        return b


class _Pool:
    """Old honest firms not yet used by a scheme."""

    def __init__(self, ctx: Context):
        a = ctx.actors
        kinds = np.array(a.ent_kind)
        self.firms = np.flatnonzero((kinds == "honest") & (np.array(a.ent_registered) < -400))
        self.office = np.array(a.ent_office)[self.firms]
        self.free = np.ones(len(self.firms), dtype=bool)
        self.rng = ctx.rng

    def take(self, n: int, office: int | None = None, keep: bool = False) -> np.ndarray:
        ok = self.free & ((self.office == office) if office is not None else True)
        cand = np.flatnonzero(ok)
        pick = self.rng.choice(cand, size=min(n, len(cand)), replace=False)
        if not keep:
            self.free[pick] = False
        return self.firms[pick]


def _origin(rng: np.random.Generator, goods: str) -> str:
    countries, w = _dutiable_origins(goods)
    return countries[int(rng.choice(len(countries), p=w))]


def plant_schemes(ctx: Context, n: int, truth: Truth) -> list[dict]:
    """All planted declarations (about 6 % of n), one batch per scheme."""
    rng = ctx.rng
    a = ctx.actors
    pool = _Pool(ctx)
    scale = n / 20_000
    batches = [
        _shell_rings(ctx, rng, a, pool, n, scale, truth),
        _undervaluation(ctx, rng, a, pool, n, scale, truth),
        _misclassification(ctx, rng, a, pool, n, scale, truth),
        _origin_laundering(ctx, rng, a, pool, n, scale, truth),
        _split_shipments(ctx, rng, a, pool, n, scale, truth),
        _drug_routes(ctx, rng, a, n, scale, truth),
        _ipr_routes(ctx, rng, a, n, scale, truth),
    ]
    return batches


def _shell_rings(ctx, rng, a, pool, n, scale, truth) -> dict:
    """(1) Young firms sharing addresses, phones and representatives, one small broker and one seller."""
    plan = _Plan()
    n_rings = max(8, int(round(12 * scale)))
    rows_per_ring = _count(n, _SHARE["shell_ring"]) / n_rings
    factors = []
    for r in range(n_rings):
        ring = f"SHELL-{r + 1:03d}"
        k = int(rng.integers(4, 11))
        city = _CITY[_RING_CITIES[int(rng.integers(len(_RING_CITIES)))]]
        start = int(rng.integers(0, 250))
        end = min(364, start + int(rng.integers(60, 150)))
        span = max(end - start, 1)
        # phoenix rotation: member j trades in its own slice of the ring's window, registered shortly before
        first_day = start + (np.arange(k) * span) // (k + 1)
        shared_addr = a.new_addresses(rng, np.full(int(rng.integers(1, 3)), city))
        shared_phone = a.new_phones(rng, np.full(int(rng.integers(1, 3)), city), mobile_share=0.7)
        shared_person = a.new_persons(rng, int(rng.integers(1, 4)))
        firms = a.new_enterprises(
            rng,
            cities=np.full(k, city),
            categories=np.where(rng.random(k) < 0.9, 2, 3),
            registered=first_day - rng.integers(30, 330, k),
            kind="shell",
            addresses=[shared_addr[int(i)] for i in rng.integers(0, len(shared_addr), k)],
            phones=[shared_phone[int(i)] for i in rng.integers(0, len(shared_phone), k)],
            persons=[shared_person[int(i)] for i in rng.integers(0, len(shared_person), k)],
        )
        ctx.refresh_firms()
        goods = rng.choice(len(_RING_GOODS), size=int(rng.integers(1, 3)), replace=False)
        products = np.array([PRODUCT_INDEX[_RING_GOODS[g]] for g in goods])
        origins = np.array([_origin(rng, _RING_GOODS[g]) for g in goods], dtype=object)
        seller = a.new_sellers(rng, ["HK" if rng.random() < 0.4 else str(origins[0])])[0]
        office = _OFFICE[CITIES[city].office]
        broker = a.new_brokers(rng, np.array([office]), np.array([0.0]))[0]
        ctx.firm_broker[pool.take(int(rng.integers(2, 6)), office, keep=True)] = broker  # a few honest clients
        m = max(k * 2, int(rng.poisson(rows_per_ring)))
        member = rng.integers(0, k, m)
        lo = first_day[member]
        hi = np.minimum(end, lo + span // 2 + 7)
        line = rng.integers(0, len(products), m)
        plan.add(m, firm=firms[member], product=products[line], origin=origins[line], day=ctx.days(m, lo, hi),
                 seller=seller, broker=np.where(rng.random(m) < 0.95, broker, -1), mode="", ring=ring)  # fmt: skip
        factors.append(rng.uniform(0.3, 0.55) * np.exp(rng.normal(0, 0.08, m)))
        for f in firms:
            truth.rings.append((ring, a.ent_id[f], "shell_ring", "importer"))
            truth.enterprises.append((a.ent_id[f], "shell_ring", ring))
        truth.rings.append((ring, a.seller_id[seller], "shell_ring", "seller"))
        truth.rings.append((ring, a.broker_id[broker], "shell_ring", "broker"))
    b = plan.assemble(ctx, "shell_ring")
    b["price_factor"] = np.concatenate(factors)
    return b


def _undervaluation(ctx, rng, a, pool, n, scale, truth) -> dict:
    """(2) Established firms declaring one line at a fraction of what their peers pay."""
    plan = _Plan()
    firms = pool.take(max(4, int(round(15 * scale))))
    per = np.maximum(3, rng.multinomial(_count(n, _SHARE["undervaluation"]), np.full(len(firms), 1 / len(firms))))
    factors = []
    for f, m in zip(firms, per, strict=True):
        goods = _RING_GOODS[int(rng.integers(len(_RING_GOODS)))]
        plan.add(m, firm=f, product=PRODUCT_INDEX[goods], origin=_origin(rng, goods), day=ctx.days(m), seller=-1,
                 broker=-1, mode="", ring="")  # fmt: skip
        factors.append(rng.uniform(0.35, 0.6) * np.exp(rng.normal(0, 0.08, m)))
        truth.enterprises.append((a.ent_id[f], "undervaluation", ""))
    b = plan.assemble(ctx, "undervaluation")
    b["price_factor"] = np.concatenate(factors)
    return b


def _misclassification(ctx, rng, a, pool, n, scale, truth) -> dict:
    """(3) Goods declared under a neighbouring heading with a lower duty."""
    plan = _Plan()
    firms = pool.take(max(4, int(round(8 * scale))))
    per = np.maximum(3, rng.multinomial(_count(n, _SHARE["misclassification"]), np.full(len(firms), 1 / len(firms))))
    for j, (f, m) in enumerate(zip(firms, per, strict=True)):
        real, declared = _MISCLASS[j % len(_MISCLASS)]
        plan.add(m, firm=f, product=PRODUCT_INDEX[real], origin=_origin(rng, real), day=ctx.days(m), seller=-1,
                 broker=-1, mode="", ring="", declared=PRODUCT_INDEX[declared])  # fmt: skip
        truth.enterprises.append((a.ent_id[f], "misclassification", ""))
    b = plan.assemble(ctx, "misclassification")
    declared = plan.column("declared").astype(np.int64)
    m = len(declared)
    # most descriptions tell the truth; some borrow the declared heading's wording (TVs always tell the truth)
    borrow = (rng.random(m) < 0.3) & (b["product"] != PRODUCT_INDEX["tvs"])
    b["desc_product"] = np.where(borrow, declared, b["product"])
    b["product"] = declared
    b["tax_rate"] = duty_rates(b["product"], b["origin"])
    by_kg = np.array([p.unit == "kg" for p in PRODUCTS])[declared]
    b["quantity"] = np.where(by_kg, b["net_mass"], b["quantity"])
    b["licences"][:] = ""
    return b


def _origin_laundering(ctx, rng, a, pool, n, scale, truth) -> dict:
    """(4) Goods under anti-dumping duty, washed through a third country and declared as its origin."""
    plan = _Plan()
    n_nets = max(1, int(round(2 * scale)))
    rows_per = _count(n, _SHARE["origin_laundering"]) / n_nets
    keys = sorted(_LAUNDER)
    wash_of = []
    for r in range(n_nets):
        ring = f"ORIGIN-{r + 1:03d}"
        goods = keys[r % len(keys)]
        true_countries, wash_countries = _LAUNDER[goods]
        wash = wash_countries[int(rng.integers(len(wash_countries)))]
        firms = pool.take(int(rng.integers(1, 4)))
        sellers = a.new_sellers(rng, [wash] * int(rng.integers(1, 3)))
        m = max(4, int(rng.poisson(rows_per)))
        start = int(rng.integers(0, 200))
        plan.add(m, firm=firms[rng.integers(0, len(firms), m)], product=PRODUCT_INDEX[goods],
                 origin=np.array(true_countries, dtype=object)[rng.integers(0, len(true_countries), m)],
                 day=ctx.days(m, start, 364), seller=sellers[rng.integers(0, len(sellers), m)], broker=-1,
                 mode="sea", ring=ring)  # fmt: skip
        wash_of.append(np.full(m, wash, dtype=object))
        for f in firms:
            truth.rings.append((ring, a.ent_id[f], "origin_laundering", "importer"))
            truth.enterprises.append((a.ent_id[f], "origin_laundering", ring))
        for s in sellers:
            truth.rings.append((ring, a.seller_id[s], "origin_laundering", "seller"))
    b = plan.assemble(ctx, "origin_laundering")
    wash = np.concatenate(wash_of)
    m = len(wash)
    b["origin"] = wash
    b["departure"] = wash.copy()
    b["tax_rate"] = duty_rates(b["product"], b["origin"])
    port = np.array([_LAUNDER_PORT[w] for w in wash], dtype=object)
    visible = rng.random(m) < 0.6  # the carrier's manifest still shows the real loading port
    b["transit"] = np.where(visible, port, "").astype(object)
    b["loading"] = np.where(visible, b["loading"], port).astype(object)
    return b


def _split_shipments(ctx, rng, a, pool, n, scale, truth) -> dict:
    """(5) One consignment declared as many small declarations just under the value threshold, same day."""
    plan = _Plan()
    firms = pool.take(max(2, int(round(5 * scale))))
    per = np.maximum(5, rng.multinomial(_count(n, _SHARE["split_shipment"]), np.full(len(firms), 1 / len(firms))))
    episode_of = []
    episodes = 0
    for f, m in zip(firms, per, strict=True):
        goods = ("cosmetics", "watches", "handbags", "medical", "shoes_leather")[int(rng.integers(5))]
        sizes = []
        left = int(m)
        while left > 0:
            size = min(left, int(rng.integers(4, 13)))
            sizes.append(size)
            left -= size
        episode = np.repeat(np.arange(len(sizes)), sizes)
        plan.add(m, firm=f, product=PRODUCT_INDEX[goods], origin=_origin(rng, goods),
                 day=ctx.days(len(sizes))[episode], seller=-1, broker=-1, mode="", ring="")  # fmt: skip
        episode_of.append(episode + episodes)
        episodes += len(sizes)
        truth.enterprises.append((a.ent_id[f], "split_shipment", ""))
    b = plan.assemble(ctx, "split_shipment")
    episode = np.concatenate(episode_of)
    m = len(episode)
    first = np.searchsorted(episode, episode)  # episodes are contiguous: the first row of each
    for key in ("mode", "office", "loading", "transit", "discharge", "departure", "carrier", "consignment",
                "seller", "broker", "trade_mode", "licences"):  # fmt: skip
        b[key] = b[key][first]
    b["currency"] = np.full(m, "USD", dtype=object)
    unit_value = b["value_usd"] / b["net_mass"]
    target = SPLIT_THRESHOLD_USD * rng.uniform(0.82, 0.995, m)
    kg_unit = np.array([p.kg_per_unit for p in PRODUCTS])[b["product"]]
    by_kg = np.array([p.unit == "kg" for p in PRODUCTS])[b["product"]]
    pieces = np.maximum(1, np.floor(target / unit_value / kg_unit))
    b["net_mass"] = np.where(by_kg, np.round(target / unit_value, 1), np.round(pieces * kg_unit, 1))
    b["quantity"] = np.where(by_kg, b["net_mass"], pieces)
    b["value_usd"] = np.minimum(b["net_mass"] * unit_value, SPLIT_THRESHOLD_USD * 0.999)
    return b


def _drug_routes(ctx, rng, a, n, scale, truth) -> dict:
    """(6a) Young importers, a dedicated broker and new sellers on known trafficking routes."""
    plan = _Plan()
    n_drug = max(1, int(round(2 * scale)))
    rows_per = _count(n, _SHARE["drug_route"]) / n_drug
    for r in range(n_drug):
        ring = f"DRUG-{r + 1:03d}"
        road = r % 2 == 1
        k = int(rng.integers(2, 5))
        start = int(rng.integers(0, _LAST_START))
        city = _CITY["Ruili"] if road else _CITY[("Shanghai", "Qingdao", "Guangzhou", "Xiamen", "Tianjin")[r % 5]]
        shared = a.new_phones(rng, np.array([city]), mobile_share=1.0)[0]
        own = a.new_phones(rng, np.full(k, city), 0.8)
        firms = a.new_enterprises(
            rng,
            cities=np.full(k, city),
            categories=np.full(k, 2),
            registered=start - rng.integers(20, 240, k),
            kind="drug",
            phones=[shared if u < 0.6 else p for u, p in zip(rng.random(k), own, strict=True)],
        )
        ctx.refresh_firms()
        office = _OFFICE[CITIES[city].office]
        broker = a.new_brokers(rng, np.array([office]), np.array([0.0]))[0]
        if road:
            goods, countries = "tropical_fruit", ("MM", "LA")
        else:
            goods, countries = (("bananas", ("EC",)), ("shrimp", ("EC",)), ("coffee_green", ("CO",)))[r // 2 % 3]
        sellers = a.new_sellers(rng, list(countries))
        m = max(3, int(rng.poisson(rows_per)))
        pick = rng.integers(0, len(countries), m)
        plan.add(m, firm=firms[rng.integers(0, k, m)], product=PRODUCT_INDEX[goods],
                 origin=np.array(countries, dtype=object)[pick], day=ctx.days(m, start, min(364, start + 120)),
                 seller=sellers[pick], broker=broker, mode="road" if road else "sea", ring=ring)  # fmt: skip
        for f in firms:
            truth.rings.append((ring, a.ent_id[f], "drug_route", "importer"))
            truth.enterprises.append((a.ent_id[f], "drug_route", ring))
        for s in sellers:
            truth.rings.append((ring, a.seller_id[s], "drug_route", "seller"))
        truth.rings.append((ring, a.broker_id[broker], "drug_route", "broker"))
    b = plan.assemble(ctx, "drug_route")
    sea = b["mode"] == "sea"
    m = len(sea)
    b["loading"] = np.where(sea, np.where(b["origin"] == "EC", "ECGYE", "COBUN"), b["loading"]).astype(object)
    b["departure"] = np.where(sea, b["origin"], b["departure"]).astype(object)
    via = np.where(rng.random(m) < 0.6, "PAMIT", "PAMIT;KRPUS")
    b["transit"] = np.where(sea, via, b["transit"]).astype(object)
    return b


def _ipr_routes(ctx, rng, a, n, scale, truth) -> dict:
    """(6b) Branded goods, declared from the brand's country but shipped cheap from a known hub."""
    plan = _Plan()
    n_ipr = max(1, int(round(2 * scale)))
    rows_per = _count(n, _SHARE["ipr_counterfeit"]) / n_ipr
    brand_origin = {"handbags": ("IT", "FR"), "watches": ("CH",), "shoes_leather": ("IT",), "cosmetics": ("FR",)}
    goods = sorted(brand_origin)
    hubs = (("AE", "AEJEA", "AEDXB"), ("HK", "HKHKG", "HKHKG"), ("TR", "TRMER", "TRIST"))
    hub_of = []
    for r in range(n_ipr):
        ring = f"IPR-{r + 1:03d}"
        k = int(rng.integers(2, 5))
        start = int(rng.integers(0, _LAST_START))
        city = _CITY[("Guangzhou", "Shenzhen", "Xiamen", "Shanghai")[r % 4]]
        young = rng.random(k) < 0.7
        firms = a.new_enterprises(
            rng,
            cities=np.full(k, city),
            categories=np.where(young, 2, 3),
            registered=np.where(young, start - rng.integers(30, 300, k), -rng.integers(800, 3000, k)),
            kind="ipr",
        )
        ctx.refresh_firms()
        hub = r % len(hubs)
        sellers = a.new_sellers(rng, [hubs[hub][0]] * int(rng.integers(1, 3)))
        g = rng.choice(len(goods), size=int(rng.integers(1, 3)), replace=False)
        m = max(3, int(rng.poisson(rows_per)))
        line = g[rng.integers(0, len(g), m)]
        origins = [brand_origin[goods[i]][int(rng.integers(len(brand_origin[goods[i]])))] for i in line]
        plan.add(m, firm=firms[rng.integers(0, k, m)], product=np.array([PRODUCT_INDEX[goods[i]] for i in line]),
                 origin=np.array(origins, dtype=object), day=ctx.days(m, start, min(364, start + 140)),
                 seller=sellers[rng.integers(0, len(sellers), m)], broker=-1,
                 mode=np.where(rng.random(m) < 0.5, "air", "sea").astype(object), ring=ring)  # fmt: skip
        hub_of.append(np.full(m, hub))
        for f in firms:
            truth.rings.append((ring, a.ent_id[f], "ipr_counterfeit", "importer"))
            truth.enterprises.append((a.ent_id[f], "ipr_counterfeit", ring))
        for s in sellers:
            truth.rings.append((ring, a.seller_id[s], "ipr_counterfeit", "seller"))
    b = plan.assemble(ctx, "ipr_counterfeit")
    hub = np.concatenate(hub_of)
    m = len(hub)
    air = b["mode"] == "air"
    table = np.array(hubs, dtype=object)
    b["loading"] = np.where(air, table[hub, 2], table[hub, 1]).astype(object)
    b["departure"] = table[hub, 0].copy()
    b["transit"] = np.where((rng.random(m) < 0.3) & (table[hub, 0] != "HK"), "HKHKG", "").astype(object)
    b["value_usd"] = b["value_usd"] * rng.uniform(0.1, 0.3, m)  # fakes are cheap, and declared as cheap
    return b


# dual-use lines and the countries whose export controls cover them; the diversion hubs they are routed
# through (country, seaport, airport)
_DUAL_USE = {"machinery": ("DE", "JP", "US"), "chips": ("US", "JP", "NL")}
_DIVERSION_HUBS = (("AE", "AEJEA", "AEDXB"), ("TR", "TRMER", "TRIST"), ("MY", "MYPKG", "MYKUL"))


def plant_dual_use(ctx: Context, batch: dict, n: int, truth: Truth, spoiled: np.ndarray) -> np.ndarray:
    """(7) Security: dual-use machines and chips from export-controlled makers, bought without a licence by
    young firms through a trader in a diversion hub and shipped from the hub, through one small broker.

    Planted over rows of honest look-alike firms (business centres, switchboards, giant importers) of the
    same day and office, in place (declaration numbers and how each row is written are kept), after the
    year's outcomes were drawn, and drawn (outcomes included) from ``ctx.rng`` (give it a stream of its own):
    the rest of the year stays as it was drawn before this scheme existed. ``batch`` is the year in its final
    order, labelled; ``spoiled`` marks rows not to use (deliberately bad ones and their neighbours). Returns
    the rows planted.
    """
    from .outcomes import label_outcomes

    rng = ctx.rng
    a = ctx.actors
    kinds = np.array(a.ent_kind)
    ports = np.array([bool(o.air or o.sea) for o in OFFICES])  # an air or sea port to ship the goods to
    _, where, uses = np.unique(batch["consignment"].astype(str), return_inverse=True, return_counts=True)
    candidates = (kinds[batch["firm"]] == "lookalike") & (batch["scheme"] == "") & ports[batch["office"]]
    candidates &= (uses[where] == 1) & ~spoiled  # not a container shared with another row (a look-alike)
    n_nets = max(1, int(round(2 * n / 20_000)))
    rows_per = _count(n, _SHARE["dual_use"]) / n_nets
    goods = sorted(_DUAL_USE)
    planted = []
    for r in range(n_nets):
        ring = f"DUALUSE-{r + 1:03d}"
        start = int(rng.integers(0, _LAST_START))
        window = candidates & (batch["day"] >= start) & (batch["day"] <= start + 140)
        pool = np.flatnonzero(window)
        m = min(len(pool), max(3, int(rng.poisson(rows_per))))
        if m == 0:
            continue
        rows = np.sort(rng.choice(pool, size=m, replace=False))
        candidates[rows] = False
        office = batch["office"][rows]
        city = _CITY["Shanghai"]
        k = int(rng.integers(2, 4))
        firms = a.new_enterprises(
            rng,
            cities=np.full(k, city),
            categories=np.full(k, 2),
            registered=start - rng.integers(30, 220, k),
            kind="security",
        )
        ctx.refresh_firms()
        broker = a.new_brokers(rng, np.array([int(office[0])]), np.array([0.0]))[0]
        hub = _DIVERSION_HUBS[r % len(_DIVERSION_HUBS)]
        sellers = a.new_sellers(rng, [hub[0]] * int(rng.integers(1, 3)))
        product = np.array([PRODUCT_INDEX[goods[i]] for i in rng.integers(0, len(goods), m)])
        makers = [_DUAL_USE[PRODUCTS[p].key] for p in product]
        origin = np.array([c[int(rng.integers(len(c)))] for c in makers], dtype=object)
        has_air = np.array([bool(OFFICES[o].air) for o in office])
        has_sea = np.array([bool(OFFICES[o].sea) for o in office])
        mode = np.where(has_air & (~has_sea | (rng.random(m) < 0.5)), "air", "sea").astype(object)
        seller = sellers[rng.integers(0, len(sellers), m)]
        b = assemble(ctx, firms[rng.integers(0, k, m)], product, origin, batch["day"][rows],
                     seller=seller, broker=np.full(m, broker), mode=mode)  # fmt: skip
        air = mode == "air"
        b["office"] = office
        b.update(consignments(ctx, mode, product, office))
        b["loading"] = np.where(air, hub[2], hub[1]).astype(object)
        b["transit"] = np.where(~air & (rng.random(m) < 0.4), "SGSIN", "").astype(object)
        b["discharge"] = np.array(
            [(OFFICES[o].air if a_ else OFFICES[o].sea)[0] for o, a_ in zip(office, air, strict=True)], dtype=object
        )
        b["departure"] = np.full(m, hub[0], dtype=object)
        b["licences"] = np.full(m, "", dtype=object)  # no dual-use licence or end-user certificate
        b["scheme"] = np.full(m, "dual_use", dtype=object)
        b["ring"] = np.full(m, ring, dtype=object)
        label_outcomes(rng, b, np.array(a.ent_category), np.array(a.ent_registered))
        for key in b.keys() & batch.keys():
            batch[key][rows] = b[key]
        planted.append(rows)
        for f in firms:
            truth.rings.append((ring, a.ent_id[f], "dual_use", "importer"))
            truth.enterprises.append((a.ent_id[f], "dual_use", ring))
        for seller in sellers:
            truth.rings.append((ring, a.seller_id[seller], "dual_use", "seller"))
        truth.rings.append((ring, a.broker_id[broker], "dual_use", "broker"))
    return np.concatenate(planted) if planted else np.zeros(0, dtype=np.int64)


def plant_lookalikes(ctx: Context, n: int, truth: Truth) -> dict[str, np.ndarray]:
    """Honest structures that look suspicious: business centres, switchboards, giant importers, start-ups.

    Returns per-firm activity boosts and the large importers (whose lines span most commodities).
    """
    rng = ctx.rng
    a = ctx.actors
    honest = np.array([i for i, k in enumerate(a.ent_kind) if k == "honest"])
    old = honest[np.array([a.ent_registered[i] < -1000 for i in honest])]
    taken: set[int] = set()

    def in_city(city: str, size: int) -> np.ndarray:
        c = _CITY[city]
        cand = [i for i in old if a.address_city[a.ent_address[i]] == c and i not in taken]
        if len(cand) < size:
            cand += [i for i in old if i not in taken and i not in cand][: size - len(cand)]
        chosen = rng.choice(np.array(cand), size=size, replace=False)
        taken.update(chosen.tolist())
        for f in chosen:
            a.ent_kind[f] = "lookalike"  # keep them out of the planted schemes
        return chosen

    for j in range(1 + n // 300_000):
        city = ("Shanghai", "Shenzhen", "Ningbo", "Guangzhou")[j % 4]
        centre = a.new_addresses(rng, np.array([_CITY[city]]), business_centre=True)[0]
        members = in_city(city, int(rng.integers(32, 61)))
        for f in members:
            a.ent_address[f] = centre
            truth.lookalikes.append(("business_centre", a.ent_id[f], a.addresses[centre][0]))
    for j in range(1 + n // 300_000):
        city = ("Suzhou", "Dongguan", "Tianjin")[j % 3]
        switchboard = len(a.phones)  # an industrial park's switchboard: a round number
        a.phones.append(phone_forms(CITIES[_CITY[city]].area, f"6{int(rng.integers(100, 1000))}8888", False))
        members = in_city(city, int(rng.integers(12, 26)))
        for f in members:
            a.ent_phone[f] = switchboard
            truth.lookalikes.append(("shared_switchboard", a.ent_id[f], a.phones[switchboard][0]))
    large = in_city("Shanghai", 1 + n // 500_000)
    for f in large:
        a.ent_category[f] = 0
        brand = a.ent_name[f][0].split(" ")[1]
        name = f"Shanghai {brand} Supply Chain Management Co., Ltd."
        a.ent_name[f] = (name, name.upper().replace(",", "").replace(".", ""))
        ctx.firm_suppliers[f] = 400
        truth.lookalikes.append(("large_importer", a.ent_id[f], "hundreds of suppliers, most commodity lines"))
    for f in honest:
        if a.ent_registered[f] > -365:
            truth.lookalikes.append(("young_honest", a.ent_id[f], f"registered {a.ent_registered[f]} days before"))
    return {"large": large}
