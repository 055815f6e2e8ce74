"""New firms at lodging benchmark: is an unknown importer tied to a ring inspected, an honest one not held?

Generates a labelled year, picks *held-out* firms and removes every declaration of theirs before
loading the rest into a local Neo4j of its own (then ``analyze`` and ``model train``), so to the graph
they are new firms with no history:

- ring members: per planted ring with three or more importers, the third of its members that trade
  last (a ring's phoenix firms replace each other, so the last ones arrive when the others are known);
- honest new firms: as many honest importers (no planted scheme), at least 200, at random;
- business-centre tenants: a quarter of each generated business centre's tenants (the address stays
  busy in the graph with the other three quarters).

Each held-out firm's first declaration is lodged through *ordinary intermediaries* - the busiest seller
and broker of honest importers, at the honest median unit value of the goods (same HS code and
currency), on a direct route - so only its party fields (name, address, phone, representative) can tie
a ring firm to its ring. It is scored with and without those party fields. Printed, per group and for
a sample of all declarations of the last 90 days: the share sent to physical inspection and to
document check (random selections included, the same in both); the ranking AUC of ring firms against
honest new firms and business-centre tenants; and the new firms' share of document checks in a stream
of the ordinary declarations plus the new firms' first ones. Bars (issue 26): ring firms >= 50 % to
physical inspection with party fields and >= 40 points more than without; honest new firms and
business-centre tenants <= 2 x the all-declaration physical rate + 5 points.

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
from sklearn.metrics import roc_auc_score

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
from scoring.model import load_model
from scoring.pipeline import Capacity, train_and_publish
from scoring.scorer import CHANNELS
from scoring.snapshot import load_scorer

_OUTCOMES = ["inspected", "violation", "violation_type", "revenue_recovered"]


def _held_out(truth: Path, declarations: pd.DataFrame, seed: int) -> tuple[set[str], set[str], set[str]]:
    """(ring members, honest firms, business-centre firms) whose declarations are kept out of the graph."""
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
    look = pd.read_csv(truth / "lookalikes.csv", dtype=str)
    tenants = sorted(set(look.loc[look["kind"] == "business_centre", "entity_id"]) & set(first.index) - planted)
    # a quarter of each centre's tenants are new: the address stays busy in the graph
    centre = {tenants[i] for i in rng.choice(len(tenants), size=len(tenants) // 4, replace=False)}
    honest = sorted(set(first.index) - planted - centre)  # look-alikes too: switchboards, start-ups
    chosen = rng.choice(len(honest), size=min(len(honest), max(len(ring_firms), 200)), replace=False)
    return ring_firms, {honest[i] for i in chosen}, centre


def _records(frame: pd.DataFrame) -> list[dict]:
    frame = frame.drop(columns=[c for c in (*_OUTCOMES, "day") if c in frame.columns])
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _physical(decisions) -> np.ndarray:
    return np.array([d.channel == CHANNELS["high"] for d in decisions])


_PARTY_FIELDS = (
    "importer_name", "importer_address", "importer_phone", "importer_legal_rep",
    "importer_name_norm", "importer_address_key", "importer_phone_norm", "importer_legal_rep_norm",
)  # fmt: skip


def _without_party_fields(records: list[dict]) -> list[dict]:
    """The same declarations without the importer's name, address, phone and representative."""
    return [{k: v for k, v in r.items() if k not in _PARTY_FIELDS} for r in records]


def _ordinary(records: list[dict], loaded: pd.DataFrame, honest_firms: set[str]) -> list[dict]:
    """The same first declarations as a new firm lodges them through ordinary intermediaries: the busiest
    seller and broker of honest importers, at the honest median unit value of the goods, on a direct route
    (no transit, shipped from the origin). Only the party fields can then tie a ring firm to its ring."""
    honest = loaded[loaded["importer_id"].isin(honest_firms)]
    seller = honest["seller_id"].value_counts().index[0]
    seller_row = honest[honest["seller_id"] == seller].iloc[0]
    broker = honest["declarant_id"].value_counts().index[0]
    value = pd.to_numeric(honest["value"], errors="coerce")
    mass = pd.to_numeric(honest["net_mass"], errors="coerce")
    unit = (value / mass).groupby([honest["hs_code"], honest["currency"]]).median()
    out = []
    for r in records:
        fair = unit.get((r.get("hs_code"), r.get("currency")))
        m = pd.to_numeric(r.get("net_mass"), errors="coerce")
        row = {
            **r,
            "seller_id": seller,
            "seller_name": seller_row["seller_name"],
            "seller_country": seller_row["seller_country"],
            "declarant_id": broker,
            "transit_ports": "",
            "departure_country": r.get("origin_country"),
        }
        row.pop("seller_name_norm", None)
        if fair is not None and m == m and m:
            row["value"] = f"{fair * m:.2f}"
        out.append(row)
    return out


def _auc(ring: np.ndarray, honest: np.ndarray) -> float:
    """Probability that a ring firm's declaration outscores an honest new firm's (ties count half)."""
    return float(roc_auc_score(np.r_[np.ones(len(ring)), np.zeros(len(honest))], np.r_[ring, honest]))


def _channels(decisions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document check, physical inspection, score) per decision."""
    doc = np.array([d.channel == CHANNELS["medium"] for d in decisions])
    return doc, _physical(decisions), np.array([d.score for d in decisions])


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
    rings, honest, centre = _held_out(data / "truth", clean, args.seed)
    out = set(rings | honest | centre)
    shutil.rmtree(loaded, ignore_errors=True)
    loaded.mkdir(parents=True)
    for path, raw, _ in frames:
        raw[~raw["importer_id"].str.strip().isin(out)].to_csv(loaded / path.name, index=False)
    print(
        f"held out {len(rings)} ring members, {len(honest)} honest firms and {len(centre)} business-centre "
        "tenants (all their declarations)"
    )

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

    scorer, meta = load_scorer(cfg.home)
    index = scorer.state.links
    print(f"identifier index: {len(index):,} identifiers, {len(index.ids):,} importers, {index.nbytes() / 1e6:.1f} MB")
    rates = load_model(cfg.home)[1]["metrics"].get("representative")
    if rates:
        new, every = rates["new_firms"], rates["all"]
        print(
            f"violation rate ({rates['basis']}): new firms {new['representative_rate']:.1%} against "
            f"{new['targeted_hit_rate']:.1%} among their targeted inspections; all declarations "
            f"{every['representative_rate']:.1%} against {every['targeted_hit_rate']:.1%}"
        )
    first = clean.sort_values(["day", "declaration_id"]).drop_duplicates("importer_id")
    kept = clean[~clean["importer_id"].isin(out)]
    recent = kept[kept["day"] >= kept["day"].max() - pd.Timedelta(days=90)]
    planted = set(pd.read_csv(data / "truth" / "enterprises.csv", dtype=str)["enterprise_id"])
    known_honest = set(kept["importer_id"]) - planted

    def ordinary(firms: set[str]) -> list[dict]:
        return _ordinary(_records(first[first["importer_id"].isin(firms)]), kept, known_honest)

    groups = {
        "ring firms": ordinary(rings),
        "honest new firms": ordinary(honest),
        "business-centre firms": ordinary(centre),
        "all declarations (90 days)": _records(recent.sample(min(len(recent), 5000), random_state=args.seed)),
    }
    print("new firms lodging their first declaration through ordinary intermediaries (busiest honest seller and")
    print("broker, honest median unit value, direct route); shares of declarations sent to each channel")
    print(f"{'':28} {'n':>5}  {'with party fields':>22}  {'without party fields':>22}")
    print(f"{'':28} {'':>5}  {'physical':>10} {'documents':>11}  {'physical':>10} {'documents':>11}")
    seen: dict[str, list] = {}
    for label, records in groups.items():
        runs = [scorer.score_many(r, explain="none") for r in (records, _without_party_fields(records))]
        seen[label] = [_channels(d) for d in runs]
        (doc, phys, _), (doc0, phys0, _) = seen[label]
        print(
            f"{label:28} {len(records):>5}  {phys.mean():>10.1%} {doc.mean():>11.1%}  "
            f"{phys0.mean():>10.1%} {doc0.mean():>11.1%}"
        )
    for i, how in enumerate(("with", "without")):
        ring, honest_s, centre_s = (seen[g][i][2] for g in ("ring firms", "honest new firms", "business-centre firms"))
        print(
            f"ranking AUC {how} party fields: ring firms against honest new firms {_auc(ring, honest_s):.3f}, "
            f"against business-centre firms {_auc(ring, centre_s):.3f}"
        )
    all_physical = seen["all declarations (90 days)"][0][1].mean()
    bar = 2 * all_physical + 0.05
    ring_gain = seen["ring firms"][0][1].mean() - seen["ring firms"][1][1].mean()
    print(
        f"ring firms to physical inspection: {seen['ring firms'][0][1].mean():.1%} with party fields "
        f"(bar >= 50 %), {ring_gain * 100:+.1f} points over without (bar >= +40)"
    )
    for label in ("honest new firms", "business-centre firms"):
        share = seen[label][0][1].mean()
        print(f"{label} to physical inspection: {share:.1%} (bar <= 2 x {all_physical:.1%} + 5 = {bar:.1%})")
    docs_all = seen["all declarations (90 days)"][0][0]
    docs_new = sum(int(seen[g][0][0].sum()) for g in ("ring firms", "honest new firms", "business-centre firms"))
    n_new = sum(len(groups[g]) for g in ("ring firms", "honest new firms", "business-centre firms"))
    print(
        f"new-firm share of document checks (the {n_new} new firms' first declarations among the "
        f"{len(docs_all)} ordinary ones): {docs_new / max(docs_new + int(docs_all.sum()), 1):.1%} "
        f"(new firms are {n_new / (n_new + len(docs_all)):.1%} of that stream)"
    )


if __name__ == "__main__":
    main()
