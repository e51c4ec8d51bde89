"""Per-question answer checks and per-group averages.

Retrieval metrics (hit@k, MRR, nDCG@10) come from ranx (``qa.evaluation.ir``);
this module only checks answers and citations against the eval set and
averages per-question values over a group of questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qa.evaluation.dataset import Span
from qa.models import Answer, Citation

_MARKER = re.compile(r"\s*\[\d+\]")
CURVE_K = 20  # hit rate is reported for k = 1..CURVE_K


def normalise(text: str) -> str:
    """Lower-case and collapse every run of whitespace (eval/README.md, "answers")."""
    return " ".join(text.split()).lower()


def answer_matches(answer: Answer, accepted: Sequence[str]) -> bool:
    """An accepted string appears in the answer text; an abstention never matches."""
    if answer.abstained:
        return False
    text = normalise(answer.answer)
    return any(normalise(a) in text for a in accepted if a.strip())


def answer_words(answer: Answer) -> int:
    """Words the user reads, without the [n] citation markers."""
    return len(_MARKER.sub("", answer.answer).split())


def citation_hits(citation: Citation, support: Sequence[Span]) -> bool:
    """The cited sentence (quote span) overlaps a supporting span in the same file."""
    return any(s.overlaps(citation.source, citation.quote_start, citation.quote_end) for s in support)


def citation_precision(answer: Answer, support: Sequence[Span]) -> float | None:
    """Share of citations on a support span; None when nothing is cited."""
    if not answer.citations:
        return None
    return sum(citation_hits(c, support) for c in answer.citations) / len(answer.citations)


def citation_recall(answer: Answer, support: Sequence[Span]) -> float | None:
    """Share of support spans that some citation covers; None for unanswerable items."""
    if not support:
        return None
    covered = sum(
        any(s.overlaps(c.source, c.quote_start, c.quote_end) for c in answer.citations) for s in support
    )
    return covered / len(support)


@dataclass
class GroupMetrics:
    """Averages over a group of questions (a split, a category, or both)."""

    questions: int
    answerable: int
    unanswerable: int
    correct: float | None  # all items: answered right, or refused when unanswerable
    answer_accuracy: float | None  # answerable items; a refusal counts as wrong
    citation_precision: float | None
    citation_recall: float | None
    answer_words: float | None  # answered items only
    unanswerable_refusal: float | None
    false_refusal: float | None
    hit_at_1: float | None
    hit_at_5: float | None
    mrr: float | None
    ndcg_at_10: float | None
    hit_curve: list[float] = field(default_factory=list)  # hit@k for k = 1..CURVE_K

    def get(self, name: str) -> float | None:
        """Metric by its report name ("hit@5", "answer_accuracy", ...)."""
        return getattr(self, METRIC_ATTRS.get(name, name))


# Names used in gate.json, the report and the JSON output.
METRIC_ATTRS = {"hit@1": "hit_at_1", "hit@5": "hit_at_5", "ndcg@10": "ndcg_at_10"}
HEADLINE = (
    "correct", "answer_accuracy", "hit@1", "hit@5", "mrr", "ndcg@10", "citation_precision",
    "citation_recall", "unanswerable_refusal", "false_refusal", "answer_words",
)


def mean(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def aggregate(rows: Sequence) -> GroupMetrics:
    """Average ``QuestionResult`` rows (see ``qa.evaluation.runner``)."""
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]
    curve = [mean(r.hit_curve[k] for r in ans) for k in range(CURVE_K)] if ans else []
    return GroupMetrics(
        questions=len(rows),
        answerable=len(ans),
        unanswerable=len(una),
        correct=mean(r.correct for r in rows),
        answer_accuracy=mean(r.correct for r in ans),
        citation_precision=mean(r.citation_precision for r in ans),
        citation_recall=mean(r.citation_recall for r in ans),
        answer_words=mean(r.answer_words for r in rows if not r.abstained),
        unanswerable_refusal=mean(r.abstained for r in una),
        false_refusal=mean(r.abstained for r in ans),
        hit_at_1=mean(r.hit_at_1 for r in ans),
        hit_at_5=mean(r.hit_at_5 for r in ans),
        mrr=mean(r.mrr for r in ans),
        ndcg_at_10=mean(r.ndcg_at_10 for r in ans),
        hit_curve=[c for c in curve if c is not None],
    )
