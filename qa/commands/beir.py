"""`qa eval --beir`: retrieval scores (nDCG@10, Recall@100) on a BEIR benchmark folder."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from qa.commands.common import settings_from_options
from qa.commands.eval import echo_err


def run_beir_eval(folder, split, mode, reference, index_dir, out_dir, as_json, quiet) -> None:
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
    settings = settings_from_options(index_dir=index_dir or Path("var") / f"beir-{dataset.name}", backend="local")
    built = index_beir(dataset, settings, progress=not quiet)
    engine = Engine.load(settings)
    engine.warm_up()
    modes = MODES if mode == "all" else (mode,)
    if not quiet:
        echo_err(f"embedding {len(dataset.queries)} queries")
    embed_started = time.perf_counter()
    vectors = query_vectors(engine, dataset.queries)
    embed_seconds = time.perf_counter() - embed_started
    results = []
    for m in modes:
        if not quiet:
            echo_err(f"retrieving {len(dataset.queries)} queries ({m})")
        results.append(evaluate_mode(engine, dataset, m, vectors))
    if reference:
        if not quiet:
            echo_err("scoring the one-vector-per-document reference (embeds the corpus the first time)")
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
