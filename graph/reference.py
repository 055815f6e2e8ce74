"""The customs organisation from the seed, loaded as ``CustomsOffice`` reference data.

National department -> three risk-parameter sub-centres -> the customs districts the seed
lists under each. Jurisdiction scoping (who may see and change what) follows this tree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Office",
    "DEPARTMENT",
    "SUB_CENTRES",
    "DISTRICTS",
    "OFFICES",
    "office_by_code",
    "resolve_office",
    "jurisdiction",
]


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    level: str  # department | sub-centre | district
    parent: str | None


DEPARTMENT = Office("GACC-DARM", "Department of Customs Audit and Risk Management of GACC", "department", None)

SUB_CENTRES = (
    Office("SC-QINGDAO", "Qingdao Parameter Sub-centre", "sub-centre", DEPARTMENT.code),
    Office("SC-SHANGHAI", "Shanghai Parameter Sub-centre", "sub-centre", DEPARTMENT.code),
    Office("SC-HUANGPU", "Huangpu Parameter Sub-centre", "sub-centre", DEPARTMENT.code),
)

# Spelled as in the seed's slides (Manchuria = Manzhouli, Lasa = Lhasa, Urumuqi = Urumqi).
_JURISDICTIONS = {
    "SC-QINGDAO": (
        "Qingdao",
        "Tianjin",
        "Dalian",
        "Shenyang",
        "Changchun",
        "Yinchuan",
        "Lanzhou",
        "Taiyuan",
        "Beijing",
        "Harbin",
        "Manchuria",
        "Shijiazhuang",
        "Huhhot",
        "Urumuqi",
    ),
    "SC-SHANGHAI": (
        "Shanghai",
        "Nanjing",
        "Hangzhou",
        "Ningbo",
        "Wuhan",
        "Chongqing",
        "Chengdu",
        "Xining",
        "Lasa",
        "Xi'an",
        "Zhengzhou",
        "Hefei",
    ),
    "SC-HUANGPU": (
        "Guangdong Sub-Administration",
        "Guangzhou",
        "Shenzhen",
        "Gongbei",
        "Shantou",
        "Huangpu",
        "Zhanjiang",
        "Jiangmen",
        "Fuzhou",
        "Xiamen",
        "Kunming",
        "Changsha",
        "Guiyang",
        "Haikou",
        "Nanchang",
        "Nanning",
    ),
}


def _district_code(name: str) -> str:
    return "CD-" + "".join(ch for ch in name.upper() if ch.isalnum())


DISTRICTS = tuple(
    Office(_district_code(name), f"{name} Customs" if "Sub-Administration" not in name else name, "district", sc)
    for sc, names in _JURISDICTIONS.items()
    for name in names
)

OFFICES = (DEPARTMENT, *SUB_CENTRES, *DISTRICTS)
_BY_CODE = {o.code: o for o in OFFICES}
_BY_NAME = {o.name.upper(): o for o in OFFICES} | {
    name.upper(): _BY_CODE[_district_code(name)] for names in _JURISDICTIONS.values() for name in names
}


def office_by_code(code: str) -> Office | None:
    return _BY_CODE.get(code)


def resolve_office(value: str) -> Office | None:
    """An office from its code or its name as a source file may write it ("Ningbo", "NINGBO CUSTOMS")."""
    text = value.strip()
    return _BY_CODE.get(text.upper()) or _BY_NAME.get(text.upper()) or _BY_CODE.get(_district_code(text))


def jurisdiction(code: str) -> set[str]:
    """The office itself and every office under it."""
    found, frontier = {code}, [code]
    while frontier:
        parent = frontier.pop()
        for office in OFFICES:
            if office.parent == parent and office.code not in found:
                found.add(office.code)
                frontier.append(office.code)
    return found
