"""`qa eval`: its options, and the dispatch to one runner module per benchmark: the question
set (evalset.py), --calibrate (calibration.py), --beir (beir.py), --squad (squad.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa.commands.common import fail, settings_from_options
from qa.errors import QAError

EXIT_GATE_FAILED = 1


def echo_err(message: str) -> None:
    click.echo(message, err=True)


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
    # Each benchmark's runner lives in its own module (imported here, when it runs, so that
    # `qa --help` stays quick): beir.py, squad.py, calibration.py, evalset.py.
    try:
        if beir_dir is not None:
            from qa.commands.beir import run_beir_eval

            run_beir_eval(beir_dir, beir_split, mode, reference, index_dir, out_dir, as_json, quiet)
            return
        if squad_dir is not None:
            from qa.commands.squad import run_squad_eval

            failed = run_squad_eval(squad_dir, index_dir, out_dir, gate, gate_config, calibrate,
                                    max_false_refusal, as_json, no_plots, quiet)
            if failed:
                sys.exit(EXIT_GATE_FAILED)
            return
        from qa.commands.evalset import load_engine, run_evalset_eval
        from qa.evaluation.dataset import load_items

        settings = settings_from_options(seeds_dir=seeds_dir, index_dir=index_dir)
        engine = load_engine(settings, build=index_dir is None, quiet=quiet)
        items = load_items(questions)
        if calibrate:
            from qa.commands.calibration import run_calibration

            run_calibration(engine, items, max_false_refusal, out_dir, as_json)
            return
        failed = run_evalset_eval(engine, items, out_dir, baseline_path, save_baseline, gate, gate_config,
                                  as_json, no_plots, quiet)
    except QAError as exc:
        fail(exc)
    if failed:
        sys.exit(EXIT_GATE_FAILED)
