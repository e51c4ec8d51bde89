"""SQuAD-style benchmark metrics (qa/evaluation/squad.py) on made-up rows."""

from __future__ import annotations

import json

import pytest

from qa.errors import QAError
from qa.evaluation.squad import SquadRow, auroc, load_squad, risk_coverage, score


def _row(answerable, evidence, right, words=10):
    return SquadRow("i", "q", answerable, "a", evidence, right, words, False)


def test_auroc_by_ranks_with_ties():
    assert auroc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.9, 0.8], [True, True, False, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.5, 0.4], [True, True]) is None


def test_scores_under_a_threshold():
    rows = [_row(True, 0.9, True, 20), _row(True, 0.2, True, 30), _row(True, 0.8, False, 40),
            _row(False, 0.1, False), _row(False, 0.7, False)]
    m = score(rows, 0.5)
    assert m.answer_accuracy == pytest.approx(1 / 3, abs=1e-4)  # the refused right answer counts as wrong
    assert m.false_refusal == pytest.approx(1 / 3, abs=1e-4)
    assert m.unanswerable_refusal == 0.5
    assert m.median_words == 20  # answered: 20, 40 and the unanswerable one's 10


def test_risk_coverage_answers_the_most_confident_first():
    coverage, risk = risk_coverage([_row(True, 0.9, True), _row(False, 0.1, False), _row(True, 0.5, False)])
    assert coverage == [0.3333, 0.6667, 1.0] and risk == [0.0, 0.5, 0.6667]


def test_a_folder_without_questions_is_a_clear_error(tmp_path):
    with pytest.raises(QAError, match="docs/ and questions.jsonl"):
        load_squad(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "questions.jsonl").write_text(json.dumps({"id": "1", "question": "q"}) + "\n")
    with pytest.raises(QAError, match="line 1"):
        load_squad(tmp_path)
