"""Calibrating the published probability on the validation window (Platt scaling) and measuring it.

Platt scaling (a logistic regression on the logit of the raw probability) is monotone, so ranking by
the calibrated probability selects the same declarations; what changes is that "0.3" means about
30 % of such declarations hold a violation, which the score formula needs to weigh the model against
rule weights and network risk. Its effect is measured honestly: fitted on the earlier half of the
validation window, the Brier score and reliability table are taken on the later half.

Reference: J. Platt, "Probabilistic outputs for support vector machines" (1999); G. Brier, "Verification
of forecasts expressed in terms of probability", Monthly Weather Review 78 (1950).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from scoring.published import platt

__all__ = ["fit_platt", "brier", "reliability", "calibration_report"]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_platt(p: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` of ``sigmoid(a * logit(p) + b)``; identity when the labels hold one class only."""
    labels = np.asarray(labels, dtype=int)
    if len(np.unique(labels)) < 2:
        return 1.0, 0.0
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p).reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def brier(p: np.ndarray, labels: np.ndarray) -> float:
    """Mean squared difference between probability and outcome (lower is better)."""
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(labels, dtype=float)) ** 2))


def reliability(p: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[dict]:
    """Per bin of equal counts, ordered by probability: mean predicted against observed violation rate."""
    p, labels = np.asarray(p, dtype=float), np.asarray(labels, dtype=float)
    order = np.argsort(p, kind="stable")
    rows = []
    for part in np.array_split(order, min(bins, len(order))):
        if len(part):
            rows.append(
                {
                    "n": int(len(part)),
                    "predicted": round(float(p[part].mean()), 4),
                    "observed": round(float(labels[part].mean()), 4),
                }  # fmt: skip
            )
    return rows


def calibration_report(p: np.ndarray, labels: np.ndarray) -> tuple[tuple[float, float], dict]:
    """Platt parameters fitted on the whole window (``p`` ordered by date), and the honest check:
    fitted on the earlier half, Brier score before and after and reliability on the later half."""
    p, labels = np.asarray(p, dtype=float), np.asarray(labels, dtype=int)
    half = len(p) // 2
    early = fit_platt(p[:half], labels[:half])
    late_p, late_y = p[half:], labels[half:]
    calibrated = platt(late_p, *early)
    report = {
        "method": "platt",
        "checked_on": int(len(late_p)),
        "brier_before": round(brier(late_p, late_y), 5),
        "brier_after": round(brier(calibrated, late_y), 5),
        "reliability_before": reliability(late_p, late_y),
        "reliability": reliability(calibrated, late_y),
    }
    params = fit_platt(p, labels)
    report["params"] = [round(params[0], 6), round(params[1], 6)]
    return params, report
