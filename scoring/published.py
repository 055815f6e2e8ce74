"""What clearance scores with: the main model, the raw-column baseline, or a blend, then calibrated.

Training (:mod:`scoring.model`) picks one of the three on the validation window, so the published
probability is never worse at ranking than the plain baseline; Platt scaling fitted on that window
turns it into a probability the score formula can add to rule weights (:func:`scoring.scorer.combine`).
Both boosters read the same feature row: the baseline uses the named subset of raw columns.

Files in a model or snapshot folder: ``model.txt`` (main), ``baseline.txt`` and ``published.json``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np

__all__ = ["PublishedModel", "platt", "KINDS", "FILES"]

KINDS = ("model", "blend", "baseline")
FILES = ("model.txt", "baseline.txt", "published.json")


def platt(p: np.ndarray, a: float, b: float) -> np.ndarray:
    """``sigmoid(a * logit(p) + b)``: monotone, so ranking (precision at any rate) is unchanged."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return 1.0 / (1.0 + np.exp(-(a * np.log(p / (1 - p)) + b)))


@dataclass
class PublishedModel:
    """The published probability: ``platt(weight * p_main + (1 - weight) * p_baseline)``.

    ``weight`` is 1 for the main model alone, 0 for the baseline alone; ``raw_index`` are the
    positions of the baseline's features in the full feature row.
    """

    kind: str
    main: lgb.Booster | None
    baseline: lgb.Booster | None
    raw_index: list[int]
    weight: float = 1.0
    calibration: tuple[float, float] = (1.0, 0.0)
    why: str = ""
    extra: dict = field(default_factory=dict)

    def raw_probability(self, matrix: np.ndarray) -> np.ndarray:
        matrix = np.asarray(matrix, dtype=float)
        p = np.zeros(len(matrix))
        if self.weight > 0:
            p += self.weight * self.main.predict(matrix, num_threads=1)
        if self.weight < 1:
            p += (1 - self.weight) * self.baseline.predict(matrix[:, self.raw_index], num_threads=1)
        return p

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of violation."""
        return platt(self.raw_probability(matrix), *self.calibration)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-feature contributions (TreeSHAP, log-odds) of the model that carries most weight, full width."""
        matrix = np.asarray(matrix, dtype=float)
        if self.weight >= 0.5:
            return self.main.predict(matrix, pred_contrib=True, num_threads=1)[:, :-1]
        out = np.zeros(matrix.shape)
        raw = self.baseline.predict(matrix[:, self.raw_index], pred_contrib=True, num_threads=1)[:, :-1]
        out[:, self.raw_index] = raw
        return out

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        for booster, name in ((self.main, "model.txt"), (self.baseline, "baseline.txt")):
            if booster is not None:
                booster.save_model(str(folder / name))
        meta = {
            "kind": self.kind,
            "weight": self.weight,
            "calibration": list(self.calibration),
            "raw_index": self.raw_index,
            "why": self.why,
            **self.extra,
        }
        (folder / "published.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: Path) -> PublishedModel:
        """Raises ``FileNotFoundError`` when the folder is incomplete."""
        folder = Path(folder)
        meta = json.loads((folder / "published.json").read_text())
        boosters = {}
        for name in ("model.txt", "baseline.txt"):
            path = folder / name
            boosters[name] = lgb.Booster(model_file=str(path)) if path.exists() else None
        weight = float(meta.pop("weight"))
        if (weight > 0 and boosters["model.txt"] is None) or (weight < 1 and boosters["baseline.txt"] is None):
            raise FileNotFoundError(f"{folder}: a booster the published model needs is missing")
        return cls(
            kind=meta.pop("kind"),
            main=boosters["model.txt"],
            baseline=boosters["baseline.txt"],
            raw_index=list(meta.pop("raw_index")),
            weight=weight,
            calibration=tuple(meta.pop("calibration")),
            why=meta.pop("why", ""),
            extra=meta,
        )

    @staticmethod
    def copy_files(source: Path, target: Path) -> None:
        for name in FILES:
            if (Path(source) / name).exists():
                shutil.copy(Path(source) / name, Path(target) / name)
