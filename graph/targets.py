"""Risk targets as data: which target (tax, security, IPR, drugs, or the administration's own) a violation
type belongs to.

Each target has its own evidence, examination and team, and a score that mixes them ranks the rare grave
cases last, so the model learns one probability per target from outcomes with their types
(:mod:`scoring.targets`). This module says which target a recorded ``violation_type`` is:

* a table loaded with ``riskgraph targets load FILE`` (columns ``violation_type,target``), kept in
  ``$RISKGRAPH_HOME/targets.csv``, wins; a loaded target may be a new one (``environment``) or ``other``
  (a known type that belongs to no target);
* else the built-in wording (:data:`DEFAULT_TYPES`, English and Chinese, as generators and administrations
  write them), then key words (:data:`DEFAULT_KEYWORDS`) for wording close to it;
* else the type is unknown and counts as ``other``; ``model train`` says how many and which.

Types are compared case-folded with runs of spaces, hyphens, underscores and slashes made one space
("Under-valuation" = "under valuation").
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from graph.errors import RiskGraphError
from graph.home import TARGETS as TARGETS_FILE

__all__ = [
    "BUILT_IN",
    "OTHER",
    "ANY",
    "DEFAULT_TYPES",
    "DEFAULT_KEYWORDS",
    "TargetsError",
    "TargetTable",
    "normalise_type",
    "targets_file",
    "target_table",
    "targets_in_force",
    "read_targets",
    "load_targets",
    "leading_target",
]

#: the four targets of the customs service's risk analysis, in the order they are reported
BUILT_IN = ("tax", "security", "ipr", "drugs")
#: a violation whose type belongs to no target (or is unknown)
OTHER = "other"
#: the one target learned from a plain fraud flag (no types at all)
ANY = "any"
COLUMNS = ("violation_type", "target")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")

#: built-in wording: exact violation types (compared normalised) and their target
DEFAULT_TYPES: dict[str, str] = {
    # tax: valuation, classification, origin, and the declaration's figures
    "under-valuation": "tax", "undervaluation": "tax", "low declared value": "tax", "value discrepancy": "tax",
    "mis-classification": "tax", "misclassification": "tax", "wrong tariff classification": "tax",
    "false origin": "tax", "origin fraud": "tax", "false declaration of origin": "tax",
    "split consignment": "tax", "split shipment": "tax", "quantity discrepancy": "tax",
    "documentation error": "tax", "duty evasion": "tax", "tax evasion": "tax",
    "低报价格": "tax", "价格瞒骗": "tax", "伪报价格": "tax", "归类错误": "tax", "伪报商品编码": "tax",
    "伪报原产地": "tax", "拆分申报": "tax", "数量不符": "tax", "申报不实": "tax", "偷逃税款": "tax", "单证不符": "tax",
    # security: strategic and dual-use goods, weapons, anti-terrorism
    "dual-use goods without licence": "security", "dual-use goods": "security", "dual use": "security",
    "strategic goods": "security", "export control violation": "security", "weapons": "security",
    "firearms": "security", "ammunition": "security", "explosives": "security", "military goods": "security",
    "sanctions violation": "security",
    "两用物项": "security", "两用物项无许可证": "security", "军品": "security", "武器": "security", "弹药": "security",
    "枪支": "security", "爆炸物": "security", "出口管制": "security", "战略物资": "security",
    # ipr: counterfeit and pirated goods
    "ipr infringement": "ipr", "counterfeit": "ipr", "counterfeit goods": "ipr", "trademark infringement": "ipr",
    "copyright infringement": "ipr", "pirated goods": "ipr",
    "侵犯知识产权": "ipr", "侵权": "ipr", "知识产权侵权": "ipr", "假冒商标": "ipr", "盗版": "ipr",
    # drugs: narcotics and precursors
    "drug smuggling": "drugs", "drugs": "drugs", "narcotics": "drugs", "cocaine": "drugs", "heroin": "drugs",
    "cannabis": "drugs", "methamphetamine": "drugs", "precursor chemicals": "drugs",
    "毒品": "drugs", "走私毒品": "drugs", "制毒物品": "drugs", "易制毒化学品": "drugs", "麻醉药品": "drugs",
    "精神药品": "drugs",
    # known, and no target: a missing certificate (quarantine, compulsory certification) is neither
    "licence missing": OTHER,
}  # fmt: skip

#: key words for wording close to the built-in one, tried in this order (graver targets first, so
#: "counterfeit drugs smuggled" is drugs); only after the loaded table and the exact built-in types
DEFAULT_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("drugs", ("drug", "narcotic", "cocaine", "heroin", "cannabis", "methamphetamine", "precursor", "毒品",
               "制毒", "麻醉")),
    ("security", ("dual use", "strategic", "weapon", "firearm", "ammunition", "explosive", "military",
                  "export control", "sanction", "两用", "武器", "弹药", "枪", "爆炸", "军品")),
    ("ipr", ("ipr", "counterfeit", "trademark", "copyright", "pirat", "intellectual property", "侵权",
             "知识产权", "假冒", "盗版", "商标")),
    ("tax", ("valuation", "classification", "origin", "duty", "tax", "tariff", "价格", "归类", "原产地", "税",
             "低报")),
)  # fmt: skip


class TargetsError(RiskGraphError, ValueError):
    """A targets file that cannot be used, with the row and the reason; nothing was changed."""

    status, code = 422, "invalid_targets"


def normalise_type(value: object) -> str:
    """A violation type as compared: case-folded, spaces, hyphens, underscores and slashes one space.

    >>> normalise_type("  Under-Valuation "), normalise_type("IPR_infringement"), normalise_type("低报价格")
    ('under valuation', 'ipr infringement', '低报价格')
    """
    return " ".join(re.split(r"[\s_\-/]+", str(value).casefold())).strip()


_DEFAULT_EXACT = {normalise_type(k): v for k, v in DEFAULT_TYPES.items()}


@dataclass(frozen=True)
class TargetTable:
    """The loaded rows (normalised type -> target) over the built-in wording."""

    loaded: dict[str, str]

    def targets(self) -> tuple[str, ...]:
        """The targets in force: the four built-in ones, then those only the loaded table names."""
        extra = sorted({t for t in self.loaded.values() if t not in BUILT_IN and t != OTHER})
        return (*BUILT_IN, *extra)

    def target_of(self, violation_type: object) -> str | None:
        """The target of one type; ``other`` for a known type of no target; None when unknown.

        >>> TargetTable({}).target_of("Drug smuggling"), TargetTable({}).target_of("走私毒品")
        ('drugs', 'drugs')
        >>> TargetTable({"smuggling": "security"}).target_of("SMUGGLING"), TargetTable({}).target_of("smuggling")
        ('security', None)
        """
        key = normalise_type(violation_type)
        if not key:
            return None
        found = self.loaded.get(key) or _DEFAULT_EXACT.get(key)
        if found:
            return found
        for target, words in DEFAULT_KEYWORDS:
            if any(word in key for word in words):
                return target
        return None

    def classify(self, types: Iterable[object]) -> tuple[list[str], dict[str, int]]:
        """(target of each type, ``other`` for unknown ones; {unknown type as written: count})."""
        found: dict[str, str | None] = {}
        out, unknown = [], {}
        for value in types:
            text = str(value).strip()
            if text not in found:
                found[text] = self.target_of(text)
            target = found[text]
            if target is None:
                unknown[text] = unknown.get(text, 0) + 1
            out.append(target or OTHER)
        return out, unknown


def leading_target(counts: dict[str, int], default: str | None) -> str | None:
    """The target most of the counted violations belong to (ties: by name), else ``default``.

    >>> leading_target({"tax": 2, "drugs": 2, "ipr": 1}, "tax"), leading_target({}, None)
    ('drugs', None)
    """
    return min(counts, key=lambda t: (-counts[t], t)) if counts else default


def targets_file() -> Path:
    """Where a loaded table is kept: ``$RISKGRAPH_HOME/targets.csv``."""
    from graph.config import settings

    return Path(settings().home) / TARGETS_FILE


def _read_rows(path: Path) -> list[tuple[int, str, str]]:
    """(row number, violation type, target) of a CSV with :data:`COLUMNS`; row 1 is the first data row."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise TargetsError(f"{path}: empty file (needs columns {', '.join(COLUMNS)})")
            header = [h.strip().lower() for h in header]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise TargetsError(f"{path}: no column {', '.join(missing)} (needs {', '.join(COLUMNS)})")
            at = [header.index(c) for c in COLUMNS]
            rows = []
            for number, row in enumerate(reader, start=1):
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise TargetsError(f"{path} row {number}: {len(row)} fields, the header has {len(header)}")
                rows.append((number, row[at[0]], row[at[1]]))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TargetsError(f"{path}: cannot read the targets file ({exc})".replace("\n", " ")) from exc
    return rows


def read_targets(path: Path | str) -> dict[str, str]:
    """Check a targets file: normalised type -> target, or :class:`TargetsError` naming the first bad row.

    A row is refused when its type is empty, its target is not a name of lower-case letters, digits and
    ``_`` (2 to 32, starting with a letter), is ``any`` (reserved for a plain fraud flag), or when the file
    gives one type two different targets.
    """
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise TargetsError(f"{path}: no rows (a CSV with {', '.join(COLUMNS)})")
    table: dict[str, tuple[int, str]] = {}
    for number, given_type, given_target in rows:
        key = normalise_type(given_type)
        target = given_target.strip().lower()
        if not key:
            raise TargetsError(f"{path} row {number}: violation_type is empty")
        if target == ANY:
            raise TargetsError(f"{path} row {number}: target 'any' is reserved for data with a fraud flag only")
        if not _NAME.match(target):
            raise TargetsError(
                f"{path} row {number}: target {given_target.strip()!r} is not a target name "
                f"(lower-case letters, digits and _, 2 to 32, e.g. {', '.join(BUILT_IN)} or {OTHER})"
            )
        if key in table and table[key][1] != target:
            first, other = table[key]
            raise TargetsError(
                f"{path} row {number}: violation_type {given_type.strip()!r} is already mapped to {other!r} "
                f"in row {first}"
            )
        table[key] = (number, target)
    return {k: t for k, (_, t) in table.items()}


def _stored() -> dict[str, str]:
    path = targets_file()
    if not path.exists():
        return {}
    return {normalise_type(t): target for _, t, target in _read_rows(path)}


def target_table() -> TargetTable:
    """The table in force: the loaded rows over the built-in wording."""
    return TargetTable(_stored())


def targets_in_force() -> tuple[str, ...]:
    return target_table().targets()


def load_targets(path: Path | str, replace: bool = False) -> TargetTable:
    """Check a targets file whole, then add its rows to the loaded table (``replace``: instead of it).

    Nothing changes when a row is refused. Returns the table now in force.
    """
    given = read_targets(path)
    merged = given if replace else {**_stored(), **given}
    target = targets_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".tmp")
    with staging.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(COLUMNS) + "\n")
        for key, value in sorted(merged.items()):
            f.write(f'"{key.replace(chr(34), chr(34) * 2)}",{value}\n')
    os.replace(staging, target)
    return TargetTable(merged)
