"""What clearance scores with: the main model, the raw-column baseline, or a blend, then calibrated.

Training (:mod:`scoring.model`) picks one of the three on the validation window, so the published
probability is never worse at ranking than the plain baseline; Platt scaling fitted on that window
turns it into a probability the score formula can add to rule weights (:func:`scoring.scorer.combine`).
Both boosters read the same feature row: the baseline uses the named subset of raw columns.

Files in a model or snapshot folder: ``model.txt`` (main), ``baseline.txt`` and ``published.json``.

One declaration at a time (``POST /v1/score``) goes through LightGBM's single-row C API with its
prediction set up once per booster (:class:`_SingleRow`): ``Booster.predict`` sets up a predictor on
every call, which cost more than walking the trees of one row.

LightGBM (scikit-learn and SciPy with it: a second of start-up) is imported when a booster is loaded or
set up, not with this module: ``riskgraph analyze`` republishes a snapshot's files without either.
"""

from __future__ import annotations

import ctypes
import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import lightgbm as lgb

__all__ = ["PublishedModel", "platt", "KINDS", "FILES"]

KINDS = ("model", "blend", "baseline")
FILES = ("model.txt", "baseline.txt", "published.json")


def platt(p: np.ndarray, a: float, b: float) -> np.ndarray:
    """``sigmoid(a * logit(p) + b)``: monotone, so ranking (precision at any rate) is unchanged."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return 1.0 / (1.0 + np.exp(-(a * np.log(p / (1 - p)) + b)))


_PREDICT_NORMAL, _FLOAT64 = 0, 1  # LightGBM's C API constants (C_API_PREDICT_NORMAL, C_API_DTYPE_FLOAT64)


class _SingleRow:
    """A booster's prediction for one row through ``LGBM_BoosterPredictForMatSingleRowFast``, set up once.

    The set-up holds one row's buffers, so calls are serialised (the C call releases the GIL, and the
    batch route scores in the thread pool while the event loop scores single declarations)."""

    def __init__(self, booster: lgb.Booster) -> None:
        from lightgbm.basic import _LIB, _safe_call

        self._lib, self._safe_call = _LIB, _safe_call
        self.booster = booster  # the set-up points into it: keep it alive as long
        self.width = booster.num_feature()
        self.config = ctypes.c_void_p()
        _safe_call(
            self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(_PREDICT_NORMAL),
                ctypes.c_int(0),  # from the first iteration
                ctypes.c_int(-1),  # to the best (or last)
                ctypes.c_int(_FLOAT64),
                ctypes.c_int32(self.width),
                b"num_threads=1",
                ctypes.byref(self.config),
            )
        )
        self.out = np.zeros(1)
        self.out_len = ctypes.c_int64()
        self.lock = threading.Lock()

    def __call__(self, row: np.ndarray) -> float:
        row = np.ascontiguousarray(row, dtype=np.float64)
        with self.lock:
            self._safe_call(
                self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                    self.config,
                    row.ctypes.data_as(ctypes.c_void_p),
                    ctypes.byref(self.out_len),
                    self.out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                )
            )
            return float(self.out[0])

    def __del__(self) -> None:
        if self.config:
            self._lib.LGBM_FastConfigFree(self.config)


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
    _single: dict = field(default_factory=dict, repr=False, compare=False)  # booster name -> _SingleRow

    def raw_probability(self, matrix: np.ndarray) -> np.ndarray:
        matrix = np.asarray(matrix, dtype=float)
        if len(matrix) == 1:
            return np.array([self._one(matrix[0])])
        p = np.zeros(len(matrix))
        if self.weight > 0:
            p += self.weight * self.main.predict(matrix, num_threads=1)
        if self.weight < 1:
            p += (1 - self.weight) * self.baseline.predict(matrix[:, self.raw_index], num_threads=1)
        return p

    def _one(self, row: np.ndarray) -> float:
        p = 0.0
        if self.weight > 0:
            p += self.weight * self._single_row("main")(row)
        if self.weight < 1:
            p += (1 - self.weight) * self._single_row("baseline")(row[self.raw_index])
        return p

    def _single_row(self, name: str) -> _SingleRow:
        single = self._single.get(name)
        if single is None:  # two first requests at once may both set one up: harmless, one is kept
            single = self._single[name] = _SingleRow(getattr(self, name))
        return single

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
        import lightgbm as lgb

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
        """The published model's files, and the risk targets' (``targets/``, ``scoring.targets``) when there."""
        for name in FILES:
            if (Path(source) / name).exists():
                shutil.copy(Path(source) / name, Path(target) / name)
        if (Path(source) / "targets").is_dir():
            shutil.copytree(Path(source) / "targets", Path(target) / "targets")
