"""The learned sentence scorer: logistic regression over qa/answer_features.py, scored with numpy.

The weights live in ``qa/answerer_model.json`` (written by ``scripts/train_answerer.py``,
with the data and command that produced them).  Scoring is a dot product, so the
query path imports neither scikit-learn nor scipy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answer_features import FEATURES

MODEL_PATH = Path(__file__).with_name("answerer_model.json")


@dataclass(frozen=True)
class SentenceScorer:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    extra_ratio: float  # a further sentence joins the answer when its probability is this share of the best
    threshold: float  # the refusal threshold chosen in training (the settings' default)

    @classmethod
    def from_dict(cls, raw: dict) -> SentenceScorer:
        names = tuple(raw["features"])
        if names != FEATURES:
            raise ValueError(
                f"{MODEL_PATH.name} was fitted on features {names}, the code computes {FEATURES}. "
                "Retrain with `python scripts/train_answerer.py`."
            )
        return cls(
            names, np.asarray(raw["mean"], np.float64), np.asarray(raw["scale"], np.float64),
            np.asarray(raw["coef"], np.float64), float(raw["intercept"]), float(raw["extra_ratio"]),
            float(raw["threshold"]),
        )

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """P(sentence answers the question) for each row of ``matrix`` (FEATURES order)."""
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """Each feature's share of one row's log-odds (for `qa explain`)."""
        parts = (row - self.mean) / self.scale * self.coef
        return {n: round(float(v), 3) for n, v in zip(self.features, parts, strict=True)}


@lru_cache(maxsize=1)
def load_scorer(path: Path = MODEL_PATH) -> SentenceScorer:
    return SentenceScorer.from_dict(json.loads(path.read_text(encoding="utf-8")))
