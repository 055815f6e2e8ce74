"""Trade flows: turning (importer, commodity, origin, day) into complete declarations, vectorised over rows.

Rows are kept as a dict of equal-length numpy arrays ("a batch"); parties and commodities are indices into
the actor and product tables, rendered to text only when a file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph.currency import per_usd

from .actors import Actors
from .identifiers import air_waybills, container_numbers, digits
from .world import (
    AIR_CARRIERS,
    AIR_PORTS,
    AIR_TRANSIT,
    ANTI_DUMPING,
    COUNTRY_REGION,
    LAND_SHARE,
    LEASING_PREFIXES,
    OFFICES,
    POST_CARRIERS,
    PRODUCTS,
    RAIL_CARRIERS,
    RAIL_PORTS,
    ROAD_PORTS,
    SEA_CARRIERS,
    SEA_PORTS,
    SEA_TRANSIT,
    YEAR,
)

__all__ = ["Segmented", "Context", "day_weights", "assemble", "honest_rows", "concat", "take", "PRODUCT_INDEX"]

PRODUCT_INDEX = {p.key: i for i, p in enumerate(PRODUCTS)}
DAYS = 365
_COUNTABLE = np.array([p.unit != "kg" for p in PRODUCTS])
_CONSUMER = {"cosmetics", "tshirts", "shoes_leather", "shoes_sport", "handbags", "watches", "whisky", "wine"}
_MATERIALS = {"chips", "pom", "phenol", "polyethylene", "copper", "stainless", "shoe_parts", "lube_oil"}
_FTA_FACTOR = {
    **dict.fromkeys(("VN", "TH", "MY", "ID", "PH", "KH", "MM", "LA", "SG"), 0.0),
    **dict.fromkeys(("AU", "NZ", "CL", "PE"), 0.0),
    "KR": 0.5, "CH": 0.5, "IS": 0.0,
}  # fmt: skip
_CURRENCY_SHARE = {  # seller country -> (currency, share of its invoices)
    **dict.fromkeys(("DE", "NL", "FR", "IT", "ES", "BE", "PT", "IE"), ("EUR", 0.35)),
    "JP": ("JPY", 0.3), "GB": ("GBP", 0.2), "AU": ("AUD", 0.2), "HK": ("HKD", 0.25), "CH": ("CHF", 0.2),
}  # fmt: skip


class Segmented:
    """Weighted choice within groups, vectorised: `sample(group_ids, uniforms)` picks one value per row."""

    def __init__(self, groups: list[tuple[list, list[float]]]):
        keys, values, starts = [], [], []
        for g, (vals, weights) in enumerate(groups):
            w = np.asarray(weights, dtype=float)
            c = np.cumsum(w / w.sum())
            c[-1] = 1.0
            starts.append(len(values))
            keys.extend((g + c).tolist())
            values.extend(vals)
        self.keys = np.array(keys)
        self.values = np.array(values, dtype=object if values and isinstance(values[0], str) else None)

    def sample(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.keys, group + u, side="right")]


def day_weights() -> np.ndarray:
    """Relative filing volume per day of YEAR: weekends, Spring Festival, National Day, a busier Q4."""
    days = np.arange(DAYS)
    dates = np.datetime64(f"{YEAR}-01-01") + days.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    w = np.where(weekday == 6, 0.35, np.where(weekday == 5, 0.6, 1.0))
    w = w * (1.0 + 0.12 * np.sin((days - 210) / 365 * 2 * np.pi))  # peak in late October
    w[27:35] *= 0.15  # Spring Festival 2025: 28 January - 4 February
    w[273:280] *= 0.2  # National Day golden week
    return w


@dataclass
class Context:
    """What every batch is built against: the actors and the precomputed samplers."""

    rng: np.random.Generator
    actors: Actors
    day_cum: np.ndarray
    origin_of: Segmented  # product -> origin country
    office_by_mode: dict[str, np.ndarray]  # mode -> offices that support it
    office_weight: np.ndarray
    broker_at: Segmented  # office -> broker
    firm_broker: np.ndarray
    firm_suppliers: np.ndarray
    firm_price: np.ndarray
    firm_lines: np.ndarray  # firm -> its three commodity lines
    firm_line_origin: np.ndarray  # firm, line -> usual origin
    country_start: dict[str, int]
    country_count: dict[str, int]
    salt: int

    @classmethod
    def create(cls, rng: np.random.Generator, actors: Actors, attrs: dict) -> Context:
        origin_of = Segmented([(list(p.origins), list(p.origins.values())) for p in PRODUCTS])
        ow = np.array([o.weight for o in OFFICES])
        by_mode = {
            "sea": np.array([i for i, o in enumerate(OFFICES) if o.sea]),
            "air": np.array([i for i, o in enumerate(OFFICES) if o.air]),
            "rail": np.array([i for i, o in enumerate(OFFICES) if o.rail and o.code != "CD-MANCHURIA"]),
        }
        b_office = np.array(actors.broker_office)
        b_weight = np.array(actors.broker_weight)
        groups = []
        for o in range(len(OFFICES)):
            idx = np.flatnonzero(b_office == o)
            groups.append((idx.tolist(), b_weight[idx].tolist()))
        broker_at = Segmented(groups)
        n = len(actors.ent_id)
        home = np.array(actors.ent_office)
        ctx = cls(
            rng=rng,
            actors=actors,
            day_cum=np.cumsum(day_weights()),
            origin_of=origin_of,
            office_by_mode=by_mode,
            office_weight=ow / ow.sum(),
            broker_at=broker_at,
            firm_broker=broker_at.sample(home, rng.random(n)),
            firm_suppliers=np.minimum(1 + rng.geometric(0.4, n), 8),
            firm_price=np.exp(rng.normal(0, 0.12, n)),
            firm_lines=np.zeros((0, 3), dtype=np.int64),
            firm_line_origin=np.zeros((0, 3), dtype=object),
            country_start={c: int(s) for c, s in zip(attrs["countries"], attrs["country_start"], strict=True)},
            country_count={c: int(k) for c, k in zip(attrs["countries"], attrs["country_count"], strict=True)},
            salt=int(rng.integers(1, 1_000_000)),
        )
        ctx._extend_lines(n)
        return ctx

    def _extend_lines(self, n_new: int) -> None:
        pw = np.array([p.weight for p in PRODUCTS])
        lines = self.rng.choice(len(PRODUCTS), (n_new, 3), p=pw / pw.sum())
        origins = self.origin_of.sample(lines.ravel(), self.rng.random(lines.size)).reshape(lines.shape)
        self.firm_lines = np.concatenate([self.firm_lines, lines])
        self.firm_line_origin = np.concatenate([self.firm_line_origin, origins])

    def refresh_firms(self) -> None:
        """Extend the per-firm arrays after enterprises were added (rings, look-alikes)."""
        n_old, n = len(self.firm_broker), len(self.actors.ent_id)
        if n == n_old:
            return
        home = np.array(self.actors.ent_office[n_old:])
        rng = self.rng
        self.firm_broker = np.concatenate([self.firm_broker, self.broker_at.sample(home, rng.random(n - n_old))])
        self.firm_suppliers = np.concatenate([self.firm_suppliers, np.minimum(1 + rng.geometric(0.4, n - n_old), 8)])
        self.firm_price = np.concatenate([self.firm_price, np.exp(rng.normal(0, 0.12, n - n_old))])
        self._extend_lines(n - n_old)

    def days(self, n: int, lo: np.ndarray | int = 0, hi: np.ndarray | int = DAYS - 1) -> np.ndarray:
        """Filing days following the calendar's weights, within [lo, hi] (per row or overall)."""
        cum = self.day_cum
        lo_c = np.where(np.asarray(lo) > 0, cum[np.maximum(np.asarray(lo) - 1, 0)], 0.0)
        hi_c = cum[np.asarray(hi)]
        u = lo_c + self.rng.random(n) * (hi_c - lo_c)
        return np.minimum(np.searchsorted(cum, u, side="right"), DAYS - 1)


def _pick(rng: np.random.Generator, options: tuple | list, n: int, p=None) -> np.ndarray:
    arr = np.array(options, dtype=object)
    if p is None:
        return arr[rng.integers(0, len(arr), n)]
    p = np.asarray(p, dtype=float)
    return arr[rng.choice(len(arr), n, p=p / p.sum())]


def _groups(keys: np.ndarray):
    """(key, row indices) for each distinct key, in sorted key order."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    for chunk in np.split(order, cuts):
        if len(chunk):
            yield keys[chunk[0]], chunk


def choose_modes(ctx: Context, product: np.ndarray, origin: np.ndarray) -> np.ndarray:
    rng = ctx.rng
    n = len(product)
    air = np.array([p.air for p in PRODUCTS])[product]
    bulk = np.array([p.bulk for p in PRODUCTS])[product]
    road_p = np.zeros(n)
    rail_p = np.zeros(n)
    for c, idx in _groups(origin):
        if c in LAND_SHARE:
            road_p[idx], rail_p[idx] = LAND_SHARE[c]
    u1, u2 = rng.random(n), rng.random(n)
    mode = np.full(n, "sea", dtype=object)
    mode[u2 < road_p + rail_p] = "rail"
    mode[u2 < road_p] = "road"
    mode[(u1 < air) & (mode == "sea")] = "air"
    consumer = np.isin(product, [PRODUCT_INDEX[k] for k in _CONSUMER])
    mode[consumer & (rng.random(n) < 0.02) & (mode != "road")] = "post"
    mode[bulk] = "sea"
    land_only = np.isin(origin, ["KZ", "MN"])
    mode[land_only & bulk] = "rail"
    return mode


def choose_offices(ctx: Context, firm: np.ndarray, mode: np.ndarray, origin: np.ndarray) -> np.ndarray:
    rng = ctx.rng
    n = len(firm)
    home = np.array(ctx.actors.ent_office)[firm]
    office = np.where(rng.random(n) < 0.85, home, rng.choice(len(OFFICES), n, p=ctx.office_weight))
    for m, idx in _groups(mode):
        if m in ("sea", "air", "post", "rail"):
            allowed = ctx.office_by_mode["air" if m == "post" else m]
            bad = idx[~np.isin(office[idx], allowed)]
            w = ctx.office_weight[allowed]
            office[bad] = allowed[rng.choice(len(allowed), len(bad), p=w / w.sum())]
        if m in ("road", "rail"):
            for c, sub in _groups(origin[idx]):
                rows = idx[sub]
                crossings = [i for i, o in enumerate(OFFICES) if c in o.road] if m == "road" else []
                if m == "rail":
                    crossings = {"RU": ["CD-MANCHURIA"], "KZ": ["CD-URUMUQI"], "MN": ["CD-HUHHOT"]}.get(c, [])
                    crossings = [i for i, o in enumerate(OFFICES) if o.code in crossings]
                if crossings:
                    w = np.array([OFFICES[i].weight for i in crossings])
                    office[rows] = np.array(crossings)[rng.choice(len(crossings), len(rows), p=w / w.sum())]
    return office


def route(ctx: Context, origin: np.ndarray, mode: np.ndarray, office: np.ndarray) -> dict[str, np.ndarray]:
    """Loading port, transit ports and discharge port for each row, honest routing."""
    rng = ctx.rng
    n = len(origin)
    loading = np.empty(n, dtype=object)
    discharge = np.empty(n, dtype=object)
    transit = np.full(n, "", dtype=object)
    key = np.char.add(np.char.add(origin.astype(str), "|"), mode.astype(str))
    for k, idx in _groups(key):
        c, m = str(k).split("|")
        if m == "sea":
            loading[idx] = _pick(rng, SEA_PORTS[c], len(idx))
        elif m == "road":
            loading[idx] = ROAD_PORTS[c]
        elif m == "rail":
            loading[idx] = RAIL_PORTS[c]
        else:
            loading[idx] = AIR_PORTS[c]
    key = np.char.add(np.char.add(office.astype(str), "|"), mode.astype(str))
    for k, idx in _groups(key):
        o, m = str(k).split("|")
        off = OFFICES[int(o)]
        if m == "road":
            for c, sub in _groups(origin[idx]):
                discharge[idx[sub]] = off.road.get(c, next(iter(off.road.values())))
            continue
        ports = {"sea": off.sea, "air": off.air, "post": off.air or off.sea, "rail": off.rail}[m]
        discharge[idx] = _pick(rng, ports or off.sea or off.air or ("CNSHA",), len(idx))
    departure = loading.astype("U5").astype("U2").astype(object)
    # transshipment
    sea = np.flatnonzero(mode == "sea")
    region = _lookup(departure[sea], COUNTRY_REGION, "seasia")
    for r, sub in _groups(region):
        rows = sea[sub]
        direct, hubs, w = SEA_TRANSIT[r]
        via = rows[rng.random(len(rows)) >= direct]
        first = _pick(rng, hubs, len(via), w)
        second = _pick(rng, ("SGSIN", "HKHKG", "KRPUS", "LKCMB"), len(via))
        two = (rng.random(len(via)) < 0.1) & (second != first)
        path = np.where(two, np.char.add(np.char.add(first.astype(str), ";"), second.astype(str)), first)
        same = first == loading[via]
        transit[via[~same]] = path[~same].astype(object)
    air = np.flatnonzero((mode == "air") | (mode == "post"))
    via = air[rng.random(len(air)) < 0.3]
    hub = _pick(rng, AIR_TRANSIT[0], len(via), AIR_TRANSIT[1])
    ok = hub != loading[via]
    transit[via[ok]] = hub[ok]
    return {"loading": loading, "transit": transit, "discharge": discharge, "departure": departure}


def consignments(ctx: Context, mode: np.ndarray, product: np.ndarray, office: np.ndarray) -> dict[str, np.ndarray]:
    """Carrier and consignment number (container, bill of lading, air waybill, rail or post number)."""
    rng = ctx.rng
    n = len(mode)
    carrier = np.empty(n, dtype=object)
    cons = np.empty(n, dtype=object)
    bulk = np.array([p.bulk for p in PRODUCTS])[product]
    sea = np.flatnonzero(mode == "sea")
    sc = rng.choice(len(SEA_CARRIERS), len(sea), p=_norm([c[2] for c in SEA_CARRIERS]))
    carrier[sea] = np.array([c[0] for c in SEA_CARRIERS], dtype=object)[sc]
    own = np.array([c[1][0] for c in SEA_CARRIERS], dtype=object)[sc]
    alt = np.array([c[1][-1] for c in SEA_CARRIERS], dtype=object)[sc]
    prefix = np.where(rng.random(len(sea)) < 0.3, alt, own)
    leased = rng.random(len(sea)) < 0.25
    prefix[leased] = _pick(rng, LEASING_PREFIXES, int(leased.sum()))
    cons[sea] = container_numbers(prefix.astype(str), rng.integers(0, 1_000_000, len(sea)))
    b = sea[bulk[sea]]
    cons[b] = np.char.add(carrier[b].astype(str), digits(rng.integers(0, 10**10, len(b)), 10))
    air = np.flatnonzero(mode == "air")
    ac = rng.choice(len(AIR_CARRIERS), len(air), p=_norm([c[2] for c in AIR_CARRIERS]))
    carrier[air] = np.array([c[0] for c in AIR_CARRIERS], dtype=object)[ac]
    cons[air] = air_waybills(np.array([c[1] for c in AIR_CARRIERS])[ac], rng.integers(0, 10**7, len(air)))
    road = np.flatnonzero(mode == "road")
    carrier[road] = np.char.add("RT", digits(rng.integers(1, 60, len(road)), 4)).astype(object)
    pref = np.array([OFFICES[o].prefix for o in office[road]]) if len(road) else np.empty(0, dtype=str)
    cons[road] = np.char.add(np.char.add("RD", pref), digits(rng.integers(0, 10**8, len(road)), 8))
    rail = np.flatnonzero(mode == "rail")
    carrier[rail] = _pick(rng, RAIL_CARRIERS, len(rail))
    cons[rail] = np.char.add("SMGS", digits(rng.integers(0, 10**8, len(rail)), 8)).astype(object)
    post = np.flatnonzero(mode == "post")
    carrier[post] = _pick(rng, POST_CARRIERS, len(post))
    cons[post] = _s10(rng, len(post))
    return {"carrier": carrier, "consignment": cons}


def _s10(rng: np.random.Generator, n: int) -> np.ndarray:
    """UPU S10 item numbers with their check digit ("EA123456785FR")."""
    serial = rng.integers(0, 10**8, n)
    total = np.zeros(n, dtype=np.int64)
    for i, w in enumerate((8, 6, 4, 2, 3, 5, 9, 7)):
        total += ((serial // 10 ** (7 - i)) % 10) * w
    check = 11 - total % 11
    check = np.where(check == 10, 0, np.where(check == 11, 5, check))
    body = np.char.add(digits(serial, 8), check.astype(str))
    country = _pick(rng, ("FR", "DE", "US", "JP", "KR", "GB", "IT"), n).astype(str)
    return np.char.add(np.char.add(_pick(rng, ("EA", "RR", "CP", "LX"), n).astype(str), body), country).astype(object)


def _lookup(keys: np.ndarray, table: dict, default) -> np.ndarray:
    uniq, inverse = np.unique(keys.astype(str), return_inverse=True)
    return np.array([table.get(k, default) for k in uniq], dtype=object)[inverse]


def _norm(w) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def shipment(ctx: Context, firm: np.ndarray, product: np.ndarray, origin: np.ndarray) -> dict[str, np.ndarray]:
    """Quantity, net mass and the honest customs value in USD."""
    rng = ctx.rng
    n = len(product)
    qty_median = np.array([p.qty for p in PRODUCTS])[product]
    kg_per_unit = np.array([p.kg_per_unit for p in PRODUCTS])[product]
    bulk = np.array([p.bulk for p in PRODUCTS])[product]
    countable = _COUNTABLE[product]
    qty = qty_median * np.exp(rng.normal(0, np.where(bulk, 0.35, 0.75), n))
    qty = np.where(countable, np.maximum(1, np.round(qty)), np.round(qty, 1))
    mass = np.where(countable, qty * kg_per_unit * np.exp(rng.normal(0, 0.06, n)), qty)
    mass = np.where(bulk, np.round(mass), np.round(mass, 1))
    qty = np.where(countable | bulk, qty, mass)
    premium = np.ones(n)
    for i, p in enumerate(PRODUCTS):
        if p.premium:
            rows = np.flatnonzero(product == i)
            for c, f in p.premium.items():
                premium[rows[origin[rows] == c]] = f
    usd_kg = np.array([p.usd_per_kg for p in PRODUCTS])[product] * premium
    unit_value = usd_kg * ctx.firm_price[firm] * np.exp(rng.normal(0, 0.18, n))
    return {"quantity": qty, "net_mass": mass, "value_usd": mass * unit_value}


def duty_rates(product: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Applicable duty: MFN, reduced under free-trade agreements, plus anti-dumping duty where in force."""
    rate = np.array([p.duty for p in PRODUCTS])[product].astype(float)
    factor = np.ones(len(product))
    for c, f in _FTA_FACTOR.items():
        factor[origin == c] = f
    rate = rate * factor
    for key, (countries, extra) in ANTI_DUMPING.items():
        rows = (product == PRODUCT_INDEX[key]) & np.isin(origin, countries)
        rate[rows] += extra
    return np.round(rate, 4)


def assemble(
    ctx: Context,
    firm: np.ndarray,
    product: np.ndarray,
    origin: np.ndarray,
    day: np.ndarray,
    *,
    seller: np.ndarray | None = None,
    broker: np.ndarray | None = None,
    mode: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Complete honest declarations for the given importers, commodities, origins and days.

    seller, broker (-1) and mode ("") may be given per row; where not, the usual choice is made.
    """
    rng = ctx.rng
    n = len(firm)
    chosen = choose_modes(ctx, product, origin)
    mode = chosen if mode is None else np.where(mode == "", chosen, mode)
    office = choose_offices(ctx, firm, mode, origin)
    batch: dict[str, np.ndarray] = {
        "firm": firm,
        "product": product,
        "desc_product": product.copy(),
        "origin": origin,
        "day": day,
        "mode": mode,
        "office": office,
    }
    batch.update(route(ctx, origin, mode, office))
    batch.update(consignments(ctx, mode, product, office))
    batch.update(shipment(ctx, firm, product, origin))
    usual = _sellers(ctx, firm, product, origin)
    seller = usual if seller is None else np.where(seller < 0, usual, seller)
    batch["seller"] = seller
    seller_country = np.array(ctx.actors.seller_country, dtype=object)[seller]
    _reexports(ctx, batch, seller_country, origin)
    batch["currency"] = currencies(firm, seller, seller_country, ctx.salt)
    own = (office == np.array(ctx.actors.ent_office)[firm]) & (rng.random(n) < 0.8)
    usual = np.where(own, ctx.firm_broker[firm], ctx.broker_at.sample(office, rng.random(n)))
    batch["broker"] = (usual if broker is None else np.where(broker < 0, usual, broker)).astype(np.int64)
    batch["tax_rate"] = duty_rates(product, origin)
    batch["true_rate"] = batch["tax_rate"].copy()  # what should have applied; schemes change tax_rate only
    batch["trade_mode"] = _trade_modes(rng, product, mode)
    batch["licences"] = licences(ctx, firm, product)
    batch["price_factor"] = np.ones(n)  # declared / true value, < 1 when under-declared
    batch["scheme"] = np.full(n, "", dtype=object)
    batch["ring"] = np.full(n, "", dtype=object)
    batch["desc_variant"] = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    return batch


def _sellers(ctx: Context, firm: np.ndarray, product: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Each importer buys a line from a few stable suppliers in the origin country (or a HK/SG trader)."""
    rng = ctx.rng
    n = len(firm)
    country = origin.copy()
    trader = rng.random(n) < 0.08
    country[trader] = np.where(rng.random(int(trader.sum())) < 0.7, "HK", "SG")
    start = np.array([ctx.country_start[c] for c in country])
    count = np.array([ctx.country_count[c] for c in country])
    k = rng.integers(0, 1 << 30, n) % ctx.firm_suppliers[firm]
    h = (firm.astype(np.int64) * 7919 + product * 104729 + k * 15485863 + ctx.salt) % 2_147_483_647
    return start + h % count


def _trade_modes(rng: np.random.Generator, product: np.ndarray, mode: np.ndarray) -> np.ndarray:
    n = len(product)
    tm = np.full(n, "general trade", dtype=object)
    u = rng.random(n)
    materials = np.isin(product, [PRODUCT_INDEX[k] for k in _MATERIALS])
    consumer = np.isin(product, [PRODUCT_INDEX[k] for k in _CONSUMER])
    tm[materials & (u < 0.35)] = "processing trade"
    tm[consumer & (u < 0.08)] = "bonded logistics"
    tm[(product == PRODUCT_INDEX["soybeans"]) & (u < 0.05)] = "feed processing"
    tm[mode == "post"] = "cross-border e-commerce"
    return tm


def licences(ctx: Context, firm: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Licence and certificate numbers, stable per importer and commodity; a few honest rows forget one."""
    n = len(firm)
    out = np.full(n, "", dtype=object)
    missing = ctx.rng.random(n) < 0.015
    for i, p in enumerate(PRODUCTS):
        if not p.licences:
            continue
        rows = np.flatnonzero(product == i)
        parts = []
        for j, kind in enumerate(p.licences):
            num = (firm[rows].astype(np.int64) * 2654435761 + i * 40503 + j * 9973 + ctx.salt) % 1_000_000
            parts.append(np.char.add(f"{kind}{YEAR}", digits(num, 6)))
        text = parts[0]
        for extra in parts[1:]:
            text = np.char.add(np.char.add(text, ";"), extra)
        out[rows] = text.astype(object)
    out[missing] = ""
    return out


def _reexports(ctx: Context, batch: dict, seller_country: np.ndarray, origin: np.ndarray) -> None:
    """Goods bought from a Hong Kong or Singapore trader are often shipped from there (honest re-exports)."""
    rng = ctx.rng
    hub = {"HK": "HKHKG", "SG": "SGSIN"}
    for c, port in hub.items():
        rows = np.flatnonzero(
            (seller_country == c)
            & (origin != c)
            & np.isin(batch["mode"], ["sea", "air"])
            & (rng.random(len(origin)) < 0.4)
        )
        batch["loading"][rows] = port
        batch["transit"][rows] = ""
        batch["departure"][rows] = c


def currencies(firm: np.ndarray, seller: np.ndarray, seller_country: np.ndarray, salt: int) -> np.ndarray:
    """Invoice currency, stable for an importer-seller pair: mostly USD, the seller's own currency sometimes."""
    n = len(seller_country)
    cur = np.full(n, "USD", dtype=object)
    u = ((firm.astype(np.int64) * 7907 + seller.astype(np.int64) * 6007 + salt) % 10007) / 10007
    for c, (code, share) in _CURRENCY_SHARE.items():
        cur[(seller_country == c) & (u < share)] = code
    cur[u > 0.985] = "CNY"
    return cur


def to_currency(value_usd: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """US dollars into each row's invoice currency at the reference rates (every generated currency has one)."""
    return np.round(value_usd * per_usd(currency), 2)


def concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = list(batches[0])
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def take(batch: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in batch.items()}


def honest_rows(ctx: Context, n: int, firms: np.ndarray, weights: np.ndarray, large: np.ndarray) -> dict:
    """The honest bulk of the year: every firm files at least once (when n allows), the rest by activity."""
    rng = ctx.rng
    base = firms if n >= len(firms) else rng.choice(firms, n, replace=False)
    rest = rng.choice(firms, n - len(base), p=weights / weights.sum())
    firm = np.concatenate([base, rest]).astype(np.int64)
    line = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    product = ctx.firm_lines[firm, line]
    origin = ctx.firm_line_origin[firm, line]
    fresh = rng.random(n) < 0.25
    origin[fresh] = ctx.origin_of.sample(product[fresh], rng.random(int(fresh.sum())))
    big = np.flatnonzero(np.isin(firm, large))
    if len(big):  # the giant importer buys nearly everything that comes in containers
        lines = [i for i, p in enumerate(PRODUCTS) if not p.bulk]
        pw = np.array([PRODUCTS[i].weight for i in lines])
        product[big] = np.array(lines)[rng.choice(len(lines), len(big), p=pw / pw.sum())]
        origin[big] = ctx.origin_of.sample(product[big], rng.random(len(big)))
    return assemble(ctx, firm, product, origin, ctx.days(n))
