"""The `qa` command line: a thin layer that turns domain errors into clean messages."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import click

from qa.commands.common import fail, settings_from_options
from qa.errors import QAError


def _emit_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa")
def main() -> None:
    """Ask questions about a folder of documents; every answer cites its exact source span."""


@main.command()
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), help="corpus folder [seeds]")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="index folder [index]")
@click.option("--rebuild", is_flag=True, help="re-embed everything, ignoring cached vectors")
@click.option("--json", "as_json", is_flag=True, help="print the build report as JSON")
@click.option("--quiet", "-q", is_flag=True, help="no progress output")
@click.option("--strict", is_flag=True, help="stop (index unchanged) if any file cannot be read, instead of skipping it")
def index(seeds_dir, index_dir, rebuild, as_json, quiet, strict) -> None:
    """Build or update the index (only new or changed files are embedded)."""
    from qa.index.build import build_index

    settings = settings_from_options(seeds_dir=seeds_dir, index_dir=index_dir)
    try:
        report = build_index(settings, progress=not quiet, rebuild=rebuild, strict=strict)
    except QAError as exc:
        fail(exc)
    if as_json:
        _emit_json(report.to_dict())
        return
    state = "up to date" if report.up_to_date else "built"
    where = report.index_dir if "://" in report.index_dir else f"{report.index_dir}/"  # a database URL
    click.echo(
        f"index {state} in {where}: {report.indexed_documents} documents, "
        f"{report.passages} passages ({report.embedded_passages} embedded, "
        f"{report.reused_passages} reused) in {report.seconds:.1f}s"
    )
    for d in report.duplicates:
        click.echo(f"  skipped {d['dropped_source']}: {d['reason']}")
    if report.skipped:
        click.echo(f"  {len(report.skipped)} unreadable file(s) skipped (listed above)")


def _load_engine(index_dir):
    from qa.engine import Engine

    return Engine.load(settings_from_options(index_dir=index_dir))


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON output; without QUESTION, one question per stdin line")
@click.option("-k", "top_k", type=int, default=None, help="passages to retrieve [5]")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="index folder [index]")
def ask(question, as_json, top_k, index_dir) -> None:
    """Answer QUESTION in a few sentences, each citing its source."""
    if question is None and not as_json:
        raise click.UsageError('give a question, e.g. qa ask "What does the report recommend?", or use --json to read stdin')
    try:
        engine = _load_engine(index_dir)
        if question is not None:
            answer = engine.ask(question, top_k)
            if as_json:
                _emit_json(answer.model_dump())
            else:
                _print_answer(answer)
            return
    except QAError as exc:
        fail(exc)
    failures = 0
    # A line that is not UTF-8 becomes that line's JSON error, not a traceback for the batch.
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="surrogateescape")
    for line in sys.stdin:  # batch: one JSON object per input line, errors included
        if not line.strip():
            continue
        try:
            _emit_json(engine.ask(line.rstrip("\n"), top_k).model_dump())
        except QAError as exc:
            failures += 1
            shown = line.rstrip("\n").encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            _emit_json({"question": shown, "error": {"type": type(exc).__name__, "message": str(exc)}})
        sys.stdout.flush()
    if failures:
        sys.exit(1)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="print the answer object with its explanation as JSON")
@click.option("-k", "top_k", type=int, default=None, help="passages to read [QA_TOP_K]")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="index folder [index]")
def explain(question, as_json, top_k, index_dir) -> None:
    """Show every candidate passage and sentence with its score, and why the answer was picked or refused."""
    try:
        answer = _load_engine(index_dir).ask(question, top_k, explain=True)
    except QAError as exc:
        fail(exc)
    if as_json:
        _emit_json(answer.model_dump())
        return
    e = answer.explanation
    _print_answer(answer)
    click.echo(f"\n{e.decision}: {e.reason}")
    click.echo(f"asks for: {e.kind or 'no particular kind'}; matched: {', '.join(e.matched_terms) or '-'}; "
               f"in no passage of the corpus: {', '.join(e.unseen_terms) or '-'}; "
               f"not in these passages: {', '.join(e.unmatched_terms) or '-'}; "
               f"too common to count: {', '.join(e.common_terms) or '-'}")
    click.echo("\npassages:")
    for p in e.passages:
        click.echo(f" {p.rank}. {p.source}:{p.start}-{p.end}  retrieval {p.retrieval:.3f}  cosine {p.cosine:.3f}")
    click.echo("\nsentences (best first):")
    for s in e.sentences:
        top = sorted(s.contributions.items(), key=lambda kv: -abs(kv[1]))[:4]
        click.echo(f" {'*' if s.picked else ' '} p={s.probability:.3f} passage {s.passage_rank}  "
                   f"{textwrap.shorten(s.text, 90)}")
        click.echo("      " + ", ".join(f"{n} {v:+.2f}" for n, v in top))


@main.command()
@click.option("--questions", "questions_path", type=click.Path(path_type=Path), required=True,
              help='JSONL: {"question": "...", "answerable": true|false} a line')
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="index folder [index]")
@click.option("--max-false-refusal", type=click.FloatRange(0, 1), default=0.05, show_default=True)
@click.option("--write", "write_path", type=click.Path(path_type=Path),
              help="append QA_ABSTAIN_THRESHOLD=... to this env file (e.g. .env)")
@click.option("--json", "as_json", is_flag=True)
def calibrate(questions_path, index_dir, max_false_refusal, write_path, as_json) -> None:
    """Suggest a refusal threshold for your corpus from your own questions marked answerable or not."""
    from qa.evaluation.user_calibration import calibrate_user, load_user_questions

    try:
        items = load_user_questions(questions_path)
        result = calibrate_user(_load_engine(index_dir), items, max_false_refusal)
    except QAError as exc:
        fail(exc)
    if write_path is not None and result.suggested is not None:
        with write_path.open("a", encoding="utf-8") as fh:
            fh.write(f"QA_ABSTAIN_THRESHOLD={result.suggested}\n")
    if as_json:
        _emit_json(result.to_dict())
        return
    click.echo(f"{result.questions} questions ({result.answerable} answerable): AUROC {result.auroc} "
               f"(1.0: the score separates them perfectly; 0.5: not at all)")
    click.echo(f"evidence median: answerable {result.median_answerable}, unanswerable {result.median_unanswerable}")
    if result.suggested is None:
        click.echo("no threshold keeps false refusals within the limit; keep the default")
    else:
        click.echo(f"suggested QA_ABSTAIN_THRESHOLD={result.suggested}: refuses {result.refused:.0%} of the "
                   f"unanswerable and {result.false_refusal:.0%} of the answerable (current {result.current})")
        if write_path is not None:
            click.echo(f"wrote QA_ABSTAIN_THRESHOLD={result.suggested} to {write_path}")


def _print_answer(answer) -> None:
    width = min(100, click.get_terminal_size()[0] if hasattr(click, "get_terminal_size") else 100)
    if answer.read_as:  # say how a misspelt word was read, as a search engine does
        click.echo("(read as: " + ", ".join(f"{a} -> {b}" for a, b in answer.read_as.items()) + ")")
    click.echo(textwrap.fill(answer.answer, width=width))
    if not answer.citations:
        return
    click.echo("\nSources:")
    for c in answer.citations:
        label = "  (reader comment)" if c.section == "comments" else ""
        page = f", page {c.page}" if c.page is not None else ""
        click.echo(f" [{c.n}] {c.title} - {c.source}:{c.quote_start}-{c.quote_end}{page}{label}")
        snippet = " ".join(c.quote.split())
        if len(snippet) > 160:
            snippet = snippet[:157] + "..."
        click.echo(textwrap.indent(textwrap.fill(f"“{snippet}”", width=width - 6), "      "))


@main.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@click.option("-k", "k", type=int, default=5, show_default=True, help="passages to return")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="index folder [index]")
def search(query, as_json, k, index_dir) -> None:
    """Show the passages ranked for QUERY."""
    try:
        result = _load_engine(index_dir).search(query, k)
    except QAError as exc:
        fail(exc)
    if as_json:
        _emit_json(result.model_dump())
        return
    for hit in result.hits:
        label = " (reader comment)" if hit.section == "comments" else ""
        click.echo(f"{hit.rank:>2}. {hit.score:.3f}  {hit.source}:{hit.start}-{hit.end}{label}")
        text = " ".join(hit.text.split())
        click.echo(textwrap.indent(textwrap.fill(text[:300] + ("..." if len(text) > 300 else ""), 94), "    "))


@main.command()
@click.option("--host", default=None, help="bind address [127.0.0.1]")
@click.option("--port", type=int, default=None, help="port [8000]")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="index folder [index]")
def serve(host, port, index_dir) -> None:
    """Run the HTTP API and chat widget (uvicorn)."""
    from qa.serve.app import serve as run_server

    run_server(settings_from_options(host=host, port=port, index_dir=index_dir))


@main.group()
def feedback() -> None:
    """Visitor feedback collected by the API."""


@feedback.command("export")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="feedback database [var/feedback.sqlite3]")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="output file [stdout]")
def feedback_export(db_path, output) -> None:
    """Write feedback as evaluation items (eval/questions.jsonl format), one JSON per line."""
    from qa.serve.feedback import export_feedback_jsonl

    settings = settings_from_options(feedback_db=db_path)
    if not settings.feedback_db.is_file():
        fail(QAError(f"no feedback database at {settings.feedback_db}; it is created by `qa serve`"))
    count = export_feedback_jsonl(settings.feedback_db, output)
    click.echo(f"exported {count} feedback items", err=True)


from qa.commands.bench import bench_cmd  # noqa: E402

main.add_command(bench_cmd)

from qa.commands.eval import eval_cmd  # noqa: E402

main.add_command(eval_cmd)

from qa.commands.db import db_cmd  # noqa: E402

main.add_command(db_cmd)

if __name__ == "__main__":
    main()
