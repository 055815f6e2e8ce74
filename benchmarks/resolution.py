"""Probable-same-firm linkage: are the generator's phoenix firms found, and how fast at scale?

Builds the generator's importers for N enterprises (``sample.generator.actors.build_actors``) with its
business centres, plants phoenix firms and the honest look-alikes (``sample.generator.phoenix``),
writes each enterprise the way a declaration would (a random surface form of its name, address and
phone), keys them with ``ingest.normalize`` and runs ``algorithms.same_firm.same_firm_candidates``.
No Neo4j: this measures the linkage itself. Prints precision and recall of the candidates against the
planted (old, new) pairs, the look-alike pairs wrongly linked, and the linkage time. ``--year N``
measures on a whole generated year of N declarations instead (shell rings and all; truth/phoenix.csv).

The new firms write their representative, name and room their own way ("Jianguo Gao", "GAO, Jianguo",
"Gao Jian guo"; "Xinda Trading (Shanghai)"; "Unit 1905, Floor 19"), among honest namesakes next door
(``vary_phoenix_firms``, ``add_namesakes_next_door``). Each firm's first and last declaration dates are drawn
as the generated year trades (``_activity``: a phoenix's old firm stops as the new one starts, everyone else
trades side by side, one honest firm in ten stops during the period); ``--year`` reads them from its
declarations.

Bar: precision >= 0.99 and recall >= 0.95 with no look-alike linked; linkage <= 60 s at 100k enterprises
on 2 cores.

Usage: python -m benchmarks.resolution [--enterprises N ...] [--year DECLARATIONS] [--seed S] [--threshold P]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from algorithms.same_firm import same_firm_candidates
from ingest import normalize as nz
from sample.generator import generate
from sample.generator.actors import build_actors, registered_iso
from sample.generator.identifiers import ADDRESS_FORMS, PHONE_FORMS
from sample.generator.phoenix import (
    add_namesakes_next_door,
    add_phoenix_firms,
    add_resolution_lookalikes,
    phoenix_count,
    vary_phoenix_firms,
)


def _business_centres(rng: np.random.Generator, actors, honest: np.ndarray) -> None:
    """One business centre per 2,000 firms, 30 to 60 firms each (as ``plant_lookalikes`` does per year)."""
    free = rng.permutation(honest)
    at = 0
    for _ in range(max(1, len(honest) // 2000)):
        size = int(rng.integers(30, 61))
        members = free[at : at + size]
        at += size
        city = actors.address_city[actors.ent_address[members[0]]]
        centre = actors.new_addresses(rng, np.array([city]), business_centre=True)[0]
        for f in members:
            actors.ent_address[f] = centre


def _keyed(raw: pd.DataFrame) -> pd.DataFrame:
    """Enterprise records as written (id, name, address, phone, legal_rep, registered) keyed as ingest keys them."""
    text = raw.astype("str")
    return pd.DataFrame(
        {
            "id": raw["id"],
            "name": nz.normalize_names(text["name"]),
            "address": nz.address_keys(text["address"], "CN"),
            "phone": nz.normalize_phones(text["phone"], "CN"),
            "legal_rep": nz.normalize_person_names(text["legal_rep"]),
            "registered": nz.parse_dates(text["registered"]),
            **{c: nz.parse_dates(text[c]) for c in ("first_seen", "last_seen") if c in raw},
        }
    )


#: the days the columnar copy holds, relative to 1 January of the generated year: that year and the one before
_COPY = (-365, 365)


def _activity(
    rng: np.random.Generator, registered: np.ndarray, old: np.ndarray, new: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First and last declaration day of every firm, as the generated year trades (``sample.generator.writer``):
    a firm files a geometric number of declarations (twelve on average) on days drawn over its active span,
    from its registration (or the copy's start) to the copy's end; one honest firm in ten stops at a random
    day. A phoenix's old firm stops a few weeks after the new one registers, and the new one trades only after."""
    start = np.maximum(registered, _COPY[0]) + 1
    stop = np.full(len(registered), _COPY[1] - 1)
    stopping = rng.random(len(registered)) < 0.1
    stop[stopping] = rng.integers(start[stopping], _COPY[1])
    cut = registered[new] + rng.integers(5, 40, len(new))
    stop[old] = cut
    start[new] = cut + 1
    stop = np.maximum(stop, start)
    k = rng.geometric(1 / 12, len(registered))
    days = [np.sort(rng.integers(a, b + 1, n)) for a, b, n in zip(start, stop, k, strict=True)]
    return np.array([d[0] for d in days]), np.array([d[-1] for d in days])


def planted_enterprises(n: int, seed: int) -> tuple[pd.DataFrame, set[tuple[str, str]], dict[str, str]]:
    """Enterprise records as ingest keys them, the planted phoenix pairs (ids sorted), and look-alike kinds."""
    rng = np.random.default_rng(seed)
    actors, _ = build_actors(rng, max(n - 150, 0) * 12)
    honest = np.arange(len(actors.ent_id))
    _business_centres(rng, actors, honest)
    lookalikes = add_resolution_lookalikes(rng, actors, honest)
    old_firms = honest[np.array(actors.ent_registered)[honest] < -1000]
    old = rng.choice(old_firms, size=phoenix_count(len(honest)), replace=False)
    new = add_phoenix_firms(rng, actors, old, rng.integers(-200, 300, len(old)))
    variants = np.random.default_rng([seed, 31])  # as the generator draws them: a stream of their own
    vary_phoenix_firms(variants, actors, new)
    lookalikes += add_namesakes_next_door(variants, actors, np.setdiff1d(honest, old))

    m = len(actors.ent_id)
    name_form = rng.integers(0, 2, m)
    addr_form = rng.integers(0, ADDRESS_FORMS, m)
    phone_form = rng.integers(0, PHONE_FORMS, m)
    raw = pd.DataFrame(
        {
            "id": actors.ent_id,
            "name": [actors.ent_name[i][name_form[i]] for i in range(m)],
            "address": [actors.addresses[actors.ent_address[i]][addr_form[i]] for i in range(m)],
            "phone": [actors.phones[actors.ent_phone[i]][phone_form[i]] for i in range(m)],
            "legal_rep": [actors.persons[actors.ent_person[i]] for i in range(m)],
            "registered": registered_iso(np.array(actors.ent_registered)),
        }
    )
    first, last = _activity(np.random.default_rng([seed, 41]), np.array(actors.ent_registered), old, new)
    raw["first_seen"], raw["last_seen"] = registered_iso(first), registered_iso(last)
    frame = _keyed(raw)
    ids = np.array(actors.ent_id, dtype=object)
    truth = {tuple(sorted((ids[a], ids[b]))) for a, b in zip(old, new, strict=True)}
    kinds = {ids[f]: kind for kind, f in lookalikes}
    return frame, truth, kinds


def generated_year(declarations: int, seed: int) -> tuple[pd.DataFrame, set[tuple[str, str]], dict[str, str]]:
    """The same, from a whole generated year (``riskgraph generate``: shell rings, business centres and all),
    each importer keyed from its first declaration as ingest keys it, with its first and last declaration dates."""
    folder = Path(tempfile.mkdtemp(prefix="resolution-year-"))
    generate(folder, declarations, seed)
    rows = pd.concat([pd.read_csv(f, dtype=str) for f in sorted(folder.glob("declarations-*.csv"))])
    rows = rows.dropna(subset=["importer_id"])
    rows["day"] = pd.to_datetime(nz.parse_dates(rows["date"]), errors="coerce")
    span = rows.groupby("importer_id")["day"].agg(["min", "max"])
    rows = rows.drop_duplicates("importer_id").reset_index(drop=True)
    raw = rows[[f"importer_{c}" for c in ("id", "name", "address", "phone", "legal_rep", "registered")]]
    raw = raw.set_axis(["id", "name", "address", "phone", "legal_rep", "registered"], axis=1)
    raw["first_seen"] = raw["id"].map(span["min"]).dt.strftime("%Y-%m-%d")
    raw["last_seen"] = raw["id"].map(span["max"]).dt.strftime("%Y-%m-%d")
    frame = _keyed(raw)
    phoenix = pd.read_csv(folder / "truth" / "phoenix.csv", dtype=str)
    present = set(frame["id"])  # a phoenix started in the year's last days may have lodged nothing yet
    truth = {tuple(sorted(p)) for p in zip(phoenix["old_id"], phoenix["new_id"], strict=True) if set(p) <= present}
    look = pd.read_csv(folder / "truth" / "lookalikes.csv", dtype=str)
    rings = pd.read_csv(folder / "truth" / "rings.csv", dtype=str)
    kinds = dict(zip(look["entity_id"], look["kind"], strict=False)) | dict.fromkeys(rings["enterprise_id"], "ring")
    shutil.rmtree(folder, ignore_errors=True)
    return frame, truth, kinds


def _sharing_a_key(frame: pd.DataFrame, truth: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The planted pairs linked in the graph without resolution: one address, phone or representative node."""
    rows = frame.set_index("id")
    return {
        (a, b)
        for a, b in truth
        if any(pd.notna(rows.at[a, k]) and rows.at[a, k] == rows.at[b, k] for k in ("address", "phone", "legal_rep"))
    }


_SHOWN = ("name", "address", "phone", "legal_rep", "registered", "first_seen", "last_seen")


def measure(n: int, seed: int, threshold: float, year: int | None = None) -> dict:
    frame, truth, kinds = generated_year(year, seed) if year else planted_enterprises(n, seed)
    clock, cpu = time.perf_counter(), time.process_time()
    result = same_firm_candidates(frame, threshold=threshold, seed=seed)
    seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
    found = set(zip(result.pairs["a"], result.pairs["b"], strict=True))
    hits = found & truth
    wrong = found - truth
    exact = _sharing_a_key(frame, truth)
    return {
        "depth1_recall": len((found | exact) & truth) / len(truth) if truth else float("nan"),
        "exact_key_recall": len(exact) / len(truth) if truth else float("nan"),
        "enterprises": len(frame),
        "phoenix_pairs": len(truth),
        "candidates": len(found),
        "precision": len(hits) / len(found) if found else float("nan"),
        "recall": len(hits) / len(truth) if truth else float("nan"),
        "false_on_lookalikes": sum(1 for a, b in wrong if a in kinds or b in kinds),
        # two fronts of one shell ring: the generator rotates them as phoenixes do (one after the other, one
        # address, phone and representative), set up together before the ring trades
        "ring_pairs": sum(1 for a, b in wrong if kinds.get(a) == kinds.get(b) == "ring"),
        "linkage_seconds": round(seconds, 1),
        "linkage_cpu_seconds": round(cpu, 1),
        "timings": result.timings,
        "wrong": [
            {"kinds": (kinds.get(a), kinds.get(b)), **{c: (rows.at[a, c], rows.at[b, c]) for c in _SHOWN}}
            for a, b in sorted(wrong)
            for rows in [frame.set_index("id")]
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, nargs="+", default=[20_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument(
        "--year", type=int, default=None, help="instead: a whole generated year of this many declarations"
    )
    args = parser.parse_args()
    for n in [None] if args.year else args.enterprises:
        r = measure(n, args.seed, args.threshold, args.year)
        print(
            f"{r['enterprises']:>7} enterprises  {r['phoenix_pairs']:>4} phoenix pairs  {r['candidates']:>5} candidates"
            f"  precision {r['precision']:.3f}  recall {r['recall']:.3f}"
            f"  look-alike/ring false links {r['false_on_lookalikes']} (two fronts of one ring {r['ring_pairs']})"
            f"  depth-1 recall {r['depth1_recall']:.3f}"
            f" (shared keys alone {r['exact_key_recall']:.3f})  linkage {r['linkage_seconds']} s wall"
            f" ({r['linkage_cpu_seconds']} s CPU of this process)  {r['timings']}"
        )
        for pair in r["wrong"]:  # what an analyst reviewing the model would look at
            print("  not the same firm:", pair)


if __name__ == "__main__":
    main()
