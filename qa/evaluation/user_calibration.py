"""`qa calibrate --questions FILE`: a refusal threshold for the user's own corpus.

The file holds the user's questions, one JSON object a line:
``{"question": "...", "answerable": true}``.  Each is asked once with refusal off;
the evidence scores show how well the score separates the two kinds on this
corpus (AUROC) and the suggested threshold is the highest that refuses at most
``max_false_refusal`` of the answerable ones.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from qa.errors import QAError
from qa.evaluation.squad import auroc


class UserQuestion(BaseModel):
    question: str
    answerable: bool


@dataclass
class UserCalibration:
    questions: int
    answerable: int
    auroc: float | None
    median_answerable: float | None
    median_unanswerable: float | None
    current: float
    suggested: float | None
    refused: float | None  # unanswerable refused at the suggested threshold
    false_refusal: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def load_user_questions(path: Path) -> list[UserQuestion]:
    if not Path(path).is_file():
        raise QAError(f"{path} not found; give a JSONL file of {{\"question\": ..., \"answerable\": true|false}}")
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(UserQuestion.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise QAError(f'{path} line {n} is not {{"question": "...", "answerable": true|false}}: '
                              f"{str(exc).splitlines()[0]}") from exc
    if not out:
        raise QAError(f"{path} has no questions")
    return out


def calibrate_user(engine, items: list[UserQuestion], max_false_refusal: float = 0.05) -> UserCalibration:
    current = engine.threshold
    scores = [engine.ask(i.question, threshold=0.0).evidence for i in items]
    ans = sorted(s for s, i in zip(scores, items, strict=True) if i.answerable)
    una = [s for s, i in zip(scores, items, strict=True) if not i.answerable]
    suggested = refused = false_refusal = None
    if ans:
        k = int(max_false_refusal * len(ans))  # refuse at most k answerable questions
        suggested = round(max(ans[k] - 1e-4, 0.0), 4)
        false_refusal = sum(s < suggested for s in ans) / len(ans)
        refused = sum(s < suggested for s in una) / len(una) if una else None
    return UserCalibration(
        questions=len(items), answerable=len(ans),
        auroc=auroc(scores, [i.answerable for i in items]),
        median_answerable=round(statistics.median(ans), 4) if ans else None,
        median_unanswerable=round(statistics.median(una), 4) if una else None,
        current=current, suggested=suggested, refused=refused, false_refusal=false_refusal,
    )
