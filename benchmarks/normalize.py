"""Key quality of the entity-resolution normalisers, before (commit 5114c6c) and now, per country.

Reads ``tests/data/entity_variants.yaml``: per country, phones, company names and addresses, each
entity written several ways. Each country's block is keyed as that country's administration would
key it (home region = the block's country). Prints per country and kind:

- agreement: share of pairs of writings of the SAME entity that get the same (non-missing) key;
- collision: share of pairs of writings of DIFFERENT entities that get the same key.

The "before" normalisers are the hand-written ones of commit 5114c6c, read from git into a temporary
module (they ignore the home region: they were written for China).

Usage: python -m benchmarks.normalize [--before-commit SHA]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from ingest import normalize as nz

VARIANTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "entity_variants.yaml"
BEFORE_COMMIT = "5114c6c"
KINDS = ("phones", "names", "addresses")

#: a keyer takes (value, home country) and returns a key or None
Keyer = Callable[[str, str], str | None]

CURRENT: dict[str, Keyer] = {
    "phones": lambda v, home: nz.normalize_phone(v, home),
    "names": lambda v, home: nz.normalize_name(v),
    "addresses": lambda v, home: nz.address_key(v, home),
}


def load_variants(path: Path = VARIANTS) -> dict[str, dict[str, list[list[str]]]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def key_quality(groups: list[list[str]], keyer: Callable[[str], str | None]) -> tuple[float, float]:
    """(agreement, collision) of a keyer over entity groups; a missing key never agrees or collides."""
    keys = [[keyer(v) for v in group] for group in groups]
    same = [a is not None and a == b for group in keys for a, b in itertools.combinations(group, 2)]
    other = [a is not None and a == b for g1, g2 in itertools.combinations(keys, 2) for a in g1 for b in g2]
    return sum(same) / max(len(same), 1), sum(other) / max(len(other), 1)


def quality_table(keyers: dict[str, Keyer], variants: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """(country, kind) -> (agreement, collision), plus ("all", kind) over every pair of every country."""
    table = {}
    for kind in KINDS:
        pooled_same, pooled_other = [], []
        for country, block in variants.items():
            groups = block.get(kind) or []
            table[country, kind] = key_quality(groups, lambda v, c=country, k=kind: keyers[k](v, c))
            n_same = sum(len(g) * (len(g) - 1) // 2 for g in groups)
            n_other = sum(len(a) * len(b) for a, b in itertools.combinations(groups, 2))
            pooled_same.append((table[country, kind][0], n_same))
            pooled_other.append((table[country, kind][1], n_other))
        table["all", kind] = tuple(
            sum(r * n for r, n in pooled) / max(sum(n for _, n in pooled), 1) for pooled in (pooled_same, pooled_other)
        )
    return table


def before_keyers(commit: str = BEFORE_COMMIT) -> dict[str, Keyer]:
    """The normalisers as they were at ``commit``, loaded from git into a throwaway module."""
    source = subprocess.run(
        ["git", "show", f"{commit}:ingest/normalize.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=VARIANTS.parent,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="normalize-before-"))
    path = folder / "normalize_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("normalize_before", path)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    return {
        "phones": lambda v, home: old.normalize_phone(v),
        "names": lambda v, home: old.normalize_name(v),
        "addresses": lambda v, home: old.address_key(v),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-commit", default=BEFORE_COMMIT)
    args = parser.parse_args()
    variants = load_variants()
    before = quality_table(before_keyers(args.before_commit), variants)
    after = quality_table(CURRENT, variants)
    print("key agreement (same entity, same key) and collision (different entities, same key)")
    print(f"before = the normalisers of {args.before_commit}, after = this tree's")
    print(f"{'country':8} {'kind':10} {'agreement before -> after':>28} {'collision before -> after':>28}")
    for kind in KINDS:
        for country in [*variants, "all"]:
            (a0, c0), (a1, c1) = before[country, kind], after[country, kind]
            print(f"{country:8} {kind:10} {a0:>17.2f} -> {a1:.2f} {c0:>19.3f} -> {c1:.3f}")


if __name__ == "__main__":
    main()
