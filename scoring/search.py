"""A small, time-bounded, seeded search over the booster's main settings on a time split.

The training window is split once more by time (its newest ``inner_share`` is the search's own
validation), so the outer validation window stays untouched for comparing models. The grid is small
enough to be tried whole: every setting of leaves, learning rate and minimum data per category trains
once, up to :data:`MAX_TREES` trees with early stopping on the inner validation (no better log-loss for
:data:`PATIENCE` trees), and is read at every tree count of :data:`TREES` it reached and at its early
stop, so the number of trees is searched too at no extra cost. The search trains on at most
:data:`SEARCH_ROWS` rows of the inner training window (a seeded sample; precision differences between
settings show well before that): at 100,000 inspected rows the whole grid takes well under the 2-minute
bound on two shared cores. The order of the settings is drawn from ``seed``, the defaults first;
``budget`` seconds are a safety net only (the search stops before a setting that would pass it, judged by
the slowest so far, and says so), so with the grid covered the result depends on ``seed`` alone.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scoring.published import PublishedModel

if TYPE_CHECKING:  # imported where a booster is fitted (see scoring.published)
    import lightgbm as lgb

__all__ = ["BASE_PARAMS", "DEFAULT", "GRID", "MAX_TREES", "SEARCH_ROWS", "TREES", "search_params"]

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
    "num_leaves": (15, 63),
    "learning_rate": (0.05, 0.12),
    "min_data_per_group": (20, 100),
}
MAX_TREES = 300
TREES = (75, 150, 300)
PATIENCE = 30
SEARCH_ROWS = 20_000
DEFAULT = {"num_leaves": 15, "learning_rate": 0.05, "min_data_per_group": 20, "rounds": 150}


def _objective(p: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean precision among the top 5 % and 10 %, then AUC as the tie-break."""
    from sklearn.metrics import roc_auc_score

    order = np.argsort(-p, kind="stable")
    ranked = labels[order]
    prec = [ranked[: max(1, math.ceil(r * len(ranked)))].mean() for r in (0.05, 0.10)]
    auc = roc_auc_score(labels, p) if 0 < labels.sum() < len(labels) else 0.5
    return float(np.mean(prec)), float(auc)


def _sample(mask: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """``mask`` with at most ``rows`` of its true positions kept (seeded, order kept)."""
    where = np.flatnonzero(mask)
    if len(where) <= rows:
        return mask
    kept = np.zeros_like(mask)
    kept[np.sort(np.random.default_rng(seed).choice(where, size=rows, replace=False))] = True
    return kept


def search_params(
    features: pd.DataFrame,
    labels: np.ndarray,
    dates: pd.Series,
    categorical: list[str],
    *,
    seed: int = 0,
    tries: int | None = None,
    budget: float = 60.0,
    inner_share: float = 0.2,
    rows: int = SEARCH_ROWS,
) -> tuple[dict, dict]:
    """The best setting found (``num_leaves``, ``learning_rate``, ``min_data_per_group``, ``rounds``) and a
    summary (settings tried, each read at its tree counts with its inner precision; the number of settings
    in the grid; seconds; whether the budget stopped it). ``tries`` limits the settings (default: all)."""
    import lightgbm as lgb

    began = time.perf_counter()
    labels = np.asarray(labels, dtype=int)
    cutoff = dates.quantile(1 - inner_share, interpolation="higher")
    inner_train = (dates < cutoff).to_numpy()
    inner_test = ~inner_train
    combos = list(itertools.product(*GRID.values()))
    summary = {"tried": [], "settings": 0, "grid": len(combos), "stopped_by_budget": False, "seconds": 0.0}
    if labels[inner_train].min(initial=1) == labels[inner_train].max(initial=0) or labels[inner_test].sum() == 0:
        summary["skipped"] = "the inner time split leaves one class only: defaults kept"
        return dict(DEFAULT), summary
    fit_rows = _sample(inner_train, rows, seed)
    summary["rows"] = int(fit_rows.sum())
    order = np.random.default_rng(seed).permutation(len(combos))
    default = tuple(DEFAULT[k] for k in GRID)
    settings = [default, *(combos[i] for i in order if combos[i] != default)][: tries or len(combos)]
    data = lgb.Dataset(features[fit_rows], label=labels[fit_rows], categorical_feature=categorical, free_raw_data=False)
    held, held_y = features[inner_test], labels[inner_test]
    stop = data.create_valid(held, label=held_y)
    best, best_key = dict(DEFAULT), (-1.0, -1.0)
    slowest = 0.0
    for values in settings:
        if slowest and time.perf_counter() - began + slowest > budget:  # stop before a setting that would overrun
            summary["stopped_by_budget"] = True
            break
        started = time.perf_counter()
        setting = dict(zip(GRID, values, strict=True))
        booster = lgb.train(
            {**BASE_PARAMS, **setting, "seed": seed, "metric": "binary_logloss"}, data, num_boost_round=MAX_TREES,
            valid_sets=[stop], callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
        )  # fmt: skip
        reached = booster.best_iteration or MAX_TREES
        for rounds in sorted({t for t in TREES if t < reached} | {reached}):
            key = _objective(booster.predict(held, num_iteration=rounds, num_threads=1), held_y)
            summary["tried"].append({**setting, "rounds": rounds, "precision@5-10%": round(key[0], 4),
                                     "auc": round(key[1], 4)})  # fmt: skip
            if key > best_key:
                best, best_key = {**setting, "rounds": rounds}, key
        summary["settings"] += 1
        slowest = max(slowest, time.perf_counter() - started)
    summary["seconds"] = round(time.perf_counter() - began, 2)
    summary["best"] = best
    return best, summary


def fit_booster(
    features: pd.DataFrame, labels: np.ndarray, categorical: list[str], setting: dict, seed: int, max_rounds=None
) -> lgb.Booster:
    """A booster with a searched ``setting``, its rounds capped at ``max_rounds`` when given."""
    import lightgbm as lgb

    params = {**BASE_PARAMS, **{k: v for k, v in setting.items() if k != "rounds"}, "seed": seed}
    data = lgb.Dataset(features, label=labels, categorical_feature=categorical, free_raw_data=False)
    rounds = int(setting["rounds"]) if max_rounds is None else min(int(setting["rounds"]), max_rounds)
    return lgb.train(params, data, num_boost_round=rounds)


def fit_published(
    kind: str,
    weight: float,
    features: pd.DataFrame,
    labels: np.ndarray,
    *,
    names: list[str],
    raw: list[str],
    categorical: list[str],
    raw_categorical: list[str],
    params: dict,
    seed: int,
    calibration,
    why: str,
    max_rounds=None,
) -> PublishedModel:
    """The model chosen on the validation split (``kind``), refitted on every labelled row: the main booster
    when ``weight`` > 0, the baseline on the raw columns when ``weight`` < 1, blended by ``weight``."""

    def fit(columns, cats, setting):
        return fit_booster(features[columns], labels, cats, setting, seed, max_rounds)

    return PublishedModel(
        kind=kind,
        main=fit(names, categorical, params["model"]) if weight > 0 else None,
        baseline=fit(raw, raw_categorical, params["baseline"]) if weight < 1 else None,
        raw_index=[names.index(c) for c in raw],
        weight=weight,
        calibration=calibration,
        why=why,
    )
