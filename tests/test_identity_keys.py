"""Names compared as names and places as places (algorithms/identity_keys.py), on random forms of each.

Person names are drawn from the generator's surnames and pinyin syllables and written in any order, case,
punctuation and split; company names with their legal form and city anywhere; addresses in every form
the generator writes, with any room of the building.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from algorithms.identity_keys import distinctive_tokens, floors, person_name_keys, place_keys, sorted_tokens
from ingest.normalize import address_keys, building_key, normalize_names, normalize_person_names
from sample.generator.identifiers import address_forms, building_forms
from sample.generator.names import _SURNAMES, _SYLLABLES_LOWER

SURNAMES = [s for s, _ in _SURNAMES]
SYLLABLES = sorted(_SYLLABLES_LOWER)
TRADES = ("Trading", "Import & Export", "Electronics", "Supply Chain Management")


def _key(*written: str) -> list:
    """Keys as linkage computes them: from the representative as ingest keeps it (upper case, order kept)."""
    return person_name_keys(normalize_person_names(pd.Series(written, dtype="str")))[0].tolist()


@st.composite
def person_forms(draw) -> tuple[str, str]:
    """A name as registered ("Gao Jianguo") and one way a filing writes it."""
    surname = draw(st.sampled_from(SURNAMES))
    syllables = draw(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=2))
    given = "".join(syllables).capitalize()
    parts = [p.capitalize() for p in syllables]
    form = draw(st.sampled_from(["as is", "given first", "comma", "hyphen", "split", "split given first"]))
    written = {
        "as is": f"{surname} {given}",
        "given first": f"{given} {surname}",
        "comma": f"{surname.upper()}, {given}",
        "hyphen": f"{surname} {'-'.join(parts)}",
        "split": f"{surname} {' '.join(parts)}",
        "split given first": f"{' '.join(parts)} {surname}",
    }[form]
    case = draw(st.sampled_from([str, str.upper, str.lower, str.title]))
    space = draw(st.sampled_from([" ", "  ", " \t"]))
    return f"{surname} {given}", case(written).replace(" ", space)


@settings(max_examples=200, deadline=None)
@given(person_forms())
def test_a_person_name_in_any_order_and_form_is_one_key(forms):
    registered, written = forms
    first, second = _key(registered, written)
    assert first is not None and first == second


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SURNAMES), st.sampled_from(SYLLABLES), st.sampled_from(SYLLABLES))
def test_another_given_name_is_another_person(surname, one, other):
    if one == other:
        return
    a, b = _key(f"{surname} {one}", f"{surname} {other}")
    assert a != b


def test_same_letters_in_other_syllables_are_other_names():
    assert len(set(_key("Hu Lian", "Lin Hua", "Lian Hu"))) == 2


def test_a_common_surname_and_given_name_weigh_little():
    names = ["Wang Wei"] * 40 + ["Wang Jianguo"] * 2 + ["Gao Wei"] * 2 + ["Gao Jianguo", "Jianguo Gao"] + ["Li Na"] * 5
    keys, frequency = person_name_keys(normalize_person_names(pd.Series(names, dtype="str")))
    tf = frequency.set_index("key")["tf_key"]
    assert tf["wang wei"] > tf["gao wei"] > tf["gao jianguo"]
    assert keys.iloc[-6] == keys.iloc[-7] == "gao jianguo"  # both writings, one person, counted once each


@st.composite
def company_forms(draw) -> tuple[str, str]:
    city = draw(st.sampled_from(["Shanghai", "Ningbo", "Guangzhou", "Shenzhen", "Xiamen"]))
    brand = "".join(draw(st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=3))).capitalize()
    trade = draw(st.sampled_from(TRADES))
    form = draw(
        st.sampled_from(
            [
                f"{brand} {trade} ({city}) Co., Ltd.",
                f"{city.upper()} {brand.upper()} {trade.upper()} COMPANY LIMITED",
                f"{city} {brand} {trade} Co Ltd",
                f"{brand} {trade} Limited ({city})",
            ]
        )
    )
    return f"{city} {brand} {trade} Co., Ltd.", form


@settings(max_examples=100, deadline=None)
@given(company_forms())
@example(("Ningbo Qinghai Trading Co., Ltd.", "Qinghai Trading (Ningbo) Co., Ltd."))  # a brand that is a province
def test_a_company_name_in_any_word_order_and_legal_form_is_one_key(forms):
    normalised = normalize_names(pd.Series(forms, dtype="str"))
    first, second = sorted_tokens(normalised).tolist()
    assert first == second
    # and among its city's other firms, its distinctive word is the brand, never the trade, legal form or city
    city, brand = normalised.iloc[0].split()[:2]
    others = [f"{city} {b} {t}" for b in ("alpha", "beta", "gamma") for t in TRADES]
    population = pd.concat([normalised, normalize_names(pd.Series(others, dtype="str"))], ignore_index=True)
    assert distinctive_tokens(population).tolist()[:2] == [brand, brand]


@st.composite
def rooms_of_a_building(draw) -> tuple[tuple[str, ...], tuple[str, ...], int, int]:
    """Every form of one room and of a room on another floor of the same building, and the two floors."""
    number = str(draw(st.integers(1, 1799)))
    street = draw(st.sampled_from(["Huaihai", "Changshou", "Jinrong", "Haicang", "Kaichuang"]))
    kind = draw(st.sampled_from(["Road", "Street", "Avenue"]))
    district = draw(st.sampled_from(["Pudong New Area", "Huangpu District", "Haidian District", "Siming District"]))
    city = draw(st.sampled_from(["Shanghai", "Beijing", "Xiamen", "Guangzhou"]))
    floor, other = draw(st.integers(2, 31)), draw(st.integers(2, 31))
    room = f"{floor}{draw(st.integers(1, 19)):02d}"
    neighbour = f"{other}{draw(st.integers(1, 19)):02d}"
    one = address_forms(room, number, street, kind, district, city)
    two = address_forms(neighbour, number, street, kind, district, city)
    return (*one, *building_forms(one[0])), (*two, *building_forms(two[0])), floor, other


@settings(max_examples=60, deadline=None)
@given(rooms_of_a_building())
def test_any_form_of_any_room_of_a_building_is_one_place_and_its_floor(building):
    one, two, floor, other = building
    keys = address_keys(pd.Series([*one, *two], dtype="str"), "CN")
    places = place_keys(keys.map(building_key))
    assert places.nunique() == 1
    assert floors(keys).tolist() == [floor] * len(one) + [other] * len(two)


def test_another_house_number_or_street_is_another_place():
    written = [
        "Room 1904, No. 8 Huaihai Road, Huangpu District, Shanghai",
        "Suite 1905, 8 Huaihai Rd., Huangpu District, Shanghai",
        "Room 1904, No. 18 Huaihai Road, Huangpu District, Shanghai",
        "Room 1904, No. 8 Changshou Road, Huangpu District, Shanghai",
    ]
    places = place_keys(address_keys(pd.Series(written, dtype="str"), "CN").map(building_key))
    assert places.iloc[0] == places.iloc[1] and places.nunique() == 3


@settings(max_examples=40, deadline=None)
@given(rooms_of_a_building(), st.integers(1, 5))
def test_a_building_written_anew_joins_the_place_an_earlier_pass_found(building, seen):
    """An incremental pass places only the new writings, against the places found before: the same place a
    full pass gives, whichever writings came first."""
    one, two, _, _ = building
    keys = address_keys(pd.Series([*one, *two], dtype="str"), "CN").map(building_key)
    first = place_keys(keys.iloc[:seen])
    known = dict(zip(keys.iloc[:seen], first, strict=True))
    later = place_keys(keys, known)
    assert later.nunique() == 1 and later.iloc[0] == first.iloc[0]
    # a building with other numbers is not pulled into it
    elsewhere = place_keys(pd.Series(["no 9999 unknown rd somewhere"]), known)
    assert elsewhere.tolist() == ["no 9999 unknown rd somewhere"]
