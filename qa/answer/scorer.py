"""The learned answerer's two models, scored with numpy from ``qa/answer/answerer_model.json``.

``sentence``: logistic regression giving each candidate sentence the probability
that it holds the answer (features in ``qa.answer.features.FEATURES``); the best
one is the answer.  ``question``: logistic regression over how the best
candidates look (``QUESTION_FEATURES``) giving the probability that the question
is answerable from the retrieved text: that is the evidence compared with the
refusal threshold.  ``scripts/train_answerer.py`` fits both on public data and
records how; the query path imports neither scikit-learn nor scipy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answer.features import FEATURES, QUESTION_FEATURES

MODEL_PATH = Path(__file__).with_name("answerer_model.json")


@dataclass(frozen=True)
class LogisticModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, raw: dict, expected: tuple[str, ...]) -> LogisticModel:
        names = tuple(raw["features"])
        if names != expected:
            raise ValueError(
                f"{MODEL_PATH.name} was fitted on features {names}, the code computes {expected}. "
                "Retrain with `python scripts/train_answerer.py`."
            )
        return cls(names, np.asarray(raw["mean"], np.float64), np.asarray(raw["scale"], np.float64),
                   np.asarray(raw["coef"], np.float64), float(raw["intercept"]))

    def to_dict(self) -> dict:
        r = 6
        return {"features": list(self.features), "mean": [round(float(v), r) for v in self.mean],
                "scale": [round(float(v), r) for v in self.scale], "coef": [round(float(v), r) for v in self.coef],
                "intercept": round(self.intercept, r)}

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """Each feature's share of one row's log-odds (for `qa explain`)."""
        parts = (row - self.mean) / self.scale * self.coef
        return {n: round(float(v), 3) for n, v in zip(self.features, parts, strict=True)}


@dataclass(frozen=True)
class AnswererModel:
    sentence: LogisticModel
    question: LogisticModel
    extra_ratio: float  # a further sentence joins the answer when its probability is this share of the best
    threshold: float  # the refusal threshold chosen in training (the settings' default)

    @property
    def features(self) -> tuple[str, ...]:
        return self.sentence.features

    @classmethod
    def from_dict(cls, raw: dict) -> AnswererModel:
        return cls(LogisticModel.from_dict(raw["sentence"], FEATURES),
                   LogisticModel.from_dict(raw["question"], QUESTION_FEATURES),
                   float(raw["extra_ratio"]), float(raw["threshold"]))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """P(sentence answers the question) for each row of ``matrix`` (FEATURES order)."""
        return self.sentence.probabilities(matrix)

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        return self.sentence.contributions(row)

    def answerable(self, row: np.ndarray) -> float:
        """P(the question is answered by the retrieved text), from a QUESTION_FEATURES row."""
        return float(self.question.probabilities(row[None, :])[0])


@lru_cache(maxsize=1)
def load_scorer(path: Path = MODEL_PATH) -> AnswererModel:
    return AnswererModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
