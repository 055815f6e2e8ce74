"""Entity-resolution normalisers: the surface forms a declaration writes collapse to one key."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import normalize as nz


def _values(s: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in s]


@pytest.mark.parametrize(
    "name",
    ["Shanghai Alpha Trading Co., Ltd.", "SHANGHAI ALPHA TRADING CO LTD", "shanghai  alpha trading company limited"],
)
def test_enterprise_name_legal_forms_agree(name):
    assert nz.normalize_name(name) == "shanghai alpha trading"


def test_enterprise_names_across_jurisdictions():
    assert nz.normalize_name("Siemens AG") == nz.normalize_name("Siemens Aktiengesellschaft")
    assert nz.normalize_name("Müller GmbH") == nz.normalize_name("MÜLLER G.m.b.H.")
    assert nz.normalize_name("Acme L.L.C.") == nz.normalize_name("ACME LLC") == nz.normalize_name("Acme, Inc.")
    assert nz.normalize_name("Ｇａｍｍａ Ltd") == "gamma"  # full-width letters
    assert nz.normalize_name("Alpha Trading Co., Ltd.") != nz.normalize_name("Alpha Logistics Co., Ltd.")
    assert nz.normalize_name("  ") is None
    s = pd.Series(["Alpha Co., Ltd.", "ALPHA CO LTD", "", None], index=[10, 11, 12, 13])
    out = nz.normalize_names(s)
    assert list(out.index) == [10, 11, 12, 13]
    assert _values(out) == ["alpha", "alpha", None, None]


_LEGAL_WORDS = [" ".join(parts) for _, parts in nz._TERMS] + ["Acme", "Co.", "LTD", "&", "-", "Inc", "Müller", "上海"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_LEGAL_WORDS), min_size=0, max_size=6), st.text(max_size=12))
def test_legal_form_lookup_strips_what_cleanco_strips(words, noise):
    """The look-up that replaced cleanco's term-by-term scan gives its result (repeated and nested forms too)."""
    from cleanco import basename

    for name in (" ".join(words), noise + " " + " ".join(words), " ".join(words) + noise):
        assert nz._basename(name) == basename(name)


def test_person_names_keep_order():
    assert nz.normalize_person_name(" Zhang,  Wei ") == "ZHANG WEI"
    assert nz.normalize_person_name("O'Brien-Smith") == "OBRIEN SMITH"  # rigour drops the apostrophe inside a name
    assert nz.normalize_person_name("Li Wei") != nz.normalize_person_name("Wei Li")
    assert nz.normalize_person_name("王芳") == "WANG FANG"  # romanised, so both scripts meet
    assert _values(nz.normalize_person_names(pd.Series(["wang fang", "WANG  FANG."]))) == ["WANG FANG"] * 2


SAME_ADDRESS = [
    "Room 12, No. 8 Huaihai Rd, Shanghai",
    "No.8 Huaihai Road Rm 12 Shanghai",
    "RM 12 NO 8 HUAIHAI RD. SHANGHAI",
    "Shanghai Huaihai Road No. 8, Room 12",
    "Room 12, 8 Huaihai Road, Shanghai, China",
    "ROOM 12, NO.8 HUAIHAI ROAD, SHANGHAI, P.R. CHINA",
]


@pytest.mark.parametrize("address", SAME_ADDRESS)
def test_address_forms_share_one_key(address):
    assert nz.address_key(address, "CN") == nz.address_key(SAME_ADDRESS[0], "CN") is not None


def test_address_keys_tell_rooms_and_numbers_apart():
    base = nz.address_key("Room 12, No. 8 Huaihai Rd, Shanghai", "CN")
    assert nz.address_key("Room 13, No. 8 Huaihai Rd, Shanghai", "CN") != base
    assert nz.address_key("Room 12, No. 9 Huaihai Rd, Shanghai", "CN") != base
    assert nz.address_key("Room 8, No. 12 Huaihai Rd, Shanghai", "CN") != base  # numbers swapped


def test_address_home_country_is_dropped_only_at_home():
    # A German administration drops "Germany" (writers add or omit it) but keeps "Nigeria".
    assert nz.address_key("Hauptstraße 5, 10827 Berlin, Germany", "DE") == nz.address_key(
        "HAUPTSTRASSE 5 10827 BERLIN", "DE"
    )
    lagos = "15 Adeola Odeku Street, Lagos"
    assert nz.address_key(lagos + ", Nigeria", "DE") != nz.address_key(lagos, "DE")
    assert nz.address_key(lagos + ", Nigeria", "NG") == nz.address_key(lagos, "NG")
    assert nz.address_key("123 Main St, Springfield, IL 62701, USA", "US") == nz.address_key(
        "123 MAIN STREET SPRINGFIELD IL 62701", "US"
    )


def test_address_series_and_display_text():
    out = nz.address_keys(pd.Series(SAME_ADDRESS + ["", None]), "CN")
    assert out.iloc[:6].nunique() == 1
    assert out.iloc[6:].isna().all()
    assert nz.address_text("  Room 12,  No. 8 Huaihai Rd ,") == "Room 12, No. 8 Huaihai Rd"


@pytest.mark.parametrize("phone", ["+86 21 5555 1234", "0086-21-55551234", "021-55551234", "(021) 5555-1234"])
def test_chinese_landline_forms_agree(phone):
    assert nz.normalize_phone(phone, "CN") == "+862155551234"


@pytest.mark.parametrize("phone", ["02-1234-5678", "+82 2 1234 5678", "(02) 1234-5678", "0082 2 1234 5678"])
def test_korean_local_and_international_forms_agree(phone):
    assert nz.normalize_phone(phone, "KR") == "+82212345678"


def test_phones_mobile_foreign_and_junk():
    assert {nz.normalize_phone(p, "CN") for p in ("+86 138 1234 5678", "13812345678", "0086-13812345678")} == {
        "+8613812345678"
    }
    assert nz.normalize_phone("862155551234", "CN") == "+862155551234"  # bare 86 before a full national number
    assert nz.normalize_phone("+86 (0)21 5555 1234", "CN") == "+862155551234"
    assert nz.normalize_phone("+44 20 7946 0958", "CN") == "+442079460958"  # foreign: its own country
    assert nz.normalize_phone("0044 20 7946 0958", "KR") == "+442079460958"  # "00" although Korea dials 001
    assert nz.normalize_phone("n/a", "CN") is None
    assert nz.normalize_phone("123", "CN") is None
    assert _values(nz.normalize_phones(pd.Series(["021-55551234", "(021) 5555-1234", ""]), "CN")) == [
        "+862155551234",
        "+862155551234",
        None,
    ]


def test_home_country_comes_from_the_settings(monkeypatch):
    from graph.config import settings

    monkeypatch.setenv("RISKGRAPH_HOME_COUNTRY", "KR")
    settings.cache_clear()
    try:
        assert nz.normalize_phone("02-1234-5678") == "+82212345678"
        assert nz.address_key("123 Teheran-ro, Seoul, Korea") == nz.address_key("123 Teheran-ro, Seoul")
    finally:
        monkeypatch.delenv("RISKGRAPH_HOME_COUNTRY")
        settings.cache_clear()
    assert nz.normalize_phone("02-1234-5678") == "+86212345678"  # read as a Chinese number again


def test_multi_country_key_quality():
    """tests/data/entity_variants.yaml: six countries, each written as its own administration keys it."""
    from benchmarks.normalize import CURRENT, KINDS, load_variants, quality_table

    variants = load_variants()
    assert {"CN", "KR", "DE", "US", "VN", "NG"} <= set(variants)
    table = quality_table(CURRENT, variants)
    bars = {"phones": 0.95, "names": 0.85, "addresses": 0.85}
    for kind in KINDS:
        agreement, collision = table["all", kind]
        assert agreement >= bars[kind], (kind, agreement)
        assert collision <= 0.01, (kind, collision)
        for country in variants:
            assert table[country, kind][0] >= 0.4, (country, kind, table[country, kind])
            assert table[country, kind][1] <= 0.02, (country, kind, table[country, kind])


@pytest.mark.parametrize(
    "text", ["2026-05-30", "2026/05/30", "20260530", "2026.05.30", "2026-5-30", "2026-05-30T08:15:00"]
)
def test_year_first_dates_parse(text):
    assert nz.parse_date(text) == "2026-05-30"


@pytest.mark.parametrize("text", ["30/05/2026", "05/30/2026", "2026-02-30", "2026-13-01", "2026/05-30", "soon", ""])
def test_ambiguous_or_invalid_dates_are_refused(text):
    assert nz.parse_date(text) is None


def test_dates_series():
    assert _values(nz.parse_dates(pd.Series(["20260101", None, "x", "2026/12/31"]))) == [
        "2026-01-01",
        None,
        None,
        "2026-12-31",
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("90121", "090121"),
        ("901210000", "0901210000"),
        ("9012100", "09012100"),
        ("0901.21", "090121"),
        ("8517.13.00", "85171300"),
        ("851712", "851712"),
        ("8517130000", "8517130000"),
        ("90121.0", "090121"),
    ],
)
def test_hs_codes_repaired(raw, code):
    assert nz.repair_hs_code(raw) == code


@pytest.mark.parametrize("raw", ["1234", "12345678901", "ABC123", "", "000000"])
def test_invalid_hs_codes(raw):
    assert nz.repair_hs_code(raw) is None


def test_hs6_and_chapter():
    codes = nz.repair_hs_codes(pd.Series(["901210000", "851712", "bad"]))
    assert _values(codes) == ["0901210000", "851712", None]
    assert _values(nz.hs6(codes)) == ["090121", "851712", None]
    assert _values(nz.hs_chapter(codes)) == ["09", "85", None]


def test_countries_and_ports():
    assert nz.normalize_country(" cn ") == "CN"
    assert nz.normalize_country("CHN") is None
    assert nz.normalize_port("cn sha") == "CNSHA"
    assert nz.normalize_port("CN-SHA") == "CNSHA"
    assert nz.normalize_port("SHA") is None
    assert nz.normalize_port_list(" sgsin ; hkhkg;;") == "SGSIN;HKHKG"
    assert nz.normalize_port_list("SGSIN>KRPUS") == "SGSIN;KRPUS"
    assert nz.normalize_port_list("") is None
    assert _values(nz.normalize_ports(pd.Series(["deham", "xx"]))) == ["DEHAM", None]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
        st.sampled_from(
            ["021-5555-0101", "+86 21 5555 0101", "0086 138 0013 8000", "Room 12, No. 8 Huaihai Rd, Shanghai",
             "Shanghai Alpha Trading Co., Ltd.", " Zhang,  Wei ", "Ｇａｍｍａ Ltd", "(02) 1234-5678"]
        ),
    )
)  # fmt: skip
def test_one_value_gives_what_the_series_gives(text):
    """Clearance normalises one declaration at a time without a Series; the keys must be ingest's."""
    for one, many in (
        (nz.normalize_name, nz.normalize_names),
        (nz.normalize_person_name, nz.normalize_person_names),
        (nz.address_key, nz.address_keys),
        (nz.normalize_phone, nz.normalize_phones),
    ):
        series = many(pd.Series([text], dtype="str")).iloc[0]
        assert one(text) == (None if pd.isna(series) else series)
