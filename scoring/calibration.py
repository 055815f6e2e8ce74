"""Calibrating the published probability on the validation window (Platt scaling) and measuring it.

Inspections were targeted, so their outcomes over-represent what the targeting looked for: each outcome
is weighted by how representative it is (``scoring.representative``: random selections alone, or the
inverse of the inspection's propensity), and the probability then estimates the violation rate among
declarations like it, not among the inspected ones.

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

from scoring.published import platt

__all__ = ["fit_platt", "brier", "reliability", "calibration_report"]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_platt(p: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """``(a, b)`` of ``sigmoid(a * logit(p) + b)``; identity when the (weighted) labels hold one class only."""
    labels = np.asarray(labels, dtype=int)
    if weights is not None:
        keep = np.asarray(weights, dtype=float) > 0
        p, labels, weights = np.asarray(p)[keep], labels[keep], np.asarray(weights, dtype=float)[keep]
    if len(np.unique(labels)) < 2:
        return 1.0, 0.0
    from sklearn.linear_model import LogisticRegression  # training only (see scoring.published)

    fit = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p).reshape(-1, 1), labels, sample_weight=weights)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _weights(weights, n: int) -> np.ndarray:
    return np.ones(n) if weights is None else np.asarray(weights, dtype=float)


def brier(p: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean (weighted) squared difference between probability and outcome (lower is better)."""
    w = _weights(weights, len(p))
    error = (np.asarray(p, dtype=float) - np.asarray(labels, dtype=float)) ** 2
    return float(np.sum(w * error) / max(w.sum(), 1e-12))


def reliability(p: np.ndarray, labels: np.ndarray, bins: int = 10, weights: np.ndarray | None = None) -> list[dict]:
    """Per bin of equal counts, ordered by probability: mean predicted against observed (weighted) violation rate."""
    p, labels, w = np.asarray(p, dtype=float), np.asarray(labels, dtype=float), _weights(weights, len(p))
    order = np.argsort(p, kind="stable")
    rows = []
    for part in np.array_split(order, min(bins, len(order))):
        if len(part) and w[part].sum() > 0:
            rows.append(
                {
                    "n": int(len(part)),
                    "predicted": round(float(np.average(p[part], weights=w[part])), 4),
                    "observed": round(float(np.average(labels[part], weights=w[part])), 4),
                }  # fmt: skip
            )
    return rows


def calibration_report(
    p: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None, basis: str = "inspections"
) -> tuple[tuple[float, float], dict]:
    """Platt parameters fitted on the whole window (``p`` ordered by date), and the honest check:
    fitted on the earlier half, Brier score before and after and reliability on the later half, each
    outcome weighted by ``weights`` (how representative it is; None: all alike), named by ``basis``."""
    p, labels = np.asarray(p, dtype=float), np.asarray(labels, dtype=int)
    w = _weights(weights, len(p))
    half = len(p) // 2
    early = fit_platt(p[:half], labels[:half], w[:half])
    late_p, late_y, late_w = p[half:], labels[half:], w[half:]
    calibrated = platt(late_p, *early)
    report = {
        "method": "platt",
        "basis": basis,
        "checked_on": int(np.count_nonzero(late_w)),
        "brier_before": round(brier(late_p, late_y, late_w), 5),
        "brier_after": round(brier(calibrated, late_y, late_w), 5),
        "reliability_before": reliability(late_p, late_y, weights=late_w),
        "reliability": reliability(calibrated, late_y, weights=late_w),
    }
    params = fit_platt(p, labels, w)
    report["params"] = [round(params[0], 6), round(params[1], 6)]
    return params, report
