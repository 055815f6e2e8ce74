"""The learned model ("regression analysis", "probability evaluation"): P(violation | inspected).

Gradient-boosted trees (LightGBM) on :mod:`scoring.features`, learned from the inspected
declarations in the graph. Validation is time-based: models are trained on the older inspected
declarations and measured on the newest ``test_share`` of them, as targeting is used in practice -
precision among the top 1/2/5/10 % ranked, and the share of recovered revenue those catch.

Every run also fits a **baseline**: a plain booster on the raw mapped columns only (declaration fields,
mapped ``feature_*`` columns, party ids as native categoricals; no history, peers or network). The main
model knows everything the baseline knows plus history and network features. Of the main model, the
baseline and their average, the one with the best precision at 5 % and 10 % on the validation window
is published, never one below the baseline at either rate; the reason is recorded. Booster settings
come from a seeded time-split search (:mod:`scoring.search`); the published probability is calibrated
on the validation window (:mod:`scoring.calibration`). The chosen boosters are then refitted on all
labelled history.

Layout under ``$RISKGRAPH_HOME/models/``: ``<version>/`` holding the published model's files
(:mod:`scoring.published`) and ``spec.json`` (features, vocabularies, metrics, baseline figures), and
``latest`` naming the newest version.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from graph.currency import money_basis
from graph.errors import RiskGraphError
from graph.home import MODELS, VersionedStore
from graph.targets import TargetTable, target_table
from scoring.calibration import calibration_report
from scoring.features import (
    FeatureState,
    categorical_names,
    fit_state,
    prepare_frame,
    raw_feature_names,
    training_features,
)
from scoring.history import OpenEngine
from scoring.published import PublishedModel, platt
from scoring.representative import hit_rates, outcome_weights, weighted_rows
from scoring.search import fit_booster, fit_published, search_params
from scoring.targets import TargetModels, fit_targets, target_labels

__all__ = [
    "RATES",
    "search_both",
    "ModelError",
    "TrainedModel",
    "train_model",
    "split_date",
    "choose_published",
    "ranking_metrics",
    "save_model",
    "load_model",
    "model_card",
    "models_dir",
]

RATES = (0.01, 0.02, 0.05, 0.10)
MIN_LABELLED = 100
#: seconds the settings search may spend, shared between the main model and the baseline
SEARCH_BUDGET = 100.0


class ModelError(RiskGraphError, RuntimeError):
    """Not enough labelled history to learn from, or no saved model."""

    status, code = 503, "no_model"


@dataclass
class TrainedModel:
    published: PublishedModel
    state: FeatureState
    metrics: dict
    #: held-out prepared declarations with the published (calibrated) probability (``probability``), the
    #: revenue their inspection recovered in US dollars (``revenue_usd``: shares add up across currencies),
    #: and per target its label (``label_<target>``) and calibrated probability (``probability_<target>``)
    test: pd.DataFrame
    params: dict
    version: str = ""
    #: one probability per risk target (``scoring.targets``); None from callers that train the overall only
    targets: TargetModels | None = None


def ranking_metrics(scores: np.ndarray, labels: np.ndarray, revenue: np.ndarray) -> dict:
    """Precision and recovered-revenue share among the top 1/2/5/10 % by score, plus AUC and base rate."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    labels, revenue = np.asarray(labels)[order], np.nan_to_num(np.asarray(revenue, dtype=float)[order])
    total_revenue = revenue.sum()
    out = {"n": len(labels), "violations": int(labels.sum()), "base_rate": float(labels.mean()) if len(labels) else 0}
    for rate in RATES:
        top = max(1, math.ceil(rate * len(labels)))
        out[f"precision@{rate:.0%}"] = float(labels[:top].mean())
        out[f"revenue@{rate:.0%}"] = float(revenue[:top].sum() / total_revenue) if total_revenue else 0.0
    out["auc"] = float(roc_auc_score(labels, -np.arange(len(labels)))) if 0 < labels.sum() < len(labels) else None
    return out


def choose_published(candidates: dict[str, dict]) -> tuple[str, str]:
    """Which of ``model``, ``blend`` and ``baseline`` to publish, and why, from their validation metrics.

    Only a candidate at least as precise as the baseline at both 5 % and 10 % qualifies (the baseline
    always does); of those, the best mean precision at 5 % and 10 %, then AUC, then the simpler in the
    order main model, blend, baseline.
    """
    base = candidates["baseline"]
    rates = ("precision@5%", "precision@10%")

    def key(name: str) -> tuple:
        m = candidates[name]
        return (m[rates[0]] + m[rates[1]], m["auc"] or 0.0, -list(candidates).index(name))

    eligible = [n for n in candidates if all(candidates[n][r] >= base[r] for r in rates)]
    chosen = max(eligible, key=key)
    figures = ", ".join(f"{n} {candidates[n][rates[0]]:.3f}/{candidates[n][rates[1]]:.3f}" for n in candidates)
    below = [n for n in candidates if n not in eligible]
    why = f"best precision at 5 %/10 % on the validation window ({figures})"
    if below:
        why += f"; {' and '.join(below)} below the baseline at 5 % or 10 %"
    return chosen, why


def _split(frame: pd.DataFrame, test_share: float) -> tuple[pd.Series, pd.Series, pd.Series, pd.Timestamp]:
    labelled = frame["inspected"] == 1
    if labelled.sum() < MIN_LABELLED or frame.loc[labelled, "violation"].nunique() < 2:
        raise ModelError(
            f"only {int(labelled.sum())} inspected declarations with outcomes in the graph "
            f"(need {MIN_LABELLED} or more, with and without violations): ingest labelled history first"
        )
    cutoff = split_date(frame, test_share)
    train = labelled & (frame["date"] < cutoff)
    test = labelled & (frame["date"] >= cutoff)
    if frame.loc[train, "violation"].nunique() < 2 or test.sum() == 0:
        raise ModelError("the time split leaves no violations to learn from or nothing to test on")
    return labelled, train, test, cutoff


def split_date(declarations: pd.DataFrame, test_share: float = 0.2) -> pd.Timestamp:
    """The first day of the validation window (what the graph may know for validation ends the day before)."""
    inspected = pd.to_numeric(declarations["inspected"], errors="coerce").fillna(0) == 1
    return declarations.loc[inspected, "date"].quantile(1 - test_share, interpolation="higher")


def search_both(
    features: pd.DataFrame,
    labels: np.ndarray,
    dates: pd.Series,
    columns: dict[str, list[str]],
    categorical: list[str],
    *,
    seed: int,
    budget: float = SEARCH_BUDGET,
) -> tuple[dict, dict]:
    """Settings searched for the main model (at most 60 % of ``budget``) then the baseline (what is left):
    ``({name: setting}, {name: search summary})`` for ``columns`` = ``{"model": [...], "baseline": [...]}``."""
    began = time.perf_counter()
    params, searches = {}, {}
    for name, share in (("model", 0.6), ("baseline", 1.0)):
        left = budget - (time.perf_counter() - began)
        cats = [c for c in categorical if c in columns[name]]
        params[name], searches[name] = search_params(
            features[columns[name]], labels, dates, cats, seed=seed, budget=min(budget * share, left)
        )
    return params, searches


def train_model(
    declarations: pd.DataFrame,
    enterprises: pd.DataFrame,
    *,
    test_share: float = 0.2,
    seed: int = 0,
    validation_enterprises: pd.DataFrame | None = None,
    search_budget: float = SEARCH_BUDGET,
    targets: TargetTable | None = None,
    engine: OpenEngine | None = None,
) -> TrainedModel:
    """Validate main model, baseline and blend on the newest ``test_share`` of inspected declarations,
    publish the best (calibrated), then refit it on all of them; then one model per risk target of
    ``targets`` (the table in force by default) on the same split and settings (:mod:`scoring.targets`).

    ``validation_enterprises`` is the enterprise table (communities, centralities, network risk) as the
    analysis saw it before the validation window (:mod:`scoring.as_of`); without it the current table is
    used for validation too. ``engine`` opens the engine that counts the history features over the columnar copy
    ``declarations`` were read from (:func:`scoring.history.prior_counts`); without it, DuckDB counts over the frame.
    """
    frame = prepare_frame(declarations, validation_enterprises if validation_enterprises is not None else enterprises)
    labelled, train, test, cutoff = _split(frame, test_share)
    held_state = fit_state(frame, window=frame["date"] < cutoff)
    needed = weighted_rows(frame, seed)  # the inspected and the propensity sample: no matrix of the whole year
    features = training_features(frame, held_state, engine, rows=needed)
    fit, held = train[needed], test[needed]  # the split as masks over the rows of ``features``
    names = held_state.names()
    raw = raw_feature_names(held_state.extra_numeric, held_state.extra_categorical)
    categorical = categorical_names(held_state.extra_categorical)
    raw_categorical = [c for c in categorical if c in raw]
    y = frame["violation"].to_numpy()

    params, searches = search_both(
        features.loc[fit], y[train], frame.loc[train, "date"], {"model": names, "baseline": raw}, categorical,
        seed=seed, budget=search_budget,
    )  # fmt: skip
    main = fit_booster(features.loc[fit, names], y[train], categorical, params["model"], seed)
    base = fit_booster(features.loc[fit, raw], y[train], raw_categorical, params["baseline"], seed)

    held_out = frame[test].copy()
    money = money_basis(frame["currency"])
    held_out["revenue_usd"] = money.convert(held_out["revenue_recovered"], held_out["currency"])
    p_main = main.predict(features.loc[held, names], num_threads=1)
    p_base = base.predict(features.loc[held, raw], num_threads=1)
    weights = {"model": 1.0, "blend": 0.5, "baseline": 0.0}
    raw_p = {k: w * p_main + (1 - w) * p_base for k, w in weights.items()}
    y_test, revenue = held_out["violation"].to_numpy(), held_out["revenue_usd"].to_numpy()
    candidates = {k: ranking_metrics(p, y_test, revenue) for k, p in raw_p.items()}
    kind, why = choose_published(candidates)
    representative, basis = outcome_weights(frame, features, seed)
    calibration, calibration_check = calibration_report(raw_p[kind], y_test, representative[test.to_numpy()], basis)
    held_out["probability"] = platt(raw_p[kind], *calibration)
    began = time.perf_counter()
    labels, info = target_labels(frame, targets or target_table())

    metrics = dict(candidates[kind])
    metrics |= {
        "train": int(train.sum()),
        "test": int(test.sum()),
        "train_until": str(cutoff.date()),
        "test_from": str(cutoff.date()),
        "test_to": str(frame.loc[labelled, "date"].max().date()),
        "published": kind,
        "why": why,
        "candidates": candidates,
        "baseline": candidates["baseline"],
        "calibration": calibration_check,
        "representative": hit_rates(frame, representative, basis),
        "search": searches,
    }

    final_frame = prepare_frame(declarations, enterprises)
    state = fit_state(final_frame)
    state.extra_numeric, state.extra_categorical = held_state.extra_numeric, held_state.extra_categorical
    for column in held_state.vocab:  # a mapped column only the later data fills still gets a vocabulary
        state.vocab.setdefault(column, held_state.vocab[column])
    validation_features = features
    features = training_features(final_frame, state, engine, rows=labelled)
    y = final_frame["violation"].to_numpy()
    published = fit_published(
        kind, weights[kind], features, y[labelled], names=names, raw=raw, categorical=categorical,
        raw_categorical=raw_categorical, params=params, seed=seed, calibration=calibration, why=why,
    )  # fmt: skip
    final_labels, _ = target_labels(final_frame, targets or target_table())
    target_models, target_metrics, target_p = fit_targets(
        labels[needed], final_labels[labelled], info, features=validation_features, final_features=features,
        train=fit, test=held, labelled=labelled[labelled], names=names, raw=raw, categorical=categorical,
        params=params, revenue=revenue, seed=seed,
    )  # fmt: skip
    for name, p in target_p.items():
        held_out[f"label_{name}"] = labels.loc[test, name].to_numpy()
        share = target_models.targets[target_models.names().index(name)].share
        held_out[f"probability_{name}"] = held_out["probability"].to_numpy() * share if p is None else p
    metrics["targets"] = {**info, "models": target_metrics, "seconds": round(time.perf_counter() - began, 2)}
    return TrainedModel(published, state, metrics, held_out, params, targets=target_models)


def _store(home: Path) -> VersionedStore:
    return VersionedStore(home, MODELS)  # every model is kept: decisions name the model that made them


def models_dir(home: Path) -> Path:
    return _store(home).root


def save_model(home: Path, model: TrainedModel) -> Path:
    """Write a new model version and point ``latest`` at it."""
    store = _store(home)
    with store.stage() as (version, staging):
        model.published.save(staging)
        if model.targets is not None:
            model.targets.save(staging)
        spec = {
            "version": version,
            "features": model.state.names(),
            "vocab": model.state.vocab,
            "extra_numeric": model.state.extra_numeric,
            "extra_categorical": model.state.extra_categorical,
            "base_rate": model.state.base_rate,
            "metrics": model.metrics,
            "params": model.params,
        }
        (staging / "spec.json").write_text(json.dumps(spec, indent=1))
    model.version = version
    return store.folder(version)


def load_model(home: Path, version: str | None = None) -> tuple[PublishedModel, dict]:
    """The latest (or named) published model and its spec."""
    store = _store(home)
    version = version or store.latest()
    if version is None:
        raise ModelError(f"no model under {store.root}: run `riskgraph model train` first")
    folder = store.folder(version)
    try:
        return PublishedModel.load(folder), json.loads((folder / "spec.json").read_text())
    except FileNotFoundError:
        raise ModelError(f"model {version} is missing from {store.root} or incomplete: train a new one") from None


def _figures(m: dict) -> dict:
    return {k: m[k] for k in m if k.startswith("precision@") or k == "auc"}


def model_card(home: Path, version: str | None = None) -> dict | None:
    """The latest (or named) model's validation figures against its baseline, for ``GET /health`` and the
    report; None without a model."""
    store = _store(home)
    version = version or store.latest()
    try:
        spec = json.loads((store.folder(version) / "spec.json").read_text()) if version else None
    except FileNotFoundError:
        spec = None
    if spec is None:
        return None
    m = spec["metrics"]
    return {
        "version": version,
        "published": m.get("published"),
        "why": m.get("why"),
        "validation_window": [m.get("test_from"), m.get("test_to")],
        "validated_on": m.get("test"),
        "model": _figures(m),
        "baseline": _figures(m["baseline"]) if "baseline" in m else None,
        "final_score": _figures(m.get("final_score", {})),
        "brier": {k: m["calibration"][k] for k in ("brier_before", "brier_after")} if "calibration" in m else None,
        "calibrated_on": m.get("calibration", {}).get("basis", "inspections"),
        "hit_rates": m.get("representative"),
    }
