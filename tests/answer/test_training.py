"""The training procedure's rules (scripts/train_answerer.py), on made-up candidate rows.

The committed model is checked against its figures by ``train_answerer.py --dry-run``; these
tests pin the rules themselves: how the refusal threshold is read off out-of-fold evidence,
that it holds on every source it names, and which sources teach which model.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.answer.features import FEATURES, QUESTION_FEATURES
from qa.answer.question import read_question

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_answerer.py"


@pytest.fixture(scope="module")
def train_answerer():
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("train_answerer", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_answerer"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("train_answerer", None)


def test_threshold_refuses_at_most_the_target_share(train_answerer):
    """Out of 100 answerable questions with evidence 0.01 ... 1.00, FR_TARGET 4% refuses exactly the
    four weakest; unanswerable ones do not move it."""
    rows = [(True, (i + 1) / 100, True, 20) for i in range(100)] + [(False, 0.99, False, 20)] * 30
    t = train_answerer.choose_threshold(rows, 0.04)
    assert sum(r[1] < t for r in rows if r[0]) == 4
    assert 0.04 < t <= 0.05


def _questions(module, source: str, n: int, seed: int, separable: bool):
    """Made-up questions of one source: the first candidate answers when the question is answerable;
    ``separable`` makes answerable questions' best candidates look different from the others'."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        answerable = i % 2 == 0
        matrix = rng.normal(size=(6, len(FEATURES)))
        labels = np.zeros(6, dtype=bool)
        if answerable:
            labels[0] = True
            matrix[0, FEATURES.index("tok_idf")] += 3.0
            if separable:
                matrix[0, FEATURES.index("lex_window")] += 3.0
        info = read_question(f"Where is item {i} kept in {source}?", lambda t: 1.0, 2.0, {})
        out.append(module.QuestionData(f"{source}-{i}", source, f"{source} unit {i % 8}", (i // 2) % 2, answerable,
                                       ["x"] if answerable else [], info, [f"sentence {j}" for j in range(6)],
                                       matrix, labels, labels.copy(), list(range(6))))
    return out


def test_articles_teach_the_sentence_model_only(train_answerer, monkeypatch):
    """SENTENCE_ONLY sources add sentence rows but no answerability row; the threshold is the lowest
    of the ones read off each THRESHOLD_SOURCES source."""
    data = (_questions(train_answerer, "squad", 40, 0, True) + _questions(train_answerer, "user", 40, 1, True)
            + _questions(train_answerer, "articles", 40, 2, False))
    fitted: dict[str, int] = {}
    real_fit = train_answerer._fit

    def recording_fit(X, y, names, weight):
        fitted[names[0]] = fitted.get(names[0], 0) + len(X)
        return real_fit(X, y, names, weight)

    monkeypatch.setattr(train_answerer, "_fit", recording_fit)
    monkeypatch.setattr(train_answerer, "SENTENCE_ONLY", ("articles",))
    model, _ = train_answerer.train(data)
    assert fitted[QUESTION_FEATURES[0]] == 80  # squad and user questions, no article
    assert fitted[FEATURES[0]] == 2 * 6 * 60 + 6 * 120  # each inner fold on the other half, then all

    chosen = []
    real_choose = train_answerer.choose_threshold

    def recording_choose(rows, fr_target=None):
        chosen.append(real_choose(rows, fr_target))
        return chosen[-1]

    monkeypatch.setattr(train_answerer, "choose_threshold", recording_choose)
    model, _ = train_answerer.train(data)
    per_source = chosen[-len(train_answerer.THRESHOLD_SOURCES):]
    assert model.threshold == min(per_source)
