"""A small, time-bounded, seeded search over the booster's main settings on a time split.

The training window is split once more by time (its newest ``inner_share`` is the search's own
validation), so the outer validation window stays untouched for comparing models. Each tried setting
of leaves, learning rate and minimum data per category trains once with the most trees and is read at
every tree count in :data:`TREES` (``num_iteration``), so trees cost nothing extra to search. Settings
are tried in an order drawn from ``seed``, the defaults first; the search stops after ``tries`` settings
or before a setting that would take the time past ``budget`` seconds (judged by the slowest so far),
whichever comes first; the summary says which. The defaults are always tried.
"""

from __future__ import annotations

import itertools
import math
import time

import lightgbm as lgb
import numpy as np
import pandas as pd

__all__ = ["BASE_PARAMS", "DEFAULT", "TREES", "search_params"]

BASE_PARAMS = {
    "objective": "binary",
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 10.0,
    "max_cat_to_onehot": 4,
    "verbose": -1,
    "deterministic": True,
    "num_threads": 1,  # OpenMP threads spin against a busy JVM on 2 cores: 20x slower than one thread
}
GRID = {
    "num_leaves": (7, 15, 31, 63),
    "learning_rate": (0.03, 0.06, 0.12),
    "min_data_per_group": (5, 20, 100),
}
TREES = (75, 150, 300)
DEFAULT = {"num_leaves": 15, "learning_rate": 0.06, "min_data_per_group": 20, "rounds": 150}


def _objective(p: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean precision among the top 5 % and 10 %, then AUC as the tie-break."""
    from sklearn.metrics import roc_auc_score

    order = np.argsort(-p, kind="stable")
    ranked = labels[order]
    prec = [ranked[: max(1, math.ceil(r * len(ranked)))].mean() for r in (0.05, 0.10)]
    auc = roc_auc_score(labels, p) if 0 < labels.sum() < len(labels) else 0.5
    return float(np.mean(prec)), float(auc)


def search_params(
    features: pd.DataFrame,
    labels: np.ndarray,
    dates: pd.Series,
    categorical: list[str],
    *,
    seed: int = 0,
    tries: int = 6,
    budget: float = 60.0,
    inner_share: float = 0.2,
) -> tuple[dict, dict]:
    """The best setting found (``num_leaves``, ``learning_rate``, ``min_data_per_group``, ``rounds``) and a
    summary (settings tried with their inner precision, seconds, and whether the budget stopped it)."""
    began = time.perf_counter()
    labels = np.asarray(labels, dtype=int)
    cutoff = dates.quantile(1 - inner_share, interpolation="higher")
    inner_train = (dates < cutoff).to_numpy()
    inner_test = ~inner_train
    summary = {"tried": [], "stopped_by_budget": False, "seconds": 0.0}
    if labels[inner_train].min(initial=1) == labels[inner_train].max(initial=0) or labels[inner_test].sum() == 0:
        summary["skipped"] = "the inner time split leaves one class only: defaults kept"
        return dict(DEFAULT), summary
    combos = list(itertools.product(*GRID.values()))
    order = np.random.default_rng(seed).permutation(len(combos))
    default = tuple(DEFAULT[k] for k in GRID)
    settings = [default, *(combos[i] for i in order if combos[i] != default)][:tries]
    data = lgb.Dataset(
        features[inner_train], label=labels[inner_train], categorical_feature=categorical, free_raw_data=False
    )
    held, held_y = features[inner_test], labels[inner_test]
    best, best_key = dict(DEFAULT), (-1.0, -1.0)
    slowest = 0.0
    for values in settings:
        if slowest and time.perf_counter() - began + slowest > budget:  # stop before a setting that would overrun
            summary["stopped_by_budget"] = True
            break
        started = time.perf_counter()
        setting = dict(zip(GRID, values, strict=True))
        booster = lgb.train({**BASE_PARAMS, **setting, "seed": seed}, data, num_boost_round=max(TREES))
        for rounds in TREES:
            key = _objective(booster.predict(held, num_iteration=rounds, num_threads=1), held_y)
            summary["tried"].append({**setting, "rounds": rounds, "precision@5-10%": round(key[0], 4),
                                     "auc": round(key[1], 4)})  # fmt: skip
            if key > best_key:
                best, best_key = {**setting, "rounds": rounds}, key
        slowest = max(slowest, time.perf_counter() - started)
    summary["seconds"] = round(time.perf_counter() - began, 2)
    summary["best"] = best
    return best, summary
