"""The benchmark's pieces work and report what they claim (no timing assertions)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from bench.perf import (
    _exact_top,
    growth_point,
    median_runs,
    summarize,
    summary_rows,
    synthetic_passages,
    synthetic_vectors,
    to_markdown,
    write_results,
)


def test_summaries():
    s = summarize([0.001, 0.002, 0.003, 0.004])
    assert s["n"] == 4 and s["p50_ms"] == pytest.approx(2.5) and s["p95_ms"] <= 4.0
    m = median_runs([{"p50_ms": 1.0, "p95_ms": 5.0}, {"p50_ms": 3.0, "p95_ms": 1.0}, {"p50_ms": 2.0, "p95_ms": 2.0}])
    assert m["p50_ms"] == 2.0 and m["p95_ms"] == 2.0 and len(m["runs"]) == 3


def test_synthetic_vectors_are_clustered_unit_vectors():
    anchors = np.eye(8, 384, dtype=np.float32)
    x, q = synthetic_vectors(2000, 50, anchors, seed=3)
    assert x.shape == (2000, 384) and q.shape == (50, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    x2, _ = synthetic_vectors(2000, 50, anchors, seed=3)
    assert np.array_equal(x, x2)
    best = (q @ x.T).max(axis=1)
    assert best.mean() > 0.3, "queries should have near neighbours, unlike random vectors"


def test_synthetic_passages_feed_the_lexical_index():
    from qa.retrieve.lexical import LexicalIndex

    texts, queries = synthetic_passages(500, 20, words=30, vocab=2000)
    assert len(texts) == 500 and len(queries) == 20
    assert all(len(t.split()) == 30 for t in texts)
    lex = LexicalIndex.build(texts)
    assert lex.size == 500
    for q in queries:
        ids, scores = lex.search(q, 10)
        assert len(ids) > 0 and scores[0] > 0


def test_exact_top_matches_brute_force():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 16)).astype(np.float32)
    q = rng.standard_normal((7, 16)).astype(np.float32)
    got = _exact_top(x, q, 20, chunk=128)
    want = np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :20]
    assert (got == want).all()


def test_growth_point_reports_recall_and_the_policy():
    point = growth_point(3000, queries=20, exact_max=1000, words=20, nprobes=(4, 32), compare=("ivf-flat",))
    assert point["policy_kind"] == "ivf-sq8"
    ann = point["approximate"]
    assert ann["kind"] == "ivf-sq8" and ann["nlist"] >= 1 and len(ann["sweep"]) == 2
    assert 0.8 <= ann["default"]["recall_at_10"] <= 1.0
    assert ann["default"]["recall_at_10_reranked"] >= ann["default"]["recall_at_10"] - 1e-9
    assert point["compared"]["ivf-flat"]["default"]["recall_at_10"] >= 0.8
    for key in ("exact", "policy_dense_search", "bm25_query", "hybrid_retrieve"):
        assert point[key]["n"] > 0 and point[key]["p95_ms"] >= point[key]["p50_ms"] >= 0
    assert point["memory"]["rss_mb"] > 0
    json.dumps(point)  # serialisable as written to disk
    exact_point = growth_point(500, queries=5, exact_max=1000, lexical=False, nprobes=(32,))
    assert exact_point["policy_kind"] == "flat" and "bm25_query" not in exact_point


def test_warm_section_on_the_seed_index(seed_settings, engine):
    from bench.perf import bench_warm

    out = bench_warm(seed_settings.index_dir, ["How many STPs are there in England?", "Who is Simon Stevens?"], 2, lambda _m: None)
    assert out["query_encoder"] == "onnx"
    assert out["end_to_end"]["p50_ms"] > 0 and out["floor"]["p50_ms"] > 0
    assert len(out["end_to_end"]["runs"]) == 2
    assert out["ratio_to_floor"]["p50"] == pytest.approx(out["ratio_to_floor"]["p50"])


def _fake_result() -> dict:
    return {
        "date": "2026-01-01 00:00:00 UTC", "command": "qa bench --quick", "repeats": 3, "total_s": 1.0,
        "machine": {"cpu": "x", "cores": 2, "usable_cores": 2, "ram_gb": 24, "python": "3.11",
                    "load_average_at_start": [1, 1, 1], "load_average_at_end": [1, 1, 1], "git_commit": "abc"},
        "warm": {"end_to_end": {"p50_ms": 12.0, "p95_ms": 20.0}, "floor": {"p50_ms": 10.0, "p95_ms": 15.0},
                 "ratio_to_floor": {"p50": 1.2, "p95": 1.33}},
        "cold": {"runs": 5, "median_s": 0.7, "min_s": 0.6},
        "http": {"skipped": "not here"},
    }


def test_markdown_table_marks_targets(tmp_path):
    result = _fake_result()
    result["summary"] = summary_rows(result)
    md = to_markdown(result)
    assert "| end-to-end / floor, p50 (p95) | 1.20x (1.33x) | <= 2.0x | yes |" in md
    assert "cold `qa ask`" in md and "**no**" in md  # 0.7 s misses the 0.6 s target
    json_path, md_path = write_results(result, tmp_path)
    assert json.loads(json_path.read_text())["command"] == "qa bench --quick"
    assert (tmp_path / "latest.md").read_text() == md_path.read_text()


def test_bench_command_is_registered():
    from qa.cli import main

    res = CliRunner().invoke(main, ["bench", "--help"])
    assert res.exit_code == 0 and "--quick" in res.output and "--growth / --no-growth" in res.output
    bad = CliRunner().invoke(main, ["bench", "--sizes", "ten"])
    assert bad.exit_code != 0 and "sizes must be numbers" in bad.output


@pytest.mark.slow
def test_quick_run_end_to_end(seed_settings, seed_index, tmp_path):
    """The whole command on the seed index: every section runs and is written out."""
    from bench.perf import run_bench

    result = run_bench(
        out_dir=tmp_path, seeds_dir=seed_settings.seeds_dir, index_dir=seed_settings.index_dir, quick=True,
        growth=True, sizes=[2000], repeats=1, say=lambda _m: None,
    )
    assert result["cold"]["heavy_modules_imported"] is not None
    assert "torch" not in result["cold"]["heavy_modules_imported"]
    assert result["http"].get("rss_after_batch_mb") or result["http"].get("skipped")
    assert result["growth"]["points"][0]["n"] == 2000
    assert (tmp_path / "latest.json").is_file() and (tmp_path / "latest.md").is_file()
