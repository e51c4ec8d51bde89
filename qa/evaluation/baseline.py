"""Saved baseline (eval/baseline.json) and the questions that got worse since it."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.metrics import HEADLINE
from qa.evaluation.runner import EvalRun


@dataclass
class Regression:
    id: str
    category: str
    split: str
    was: str  # "correct" / "refused correctly"
    now: str  # the current failure reason


@dataclass
class Comparison:
    baseline_path: str
    baseline_created: str | None
    regressions: list[Regression]
    improvements: list[str]  # ids wrong in the baseline, right now (not heldout ones)
    deltas: dict[str, dict[str, float]]  # split -> metric -> now - baseline

    def to_dict(self) -> dict:
        return asdict(self)

    def listed(self) -> tuple[list[Regression], int]:
        """The regressions to show one by one, and how many heldout ones are only counted.

        Heldout is read as totals: naming its items in a report invites fixing them.
        """
        shown = [r for r in self.regressions if r.split != "heldout"]
        return shown, len(self.regressions) - len(shown)


def baseline_dict(run: EvalRun) -> dict:
    """Summary metrics per split and category, and per-question correctness."""
    summary = {}
    for split, s in run.summary.items():
        summary[split] = {name: s.overall.get(name) for name in HEADLINE}
        summary[split]["categories"] = {
            c: {name: g.get(name) for name in HEADLINE} for c, g in s.categories.items()
        }
    return {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": run.settings,
        "summary": summary,
        "questions": {
            r.id: {"correct": r.correct, "abstained": r.abstained, "category": r.category, "split": r.split}
            for r in run.rows
        },
    }


def save_baseline(run: EvalRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline_dict(run), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_baseline(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise QAError(f"baseline {path} is not valid JSON ({exc}); rewrite it with --save-baseline") from exc
    if not isinstance(data, dict) or "summary" not in data or "questions" not in data:
        raise QAError(f"baseline {path} lacks 'summary' or 'questions'; rewrite it with --save-baseline")
    return data


def compare(run: EvalRun, baseline: dict, path: Path) -> Comparison:
    before = baseline["questions"]
    regressions, improvements = [], []
    for r in run.rows:
        old = before.get(r.id)
        if old is None:
            continue  # a new question has no history
        if old["correct"] and not r.correct:
            was = "refused correctly" if not r.answerable else "correct"
            regressions.append(Regression(r.id, r.category, r.split, was, r.failure or "wrong"))
        elif not old["correct"] and r.correct and r.split != "heldout":  # heldout: totals only
            improvements.append(r.id)
    deltas = {}
    for split, s in run.summary.items():
        old = baseline["summary"].get(split, {})
        deltas[split] = {
            name: round(s.overall.get(name) - old[name], 4)
            for name in HEADLINE
            if old.get(name) is not None and s.overall.get(name) is not None
        }
    return Comparison(str(path), baseline.get("created_at"), regressions, improvements, deltas)
