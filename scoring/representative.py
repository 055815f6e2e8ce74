"""Representative outcomes: what inspections would find on declarations as they come, not as targeted.

Past inspections leaned on what the targeting feared (young firms, poor credit, sensitive goods), so the
violation rate among inspected declarations overstates the rate among all of them, most for the groups
the targeting chose. Two ways back to a representative figure:

* **random selection** - declarations sent to inspection at random (``random_selected`` logged back by
  feedback) are a sample of all declarations: used alone when there are ``MIN_RANDOM`` of them with both
  outcomes;
* **inverse propensity weighting** - otherwise each inspected declaration weighs ``1 / P(inspected |
  features)``, the propensity learned by gradient boosting over every declaration, inspected or not
  (Horvitz-Thompson; clipped at ``MAX_WEIGHT``). It corrects for what the features show of the
  targeting; targeting on what they do not show (an officer's tip) stays in the figure.

New firms are the declarations lodged in an importer's first ``NEW_FIRM_DAYS`` days in the data: their
representative violation rate is the default probability of an importer the graph does not know
(``scoring.new_firms``).

Reference: D. Horvitz and D. Thompson, "A generalization of sampling without replacement from a finite
universe", JASA 47 (1952); P. Rosenbaum and D. Rubin, "The central role of the propensity score" (1983).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["MIN_RANDOM", "NEW_FIRM_DAYS", "weighted_rows", "outcome_weights", "new_firm_rows", "hit_rates"]

MIN_RANDOM = 200
NEW_FIRM_DAYS = 90
MAX_WEIGHT = 50.0
#: the propensity model learns from at most this many declarations (its cost stays bounded at 10M)
_SAMPLE = 200_000


def _propensity_sample(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """The positions of the declarations the propensity model learns from (every one up to :data:`_SAMPLE`)."""
    if len(frame) <= _SAMPLE:
        return np.arange(len(frame))
    return np.random.default_rng(seed).choice(len(frame), _SAMPLE, replace=False)


def weighted_rows(frame: pd.DataFrame, seed: int = 0) -> pd.Series:
    """The declarations :func:`outcome_weights` reads features of: the inspected ones and the propensity sample."""
    rows = frame["inspected"] == 1
    rows.iloc[_propensity_sample(frame, seed)] = True
    return rows


def outcome_weights(frame: pd.DataFrame, features: pd.DataFrame, seed: int = 0) -> tuple[np.ndarray, str]:
    """Per declaration of ``frame``: the weight of its outcome in representative figures (0 when not
    inspected, or not randomly selected when random selections suffice), and the basis used. ``features`` (indexed
    as ``frame``) holds at least the :func:`weighted_rows`."""
    inspected = frame["inspected"].to_numpy() == 1
    if "random_selected" in frame:
        chosen = inspected & (pd.to_numeric(frame["random_selected"], errors="coerce").fillna(0).to_numpy() == 1)
        if chosen.sum() >= MIN_RANDOM and len(np.unique(frame["violation"].to_numpy()[chosen])) == 2:
            return chosen.astype(float), "random selection"
    if inspected.all() or not inspected.any():  # nothing to tell inspected from not (a fraud flag only)
        return inspected.astype(float), "inspections (unweighted: no uninspected declarations)"
    rows = _propensity_sample(frame, seed)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    model.fit(features.loc[frame.index[rows]].to_numpy(dtype=float), inspected[rows])
    # only the inspected carry a weight; in slices, as a float matrix of them all at once is a large allocation
    targeted = frame.index[inspected]
    propensity = np.concatenate(
        [
            model.predict_proba(features.loc[targeted[start : start + _SAMPLE]].to_numpy(dtype=float))[:, 1]
            for start in range(0, len(targeted), _SAMPLE)
        ]
    )
    weights = np.zeros(len(frame))
    weights[inspected] = np.minimum(1.0 / np.maximum(propensity, 1e-9), MAX_WEIGHT)
    return weights, "inverse propensity of inspection"


def new_firm_rows(frame: pd.DataFrame) -> np.ndarray:
    """Declarations lodged in their importer's first ``NEW_FIRM_DAYS`` days in the data."""
    first = frame.groupby("importer_id")["date"].transform("min")
    return ((frame["date"] - first).dt.days < NEW_FIRM_DAYS).to_numpy()


def hit_rates(frame: pd.DataFrame, weights: np.ndarray, basis: str) -> dict:
    """Targeted against representative violation rates, overall and for new firms."""
    inspected = frame["inspected"].to_numpy() == 1
    violation = frame["violation"].to_numpy().astype(float)
    new = new_firm_rows(frame)

    def rates(rows: np.ndarray) -> dict:
        targeted = rows & inspected
        w = weights[rows]
        representative = float(np.sum(w * violation[rows]) / w.sum()) if w.sum() > 0 else None
        plain = float(violation[targeted].mean()) if targeted.any() else None
        return {
            "inspected": int(targeted.sum()),
            "targeted_hit_rate": None if plain is None else round(plain, 4),
            "representative_rate": None if representative is None else round(representative, 4),
            "gap_points": None if None in (plain, representative) else round(100 * (plain - representative), 2),
        }

    return {"basis": basis, "all": rates(np.ones(len(frame), dtype=bool)), "new_firms": rates(new)}
