"""The parties: importers (with their addresses, phones and legal representatives), overseas sellers, brokers.

Shared identifiers are first-class: an address, a phone and a person are rows of their own tables and an
enterprise points at them, so a ring (or an honest business centre) is several enterprises pointing at one row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .identifiers import address_forms, credit_codes, phone_forms
from .names import company_names, person_names, seller_names
from .world import CITIES, OFFICES, PRODUCTS, YEAR

__all__ = ["Actors", "CATEGORIES", "build_actors"]

CATEGORIES = ("AA", "A", "B", "C", "D")
_OFFICE_INDEX = {o.code: i for i, o in enumerate(OFFICES)}
_DISPLAY = {"Huangpu": "Guangzhou", "Pingxiang": "Pingxiang, Guangxi", "Ruili": "Ruili, Yunnan"}


@dataclass
class Actors:
    """Every party of the synthetic year, as parallel lists (index = the party's number)."""

    # shared identifiers
    addresses: list[tuple[str, ...]] = field(default_factory=list)
    address_city: list[int] = field(default_factory=list)
    address_region: list[str] = field(default_factory=list)
    phones: list[tuple[str, ...]] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    # enterprises (importers)
    ent_id: list[str] = field(default_factory=list)
    ent_name: list[tuple[str, str]] = field(default_factory=list)
    ent_category: list[int] = field(default_factory=list)
    ent_registered: list[int] = field(default_factory=list)  # day offset from 1 January of YEAR
    ent_address: list[int] = field(default_factory=list)
    ent_phone: list[int] = field(default_factory=list)
    ent_person: list[int] = field(default_factory=list)
    ent_office: list[int] = field(default_factory=list)
    ent_kind: list[str] = field(default_factory=list)
    # overseas sellers
    seller_id: list[str] = field(default_factory=list)
    seller_name: list[str] = field(default_factory=list)
    seller_country: list[str] = field(default_factory=list)
    # customs brokers
    broker_id: list[str] = field(default_factory=list)
    broker_office: list[int] = field(default_factory=list)
    broker_weight: list[float] = field(default_factory=list)

    _seen: dict[str, set[str]] = field(default_factory=dict)

    def _taken(self, kind: str, values: list[str]) -> set[str]:
        """The set of values already used for a kind of id, kept in step with the list."""
        seen = self._seen.setdefault(kind, set())
        if len(seen) < len(values):
            seen.update(values)
        return seen

    # -- shared identifiers -------------------------------------------------------------------------------
    def new_addresses(
        self, rng: np.random.Generator, cities: np.ndarray, *, business_centre: bool = False
    ) -> list[int]:
        start = len(self.addresses)
        for c in cities:
            city = CITIES[int(c)]
            d = int(rng.integers(len(city.districts)))
            district, region = city.districts[d]
            street = city.streets[int(rng.integers(len(city.streets)))]
            kind = "Road"
            for suffix in ("Avenue", "Street"):
                if street.endswith(" " + suffix) or street == suffix:
                    street, kind = street[: -len(suffix)].strip() or street, suffix
            if kind == "Road" and len(street) % 7 == 0:
                kind = "Street"
            floor = int(rng.integers(2, 32 if business_centre else 26))
            room = f"{floor}{int(rng.integers(1, 20)):02d}"
            number = str(int(rng.integers(1, 1800)))
            self.addresses.append(
                address_forms(room, number, street, kind, district, _DISPLAY.get(city.name, city.name))
            )
            self.address_city.append(int(c))
            self.address_region.append(region)
        return list(range(start, len(self.addresses)))

    def new_phones(self, rng: np.random.Generator, cities: np.ndarray, mobile_share: float) -> list[int]:
        start = len(self.phones)
        mobile = rng.random(len(cities)) < mobile_share
        lead = rng.choice(np.array([3, 5, 6, 8]), len(cities))
        body = rng.integers(0, 10_000_000, len(cities))
        mob2 = rng.choice(np.array(["13", "15", "18", "17", "19"]), len(cities))
        mob = rng.integers(0, 1_000_000_000, len(cities))
        for i, c in enumerate(cities):
            city = CITIES[int(c)]
            if mobile[i]:
                self.phones.append(phone_forms(city.area, f"{mob2[i]}{mob[i]:09d}", True))
            else:
                self.phones.append(phone_forms(city.area, f"{lead[i]}{body[i]:07d}", False))
        return list(range(start, len(self.phones)))

    def new_persons(self, rng: np.random.Generator, n: int) -> list[int]:
        start = len(self.persons)
        self.persons.extend(person_names(rng, n))
        return list(range(start, len(self.persons)))

    # -- enterprises --------------------------------------------------------------------------------------
    def new_enterprises(
        self,
        rng: np.random.Generator,
        *,
        cities: np.ndarray,
        categories: np.ndarray,
        registered: np.ndarray,
        kind: str,
        addresses: list[int] | None = None,
        phones: list[int] | None = None,
        persons: list[int] | None = None,
        mobile_share: float = 0.15,
    ) -> np.ndarray:
        """Add enterprises; each gets its own address, phone and person unless given shared ones."""
        n = len(cities)
        addresses = addresses if addresses is not None else self.new_addresses(rng, cities)
        phones = phones if phones is not None else self.new_phones(rng, cities, mobile_share)
        persons = persons if persons is not None else self.new_persons(rng, n)
        regions = [self.address_region[a] for a in addresses]
        ids = credit_codes(rng, regions)
        name_city = [CITIES[int(c)].name.replace("Huangpu", "Guangzhou").replace("Pingxiang", "Guangxi Pingxiang")
                     for c in cities]  # fmt: skip
        names = company_names(rng, name_city, self._seen.setdefault("ent_name", set()))
        start = len(self.ent_id)
        taken = self._taken("ent", self.ent_id)
        for i in range(n):
            code = ids[i]
            while code in taken:  # keep ids unique across batches
                code = credit_codes(rng, [regions[i]])[0]
            taken.add(code)
            alt = names[i].upper().replace(",", "").replace(".", "").replace("&", "AND").replace("  ", " ")
            self.ent_id.append(code)
            self.ent_name.append((names[i], alt))
            self.ent_category.append(int(categories[i]))
            self.ent_registered.append(int(registered[i]))
            self.ent_address.append(addresses[i])
            self.ent_phone.append(phones[i])
            self.ent_person.append(persons[i])
            self.ent_office.append(_OFFICE_INDEX[CITIES[int(cities[i])].office])
            self.ent_kind.append(kind)
        return np.arange(start, len(self.ent_id))

    # -- sellers and brokers ------------------------------------------------------------------------------
    def new_sellers(self, rng: np.random.Generator, countries: list[str]) -> np.ndarray:
        start = len(self.seller_id)
        names = seller_names(rng, countries, self._taken("seller_name", self.seller_name))
        numbers = rng.integers(0, 10_000_000, len(countries))
        taken = self._taken("seller_id", self.seller_id)
        for i, country in enumerate(countries):
            name = names[i]
            sid = f"{country}{numbers[i]:07d}"
            while sid in taken:
                sid = f"{country}{int(rng.integers(0, 10_000_000)):07d}"
            taken.add(sid)
            self.seller_id.append(sid)
            self.seller_name.append(name)
            self.seller_country.append(country)
        return np.arange(start, len(self.seller_id))

    def new_brokers(self, rng: np.random.Generator, offices: np.ndarray, weights: np.ndarray) -> np.ndarray:
        start = len(self.broker_id)
        taken = self._taken("broker", self.broker_id)
        for o, w in zip(offices, weights, strict=True):
            region = _office_region(int(o))
            code = f"{region}98{int(rng.integers(0, 10000)):04d}"
            while code in taken:
                code = f"{region}98{int(rng.integers(0, 10000)):04d}"
            taken.add(code)
            self.broker_id.append(code)
            self.broker_office.append(int(o))
            self.broker_weight.append(float(w))
        return np.arange(start, len(self.broker_id))


def _office_region(office: int) -> str:
    """First four digits of the administrative division of the office's main city."""
    code = OFFICES[office].code
    for city in CITIES:
        if city.office == code:
            return city.districts[0][1][:4]
    return "1100"


def city_weights() -> np.ndarray:
    w = np.array([c.weight for c in CITIES], dtype=float)
    return w / w.sum()


def seller_country_weights() -> tuple[list[str], np.ndarray]:
    """Countries in a fixed order with their share of declarations (from the product lines)."""
    total: dict[str, float] = {}
    for p in PRODUCTS:
        s = sum(p.origins.values())
        for c, w in p.origins.items():
            total[c] = total.get(c, 0.0) + p.weight * w / s
    for c in ("HK", "SG"):  # trading intermediaries
        total[c] = total.get(c, 0.0) + 2.0
    countries = sorted(total)
    w = np.array([total[c] for c in countries])
    return countries, w / w.sum()


def build_actors(rng: np.random.Generator, declarations: int) -> tuple[Actors, dict[str, np.ndarray]]:
    """The honest population: importers, sellers and brokers, sized for the number of declarations.

    Returns the actors and per-party attributes the flows need (activity weights, supplier counts, ...).
    """
    actors = Actors()
    n_firms = 150 + declarations // 12
    cities = rng.choice(len(CITIES), n_firms, p=city_weights())
    categories = rng.choice(5, n_firms, p=[0.03, 0.14, 0.76, 0.05, 0.02])
    # Most importers are years old; a few per cent are honest start-ups.
    age_days = (400 + rng.gamma(2.2, 4.0, n_firms) * 365).round()
    young = rng.random(n_firms) < 0.04
    age_days[young] = rng.integers(60, 330, young.sum())
    categories[young] = 2  # new firms start in the general-credit category
    registered = -age_days.astype(np.int64)
    firms = actors.new_enterprises(rng, cities=cities, categories=categories, registered=registered, kind="honest")

    n_sellers = 200 + declarations // 15
    countries, cw = seller_country_weights()
    counts = np.maximum(3, np.round(cw * n_sellers)).astype(int)
    seller_countries = [c for c, k in zip(countries, counts, strict=True) for _ in range(k)]
    actors.new_sellers(rng, seller_countries)

    n_brokers = max(60, declarations // 400)
    ow = np.array([o.weight for o in OFFICES])
    per_office = np.maximum(2, np.round(ow / ow.sum() * n_brokers)).astype(int)
    offices, weights = [], []
    for o, k in enumerate(per_office):
        w = np.exp(rng.normal(0, 1.0, k))
        big = min(3, k - 1)
        w[:big] = np.array([30.0, 20.0, 12.0])[:big] * w[:big].mean() * (k / 10 + 1)  # the few big brokers
        offices.extend([o] * k)
        weights.extend(w.tolist())
    actors.new_brokers(rng, np.array(offices), np.array(weights))

    attrs = {
        "firms": firms,
        "activity": np.exp(rng.normal(0, 1.4, n_firms)),
        "young": young,
        "countries": np.array(countries, dtype=object),
        "country_start": np.concatenate([[0], np.cumsum(counts)[:-1]]),
        "country_count": counts,
    }
    return actors, attrs


def registered_iso(days: np.ndarray) -> np.ndarray:
    """ISO dates for day offsets from 1 January of YEAR."""
    base = np.datetime64(f"{YEAR}-01-01")
    return np.datetime_as_string(base + days.astype("timedelta64[D]"), unit="D").astype(object)
