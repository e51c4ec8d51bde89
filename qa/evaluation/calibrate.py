"""Choose the abstain threshold on the dev split.

With the threshold at 0 the answerer never abstains, so one pass records every
question's evidence score and whether its answer is right; a threshold t then
refuses exactly the questions with evidence < t (the answer text itself does not
depend on t).  We pick the t with the best dev accuracy (answerable questions
answered right plus unanswerable ones refused) among those whose false-refusal
rate stays within the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from qa.evaluation.dataset import EvalItem
from qa.evaluation.metrics import answer_matches


@dataclass
class Observation:
    id: str
    answerable: bool
    evidence: float
    right_if_answered: bool  # answer text matches (always False for unanswerable)


@dataclass
class CurvePoint:
    threshold: float
    accuracy: float  # all items: right answers plus correct refusals
    answer_accuracy: float  # answerable items
    unanswerable_refusal: float
    false_refusal: float


@dataclass
class Calibration:
    split: str
    questions: int
    max_false_refusal: float
    current_threshold: float
    current: CurvePoint
    best: CurvePoint | None  # None when no threshold meets the false-refusal limit
    curve: list[CurvePoint] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def observe(engine, items: Sequence[EvalItem]) -> list[Observation]:
    """Ask every item with abstention switched off (threshold 0 for these questions only)."""
    out = []
    for item in items:
        ans = engine.ask(item.question, threshold=0.0)
        out.append(Observation(
            item.id, item.answerable, ans.evidence,
            item.answerable and answer_matches(ans, item.answers),
        ))
    return out


def point(obs: Sequence[Observation], t: float) -> CurvePoint:
    ans = [o for o in obs if o.answerable]
    una = [o for o in obs if not o.answerable]
    right = sum(o.right_if_answered and o.evidence >= t for o in ans)
    refused_una = sum(o.evidence < t for o in una)
    refused_ans = sum(o.evidence < t for o in ans)
    return CurvePoint(
        threshold=round(t, 4),
        accuracy=round((right + refused_una) / max(len(obs), 1), 4),
        answer_accuracy=round(right / max(len(ans), 1), 4),
        unanswerable_refusal=round(refused_una / max(len(una), 1), 4),
        false_refusal=round(refused_ans / max(len(ans), 1), 4),
    )


def candidate_thresholds(obs: Sequence[Observation]) -> list[float]:
    """0, and midpoints between consecutive distinct evidence scores (every distinct outcome)."""
    scores = sorted({round(o.evidence, 4) for o in obs})
    mids = [(a + b) / 2 for a, b in zip(scores, scores[1:], strict=False)]
    return [0.0, *mids, scores[-1] + 1e-4] if scores else [0.0]


def calibrate(
    obs: Sequence[Observation], current: float, max_false_refusal: float = 0.05, split: str = "dev"
) -> Calibration:
    curve = [point(obs, t) for t in candidate_thresholds(obs)]
    allowed = [p for p in curve if p.false_refusal <= max_false_refusal + 1e-9]
    best = None
    if allowed:
        top = max((p.accuracy, p.unanswerable_refusal) for p in allowed)
        tied = [p for p in allowed if (p.accuracy, p.unanswerable_refusal) == top]
        # The middle of the tied thresholds: farthest from flipping a dev question either way.
        best = tied[len(tied) // 2]
    return Calibration(split, len(obs), max_false_refusal, current, point(obs, current), best, curve)
