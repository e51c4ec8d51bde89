"""`qa eval` on the question set (eval/questions.jsonl): score, compare with the baseline, gate."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qa.commands.eval import echo_err
from qa.config import Settings


def load_engine(settings: Settings, build: bool, quiet: bool):
    from qa.engine import Engine

    if build:
        from qa.index.build import build_index

        build_index(settings, progress=not quiet)
    engine = Engine.load(settings)
    engine.warm_up()
    return engine


def _progress(quiet: bool):
    if quiet:
        return None

    def show(n: int, total: int) -> None:
        if n == total or n % 20 == 0:
            echo_err(f"evaluated {n}/{total} questions")

    return show


def run_evalset_eval(engine, items, out_dir, baseline_path, save_baseline, gate, gate_config, as_json,
                     no_plots, quiet) -> bool:
    from qa.evaluation.baseline import compare, load_baseline
    from qa.evaluation.baseline import save_baseline as write_baseline
    from qa.evaluation.gate import check_gate, load_gate
    from qa.evaluation.report import result_dict, write_outputs
    from qa.evaluation.runner import run_eval

    # The gate config also names the baseline file, so read it whenever it is there.
    config = load_gate(gate_config) if gate or gate_config.is_file() else None
    if baseline_path is None:
        rule = config.baseline if config else None
        baseline_path = Path(rule.path) if rule else Path("eval/baseline.json")
    run = run_eval(engine, items, progress=_progress(quiet))
    baseline = load_baseline(baseline_path)
    comparison = compare(run, baseline, baseline_path) if baseline else None
    result = None
    if gate and config is not None:
        regressed = [r for r in (comparison.regressions if comparison else [])
                     if config.split == "all" or r.split == config.split]
        result = check_gate(run, config, baseline, len(regressed))
        if baseline is None and config.baseline is not None:
            echo_err(f"note: no baseline at {baseline_path}; only the fixed thresholds were checked")
    outputs = write_outputs(run, out_dir, comparison, result, plots=not no_plots)
    if save_baseline:
        write_baseline(run, baseline_path)
    if as_json:
        click.echo(json.dumps(result_dict(run, comparison, result), ensure_ascii=False))
    else:
        _print_human(run, comparison, result)
        click.echo(f"\nwrote {outputs.json}, {outputs.report}" + "".join(f", {p}" for p in outputs.plots))
        if save_baseline:
            click.echo(f"saved baseline {baseline_path}")
    if result is not None and not result.passed:
        echo_err("gate FAILED: " + "; ".join(c.message for c in result.failures))
        return True
    return False


def _print_human(run, comparison, gate) -> None:
    from qa.evaluation.report import category_table, summary_table

    click.echo(f"{run.questions} questions in {run.seconds:.1f}s\n")
    click.echo("\n".join(summary_table(run)))
    click.echo("\nall splits, by category:")
    click.echo("\n".join(category_table(run, "all")))
    if comparison is not None:
        if comparison.regressions:
            shown, heldout = comparison.listed()
            click.echo(f"\n{len(comparison.regressions)} question(s) got worse since the baseline:")
            for r in shown:
                click.echo(f"  {r.id} ({r.category}, {r.split}): was {r.was}, now {r.now}")
            if heldout:
                click.echo(f"  and {heldout} heldout question(s), not listed (heldout is read as totals only)")
        else:
            click.echo("\nno question got worse since the baseline")
    if gate is not None:
        click.echo(f"\ngate ({gate.split}): {'PASSED' if gate.passed else 'FAILED'}")
        for c in gate.checks:
            click.echo(f"  {'ok  ' if c.passed else 'FAIL'} {c.message}")
