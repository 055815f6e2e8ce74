"""Name parts: Chinese company and personal names (pinyin), overseas company names by country."""

from __future__ import annotations

import numpy as np

__all__ = ["company_names", "company_name_forms", "person_names", "person_name_forms", "seller_names"]

_SYLLABLES = (
    "Xin", "Da", "Hua", "Mei", "Jin", "Hai", "Tian", "Li", "Heng", "Tong", "Rui", "Feng", "Yong", "Sheng", "Dong",
    "Fang", "Zhong", "Ke", "Bao", "Long", "Kang", "Tai", "Hong", "Yuan", "Xing", "Chang", "Run", "Fu", "Jia", "He",
    "Cheng", "Guang", "Ming", "Hao", "Yi", "An", "Shun", "De", "Wei", "Lian", "Qiao", "Ying", "Ze", "Bo", "Teng",
    "Kai", "Sen", "Yu", "Lan", "Zhi", "Xiang", "Ao", "Pu", "Yao", "Jun", "Nuo", "Sheng", "Hui", "Chuang", "Ding",
)  # fmt: skip
_TRADES = (
    ("Trading", 10), ("Import & Export", 9), ("International Trade", 6), ("Supply Chain Management", 5),
    ("Food", 3), ("Foodstuff", 2), ("Electronics", 3), ("Technology", 4), ("Industrial", 2), ("Wine", 1),
    ("Cosmetics", 1), ("Commerce", 3), ("Logistics", 2), ("Industry", 2), ("Biotechnology", 1),
    ("Pharmaceutical", 1), ("Machinery", 2), ("Auto Parts", 1), ("Chemical", 2), ("Apparel", 1),
    ("Metals", 1), ("New Materials", 1), ("Agricultural Products", 1), ("Energy", 1),
)  # fmt: skip
_SURNAMES = (
    ("Wang", 7.2), ("Li", 7.0), ("Zhang", 6.7), ("Liu", 5.4), ("Chen", 4.6), ("Yang", 3.1), ("Huang", 2.2),
    ("Zhao", 2.0), ("Wu", 1.9), ("Zhou", 1.9), ("Xu", 1.5), ("Sun", 1.4), ("Ma", 1.3), ("Zhu", 1.2),
    ("Hu", 1.1), ("Guo", 1.1), ("He", 1.0), ("Lin", 1.0), ("Gao", 1.0), ("Luo", 0.9), ("Zheng", 0.9),
    ("Liang", 0.8), ("Xie", 0.7), ("Song", 0.6), ("Tang", 0.6), ("Han", 0.5), ("Feng", 0.5), ("Deng", 0.5),
    ("Cao", 0.5), ("Peng", 0.5), ("Zeng", 0.5), ("Xiao", 0.5), ("Tian", 0.4), ("Dong", 0.4), ("Pan", 0.4),
    ("Yuan", 0.4), ("Cai", 0.4), ("Jiang", 0.4), ("Yu", 0.4), ("Du", 0.3), ("Ye", 0.3), ("Cheng", 0.3),
    ("Wei", 0.3), ("Su", 0.3), ("Lu", 0.3), ("Ding", 0.3), ("Ren", 0.3), ("Shen", 0.3), ("Yao", 0.3),
)  # fmt: skip
_GIVEN = (
    "Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming",
    "Chao", "Xiuying", "Xia", "Ping", "Gang", "Guilan", "Hui", "Hong", "Bin", "Hao", "Yun", "Xin", "Peng", "Lin",
    "Jianhua", "Jianguo", "Haiyan", "Xiaoming", "Zhiqiang", "Guoqing", "Lihua", "Chunmei", "Yuxuan", "Zihan",
    "Haoran", "Yuting", "Xiaoyu", "Jiahao", "Wenjie", "Zhiwei", "Shuang", "Kai", "Bo", "Dan", "Rui", "Long",
    "Xiaohong", "Dongmei", "Jianping", "Guohua", "Wenbin", "Hailong", "Meiling", "Yifan", "Zhengyu",
)  # fmt: skip

# Company-form suffix by seller country.
_FORMS = {
    "DE": "GmbH", "AT": "GmbH", "CH": "AG", "NL": "B.V.", "BE": "N.V.", "FR": "S.A.S.", "IT": "S.r.l.",
    "ES": "S.L.", "PT": "Lda.", "GB": "Limited", "IE": "Limited", "NO": "AS", "DK": "A/S", "SE": "AB",
    "PL": "Sp. z o.o.", "CZ": "s.r.o.", "FO": "P/F", "TR": "A.S.", "US": "Inc.", "CA": "Ltd.", "MX": "S.A. de C.V.",
    "BR": "Ltda.", "AR": "S.A.", "UY": "S.A.", "CL": "SpA", "PE": "S.A.C.", "EC": "S.A.", "CO": "S.A.S.",
    "SA": "Co.", "AE": "LLC", "IQ": "Co.", "OM": "LLC", "ZA": "(Pty) Ltd", "AO": "Lda.", "CD": "SARL",
    "ZM": "Limited", "ET": "PLC", "VN": "Co., Ltd.", "TH": "Co., Ltd.", "MY": "Sdn. Bhd.", "ID": "PT",
    "PH": "Inc.", "KH": "Co., Ltd.", "MM": "Co., Ltd.", "SG": "Pte. Ltd.", "IN": "Pvt. Ltd.", "BD": "Ltd.",
    "LK": "(Pvt) Ltd", "JP": "Co., Ltd.", "KR": "Co., Ltd.", "TW": "Co., Ltd.", "HK": "Limited", "MO": "Limitada",
    "RU": "LLC", "MN": "LLC", "KZ": "LLP", "LA": "Co., Ltd.", "AU": "Pty Ltd", "NZ": "Limited",
}  # fmt: skip
_SELLER_WORDS = (
    "Alpine", "Northstar", "Pacific", "Global", "Meridian", "Atlas", "Summit", "Harbor", "Crown", "Evergreen",
    "Sunrise", "Silverline", "Oriental", "Blue Ocean", "Golden Gate", "Orion", "Nova", "Delta", "Vista", "Apex",
    "Pioneer", "Horizon", "Royal", "Coastal", "Prime", "United", "Sterling", "Bridgeway", "Lotus", "Cedar",
    "Falcon", "Continental", "Highland", "Riverside", "Sapphire", "Trident", "Vanguard", "Zenith", "Aurora",
    "Beacon", "Compass", "Emerald", "Granite", "Keystone", "Liberty", "Monarch", "Oakridge", "Pinnacle",
)  # fmt: skip
_SELLER_TRADES = (
    "Trading", "Exports", "Foods", "Industries", "International", "Commodities", "Group", "Supply", "Holdings",
    "Manufacturing", "Distribution", "Resources",
)  # fmt: skip


def _weighted(rng: np.random.Generator, items: tuple, n: int) -> list:
    names = [x[0] for x in items]
    p = np.array([x[1] for x in items], dtype=float)
    return [names[i] for i in rng.choice(len(names), size=n, p=p / p.sum())]


def company_names(rng: np.random.Generator, cities: list[str], seen: set[str]) -> list[str]:
    """Chinese company names in English, 'Shanghai Xinda Trading Co., Ltd.', one per city given.

    Names already in `seen` are avoided (as a registrar would), and the new ones are added to it.
    """
    n = len(cities)
    trades = _weighted(rng, _TRADES, n)
    a = rng.integers(0, len(_SYLLABLES), n)
    b = rng.integers(0, len(_SYLLABLES), n)
    names = []
    for i in range(n):
        brand = _SYLLABLES[a[i]] + _SYLLABLES[b[i]].lower()
        name = f"{cities[i]} {brand} {trades[i]} Co., Ltd."
        k = 0
        while name in seen:  # a registrar refuses duplicates: add a third syllable
            k += 1
            extra = _SYLLABLES[(a[i] * 7 + b[i] * 13 + k * 17) % len(_SYLLABLES)].lower()
            name = f"{cities[i]} {brand}{extra} {trades[i]} Co., Ltd."
            if k > len(_SYLLABLES):
                name = f"{cities[i]} {brand}{extra} {trades[i]} ({k}) Co., Ltd."
        seen.add(name)
        names.append(name)
    return names


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Chinese personal names in pinyin, surname first ('Zhang Wei'); namesakes are common, as in life."""
    surnames = _weighted(rng, _SURNAMES, n)
    given = rng.integers(0, len(_GIVEN), n)
    return [f"{s} {_GIVEN[g]}" for s, g in zip(surnames, given, strict=True)]


#: pinyin syllables the two-syllable given names are made of, to write "Jianguo" as "Jian-guo" or "Jian guo"
_SYLLABLES_LOWER = frozenset((
    "xiu", "ying", "gui", "lan", "jian", "hua", "guo", "hai", "yan", "xiao", "ming", "zhi", "qiang", "qing", "li",
    "chun", "mei", "yu", "xuan", "zi", "han", "hao", "ran", "ting", "jia", "wen", "jie", "wei", "hong", "dong",
    "ping", "bin", "long", "ling", "yi", "fan", "zheng",
))  # fmt: skip


def _syllables(given: str) -> tuple[str, str] | None:
    low = given.lower()
    for cut in range(1, len(low)):
        if low[:cut] in _SYLLABLES_LOWER and low[cut:] in _SYLLABLES_LOWER:
            return given[:cut], given[cut:]
    return None


def person_name_forms(name: str) -> tuple[str, ...]:
    """The ways filings write one person ("Gao Jianguo"): as registered, given name first ("Jianguo Gao"),
    surname in capitals with a comma ("GAO, Jianguo"), and a two-syllable given name hyphenated or split
    ("Gao Jian-guo", "Gao Jian guo")."""
    surname, _, given = name.partition(" ")
    forms = [name, f"{given} {surname}", f"{surname.upper()}, {given}"]
    if split := _syllables(given):
        forms += [f"{surname} {split[0]}-{split[1]}", f"{surname} {split[0]} {split[1]}"]
    return tuple(forms)


def company_name_forms(name: str) -> tuple[str, ...]:
    """Other registrations of one company name ("Shanghai Xinda Trading Co., Ltd."): the city after the brand
    in brackets, and the legal form written out."""
    city, _, rest = name.partition(" ")
    body = rest.removesuffix(" Co., Ltd.")
    if body == rest:
        return (name,)
    return (name, f"{body} ({city}) Co., Ltd.", f"{city} {body} Company Limited")


def seller_names(rng: np.random.Generator, countries: list[str], seen: set[str]) -> list[str]:
    """Overseas company names with the country's company form ('Meridian Foods GmbH'), avoiding `seen`."""
    n = len(countries)
    w = rng.integers(0, len(_SELLER_WORDS), n)
    t = rng.integers(0, len(_SELLER_TRADES), n)
    names = []
    for i, country in enumerate(countries):
        form = _FORMS.get(country, "Ltd.")
        base = f"{_SELLER_WORDS[w[i]]} {_SELLER_TRADES[t[i]]}"
        name = f"PT {base}" if form == "PT" else f"{base} {form}"
        k = 0
        while name in seen:  # a second word, as "Pacific Crown Foods", then a number
            k += 1
            second = _SELLER_WORDS[(w[i] + k * 7) % len(_SELLER_WORDS)]
            base = f"{_SELLER_WORDS[w[i]]} {second} {_SELLER_TRADES[t[i]]}"
            if k > len(_SELLER_WORDS):
                base = f"{base} {k}"
            name = f"PT {base}" if form == "PT" else f"{base} {form}"
        seen.add(name)
        names.append(name)
    return names
