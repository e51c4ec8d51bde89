"""`qa bench`: the performance benchmark (the benchmark: bench/perf.py and bench/postgres.py, method in bench/README.md)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click


def _checkout_bench() -> None:
    """Make ``import bench`` work: the benchmark lives in the checkout's bench/, not in the package."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "bench" / "perf.py").is_file():
        click.echo(f"error: qa bench runs from a checkout of the repository (no bench/perf.py in {root}); "
                   "clone it and run `qa bench` there.", err=True)
        sys.exit(2)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def _sizes(_ctx, _param, value: str | None) -> list[int] | None:
    if not value:
        return None
    try:
        sizes = [int(float(v)) for v in value.replace("_", "").split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"sizes must be numbers separated by commas, e.g. 10000,100000. Currently, it is {value!r}") from exc
    if not sizes or min(sizes) < 100:
        raise click.BadParameter(f"each size must be at least 100. Currently, sizes are {value!r}")
    return sizes


def _bench_postgres(n: int, queries: int, out_dir: Path, as_json: bool) -> None:
    import warnings

    import numpy as np

    _checkout_bench()
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from bench.perf import _current_generation
        from bench.postgres import bench_postgres, to_markdown
        from qa.config import Settings

        # Cluster centres from the real seed embeddings when an index is there (as the growth curve).
        gen = _current_generation(Settings().index_dir)
        anchors = np.load(gen / "vectors.npy") if gen is not None and (gen / "vectors.npy").is_file() else None
        from qa.commands.common import fail
        from qa.errors import QAError

        try:
            result = bench_postgres(n, queries, anchors, say=lambda m: click.echo(m, err=True))
        except QAError as exc:
            fail(exc)
    command = "qa " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    md = to_markdown(result, command)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "postgres-latest.json").write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    (out_dir / "postgres-latest.md").write_text(md, encoding="utf-8")
    click.echo(json.dumps(result, indent=2, default=str) if as_json else md)


@click.command("bench")
@click.option("--quick", is_flag=True, help="a short run: fewer repeats and questions, no growth curve unless --growth")
@click.option("--growth/--no-growth", default=None,
              help="include the 10k/100k/1M growth curve [on for a full run, off with --quick]")
@click.option("--sizes", callback=_sizes, help="growth-curve sizes, e.g. 10000,100000,1000000")
@click.option("--compare", multiple=True, type=click.Choice(["ivf-flat", "hnsw"]),
              help="also build these approximate indexes at each growth size, for comparison")
@click.option("--http/--no-http", default=True, show_default=True, help="measure answers over HTTP (uvicorn)")
@click.option("--cold/--no-cold", default=True, show_default=True, help="measure fresh `qa ask` processes")
@click.option("--repeats", type=click.IntRange(1, 50), help="runs per figure (median reported) [5; 3 with --quick]")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True,
              help="corpus indexed for the latency figures")
@click.option("--index", "index_dir", type=click.Path(path_type=Path),
              help="use this index as it is (skips the indexing figures)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("bench/results"),
              show_default=True, help="where bench-<time>.json/.md and latest.json/.md go")
@click.option("--json", "as_json", is_flag=True, help="print the full result as JSON on stdout")
@click.option("--postgres", "pg_size", type=click.IntRange(100, 10_000_000),
              help="only the PostgreSQL backend at this many synthetic passages (e.g. 100000), on a "
                   "fresh embedded server")
def bench_cmd(quick, growth, sizes, compare, http, cold, repeats, seeds_dir, index_dir, out_dir, as_json,
              pg_size) -> None:
    """Measure latency, cold start, memory, indexing and growth; write JSON and Markdown."""
    if pg_size is not None:
        _bench_postgres(pg_size, 100 if quick else 200, out_dir, as_json)
        return
    _checkout_bench()
    from bench.perf import run_bench, to_markdown

    if index_dir is not None and not (Path(index_dir) / "CURRENT").is_file():
        raise click.UsageError(f"--index {index_dir} holds no index; build it with `qa index --index {index_dir}`")
    command = "qa " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["bench"] else "qa bench"
    result = run_bench(
        out_dir=out_dir, seeds_dir=seeds_dir, index_dir=index_dir, quick=quick, growth=growth, sizes=sizes,
        http=http, cold=cold, repeats=repeats, compare=tuple(compare), command=command,
    )
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        click.echo(to_markdown(result))
        click.echo(f"results: {out_dir}/latest.json and {out_dir}/latest.md")
