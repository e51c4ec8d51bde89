"""`qa eval --squad DIR`: the SQuAD-style benchmark, its gate and its threshold sweep."""

from __future__ import annotations

import json
from pathlib import Path

import click
from pydantic import BaseModel, Field, ValidationError

from qa.config import Settings
from qa.errors import QAError

SQUAD_METRICS = ("answer_accuracy", "median_words", "false_refusal", "unanswerable_refusal", "auroc")


class SquadGate(BaseModel):
    """The "squad" section of eval/gate.json: floors and ceilings on the benchmark's metrics."""

    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)
    section: str = "squad"  # which section of the file it is (set on loading), for the messages


def _load_squad_gate(path: Path, name: str = "") -> SquadGate:
    """The gate for the benchmark called ``name``: its own ``"squad:NAME"`` section, else ``"squad"``."""
    if not path.is_file():
        raise QAError(f"gate config {path} not found; pass --gate-config PATH")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise QAError(f"gate config {path} is invalid: {exc}") from exc
    section = f"squad:{name}" if f"squad:{name}" in config else "squad"
    raw = config.get(section)
    if raw is None:
        raise QAError(f'gate config {path} has no "squad:{name}" or "squad" section; add floors like '
                      '{"min": {"auroc": 0.6}}')
    try:
        gate = SquadGate.model_validate(raw | {"section": section})
    except ValidationError as exc:
        raise QAError(f'gate config {path}: the "{section}" section is invalid: {str(exc).splitlines()[0]}') from exc
    unknown = sorted((set(gate.min) | set(gate.max)) - set(SQUAD_METRICS))
    if unknown:
        raise QAError(f"gate config {path}: unknown squad metric(s) {', '.join(unknown)}; known: "
                      f"{', '.join(SQUAD_METRICS)}")
    return gate


def check(metrics, gate: SquadGate) -> list[tuple[bool, str]]:
    out = []
    for name, floor in gate.min.items():
        v = getattr(metrics, name)
        out.append((v is not None and v >= floor, f"{gate.section} {name} = {v}, floor {floor}"))
    for name, ceiling in gate.max.items():
        v = getattr(metrics, name)
        out.append((v is not None and v <= ceiling, f"{gate.section} {name} = {v}, ceiling {ceiling}"))
    return out


def run_squad_eval(folder: Path, index_dir: Path | None, out_dir: Path, gate: bool, gate_config: Path,
                   calibrate: bool, max_false_refusal: float, as_json: bool, no_plots: bool, quiet: bool) -> bool:
    """Index, ask, score, write; returns True when the gate failed."""
    from qa.engine import Engine
    from qa.evaluation.squad import (
        combine,
        index_squad,
        load_squad_sets,
        plot_risk_coverage,
        run_squad,
        summary_line,
    )

    datasets = load_squad_sets(folder)
    # A folder of corpora is named after the folder; each corpus gets its own index under it.
    name = datasets[0].name if len(datasets) == 1 else Path(folder).resolve().name
    root = index_dir or Path("var") / f"squad-{name}"
    runs = []
    for dataset in datasets:
        try:
            settings = Settings(index_dir=root if len(datasets) == 1 else root / dataset.name)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        index_squad(dataset, settings, progress=not quiet)
        engine = Engine.load(settings)
        engine.warm_up()

        def show(n: int, total: int, corpus: str = dataset.name) -> None:
            if not quiet and (n == total or n % 50 == 0):
                click.echo(f"{corpus}: asked {n}/{total} questions", err=True)

        runs.append(run_squad(engine, dataset, progress=show))
    run = combine(name, str(root), runs)
    out_dir.mkdir(parents=True, exist_ok=True)
    if calibrate:
        return _calibrate(run, engine.threshold, max_false_refusal, out_dir, as_json)
    squad_gate = _load_squad_gate(gate_config, name) if gate else None
    checks = check(run.metrics, squad_gate) if squad_gate else []
    path = out_dir / f"squad-{name}.json"
    body = run.to_dict() | {"gate": [{"passed": ok, "message": msg} for ok, msg in checks] if gate else None}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plots = [] if no_plots else [plot_risk_coverage(run, out_dir / f"squad-{name}-risk-coverage.png")]
    if as_json:
        click.echo(json.dumps(run.to_dict(per_question=False) | {"gate": body["gate"]}, ensure_ascii=False))
    else:
        m = run.metrics
        click.echo(f"{name}: {m.questions} questions ({m.answerable} answerable) in {run.seconds:.1f}s")
        click.echo(summary_line(m))
        if len(run.parts) > 1:
            for part in run.parts:
                click.echo(f"  {part.name}: {summary_line(part.metrics)}")
        for ok, msg in checks:
            click.echo(f"  {'ok  ' if ok else 'FAIL'} {msg}")
        click.echo(f"wrote {path}" + "".join(f", {p}" for p in plots))
    failed = [msg for ok, msg in checks if not ok]
    if failed:
        click.echo(f"{squad_gate.section} gate FAILED: " + "; ".join(failed), err=True)
    return bool(failed)


def _calibrate(run, current: float, max_false_refusal: float, out_dir: Path, as_json: bool) -> bool:
    from qa.evaluation.calibrate import Observation, calibrate

    obs = [Observation(r.id, r.answerable, r.evidence, r.right_if_answered) for r in run.rows]
    result = calibrate(obs, current, max_false_refusal, split=run.name)
    (out_dir / f"squad-{run.name}-calibration.json").write_text(
        json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return False
    c = result.current
    click.echo(f"current threshold {c.threshold}: answer accuracy {c.answer_accuracy:.3f}, false refusal "
               f"{c.false_refusal:.3f}, refused unanswerable {c.unanswerable_refusal:.3f}")
    if result.best is None:
        click.echo("no threshold keeps false refusals within the limit")
    else:
        b = result.best
        click.echo(f"suggested QA_ABSTAIN_THRESHOLD={b.threshold}: answer accuracy {b.answer_accuracy:.3f}, "
                   f"false refusal {b.false_refusal:.3f}, refused unanswerable {b.unanswerable_refusal:.3f}")
    return False
