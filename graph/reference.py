"""The customs organisation as data: ``CustomsOffice`` reference data and jurisdictions.

The seed's hierarchy (national department -> three risk-parameter sub-centres -> their customs
districts) is the default; an administration's may add risk **posts** (local customs houses) under a district,
which belong to its jurisdiction and its sub-centre's, and take capacity and rosters as districts do.
An administration loads its own with ``riskgraph offices load FILE``
(kept in ``$RISKGRAPH_HOME/offices.json``), which replaces or extends it; ingest adds an office it
does not know as an unassigned district. Jurisdiction scoping (who may see and change what), rule
owners, capacity and performance all read the hierarchy in force through the functions here.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graph.errors import RiskGraphError
from graph.home import OFFICES

__all__ = [
    "Office",
    "Organisation",
    "LEVELS",
    "SEED_DEPARTMENT",
    "SEED_OFFICES",
    "organisation",
    "offices",
    "department",
    "department_code",
    "sub_centres",
    "office_by_code",
    "resolve_office",
    "jurisdiction",
    "ancestors",
    "sub_centre_of",
    "WORKING_LEVELS",
    "offices_file",
    "save_organisation",
    "register_offices",
    "read_offices",
    "load_offices",
    "OfficesError",
]

LEVELS = ("department", "sub-centre", "district", "post")
#: the levels where declarations are lodged and examined: capacity and rosters are kept per office of these
WORKING_LEVELS = ("district", "post")


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    level: str  # department | sub-centre | district
    parent: str | None
    aliases: tuple[str, ...] = field(default=())

    @property
    def unassigned(self) -> bool:
        """A district nobody placed in the hierarchy yet (first seen in a declaration)."""
        return self.level == "district" and self.parent is None


SEED_DEPARTMENT = Office("GACC-DARM", "Department of Customs Audit and Risk Management of GACC", "department", None)

_SEED_SUB_CENTRES = (
    Office("SC-QINGDAO", "Qingdao Parameter Sub-centre", "sub-centre", SEED_DEPARTMENT.code),
    Office("SC-SHANGHAI", "Shanghai Parameter Sub-centre", "sub-centre", SEED_DEPARTMENT.code),
    Office("SC-HUANGPU", "Huangpu Parameter Sub-centre", "sub-centre", SEED_DEPARTMENT.code),
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


SEED_OFFICES = (
    SEED_DEPARTMENT,
    *_SEED_SUB_CENTRES,
    *(
        Office(
            _district_code(name),
            f"{name} Customs" if "Sub-Administration" not in name else name,
            "district",
            sc,
            (name,),
        )
        for sc, names in _JURISDICTIONS.items()
        for name in names
    ),
)


class Organisation:
    """One hierarchy of offices, looked up by code, name or alias (case-insensitive)."""

    def __init__(self, items: tuple[Office, ...] | list[Office]) -> None:
        self.offices = tuple(items)
        self.by_code = {o.code: o for o in self.offices}
        self._by_name: dict[str, Office] = {}
        for o in self.offices:
            for name in (o.name, *o.aliases):
                self._by_name.setdefault(name.strip().upper(), o)
        self._children: dict[str | None, list[str]] = {}
        for o in self.offices:
            self._children.setdefault(o.parent, []).append(o.code)

    def resolve(self, value: str) -> Office | None:
        text = str(value).strip()
        return (
            self.by_code.get(text)
            or self.by_code.get(text.upper())
            or self._by_name.get(text.upper())
            or self.by_code.get(_district_code(text))
        )

    def department(self) -> Office | None:
        return next((o for o in self.offices if o.level == "department"), None)

    def jurisdiction(self, code: str) -> set[str]:
        found, frontier = {code}, [code]
        while frontier:
            for child in self._children.get(frontier.pop(), ()):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
        return found


_SEED = Organisation(SEED_OFFICES)
#: path -> (file stamp, hierarchy, when the stamp was last read); None stamp: no file, the seed's
_loaded: dict[str, tuple[int | None, Organisation, float]] = {}
#: seconds a server goes on with the hierarchy it holds before looking at the file again: a ``stat``
#: per declaration scored is a system call on the clearance path (it lets other threads take the GIL)
RECHECK_SECONDS = 1.0


def offices_file() -> Path:
    """Where a loaded hierarchy is kept: ``$RISKGRAPH_HOME/offices.json``."""
    from graph.config import settings

    return Path(settings().home) / OFFICES


def organisation() -> Organisation:
    """The hierarchy in force: the loaded one, else the seed's. Another process's change (``riskgraph offices
    load`` while a server runs) is seen within :data:`RECHECK_SECONDS`; this process's own at once."""
    path = offices_file()
    now = time.monotonic()
    cached = _loaded.get(str(path))
    if cached and now - cached[2] < RECHECK_SECONDS:
        return cached[1]
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = None
    if cached and cached[0] == stamp:
        org = cached[1]
    elif stamp is None:
        org = _SEED
    else:
        rows = json.loads(path.read_text(encoding="utf-8"))
        org = Organisation([Office(**{**r, "aliases": tuple(r.get("aliases") or ())}) for r in rows])
    _loaded[str(path)] = (stamp, org, now)
    return org


def save_organisation(items: list[Office] | tuple[Office, ...]) -> Path:
    """Write the hierarchy in force (atomically; running servers pick it up by its file stamp)."""
    path = offices_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps([asdict(o) for o in items], ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(staging, path)
    _loaded.pop(str(path), None)  # this process reads its own change at once
    return path


def register_offices(codes: list[str] | set[str]) -> list[Office]:
    """Add offices first seen in declarations as unassigned districts; returns those added."""
    org = organisation()
    added = [Office(code, code, "district", None) for code in sorted(set(codes)) if org.resolve(code) is None]
    if added:
        save_organisation([*org.offices, *added])
    return added


def offices() -> tuple[Office, ...]:
    return organisation().offices


def department() -> Office | None:
    """The top of the hierarchy (its keys and rules cover everything); None if the loaded one has none."""
    return organisation().department()


def department_code() -> str | None:
    top = department()
    return top.code if top else None


def sub_centres() -> tuple[Office, ...]:
    return tuple(o for o in offices() if o.level == "sub-centre")


def office_by_code(code: str) -> Office | None:
    return organisation().by_code.get(code)


def resolve_office(value: str) -> Office | None:
    """An office from its code, name or alias as a source file may write it ("Ningbo", "NINGBO CUSTOMS")."""
    return organisation().resolve(value)


def jurisdiction(code: str) -> set[str]:
    """The office itself and every office under it."""
    return organisation().jurisdiction(code)


def ancestors(code: str) -> list[str]:
    """The office itself, then each office above it up to the top."""
    by_code, out = organisation().by_code, []
    while code is not None and code not in out:
        out.append(code)
        found = by_code.get(code)
        code = found.parent if found else None
    return out


def sub_centre_of(code: str | None) -> str | None:
    """The sub-centre above an office (a post's district's), or None when it is under none."""
    by_code = organisation().by_code
    for up in ancestors(code or ""):
        found = by_code.get(up)
        if found is not None and found.level == "sub-centre":
            return up
    return None


class OfficesError(RiskGraphError, ValueError):
    """An offices file that cannot be used, with the row and the reason."""

    status, code = 422, "invalid_offices"


_KINDS = {
    "department": "department", "sub-centre": "sub-centre", "subcentre": "sub-centre", "district": "district",
    "post": "post",
}  # fmt: skip


def read_offices(path: Path | str) -> list[Office]:
    """Offices from a CSV or YAML file (code, name, kind, parent, optional aliases ;-separated or a list)."""
    import pandas as pd
    import yaml

    path = Path(path)
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            rows = doc.get("offices", doc) if isinstance(doc, dict) else doc
        else:
            rows = pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")
    except (OSError, yaml.YAMLError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise OfficesError(f"{path}: cannot read the offices file ({exc})".replace("\n", " ")) from exc
    if not isinstance(rows, list) or not rows:
        raise OfficesError(f"{path}: no offices (a CSV with code,name,kind,parent or a YAML list of them)")
    found = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise OfficesError(f"{path} row {i}: an office is a mapping of code, name, kind, parent")
        row = {str(k).strip().lower(): v for k, v in row.items()}
        code, name = str(row.get("code") or "").strip(), str(row.get("name") or "").strip()
        kind = _KINDS.get(str(row.get("kind") or row.get("level") or "").strip().lower())
        if not code:
            raise OfficesError(f"{path} row {i}: no code")
        if kind is None:
            raise OfficesError(f"{path} row {i}: kind {row.get('kind')!r} must be one of {', '.join(LEVELS)}")
        aliases = row.get("aliases") or ()
        if isinstance(aliases, str):
            aliases = [a for a in aliases.split(";")]
        parent = str(row.get("parent") or "").strip() or None
        found.append(Office(code, name or code, kind, parent, tuple(str(a).strip() for a in aliases if str(a).strip())))
    return found


def load_offices(path: Path | str, replace: bool = False) -> list[Office]:
    """Check an offices file and make it the hierarchy in force (``replace``) or add it to the current one.

    Checked: unique codes, parents that exist, at most one department, no office its own ancestor.
    Returns the hierarchy now in force.
    """
    given = read_offices(path)
    codes = [o.code for o in given]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise OfficesError(f"{path}: code {repeated[0]!r} appears twice")
    kept = [] if replace else [o for o in offices() if o.code not in set(codes)]
    merged = Organisation([*kept, *given])
    for o in merged.offices:
        if o.parent is not None and o.parent not in merged.by_code:
            raise OfficesError(f"{path}: office {o.code!r} has parent {o.parent!r}, which is not an office")
        seen, up = {o.code}, o.parent
        while up is not None:
            if up in seen:
                raise OfficesError(f"{path}: office {o.code!r} is its own ancestor")
            seen.add(up)
            up = merged.by_code[up].parent
        if o.level == "post" and (o.parent is None or merged.by_code[o.parent].level != "district"):
            raise OfficesError(f"{path}: post {o.code!r} must have a district as its parent, not {o.parent!r}")
    departments = [o.code for o in merged.offices if o.level == "department"]
    if len(departments) > 1:
        raise OfficesError(f"{path}: more than one department ({', '.join(departments)}); one heads the hierarchy")
    save_organisation(merged.offices)
    return list(merged.offices)
