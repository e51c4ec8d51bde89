"""Unit tests of the evaluation harness: no model, no index."""

from __future__ import annotations

import pytest

from qa.evaluation.baseline import baseline_dict, compare
from qa.evaluation.calibrate import Observation, calibrate, point
from qa.evaluation.dataset import Span, same_source
from qa.evaluation.gate import GateConfig, check_gate
from qa.evaluation.ir import rank_scores, ranx_scores
from qa.evaluation.metrics import (
    CURVE_K,
    answer_matches,
    answer_words,
    citation_precision,
    citation_recall,
    normalise,
)
from qa.evaluation.runner import EvalRun, QuestionResult, summarise
from qa.models import Answer, Citation

SRC = "seeds/000_x.txt"


def _citation(n: int, qs: int, qe: int, source: str = SRC) -> Citation:
    return Citation(
        n=n, doc_id="000_x", source=source, title="t", section="body", text="p", start=0, end=500,
        quote="q", quote_start=qs, quote_end=qe, score=0.5,
    )


def _answer(text: str, citations=(), abstained: bool = False) -> Answer:
    return Answer(question="q?", answer=text, abstained=abstained, citations=list(citations))


def test_normalise_and_match_ignore_case_and_whitespace():
    assert normalise("  Forty\n four   STPs ") == "forty four stps"
    ans = _answer("There are 44\nSTPs in England. [1]")
    assert answer_matches(ans, ["44 stps"])
    assert not answer_matches(ans, ["45 STPs"])
    assert not answer_matches(_answer("44 STPs", abstained=True), ["44 STPs"])


def test_answer_words_skip_markers():
    assert answer_words(_answer("One two three. [1] Four five. [2]")) == 5


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("seeds/000_x.txt", "seeds/000_x.txt", True),
        ("seeds/000_x.txt", "../main/seeds/000_x.txt", True),
        ("seeds/000_x.txt", "000_x.txt", True),
        ("seeds/000_x.txt", "seeds/002_y.txt", False),
        ("seeds/a/000_x.txt", "seeds/b/000_x.txt", False),
    ],
)
def test_same_source_compares_path_suffixes(a, b, same):
    assert same_source(a, b) is same


def test_citation_precision_and_recall_use_quote_spans():
    support = [Span(source=SRC, start=100, end=200), Span(source=SRC, start=900, end=950)]
    ans = _answer("x [1] y [2]", [_citation(1, 150, 180), _citation(2, 300, 400)])
    assert citation_precision(ans, support) == 0.5
    assert citation_recall(ans, support) == 0.5
    # Touching end-exclusive spans do not overlap; another file never counts.
    ans = _answer("x [1] y [2]", [_citation(1, 200, 220), _citation(2, 150, 160, "seeds/002_y.txt")])
    assert citation_precision(ans, support) == 0.0
    assert citation_precision(_answer("refused", abstained=True), support) is None
    assert citation_recall(_answer("refused", abstained=True), support) == 0.0


def test_ranx_scores_per_query_and_missing_queries():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}}
    run = {"q1": rank_scores(["a", "x"]), "q2": rank_scores(["x", "y", "b"]), "q3": {}}
    got = ranx_scores(qrels, run, ["hit_rate@1", "hit_rate@5", "mrr@10"])
    assert got["q1"] == {"hit_rate@1": 1.0, "hit_rate@5": 1.0, "mrr@10": 1.0}
    assert got["q2"]["hit_rate@1"] == 0.0 and got["q2"]["mrr@10"] == pytest.approx(1 / 3)
    assert got["q3"] == {"hit_rate@1": 0.0, "hit_rate@5": 0.0, "mrr@10": 0.0}


def test_rank_scores_keep_order_for_equal_engine_scores():
    scores = rank_scores(["c", "a", "b"])
    assert sorted(scores, key=lambda k: -scores[k]) == ["c", "a", "b"]


# --- synthetic runs -------------------------------------------------------------
def _row(qid: str, category: str, correct: bool, abstained: bool = False, hit5: float = 1.0,
         split: str = "dev") -> QuestionResult:
    answerable = category != "unanswerable"
    return QuestionResult(
        id=qid, question="q?", category=category, split=split, answerable=answerable, accepted=["a"],
        answer="a [1]", abstained=abstained, evidence=0.5, correct=correct, failure=None if correct else "x",
        citation_precision=1.0 if answerable else None, citation_recall=1.0 if answerable else None,
        answer_words=2, first_relevant_rank=1 if hit5 else None,
        hit_at_1=hit5 if answerable else None, hit_at_5=hit5 if answerable else None,
        mrr=hit5 if answerable else None, ndcg_at_10=hit5 if answerable else None,
        hit_curve=[hit5] * CURVE_K if answerable else [],
    )


def _run(rows) -> EvalRun:
    return EvalRun(settings={"top_k": 5}, index={}, questions=len(rows), seconds=0.0,
                   summary=summarise(rows), rows=rows)


GOOD = [
    _row("q1", "factual", True), _row("q2", "factual", True), _row("q3", "definition", True, split="heldout"),
    _row("q4", "unanswerable", True, abstained=True), _row("q5", "factual", False, abstained=True, hit5=0.0),
]


def test_summary_per_split_and_category():
    run = _run(GOOD)
    assert run.metric("answer_accuracy") == 0.75
    assert run.metric("false_refusal") == 0.25
    assert run.metric("unanswerable_refusal") == 1.0
    assert run.metric("hit@5") == 0.75
    assert run.metric("correct") == 0.8
    assert run.metric("answer_accuracy", "heldout") == 1.0
    assert run.metric("answer_accuracy", "all", "factual") == pytest.approx(2 / 3, abs=1e-4)
    assert run.summary["all"].categories["unanswerable"].answer_accuracy is None


def test_gate_floors_ceilings_and_baseline_tolerance():
    run = _run(GOOD)
    config = GateConfig.model_validate({
        "min": {"answer_accuracy": 0.7, "hit@5": 0.7}, "max": {"false_refusal": 0.3},
        "baseline": {"tolerance": {"answer_accuracy": 0.05, "false_refusal": 0.05}, "max_regressed_questions": 0},
    })
    baseline = baseline_dict(run)
    assert check_gate(run, config, baseline).passed

    worse = _run([*GOOD[:1], _row("q2", "factual", False, hit5=0.0), *GOOD[2:]])
    cmp = compare(worse, baseline, "eval/baseline.json")
    assert [r.id for r in cmp.regressions] == ["q2"]
    result = check_gate(worse, config, baseline, len(cmp.regressions))
    failed = {c.name for c in result.failures}
    assert "answer_accuracy >= 0.7" in failed and "hit@5 >= 0.7" in failed
    assert "answer_accuracy vs baseline" in failed
    assert "regressed questions <= 0" in failed
    assert "false_refusal <= 0.3" not in failed  # unchanged


def test_compare_reports_lost_correct_refusals():
    baseline = baseline_dict(_run(GOOD))
    now = _run([*GOOD[:3], _row("q4", "unanswerable", False), GOOD[4]])
    (reg,) = compare(now, baseline, "b.json").regressions
    assert (reg.id, reg.was) == ("q4", "refused correctly")


def test_gate_rejects_unknown_metric():
    with pytest.raises(ValueError, match="unknown metric"):
        GateConfig.model_validate({"min": {"acuracy": 0.9}})


def test_calibration_respects_false_refusal_limit():
    obs = [
        Observation("a1", True, 0.9, True), Observation("a2", True, 0.7, True),
        Observation("a3", True, 0.5, False), Observation("a4", True, 0.35, True),
        Observation("u1", False, 0.3, False), Observation("u2", False, 0.45, False),
    ]
    # Refusing below 0.4 refuses u1 only; below 0.6 also u2 but costs a4's correct answer.
    cal = calibrate(obs, current=0.0, max_false_refusal=0.0)
    assert cal.best is not None and 0.3 < cal.best.threshold <= 0.35
    assert cal.best.false_refusal == 0.0
    loose = calibrate(obs, current=0.0, max_false_refusal=0.5)
    assert loose.best.accuracy >= cal.best.accuracy
    assert point(obs, 0.0).unanswerable_refusal == 0.0
    assert [p.threshold for p in cal.curve] == sorted(p.threshold for p in cal.curve)


def test_heldout_changes_are_counted_not_named():
    from qa.evaluation.report import _comparison_md

    baseline = baseline_dict(_run(GOOD))
    now = _run([GOOD[0], _row("q2", "factual", False), _row("q3", "definition", False, split="heldout"),
                GOOD[3], _row("q5", "factual", True, split="heldout")])
    cmp = compare(now, baseline, "b.json")
    assert [r.id for r in cmp.regressions] == ["q2", "q3"]  # the gate counts both
    shown, heldout = cmp.listed()
    assert [r.id for r in shown] == ["q2"] and heldout == 1
    assert cmp.improvements == []  # q5 is heldout: not named either
    md = "\n".join(_comparison_md(cmp))
    assert "q2" in md and "q3" not in md and "1 heldout question(s), not listed" in md
