"""One probability per risk target (tax, security, IPR, drugs, an administration's own), learned from
outcomes with their types.

A model of "any violation" is dominated by the common risk (under-valuation): the rare, grave ones rank
below a routine tariff case. So besides the overall model, each target gets its own booster on the same
feature row, its labels the violations whose type belongs to it (:mod:`graph.targets`). Training stays
cheap: the overall model's searched settings are reused with at most :data:`TARGET_TREES` trees, and
each target is validated on the same time split as the overall model, against a plain baseline for
that target (the raw-column booster, same settings): of target model, blend and baseline the best at
5 % and 10 % is published, never one below the baseline (:func:`scoring.model.choose_published`), then
calibrated on the validation window and refitted on all labelled history.

A target with fewer than :data:`MIN_POSITIVES` violations in the training window (or none in the
validation window) falls back, and says so: its probability is the overall model's times the target's
share of typed violations, so it ranks as the overall model does. Outcomes with a fraud flag and no
types at all give one target, ``any``, learned as the overall model is.

Files in a model or snapshot folder: ``targets/targets.json`` and ``targets/<name>/`` (a
:class:`scoring.published.PublishedModel` each).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graph.targets import ANY, OTHER, TargetTable
from scoring.calibration import calibration_report
from scoring.published import PublishedModel, platt
from scoring.search import fit_booster, fit_published

__all__ = [
    "MIN_POSITIVES",
    "TARGET_TREES",
    "FOLDER",
    "TargetModel",
    "TargetModels",
    "target_labels",
    "fit_targets",
    "precision_recall_at",
    "compare_at_rates",
]

MIN_POSITIVES = 15
TARGET_TREES = 100
FOLDER = "targets"
_WEIGHTS = {"model": 1.0, "blend": 0.5, "baseline": 0.0}


@dataclass
class TargetModel:
    """One target's probability: its own published booster(s), or the overall model scaled (a fallback)."""

    name: str
    model: PublishedModel | None
    share: float = 1.0  # fallback: the target's share of violations
    why: str = ""

    def predict(self, matrix: np.ndarray, overall: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of a violation of this target; ``overall`` is the overall model's."""
        if self.model is None:
            return np.asarray(overall, dtype=float) * self.share
        return self.model.predict(matrix)


@dataclass
class TargetModels:
    """The targets a model was trained for, in report order, and where their labels came from."""

    targets: list[TargetModel]
    source: str = "types"  # types | flag (no types: one target, any)
    info: dict = field(default_factory=dict)

    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def predict(self, matrix: np.ndarray, overall: np.ndarray) -> dict[str, np.ndarray]:
        return {t.name: t.predict(matrix, overall) for t in self.targets}

    def save(self, folder: Path) -> None:
        root = Path(folder) / FOLDER
        root.mkdir(parents=True, exist_ok=True)
        entries = []
        for t in self.targets:
            if t.model is not None:
                (root / t.name).mkdir(exist_ok=True)
                t.model.save(root / t.name)
            entries.append({"name": t.name, "fallback": t.model is None, "share": t.share, "why": t.why})
        doc = {"source": self.source, "targets": entries, "info": self.info}
        (root / "targets.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> TargetModels | None:
        """None for a model trained before targets (no ``targets/`` folder)."""
        root = Path(folder) / FOLDER
        try:
            doc = json.loads((root / "targets.json").read_text())
        except FileNotFoundError:
            return None
        targets = [
            TargetModel(
                e["name"], None if e["fallback"] else PublishedModel.load(root / e["name"]), e["share"], e["why"]
            )
            for e in doc["targets"]
        ]
        return cls(targets, doc.get("source", "types"), doc.get("info", {}))


def _load(root: Path, entry: dict) -> PublishedModel | None:
    return None if entry["fallback"] else PublishedModel.load(root / entry["name"])


def target_labels(frame: pd.DataFrame, table: TargetTable) -> tuple[pd.DataFrame, dict]:
    """0/1 labels per target for the prepared declarations (``violation``, ``violation_type``), and what the
    types said: ``{"source", "targets", "other": {"count", "types": {type: count}}}``.

    Without any violation type, one target ``any`` (the violation flag). Otherwise the targets in force;
    a violation whose type is unknown, belongs to no target, or is missing counts as ``other``.
    """
    violation = frame["violation"].to_numpy(dtype=int) == 1
    types = frame["violation_type"] if "violation_type" in frame else pd.Series(None, index=frame.index)
    typed = types.where(violation).dropna().astype(str).str.strip()
    typed = typed[typed != ""]
    if typed.empty:
        labels = pd.DataFrame({ANY: violation.astype(int)}, index=frame.index)
        return labels, {"source": "flag", "targets": [ANY], "other": {"count": 0, "types": {}}}
    names = list(table.targets())
    given = types.where(violation, None)
    given = given.where(given.notna() & (given.astype(str).str.strip() != ""), "(no type)")
    targets, unknown = table.classify(given[violation].tolist())
    target_of = pd.Series(OTHER, index=frame.index)
    target_of[violation] = targets
    labels = pd.DataFrame({t: (violation & (target_of == t)).astype(int) for t in names}, index=frame.index)
    other = given[violation & (target_of == OTHER).to_numpy()].value_counts()
    info = {
        "source": "types",
        "targets": names,
        "other": {"count": int(other.sum()), "types": {str(k): int(v) for k, v in other.head(10).items()}},
        "unknown": {str(k): int(v) for k, v in sorted(unknown.items(), key=lambda kv: -kv[1])[:10]},
    }
    return labels, info


def _figures(m: dict) -> dict:
    return {k: v for k, v in m.items() if k.startswith("precision@") or k == "auc"}


def fit_targets(
    labels: pd.DataFrame,
    final_labels: pd.DataFrame,
    info: dict,
    *,
    features: pd.DataFrame,
    final_features: pd.DataFrame,
    train: pd.Series,
    test: pd.Series,
    labelled: pd.Series,
    names: list[str],
    raw: list[str],
    categorical: list[str],
    params: dict,
    revenue: np.ndarray,
    seed: int,
) -> tuple[TargetModels, dict, dict[str, np.ndarray]]:
    """Validate and publish one model per target; ``(models, metrics per target, held-out raw p per target)``.

    ``labels`` are per target on the validation frame (rows of ``features``), ``final_labels`` on the final
    frame (rows of ``final_features``); ``train``/``test``/``labelled`` are the overall model's masks (on
    the validation frame; ``labelled`` on the final one). The held-out probabilities are calibrated, or
    None for a fallback (the caller scales the overall model's).
    """
    from scoring.model import choose_published, ranking_metrics

    raw_categorical = [c for c in categorical if c in raw]
    typed_train = int(labels.loc[train].to_numpy().sum())
    out, metrics, held = [], {}, {}
    for name in labels.columns:
        y_train, y_test = labels.loc[train, name].to_numpy(), labels.loc[test, name].to_numpy()
        positives = int(y_train.sum())
        share = positives / typed_train if typed_train else 0.0
        m: dict = {"train_positives": positives, "test_positives": int(y_test.sum()), "share": round(share, 4)}
        if positives < MIN_POSITIVES or y_test.sum() == 0:
            why = (
                f"{positives} violations in the training window and {int(y_test.sum())} in the validation window "
                f"(a model needs {MIN_POSITIVES} and 1): falls back to the overall model x {share:.3f}"
            )
            out.append(TargetModel(name, None, share, why))
            metrics[name] = {**m, "published": "fallback", "why": why}
            held[name] = None
            continue
        main = fit_booster(features.loc[train, names], y_train, categorical, params["model"], seed, TARGET_TREES)
        base = fit_booster(features.loc[train, raw], y_train, raw_categorical, params["baseline"], seed, TARGET_TREES)
        p_main = main.predict(features.loc[test, names], num_threads=1)
        p_base = base.predict(features.loc[test, raw], num_threads=1)
        raw_p = {k: w * p_main + (1 - w) * p_base for k, w in _WEIGHTS.items()}
        candidates = {k: ranking_metrics(p, y_test, revenue) for k, p in raw_p.items()}
        kind, why = choose_published(candidates)
        calibration, check = calibration_report(raw_p[kind], y_test)
        held[name] = platt(raw_p[kind], *calibration)
        y_all = final_labels.loc[labelled, name].to_numpy()
        published = fit_published(
            kind, _WEIGHTS[kind], final_features.loc[labelled], y_all, names=names, raw=raw, categorical=categorical,
            raw_categorical=raw_categorical, params=params, seed=seed, calibration=calibration, why=why,
            max_rounds=TARGET_TREES,
        )  # fmt: skip
        out.append(TargetModel(name, published, share, why))
        metrics[name] = {
            **m,
            "published": kind,
            "why": why,
            "candidates": {
                k: {x: v[x] for x in v if x.startswith("precision@") or x == "auc"} for k, v in candidates.items()
            },
            "brier": [check["brier_before"], check["brier_after"]],
        }
    return TargetModels(out, info["source"], info), metrics, held


def precision_recall_at(scores: np.ndarray, labels: np.ndarray, rate: float) -> tuple[float, float | None]:
    """(precision, recall) among the top ``rate`` of declarations ranked by ``scores``; recall None without
    positives.

    >>> precision_recall_at(np.array([0.9, 0.1, 0.8, 0.2]), np.array([1, 1, 0, 0]), 0.5)
    (0.5, 0.5)
    """
    labels = np.asarray(labels, dtype=float)
    top = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[: max(1, math.ceil(rate * len(labels)))]
    found, positives = float(labels[top].sum()), float(labels.sum())
    return found / len(top), (found / positives if positives else None)


def compare_at_rates(
    overall: np.ndarray, per_target: dict[str, np.ndarray], labels: dict[str, np.ndarray], rates: tuple[float, ...]
) -> dict[str, dict]:
    """Per target and rate: precision and recall of the target's own score against the overall score, each
    ranked alone, on that target's labels (the held-out window)."""
    out = {}
    for name, scores in per_target.items():
        y = labels[name]
        out[name] = {"positives": int(np.sum(y))}
        for rate in rates:
            own, base = precision_recall_at(scores, y, rate), precision_recall_at(overall, y, rate)
            out[name][f"{rate:.0%}"] = {
                "own": {"precision": own[0], "recall": own[1]},
                "overall": {"precision": base[0], "recall": base[1]},
            }
    return out
