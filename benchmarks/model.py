"""Model benchmark: the published model against a plain raw-column baseline on a generated year.

Generates a labelled year (``--profile minimal`` for another administration's shape of data), loads it
into a local Neo4j of its own, runs the analysis and ``model train`` (time split: the newest 20 % of
inspected declarations validate), and prints side by side at 1, 2, 5 and 10 % inspection rates with AUC:
the main model, the baseline (LightGBM on the raw mapped columns with party ids as native categoricals,
no history features), their blend and the published one; the final score validated with the network
analysis as of the split; the Brier score before and after calibration with the reliability table; and
how long the settings search took. Bar: published >= baseline at 5 % and 10 %.

Per risk target (tax, security, ipr, drugs; ``any`` on the minimal profile): how many violations of it the
held-out window has, and precision and recall at the inspection rate (``--inspection-rate``, the physical
inspection share) and at 10 % when the held-out declarations are ranked by the target's own score,
against the overall score ranked alone. Bar: the own score more precise for every target with held-out
violations, except where both are perfect or find every one of them.

With ``--search-rows N`` it also times the settings search alone on N labelled rows resampled from the
year's feature matrix (the bound is 2 minutes at 100,000 inspected rows on 2 cores).

Usage: python -m benchmarks.model [--declarations N] [--seed S] [--profile P] [--port P] [--home DIR]
       [--reuse] [--search-rows N] [--inspection-rate R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.run import run_analysis
from benchmarks._graph import generated_year, generated_year_arguments
from columnar.store import DeclarationStore
from graph.runs import shown_run
from scoring.features import categorical_names, fit_state, prepare_frame, raw_feature_names, training_features
from scoring.graph_read import read_declarations, read_enterprises
from scoring.model import search_both
from scoring.pipeline import Capacity, train_and_publish
from scoring.training_report import training_report


def time_search(driver, home, rows: int, seed: int) -> None:
    """The settings search (main model, then the baseline with the rest of the budget) on ``rows`` rows."""
    declarations = read_declarations(driver, "neo4j", DeclarationStore(home))
    frame = prepare_frame(declarations, read_enterprises(driver, "neo4j", shown_run(driver, "neo4j")))
    frame = frame[frame["inspected"] == 1]
    state = fit_state(frame)
    features = training_features(frame, state)
    pick = np.sort(np.random.default_rng(seed).integers(0, len(frame), rows))
    features, frame = features.iloc[pick], frame.iloc[pick]
    raw = raw_feature_names(state.extra_numeric, state.extra_categorical)
    began = time.perf_counter()
    _, searches = search_both(
        features, frame["violation"].to_numpy(), frame["date"], {"model": state.names(), "baseline": raw},
        categorical_names(state.extra_categorical), seed=seed,
    )  # fmt: skip
    for name, summary in searches.items():
        stop = ", stopped by its budget" if summary["stopped_by_budget"] else ""
        print(
            f"  search ({name}) on {rows:,} rows (trained on {summary.get('rows', 0):,}): {summary['settings']} of "
            f"{summary['grid']} settings in {summary['seconds']:.1f}s{stop}; best {summary.get('best')}"
        )
    print(f"settings search on {rows:,} labelled rows: {time.perf_counter() - began:.1f}s in all (bound 120 s)")


def print_targets(at_rate: dict) -> None:
    """Per target and rate: the target's own score against the overall score, and whether it is better."""
    print("per target, held-out window: precision / recall ranked by the target's own score, then by the overall")
    worse, found_all = [], []
    for name, rates in at_rate.items():
        for rate, v in rates.items():
            if rate == "positives":
                continue
            own, overall = v["own"], v["overall"]
            print(
                f"  {name:<9} {rates['positives']:>5} violations  at {rate:>3}: own {_pct(own['precision'])} / "
                f"{_pct(own['recall'])}   overall {_pct(overall['precision'])} / {_pct(overall['recall'])}"
            )
            if not rates["positives"] or own["precision"] > overall["precision"]:
                continue
            if own["precision"] == overall["precision"] and 1 in (own["precision"], own["recall"]):
                found_all.append(f"{name} at {rate}")  # both perfect, or both find every one: no better to be had
            else:
                worse.append(f"{name} at {rate}")
    verdict = "yes" if not worse else "NO (" + ", ".join(worse) + ")"
    ties = f" (equal where both are perfect or find every violation: {', '.join(found_all)})" if found_all else ""
    print(f"own score more precise than the overall score for every target with held-out violations: {verdict}{ties}")


def _pct(value) -> str:
    return "    -" if value is None else f"{value:5.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    generated_year_arguments(parser, declarations=50_000, port=7714, home="/tmp/rg-bench-model")
    parser.add_argument("--search-rows", type=int, default=0, help="also time the settings search on N rows")
    parser.add_argument("--inspection-rate", type=float, default=0.03, help="physical inspection share")
    args = parser.parse_args()

    with generated_year(args) as (cfg, driver, _):
        run = run_analysis(driver, "neo4j", cfg.home, seed=args.seed)
        print(f"analyze: {run.counts['networks']:,} networks in {run.timings['total']:.1f}s")
        summary = train_and_publish(driver, "neo4j", cfg.home, Capacity(physical=args.inspection_rate), seed=args.seed)
        m = summary["metrics"]
        print(f"profile: {args.profile or 'full'}, {args.declarations:,} declarations, seed {args.seed}")
        for line in training_report(m):
            print(line)
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in summary["timings"].items())
        print(f"model train: {timings}")
        ok = all(m[f"precision@{r}"] >= m["baseline"][f"precision@{r}"] for r in ("5%", "10%"))
        print(f"published >= baseline at 5 % and 10 %: {'yes' if ok else 'NO'}")
        print_targets(m["targets"].get("at_rate", {}))
        if args.search_rows:
            time_search(driver, cfg.home, args.search_rows, args.seed)


if __name__ == "__main__":
    main()
