"""Firms that re-appear under a new code ("phoenix" firms), and the honest firms that look like them.

A phoenix firm is a violator that stops trading and starts again as a new enterprise: a new customs
code, the same legal representative, a slightly different name ("Shanghai Xinda Trading" becomes
"Shanghai New Xinda Trading") and the same street and number, mostly in another room. What gives it
away is only that combination; each part alone is common among honest firms, so the look-alikes are
planted too: firms with near-identical names in one business centre (different representatives and
phones), and one person representing several unrelated firms.

The new firm's filings write the representative, the name and the building their own way
(:func:`vary_phoenix_firms`: "Jianguo Gao" or "GAO, Jianguo" for "Gao Jianguo", "Xinda Trading (Shanghai)",
"Unit 1905, Floor 19"), and their honest look-alike is a namesake next door (:func:`add_namesakes_next_door`).
"""

from __future__ import annotations

import re

import numpy as np

from .actors import Actors
from .identifiers import building_forms, credit_codes
from .names import company_name_forms, person_name_forms

__all__ = [
    "add_phoenix_firms",
    "add_resolution_lookalikes",
    "vary_phoenix_firms",
    "add_namesakes_next_door",
    "phoenix_name",
    "phoenix_count",
]

_TRADE_SWAP = {
    "Trading": "Trade",
    "Import & Export": "Imp. & Exp.",
    "International Trade": "Intl Trade",
    "Technology": "Tech",
    "Electronics": "Electronic",
    "Commerce": "Commercial",
    "Industry": "Industrial",
}
_OTHER_TRADES = ("Trading", "Technology", "Logistics", "Commerce", "Supply Chain Management", "Electronics")


def phoenix_count(firms: int) -> int:
    """About one importer in two hundred re-appears (at least three, so a small year has some)."""
    return max(3, firms // 200)


def phoenix_name(rng: np.random.Generator, name: str) -> str:
    """A slightly different name for the same business: a word added, a trade word shortened, a syllable added."""
    city, _, rest = name.partition(" ")
    brand, _, tail = rest.partition(" ")
    how = int(rng.integers(4))
    if how == 0:
        return f"{city} New {brand} {tail}"
    if how == 1:
        return f"{city} {brand} International {tail}"
    if how == 2:
        for long, short in _TRADE_SWAP.items():
            if tail.startswith(long + " "):
                return f"{city} {brand} {short}{tail[len(long) :]}"
    return f"{city} {brand}{rng.choice(['da', 'xin', 'hua', 'tong'])} {tail}"


def _other_room(forms: tuple[str, ...], rng: np.random.Generator) -> tuple[str, ...]:
    """The same address in another room of the building (every surface form changed alike)."""
    room = re.search(r"Room (\d+)", forms[0]).group(1)
    new = f"{max(int(room[:-2]) + int(rng.integers(-3, 4)), 1)}{int(rng.integers(1, 20)):02d}"  # no floor 0 or -1
    if new == room:
        new = f"{int(room[:-2]) + 1}{room[-2:]}"
    return tuple(re.sub(rf"\b{room}\b", new, f) for f in forms)


def add_phoenix_firms(rng: np.random.Generator, actors: Actors, old: np.ndarray, registered: np.ndarray) -> np.ndarray:
    """Append one re-registered enterprise per firm in ``old``; returns the new firms' indices.

    ``registered`` is each new firm's registration day. The representative is the old one's; the name
    is :func:`phoenix_name`; the address is the old street and number, in another room two times in
    three; the phone is kept one time in three.
    """
    new = []
    for f, day in zip(old.tolist(), registered.tolist(), strict=True):
        address = actors.ent_address[f]
        if rng.random() < 2 / 3:
            actors.addresses.append(_other_room(actors.addresses[address], rng))
            actors.address_city.append(actors.address_city[address])
            actors.address_region.append(actors.address_region[address])
            address = len(actors.addresses) - 1
        phone = actors.ent_phone[f]
        if rng.random() >= 1 / 3:
            phone = actors.new_phones(rng, np.array([actors.address_city[actors.ent_address[f]]]), 0.15)[0]
        taken = actors._taken("ent", actors.ent_id)
        code = credit_codes(rng, [actors.address_region[address]])[0]
        while code in taken:
            code = credit_codes(rng, [actors.address_region[address]])[0]
        taken.add(code)
        name = phoenix_name(rng, actors.ent_name[f][0])
        actors.ent_id.append(code)
        actors.ent_name.append((name, name.upper().replace(",", "").replace(".", "").replace("&", "AND")))
        actors.ent_category.append(2)  # a new code starts in the general-credit category
        actors.ent_registered.append(int(day))
        actors.ent_address.append(address)
        actors.ent_phone.append(phone)
        actors.ent_person.append(actors.ent_person[f])
        actors.ent_office.append(actors.ent_office[f])
        actors.ent_kind.append("phoenix")
        new.append(len(actors.ent_id) - 1)
    return np.array(new, dtype=np.int64)


def add_resolution_lookalikes(rng: np.random.Generator, actors: Actors, honest: np.ndarray) -> list[tuple[str, int]]:
    """Honest firms that a careless matcher would merge; returns (kind, firm) for the truth tables.

    - ``namesake_in_business_centre``: in each building shared by ten firms or more, pairs of firms
      get the same brand with another trade ("Shanghai Xinda Trading" and "Shanghai Xinda Logistics"),
      each keeping its own representative and phone;
    - ``shared_representative``: one person represents two or three unrelated firms (other names,
      other addresses), as owners of several businesses do.
    """
    planted: list[tuple[str, int]] = []
    address = np.array(actors.ent_address)
    counts = np.bincount(address[honest], minlength=len(actors.addresses))
    for centre in np.flatnonzero(counts >= 10):
        members = honest[address[honest] == centre]
        pairs = rng.choice(members, size=(min(len(members) // 4, 6), 2), replace=False)
        for a, b in pairs:
            city, _, rest = actors.ent_name[a][0].partition(" ")
            brand = rest.partition(" ")[0]
            trade = next(t for t in rng.permutation(_OTHER_TRADES) if t not in rest)
            name = f"{city} {brand} {trade} Co., Ltd."
            actors.ent_name[b] = (name, name.upper().replace(",", "").replace(".", ""))
            planted += [("namesake_in_business_centre", int(a)), ("namesake_in_business_centre", int(b))]
    owners = rng.choice(honest, size=(max(2, len(honest) // 300), 3), replace=False)
    for group in owners:
        k = int(rng.integers(2, 4))
        for f in group[1:k]:
            actors.ent_person[f] = actors.ent_person[group[0]]
        planted += [("shared_representative", int(f)) for f in group[:k]]
    return planted


def _new_address(actors: Actors, forms: tuple[str, ...], like: int) -> int:
    actors.addresses.append(forms)
    actors.address_city.append(actors.address_city[like])
    actors.address_region.append(actors.address_region[like])
    return len(actors.addresses) - 1


def _written_elsewhere(rng: np.random.Generator, actors: Actors, address: int) -> int:
    """The same room as another filer writes it: a building form first, the usual forms after."""
    forms = actors.addresses[address]
    other = building_forms(forms[0])[int(rng.integers(3))]
    return _new_address(actors, (other, *forms[1:]), address)


def vary_phoenix_firms(rng: np.random.Generator, actors: Actors, new: np.ndarray) -> None:
    """The new firms' own way of writing: the representative in any of his forms (given name first, surname
    in capitals with a comma, the given name hyphenated or split), the name half the time in another
    registration form (word order, legal form), and the address half the time in another form of the room.

    Drawn from a stream of its own (``rng``), so the rest of a generated year stays as it was.
    """
    for f in new.tolist():
        forms = person_name_forms(actors.persons[actors.ent_person[f]])
        actors.persons.append(forms[int(rng.integers(len(forms)))])
        actors.ent_person[f] = len(actors.persons) - 1
        if rng.random() < 0.5:
            names = company_name_forms(actors.ent_name[f][0])
            name = names[int(rng.integers(len(names)))]
            actors.ent_name[f] = (name, name.upper().replace(",", "").replace(".", ""))
        if rng.random() < 0.5:
            actors.ent_address[f] = _written_elsewhere(rng, actors, actors.ent_address[f])


def add_namesakes_next_door(rng: np.random.Generator, actors: Actors, honest: np.ndarray) -> list[tuple[str, int]]:
    """Honest look-alikes of a varied phoenix: a firm moves in next door to another and its representative
    bears the neighbour's representative's name, written in another order (another person: "Li Wei" and
    "Wei Li" are both common). Own name and phone. Returns (``namesake_next_door``, firm) for the truth tables.
    """
    pairs = rng.choice(honest, size=(max(2, len(honest) // 400), 2), replace=False)
    planted = []
    for a, b in pairs.tolist():
        room = _other_room(actors.addresses[actors.ent_address[a]], rng)
        actors.ent_address[b] = _new_address(actors, room, actors.ent_address[a])
        forms = person_name_forms(actors.persons[actors.ent_person[a]])
        actors.persons.append(forms[1 + int(rng.integers(len(forms) - 1))])
        actors.ent_person[b] = len(actors.persons) - 1
        planted += [("namesake_next_door", int(a)), ("namesake_next_door", int(b))]
    return planted
