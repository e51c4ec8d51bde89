"""`qa eval`: score the pipeline on eval/questions.jsonl or on a BEIR benchmark."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from qa.config import Settings
from qa.errors import QAError

EXIT_GATE_FAILED = 1
EXIT_ERROR = 2


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _settings(**overrides) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@click.command("eval")
@click.option("--questions", type=click.Path(path_type=Path), default=Path("eval/questions.jsonl"),
              show_default=True, help="evaluation set")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), help="corpus folder [seeds]")
@click.option("--index", "index_dir", type=click.Path(path_type=Path),
              help="use this index as it is (no build); with --beir, the cache folder [var/beir-NAME]")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("eval/results"),
              show_default=True, help="where latest.json, report.md and the plots go")
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path),
              help="baseline to compare with [the gate config's, else eval/baseline.json]")
@click.option("--save-baseline", is_flag=True, help="write this run as the new baseline")
@click.option("--gate", is_flag=True, help="exit 1 when a threshold in the gate config is not met")
@click.option("--gate-config", type=click.Path(path_type=Path), default=Path("eval/gate.json"),
              show_default=True)
@click.option("--calibrate", is_flag=True, help="sweep the abstain threshold on the dev split")
@click.option("--max-false-refusal", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="with --calibrate: the most false refusals allowed on dev")
@click.option("--beir", "beir_dir", type=click.Path(path_type=Path, file_okay=False),
              help="run a BEIR benchmark folder instead (corpus.jsonl, queries.jsonl, qrels/)")
@click.option("--beir-split", default="test", show_default=True, help="with --beir: qrels/SPLIT.tsv")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical", "all"]), default="hybrid",
              show_default=True, help="with --beir: retrieval mode(s)")
@click.option("--reference", is_flag=True,
              help="with --beir: also score MTEB's dense setup (one vector per document, no chunking)")
@click.option("--squad", "squad_dir", type=click.Path(path_type=Path, file_okay=False),
              help="run a SQuAD-style folder instead (docs/ and questions.jsonl; eval/squad2 is one)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON on stdout")
@click.option("--no-plots", is_flag=True, help="skip the PNG plots")
@click.option("--quiet", "-q", is_flag=True, help="no progress on stderr")
def eval_cmd(questions, seeds_dir, index_dir, out_dir, baseline_path, save_baseline, gate, gate_config,
             calibrate, max_false_refusal, beir_dir, beir_split, mode, reference, squad_dir, as_json,
             no_plots, quiet) -> None:
    """Score answers, citations, refusals and retrieval on the evaluation set.

    Builds or updates the seed index first (unless --index is given), writes
    eval/results/latest.json, report.md and plots, lists questions that got worse
    since the baseline, and with --gate fails when eval/gate.json is not met.
    """
    try:
        if beir_dir is not None:
            _run_beir(beir_dir, beir_split, mode, reference, index_dir, out_dir, as_json, quiet)
            return
        if squad_dir is not None:
            from qa.commands.squad import run_squad_eval

            failed = run_squad_eval(squad_dir, index_dir, out_dir, gate, gate_config, calibrate,
                                    max_false_refusal, as_json, no_plots, quiet)
            if failed:
                sys.exit(EXIT_GATE_FAILED)
            return
        settings = _settings(seeds_dir=seeds_dir, index_dir=index_dir)
        engine = _engine(settings, build=index_dir is None, quiet=quiet)
        from qa.evaluation.dataset import load_items

        items = load_items(questions)
        if calibrate:
            _run_calibration(engine, items, max_false_refusal, out_dir, as_json)
            return
        failed = _run_eval(engine, items, out_dir, baseline_path, save_baseline, gate, gate_config,
                           as_json, no_plots, quiet)
    except QAError as exc:
        _echo_err(f"error: {exc}")
        sys.exit(EXIT_ERROR)
    if failed:
        sys.exit(EXIT_GATE_FAILED)


def _engine(settings: Settings, build: bool, quiet: bool):
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
            _echo_err(f"evaluated {n}/{total} questions")

    return show


def _run_eval(engine, items, out_dir, baseline_path, save_baseline, gate, gate_config, as_json,
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
            _echo_err(f"note: no baseline at {baseline_path}; only the fixed thresholds were checked")
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
        _echo_err("gate FAILED: " + "; ".join(c.message for c in result.failures))
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
            click.echo(f"\n{len(comparison.regressions)} question(s) got worse since the baseline:")
            for r in comparison.regressions:
                click.echo(f"  {r.id} ({r.category}, {r.split}): was {r.was}, now {r.now}")
        else:
            click.echo("\nno question got worse since the baseline")
    if gate is not None:
        click.echo(f"\ngate ({gate.split}): {'PASSED' if gate.passed else 'FAILED'}")
        for c in gate.checks:
            click.echo(f"  {'ok  ' if c.passed else 'FAIL'} {c.message}")


def _run_calibration(engine, items, max_false_refusal, out_dir, as_json) -> None:
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


def _run_beir(folder, split, mode, reference, index_dir, out_dir, as_json, quiet) -> None:
    from qa.engine import Engine
    from qa.evaluation.beir import (
        MODES,
        PASSAGE_DEPTH,
        BeirReport,
        evaluate_mode,
        evaluate_reference,
        index_beir,
        load_beir,
        query_vectors,
    )

    started = time.perf_counter()
    dataset = load_beir(folder, split)
    # Always a local index: QA_BACKEND=postgres would otherwise replace the corpus in the database.
    settings = _settings(index_dir=index_dir or Path("var") / f"beir-{dataset.name}", backend="local")
    built = index_beir(dataset, settings, progress=not quiet)
    engine = Engine.load(settings)
    engine.warm_up()
    modes = MODES if mode == "all" else (mode,)
    if not quiet:
        _echo_err(f"embedding {len(dataset.queries)} queries")
    embed_started = time.perf_counter()
    vectors = query_vectors(engine, dataset.queries)
    embed_seconds = time.perf_counter() - embed_started
    results = []
    for m in modes:
        if not quiet:
            _echo_err(f"retrieving {len(dataset.queries)} queries ({m})")
        results.append(evaluate_mode(engine, dataset, m, vectors))
    if reference:
        if not quiet:
            _echo_err("scoring the one-vector-per-document reference (embeds the corpus the first time)")
        results.append(evaluate_reference(engine, dataset, vectors, settings.index_dir))
    report = BeirReport(
        dataset=dataset.name, split=split, index_dir=str(settings.index_dir),
        documents=len(dataset.corpus), passages=built.passages,
        duplicates_dropped=len(built.duplicates), index_seconds=round(built.seconds, 1),
        embedded_passages=built.embedded_passages, query_seconds=round(embed_seconds, 1),
        total_seconds=round(time.perf_counter() - started, 1),
        settings={"model": settings.model, "chunk_tokens": settings.chunk_tokens,
                  "chunk_overlap": settings.chunk_overlap,
                  "dense_weight": engine.settings.dense_weight,
                  "passage_depth": PASSAGE_DEPTH},
        results=results,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"beir-{dataset.name}-{split}.json"
    path.write_text(json.dumps(report.to_dict(per_query=True), indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    click.echo(f"{dataset.name} ({split}, {len(dataset.queries)} queries, {report.documents} documents, "
               f"{report.passages} passages); index {report.index_seconds}s "
               f"({report.embedded_passages} passages embedded), queries embedded in {report.query_seconds}s, "
               f"total {report.total_seconds}s\n")
    click.echo(f"{'mode':<15}  {'nDCG@10':>7}  {'Recall@100':>10}  {'seconds':>7}")
    for r in results:
        click.echo(f"{r.mode:<15}  {r.ndcg_at_10:7.4f}  {r.recall_at_100:10.4f}  {r.seconds:7.1f}")
    click.echo(f"\nwrote {path}")

