"""`qa eval --calibrate`: sweep the abstain threshold on the question set's dev split."""

from __future__ import annotations

import json

import click

from qa.errors import QAError


def run_calibration(engine, items, max_false_refusal, out_dir, as_json) -> None:
    from qa.evaluation.calibrate import calibrate, observe

    dev = [i for i in items if i.split == "dev"]
    if not dev:
        raise QAError("the evaluation set has no dev items to calibrate on")
    result = calibrate(observe(engine, dev), engine.threshold, max_false_refusal)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "calibration.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    click.echo(f"abstain threshold sweep on dev ({result.questions} questions), false refusals <= "
               f"{max_false_refusal:.0%}\n")
    click.echo(f"{'threshold':>9}  {'accuracy':>8}  {'answer acc':>10}  {'refused unans':>13}  {'false refusal':>13}")
    for p in result.curve:
        mark = "  <- best" if result.best and p.threshold == result.best.threshold else ""
        click.echo(f"{p.threshold:9.4f}  {p.accuracy:8.3f}  {p.answer_accuracy:10.3f}  "
                   f"{p.unanswerable_refusal:13.3f}  {p.false_refusal:13.3f}{mark}")
    c = result.current
    click.echo(f"\ncurrent threshold {c.threshold}: accuracy {c.accuracy:.3f}, false refusal {c.false_refusal:.3f}, "
               f"refused unanswerable {c.unanswerable_refusal:.3f}")
    if result.best is None:
        click.echo("no threshold keeps false refusals within the limit")
    else:
        b = result.best
        click.echo(f"suggested abstain_threshold = {b.threshold} (QA_ABSTAIN_THRESHOLD): accuracy {b.accuracy:.3f}, "
                   f"false refusal {b.false_refusal:.3f}, refused unanswerable {b.unanswerable_refusal:.3f}")
