"""Network quality benchmark: do the top-ranked networks find the rings planted by the generator?

Generates a labelled year (truth in ``DATA/truth/``), loads it into a local Neo4j of its own, runs
the analysis and prints:

- precision@10: share of the top 10 networks that are mostly (more than half their members) one
  planted ring;
- recall@20: share of planted rings mostly (more than half their importers) inside one top-20
  network;
- the best rank reached by any network made mostly of honest look-alikes (business centres, big
  brokers, shared switchboards, ...).

Ring members with the role broker or seller are intermediaries in the analysis, not vertices, so
only importers count. Bar: precision@10 >= 0.8 and recall@20 >= 0.8. The generator plants more
rings as the year grows (18 at 20k declarations, 45 at 50k), and recall@20 cannot exceed
20 / rings, so the default size keeps them under 20; recall over all rings at rank ``rings`` is
printed too.

Usage: python -m benchmarks.networks [--declarations N] [--seed S] [--port P] [--home DIR] [--reuse]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from analysis.run import run_analysis
from benchmarks._graph import declaration_count, load_generated
from graph import local_server
from graph.config import Settings
from graph.connection import check
from graph.setup import ensure_schema


def _majority(members: list[str], label_of: dict[str, str]) -> tuple[str | None, float]:
    """The label most members carry and its share of the members."""
    counts = pd.Series([label_of.get(m) for m in members]).value_counts()
    if counts.empty:
        return None, 0.0
    return counts.index[0], counts.iloc[0] / len(members)


def evaluate(networks: list[dict], truth: Path, top_precision: int = 10, top_recall: int = 20) -> dict:
    """Precision of the top networks, recall of planted rings, and the best-ranked look-alike."""
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    rings = rings[rings["role"] == "importer"]
    ring_of = dict(zip(rings["enterprise_id"], rings["ring_id"], strict=True))
    look = pd.read_csv(truth / "lookalikes.csv", dtype=str)
    lookalike_of = dict(zip(look["entity_id"], look["kind"], strict=True))

    hits = []
    for net in networks[:top_precision]:
        ring, share = _majority(net["members"], ring_of)
        hits.append(ring if share > 0.5 else None)
    precision = sum(h is not None for h in hits) / max(min(top_precision, len(networks)), 1)

    covered = set()
    for net in networks[:top_recall]:
        members = set(net["members"])
        for ring_id, part in rings.groupby("ring_id"):
            if len(members & set(part["enterprise_id"])) > len(part) / 2:
                covered.add(ring_id)
    recall = len(covered) / rings["ring_id"].nunique()

    lookalike_rank = None
    for rank, net in enumerate(networks, 1):
        kind, share = _majority(net["members"], lookalike_of)
        if kind is not None and share > 0.5:
            lookalike_rank = (rank, kind, net["score"])
            break
    return {
        "precision": precision,
        "recall": recall,
        "top_hits": hits,
        "missed": sorted(set(rings["ring_id"]) - covered),
        "lookalike": lookalike_rank,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=20_000, help="20k plants 18 rings (<= 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=7713)
    parser.add_argument("--home", type=Path, default=Path("/tmp/rg-bench-networks"))
    parser.add_argument("--reuse", action="store_true", help="keep the graph already loaded in HOME")
    parser.add_argument("--keep-running", action="store_true", help="leave the local Neo4j running")
    args = parser.parse_args()

    data = args.home / f"data-{args.declarations}-{args.seed}"
    cfg = Settings(home=args.home, bolt_port=args.port, neo4j_heap="3g", neo4j_pagecache="2g")
    local_server.start(cfg)
    try:
        driver = check(cfg)
        if not (args.reuse and declaration_count(driver)):
            load_generated(driver, cfg, data, args.declarations, args.seed)
        ensure_schema(driver, "neo4j")
        run = run_analysis(driver, "neo4j", cfg.home)
        print(
            f"analyze: {run.counts['analysed']:,} enterprises, {run.counts['networks']:,} networks "
            f"in {run.timings['total']:.1f}s"
        )
        found = evaluate(run.result.networks, data / "truth")
        for rank, (net, hit) in enumerate(zip(run.result.networks[:10], found["top_hits"], strict=False), 1):
            lead = net["reasons"][0]["signal"] if net["reasons"] else "-"
            print(
                f"  {rank:>2}. score {net['score']:5.1f} {net['kind']:<14} {len(net['members']):>3} firms "
                f"{lead:<24} {hit or 'no planted ring'}"
            )
        print(f"precision@10: {found['precision']:.2f}  (bar >= 0.8)")
        print(f"recall@20:    {found['recall']:.2f}  (bar >= 0.8); missed: {', '.join(found['missed']) or 'none'}")
        rings = pd.read_csv(data / "truth" / "rings.csv", dtype=str)["ring_id"].nunique()
        wide = evaluate(run.result.networks, data / "truth", top_recall=max(rings, 20))
        print(f"recall@{max(rings, 20)}:    {wide['recall']:.2f}  ({rings} planted rings)")
        if found["lookalike"]:
            rank, kind, score = found["lookalike"]
            print(f"best look-alike network: rank {rank} ({kind}, score {score:.1f})")
        else:
            print("best look-alike network: none among the scored networks")
    finally:
        if not args.keep_running:
            local_server.stop(cfg)


if __name__ == "__main__":
    main()
