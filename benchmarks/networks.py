"""Network quality benchmark: do the top-ranked networks find the rings planted by the generator?

Generates a labelled year (truth in ``DATA/truth/``), loads it into a local Neo4j of its own, runs
the analysis and prints:

- precision@10: share of the top 10 networks that are mostly (more than half their members) one
  planted ring;
- recall@20: share of planted rings mostly (more than half their importers) inside one top-20
  network;
- the best rank reached by any network made mostly of honest look-alikes (business centres, big
  brokers, shared switchboards, pairs tied only by a container reused months apart and a common
  seller, ...), and the best rank of the reused-container pairs in particular;
- how many rings in the top 20 are routed to anti-smuggling;
- the same figures with naive links (every shared container counts, whenever it was used, as a full
  identifier), measured in the same run, to show what the specificity of links buys.

Ring members with the role broker or seller are intermediaries in the analysis, not vertices, so
only importers count. ``--profile minimal`` (another administration: importers and brokers only, no
rings, a fraud flag) prints the top networks and how many of them are made of the importers planted
with a high propensity to fraud. Bar: precision@10 >= 0.8 and recall@20 >= 0.8. The generator plants more
rings as the year grows (18 at 20k declarations, 45 at 50k), and recall@20 cannot exceed
20 / rings, so the default size keeps them under 20; recall over all rings at rank ``rings`` is
printed too.

Usage: python -m benchmarks.networks [--declarations N] [--seed S] [--profile P] [--port P] [--home DIR] [--reuse]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from algorithms import networks as networks_module
from analysis.graph_io import read_analysis_input
from analysis.pipeline import analyze_frames
from analysis.run import run_analysis
from benchmarks._graph import generated_year, generated_year_arguments


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

    hits = _ring_hits(networks[:top_precision], ring_of)
    precision = sum(h is not None for h in hits) / max(min(top_precision, len(networks)), 1)

    covered = set()
    for net in networks[:top_recall]:
        members = set(net["members"])
        for ring_id, part in rings.groupby("ring_id"):
            if len(members & set(part["enterprise_id"])) > len(part) / 2:
                covered.add(ring_id)
    recall = len(covered) / rings["ring_id"].nunique()

    lookalike_rank = reused_rank = None
    for rank, net in enumerate(networks, 1):
        kind, share = _majority(net["members"], lookalike_of)
        if kind is not None and share > 0.5:
            lookalike_rank = lookalike_rank or (rank, kind, net["score"])
            if kind == "reused_container" and reused_rank is None:
                reused_rank = (rank, kind, net["score"])
    top = networks[:top_recall]
    ring_nets = [net for net, hit in zip(top, _ring_hits(top, ring_of), strict=True) if hit]
    return {
        "precision": precision,
        "recall": recall,
        "top_hits": hits,
        "missed": sorted(set(rings["ring_id"]) - covered),
        "lookalike": lookalike_rank,
        "reused_container": reused_rank,
        "reused_planted": int((look["kind"] == "reused_container").sum() // 2),
        "rings_anti_smuggling": (sum(n["kind"] == "anti-smuggling" for n in ring_nets), len(ring_nets)),
    }


def evaluate_minimal(networks: list[dict], truth: Path, top: int = 10) -> dict:
    """The minimal profile plants no rings, only importers with a persistent propensity to fraud
    (``truth/parties.csv``): the share of the top networks made mostly of them, against their share of
    all importers in scored networks (what a random pick of networks would find)."""
    parties = pd.read_csv(truth / "parties.csv", dtype=str)
    risky = dict(zip(parties["party_id"], parties["risky"], strict=True))
    shares = [pd.Series([risky.get(m) == "1" for m in net["members"]]).mean() for net in networks]
    members = {m for net in networks for m in net["members"]}
    return {
        "networks": len(networks),
        "precision": sum(s > 0.5 for s in shares[:top]) / max(min(top, len(networks)), 1),
        "members_risky": sum(risky.get(m) == "1" for m in members) / max(len(members), 1),
        "importers_risky": float((parties.loc[parties["role"] == "importer", "risky"] == "1").mean()),
    }


def _ring_hits(networks: list[dict], ring_of: dict[str, str]) -> list[str | None]:
    out = []
    for net in networks:
        ring, share = _majority(net["members"], ring_of)
        out.append(ring if share > 0.5 else None)
    return out


def _print_summary(label: str, found: dict, rings: int, wide: dict) -> None:
    anti, of = found["rings_anti_smuggling"]
    print(f"[{label}] precision@10: {found['precision']:.2f}  (bar 1.00)")
    missed = ", ".join(found["missed"]) or "none"
    print(f"[{label}] recall@20:    {found['recall']:.2f}  (bar >= 0.8); missed: {missed}")
    print(f"[{label}] recall@{max(rings, 20)}:    {wide['recall']:.2f}  ({rings} planted rings)")
    print(f"[{label}] rings in the top 20 routed to anti-smuggling: {anti} of {of}")
    for key, what in (("lookalike", "any look-alike"), ("reused_container", "reused-container pair")):
        if found[key]:
            rank, kind, score = found[key]
            print(f"[{label}] best {what} network: rank {rank} ({kind}, score {score:.1f})")
        else:
            print(f"[{label}] best {what} network: none among the scored networks")


def _print_minimal(networks: list[dict], truth: Path) -> None:
    for rank, net in enumerate(networks[:10], 1):
        lead = net["reasons"][0]["signal"] if net["reasons"] else "-"
        print(f"  {rank:>2}. score {net['score']:5.1f} {net['kind']:<14} {len(net['members']):>3} firms {lead}")
    found = evaluate_minimal(networks, truth)
    print(
        f"[minimal] {found['networks']} networks; share of the top 10 made mostly of planted risky importers: "
        f"{found['precision']:.2f}; risky among all networks' members {found['members_risky']:.1%}, "
        f"among all importers {found['importers_risky']:.1%}"
    )


def _print_ring_routing(networks: list[dict], truth: Path, top: int = 20) -> None:
    """Each planted ring found in the top networks: its size, the network's kind and why."""
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    rings = rings[rings["role"] == "importer"]
    size = rings.groupby("ring_id").size()
    ring_of = dict(zip(rings["enterprise_id"], rings["ring_id"], strict=True))
    for rank, (net, hit) in enumerate(zip(networks[:top], _ring_hits(networks[:top], ring_of), strict=True), 1):
        if hit:
            print(
                f"    {hit:<11} {size[hit]:>2} planted, rank {rank:>2}, {len(net['members']):>2} firms: "
                f"{net['kind']} ({net.get('routing', '-')})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    generated_year_arguments(parser, declarations=20_000, port=7713, home="/tmp/rg-bench-networks")
    args = parser.parse_args()

    with generated_year(args) as (cfg, driver, data):
        run = run_analysis(driver, "neo4j", cfg.home)
        print(
            f"analyze: {run.counts['analysed']:,} enterprises, {run.counts['networks']:,} networks "
            f"in {run.timings['total']:.1f}s"
        )
        if args.profile == "minimal":
            _print_minimal(run.result.networks, data / "truth")
            return
        found = evaluate(run.result.networks, data / "truth")
        for rank, (net, hit) in enumerate(zip(run.result.networks[:10], found["top_hits"], strict=False), 1):
            lead = net["reasons"][0]["signal"] if net["reasons"] else "-"
            print(
                f"  {rank:>2}. score {net['score']:5.1f} {net['kind']:<14} {len(net['members']):>3} firms "
                f"{lead:<24} {hit or 'no planted ring'}"
            )
        rings = pd.read_csv(data / "truth" / "rings.csv", dtype=str)["ring_id"].nunique()
        wide = evaluate(run.result.networks, data / "truth", top_recall=max(rings, 20))
        print(f"planted: {rings} rings, {found['reused_planted']} reused-container look-alike pairs")
        _print_summary("specific links", found, rings, wide)
        _print_ring_routing(run.result.networks, data / "truth")

        data_in = read_analysis_input(driver, "neo4j")
        # the same analysis with an exclusive broker or seller marking two-member networks too (before cfddec1)
        default_min, networks_module.EXCLUSIVE_MIN_MEMBERS = networks_module.EXCLUSIVE_MIN_MEMBERS, 2
        try:
            pairs = analyze_frames(
                data_in.enterprises, data_in.declarations, data_in.links, data_in.known_violators, data_in.as_of
            ).networks
        finally:
            networks_module.EXCLUSIVE_MIN_MEMBERS = default_min
        _print_summary(
            "exclusive marker from 2 members", evaluate(pairs, data / "truth"), rings,
            evaluate(pairs, data / "truth", top_recall=max(rings, 20)),
        )  # fmt: skip
        _print_ring_routing(pairs, data / "truth")

        naive = analyze_frames(
            data_in.enterprises, data_in.declarations, data_in.links, data_in.known_violators, data_in.as_of,
            reuse_days=10**6, kind_weights={"consignment": 1.0},
        ).networks  # fmt: skip
        _print_summary(
            "naive links", evaluate(naive, data / "truth"), rings,
            evaluate(naive, data / "truth", top_recall=max(rings, 20)),
        )  # fmt: skip


if __name__ == "__main__":
    main()
