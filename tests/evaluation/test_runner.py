"""The eval harness on the real pipeline: the seed set, the gate, the CLI.

Reuses the session ``engine`` (tests/conftest.py); one pass over the 113 questions
takes seconds once the model is warm.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.commands.eval import eval_cmd
from qa.evaluation.dataset import load_items
from qa.evaluation.gate import GateConfig, check_gate, load_gate
from qa.evaluation.report import write_outputs
from qa.evaluation.runner import run_eval
from qa.retrieve.fusion import Candidate

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
GATE = ROOT / "eval" / "gate.json"


@pytest.fixture(scope="module")
def items():
    return load_items(QUESTIONS)


@pytest.fixture(scope="module")
def seed_run(engine, items):
    return run_eval(engine, items)


def _fixed_thresholds() -> GateConfig:
    # The floors and ceilings only: the baseline part is checked by `qa eval --gate`
    # in CI, where a stale baseline is the lead's call, not a unit-test failure.
    return load_gate(GATE).model_copy(update={"baseline": None})


def test_every_question_gets_a_row(seed_run, items):
    assert [r.id for r in seed_run.rows] == [i.id for i in items]
    assert set(seed_run.summary) == {"dev", "heldout", "all"}
    overall = seed_run.summary["all"].overall
    assert overall.questions == len(items)
    assert overall.answerable + overall.unanswerable == len(items)
    assert len(overall.hit_curve) == 20
    assert overall.hit_curve == sorted(overall.hit_curve)  # hit@k never falls as k grows
    for r in seed_run.rows:
        if r.correct:
            assert r.failure is None
        else:
            assert r.failure
        if r.answerable:
            assert r.hit_at_1 <= r.hit_at_5 and 0 <= r.ndcg_at_10 <= 1


def test_normal_engine_passes_the_gate(seed_run):
    result = check_gate(seed_run, _fixed_thresholds())
    assert result.passed, [c.message for c in result.failures]


def test_broken_retriever_fails_the_gate(engine, items, monkeypatch):
    """CI must catch a retriever that returns unrelated passages."""
    n = len(engine.passages)

    def random_passages(query, query_vector, k, mode="hybrid"):
        rng = random.Random(query)  # deterministic per question
        return [Candidate(pid, 1.0 / (i + 1), 0.0, 0.0) for i, pid in enumerate(rng.sample(range(n), min(k, n)))]

    monkeypatch.setattr(engine.retriever, "retrieve", random_passages)
    broken = run_eval(engine, items)
    result = check_gate(broken, _fixed_thresholds())
    assert not result.passed
    failed = {c.name.split()[0] for c in result.failures}
    assert {"hit@5", "answer_accuracy"} <= failed


def test_report_files(seed_run, tmp_path):
    out = write_outputs(seed_run, tmp_path)
    data = json.loads(out.json.read_text())
    assert data["summary"]["all"]["overall"]["questions"] == seed_run.questions
    assert len(data["rows"]) == seed_run.questions
    report = out.report.read_text()
    assert "## Summary" in report and "failures first" in report
    rows = [line for line in report.splitlines() if line.startswith("| q")]
    oks = [line.split("|")[4].strip() for line in rows]
    assert oks == sorted(oks, key=lambda s: s == "✓")  # failures before successes
    for p in out.plots:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _small_set(tmp_path: Path, items, ids=("q001", "q002", "q004")) -> Path:
    path = tmp_path / "questions.jsonl"
    unans = next(i for i in items if not i.answerable and i.split == "dev")
    chosen = [i for i in items if i.id in ids] + [unans]
    path.write_text("".join(i.model_dump_json() + "\n" for i in chosen), encoding="utf-8")
    return path


def test_cli_json_gate_and_baseline(engine, seed_settings, items, tmp_path):
    questions = _small_set(tmp_path, items)
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"min": {"hit@5": 0.5}, "max": {"false_refusal": 1.0},
                                "baseline": {"path": str(tmp_path / "base.json"),
                                             "tolerance": {"hit@5": 0.0}}}))
    common = ["--questions", str(questions), "--index", str(seed_settings.index_dir),
              "--out", str(tmp_path / "out"), "--gate-config", str(gate), "--no-plots", "-q"]
    runner = CliRunner()
    first = runner.invoke(eval_cmd, [*common, "--save-baseline", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["questions"] == 4 and data["baseline"] is None
    assert (tmp_path / "base.json").is_file() and (tmp_path / "out" / "latest.json").is_file()

    second = runner.invoke(eval_cmd, [*common, "--gate", "--json"])
    assert second.exit_code == 0, second.output
    data = json.loads(second.stdout)
    assert data["gate"]["passed"] and data["baseline"]["regressions"] == []

    gate.write_text(json.dumps({"min": {"hit@5": 1.01}}))  # impossible floor
    failed = runner.invoke(eval_cmd, [*common, "--gate"])
    assert failed.exit_code == 1
    assert "gate FAILED" in failed.stderr and "hit@5" in failed.stderr
    assert "FAIL" in failed.stdout


def test_cli_calibrate_uses_dev_only(seed_settings, items, tmp_path):
    questions = _small_set(tmp_path, items)
    result = CliRunner().invoke(eval_cmd, ["--questions", str(questions), "--index",
                                           str(seed_settings.index_dir), "--out", str(tmp_path),
                                           "--calibrate", "--json", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    dev = [i for i in load_items(questions) if i.split == "dev"]
    assert data["questions"] == len(dev) and data["split"] == "dev"
    assert data["curve"][0]["threshold"] == 0.0
    assert data["best"] is None or data["best"]["false_refusal"] <= 0.05


def test_cli_errors_go_to_stderr(tmp_path):
    result = CliRunner().invoke(eval_cmd, ["--questions", str(tmp_path / "nope.jsonl"),
                                           "--index", str(tmp_path / "missing-index")])
    assert result.exit_code == 2
    assert result.stdout == "" and "error:" in result.stderr
