"""Links at lodging benchmark: are new firms of known rings seen in their first declaration?

Generates a labelled year, picks *held-out* firms and removes every declaration of theirs before
loading the rest into a local Neo4j of its own (then ``analyze`` and ``model train``), so to the graph
they are new firms with no history:

- ring members: per planted ring with three or more importers, the third of its members that trade
  last (a ring's phoenix firms replace each other, so the last ones arrive when the others are known);
- honest new firms: as many honest importers (no planted scheme; look-alikes such as business-centre
  tenants included), at least 200, at random.

Each held-out firm's first declaration is scored twice: with its party fields and the identifier
index (links at lodging) and without the index (scoring as before this feature: the seller and broker
ids still feed the model's history features, which it needs - a declaration stripped of them looks
like one with a brand-new seller and broker, and the model flags half of all declarations then).
Printed: the share sent to document check or physical inspection (random selections included, same in
both), and to physical inspection alone, for ring members and for honest new firms, next to the share
over the last 90 days of the loaded declarations. Bar: the ring catch rate with links at least twice
the rate without; honest new firms' share no more than 1.5x the share over all declarations.

Two more readings, because the model without links already targets most ring members' first
declarations (their goods, values and routes look like the ring's earlier ones), which caps the ratio
at 1 / that rate: the same first declarations lodged through a seller and a broker nobody has seen (a
shell ring's fresh intermediaries: no history for the model to use, honest new firms likewise), and,
of the ring members the model without links released, the share targeted with links.

Caveat: the loaded year includes ring siblings' declarations lodged after a held-out firm's first
one (the graph is the whole year minus the held-out firms), so the known-violator status is as of
year end, as it would be for a firm lodging its first declaration after the analysis.

Usage: python -m benchmarks.links [--declarations N] [--seed S] [--port P] [--home DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.run import run_analysis
from benchmarks._graph import reset
from graph import local_server
from graph.config import Settings
from graph.connection import check
from ingest.pipeline import ingest_files
from ingest.readers import input_files
from ingest.validate import validate
from ingest.writer import GraphWriter
from sample.generator import generate
from scoring.pipeline import Capacity, train_and_publish
from scoring.scorer import CHANNELS
from scoring.snapshot import load_scorer

_OUTCOMES = ["inspected", "violation", "violation_type", "revenue_recovered"]


def _held_out(truth: Path, declarations: pd.DataFrame, seed: int) -> tuple[set[str], set[str]]:
    """(ring members, honest firms) whose declarations are kept out of the graph."""
    rng = np.random.default_rng(seed)
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    rings = rings[rings["role"] == "importer"]
    first = declarations.groupby("importer_id")["day"].min()
    ring_firms: set[str] = set()
    for _, part in rings.groupby("ring_id"):
        members = [m for m in part["enterprise_id"] if m in first.index]
        if len(members) < 3:
            continue
        members.sort(key=lambda m: first[m])
        ring_firms.update(members[-max(1, len(members) // 3) :])
    planted = set(pd.read_csv(truth / "enterprises.csv", dtype=str)["enterprise_id"])
    honest = sorted(set(first.index) - planted)  # look-alikes too: business centres, switchboards, start-ups
    chosen = rng.choice(len(honest), size=min(len(honest), max(len(ring_firms), 200)), replace=False)
    return ring_firms, {honest[i] for i in chosen}


def _records(frame: pd.DataFrame) -> list[dict]:
    frame = frame.drop(columns=[c for c in (*_OUTCOMES, "day") if c in frame.columns])
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _targeted(decisions) -> np.ndarray:
    """Per decision: sent to document check or physical inspection (random selections included)."""
    return np.array([d.channel != CHANNELS["low"] for d in decisions])


def _physical(decisions) -> np.ndarray:
    return np.array([d.channel == CHANNELS["high"] for d in decisions])


def _fresh_intermediaries(records: list[dict]) -> list[dict]:
    """The same declarations through a seller and a broker nobody has seen (new ids and seller name), as a
    shell ring with fresh intermediaries would lodge them: the model then knows no history of either."""
    out = []
    for i, r in enumerate(records):
        fresh = {**r, "seller_id": f"NEWSELLER{i:05d}", "declarant_id": f"NEWBROKER{i:05d}"}
        fresh["seller_name"] = f"Fresh Trading {i:05d} Limited"
        fresh.pop("seller_name_norm", None)
        out.append(fresh)
    return out


def _ratio_interval(without: np.ndarray, with_links: np.ndarray, seed: int, draws: int = 4000) -> tuple[float, float]:
    """95 % interval of the catch-rate ratio (with links / without), resampling the held-out firms (paired:
    each firm's two decisions stay together)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(without), (draws, len(without)))
    caught_without, caught_with = without[picks].mean(axis=1), with_links[picks].mean(axis=1)
    ratios = caught_with[caught_without > 0] / caught_without[caught_without > 0]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=7714)
    parser.add_argument("--home", type=Path, default=Path("/tmp/rg-bench-links"))
    parser.add_argument("--reuse", action="store_true", help="score against the snapshot already trained in HOME")
    args = parser.parse_args()

    data, loaded = args.home / f"data-{args.declarations}-{args.seed}", args.home / "loaded"
    if not (data / "truth").exists():
        generate(data, args.declarations, args.seed)
    frames = []
    for path in input_files([data]):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        frames.append((path, raw, validate(raw, path.name)[0]))
    clean = pd.concat([c for _, _, c in frames], ignore_index=True)
    clean["day"] = pd.to_datetime(clean["date"])
    rings, honest = _held_out(data / "truth", clean, args.seed)
    out = set(rings | honest)
    shutil.rmtree(loaded, ignore_errors=True)
    loaded.mkdir(parents=True)
    for path, raw, _ in frames:
        raw[~raw["importer_id"].str.strip().isin(out)].to_csv(loaded / path.name, index=False)
    print(f"held out {len(rings)} ring members and {len(honest)} honest firms (all their declarations)")

    cfg = Settings(home=args.home / "home", bolt_port=args.port, neo4j_heap="2g", neo4j_pagecache="1g")
    if not (args.reuse and (cfg.home / "scoring").exists()):
        local_server.start(cfg)
        try:
            driver = check(cfg)
            reset(driver)
            ingest_files([loaded], GraphWriter(driver, "neo4j"), cfg.home / "quarantine", batch_rows=cfg.batch_size)
            run_analysis(driver, "neo4j", cfg.home)
            train_and_publish(driver, "neo4j", cfg.home, Capacity())
        finally:
            local_server.stop(cfg)

    with_links, meta = load_scorer(cfg.home)
    without, _ = load_scorer(cfg.home)
    without.state.links = None
    index = with_links.state.links
    print(f"identifier index: {len(index):,} identifiers, {len(index.ids):,} importers, {index.nbytes() / 1e6:.1f} MB")
    first = clean.sort_values(["day", "declaration_id"]).drop_duplicates("importer_id")
    recent = clean[~clean["importer_id"].isin(out)]
    recent = recent[recent["day"] >= recent["day"].max() - pd.Timedelta(days=90)]
    ring_rows = _records(first[first["importer_id"].isin(rings)])
    honest_rows = _records(first[first["importer_id"].isin(honest)])
    rows = {
        "ring members (new firms)": ring_rows,
        "honest new firms": honest_rows,
        "all declarations, last 90 days": _records(recent.sample(min(len(recent), 5000), random_state=args.seed)),
        "ring members, fresh seller+broker": _fresh_intermediaries(ring_rows),
        "honest new firms, fresh seller+broker": _fresh_intermediaries(honest_rows),
    }
    targeted, physical = {}, {}
    print("share sent to document check or physical inspection (physical inspection alone in brackets)")
    print(f"{'':38} {'n':>6} {'without links':>17} {'with links':>17}")
    for label, records in rows.items():
        runs = [without.score_many(records, explain="none"), with_links.score_many(records, explain="none")]
        targeted[label] = [_targeted(d) for d in runs]
        physical[label] = [_physical(d) for d in runs]
        (a, b), (pa, pb) = targeted[label], physical[label]
        print(f"{label:38} {len(records):>6} {a.mean():>9.1%} ({pa.mean():>5.1%}) {b.mean():>9.1%} ({pb.mean():>5.1%})")
    overall = targeted["all declarations, last 90 days"][1].mean()
    for ring_label, honest_label in (
        ("ring members (new firms)", "honest new firms"),
        ("ring members, fresh seller+broker", "honest new firms, fresh seller+broker"),
    ):
        (a, b), (pa, pb) = targeted[ring_label], physical[ring_label]
        released = ~a
        low, high = _ratio_interval(a, b, args.seed)
        print(
            f"[{ring_label}] catch rate with links / without: {b.mean() / max(a.mean(), 1e-9):.2f}x "
            f"(95 % interval {low:.2f}-{high:.2f}, {len(a)} firms; at most {1 / max(a.mean(), 1e-9):.2f}x when "
            f"every one is caught with links), physical "
            f"inspection {pb.mean() / max(pa.mean(), 1e-9):.2f}x (bar >= 2); of the {released.sum()} the model "
            f"without links released, {b[released].mean() if released.any() else 0.0:.0%} targeted with links; "
            f"honest new firms / all declarations: {targeted[honest_label][1].mean() / max(overall, 1e-9):.2f}x "
            "(bar <= 1.5)"
        )


if __name__ == "__main__":
    main()
