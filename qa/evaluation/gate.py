"""The CI gate: floors, ceilings and allowed drops from the baseline (eval/gate.json)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from qa.errors import QAError
from qa.evaluation.dataset import SPLITS
from qa.evaluation.metrics import HEADLINE
from qa.evaluation.runner import EvalRun

# Metrics where lower is better; a "drop" for them is a rise.
LOWER_IS_BETTER = {"false_refusal"}


class BaselineRule(BaseModel):
    path: str = "eval/baseline.json"
    # Largest allowed fall below the baseline (rise, for lower-is-better metrics).
    tolerance: dict[str, float] = Field(default_factory=dict)
    max_regressed_questions: int | None = None


class GateConfig(BaseModel):
    split: str = "all"
    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)
    baseline: BaselineRule | None = None

    @field_validator("split")
    @classmethod
    def _known_split(cls, v: str) -> str:
        if v not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}. Currently, split is {v!r}")
        return v

    @field_validator("min", "max")
    @classmethod
    def _known_metrics(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(HEADLINE))
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(HEADLINE)}")
        return v


@dataclass
class Check:
    name: str
    value: float | None
    limit: float
    passed: bool
    message: str


@dataclass
class GateResult:
    split: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "split": self.split, "checks": [asdict(c) for c in self.checks]}


def load_gate(path: Path) -> GateConfig:
    if not path.is_file():
        raise QAError(f"gate config {path} not found; pass --gate-config PATH")
    try:
        return GateConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise QAError(f"gate config {path} is invalid: {exc}") from exc


def check_gate(run: EvalRun, config: GateConfig, baseline: dict | None = None, regressions: int = 0) -> GateResult:
    """Every threshold in ``config``; ``baseline`` is the loaded baseline.json, if any."""
    split = config.split
    result = GateResult(split)
    for name, floor in config.min.items():
        v = run.metric(name, split)
        ok = v is not None and v >= floor
        result.checks.append(Check(f"{name} >= {floor}", v, floor, ok, f"{split} {name} = {_fmt(v)}, floor {floor}"))
    for name, ceiling in config.max.items():
        v = run.metric(name, split)
        ok = v is not None and v <= ceiling
        result.checks.append(
            Check(f"{name} <= {ceiling}", v, ceiling, ok, f"{split} {name} = {_fmt(v)}, ceiling {ceiling}")
        )
    rule = config.baseline
    if rule is None or baseline is None:
        return result
    old = baseline["summary"].get(split, {})
    for name, tol in rule.tolerance.items():
        v, b = run.metric(name, split), old.get(name)
        if b is None:
            continue  # the baseline predates this metric
        if name in LOWER_IS_BETTER:
            limit = round(b + tol, 4)
            ok = v is not None and v <= limit + 1e-9
            msg = f"{split} {name} = {_fmt(v)}, baseline {_fmt(b)} + tolerance {tol}"
        else:
            limit = round(b - tol, 4)
            ok = v is not None and v >= limit - 1e-9
            msg = f"{split} {name} = {_fmt(v)}, baseline {_fmt(b)} - tolerance {tol}"
        result.checks.append(Check(f"{name} vs baseline", v, limit, ok, msg))
    if rule.max_regressed_questions is not None:
        n = rule.max_regressed_questions
        result.checks.append(Check(
            f"regressed questions <= {n}", float(regressions), float(n), regressions <= n,
            f"{regressions} question(s) got worse since the baseline, at most {n} allowed",
        ))
    return result


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"
