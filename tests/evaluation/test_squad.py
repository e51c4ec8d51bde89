"""SQuAD-style benchmark metrics (qa/evaluation/squad.py) on made-up rows."""

from __future__ import annotations

import json

import pytest

from qa.errors import QAError
from qa.evaluation.squad import SquadRow, auroc, load_squad, risk_coverage, score


def _row(answerable, evidence, right, words=10):
    return SquadRow("i", "q", answerable, "a", evidence, right, words, False)


def test_auroc_by_ranks_with_ties():
    assert auroc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.9, 0.8], [True, True, False, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.5, 0.4], [True, True]) is None


def test_scores_under_a_threshold():
    rows = [_row(True, 0.9, True, 20), _row(True, 0.2, True, 30), _row(True, 0.8, False, 40),
            _row(False, 0.1, False), _row(False, 0.7, False)]
    m = score(rows, 0.5)
    assert m.answer_accuracy == pytest.approx(1 / 3, abs=1e-4)  # the refused right answer counts as wrong
    assert m.false_refusal == pytest.approx(1 / 3, abs=1e-4)
    assert m.unanswerable_refusal == 0.5
    assert m.median_words == 20  # answered: 20, 40 and the unanswerable one's 10


def test_risk_coverage_answers_the_most_confident_first():
    coverage, risk = risk_coverage([_row(True, 0.9, True), _row(False, 0.1, False), _row(True, 0.5, False)])
    assert coverage == [0.3333, 0.6667, 1.0] and risk == [0.0, 0.5, 0.6667]


def test_a_folder_without_questions_is_a_clear_error(tmp_path):
    with pytest.raises(QAError, match="docs/ and questions.jsonl"):
        load_squad(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "questions.jsonl").write_text(json.dumps({"id": "1", "question": "q"}) + "\n")
    with pytest.raises(QAError, match="line 1"):
        load_squad(tmp_path)


def test_qa_eval_squad_reports_and_gates_on_a_made_up_article(tmp_path):
    from click.testing import CliRunner

    from qa.cli import main

    folder = tmp_path / "mill"
    (folder / "docs").mkdir(parents=True)
    text = ("The Old Windmill\n\nThe old windmill was built in 1820. It is painted white.\n\n"
            "Visitors can climb to the top on weekends.\n")
    (folder / "docs" / "mill.txt").write_text(text, encoding="utf-8")
    items = [
        {"id": "a", "question": "When was the old windmill built?", "answerable": True, "answers": ["1820"],
         "source": "docs/mill.txt", "span": [text.index("1820"), text.index("1820") + 4]},
        {"id": "b", "question": "When can visitors climb to the top?", "answerable": True, "answers": ["weekends"],
         "source": "docs/mill.txt", "span": [text.index("weekends"), text.index("weekends") + 8]},
        {"id": "c", "question": "Who won the football league in 1998?", "answerable": False, "answers": [],
         "source": "docs/mill.txt", "span": None},
    ]
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"squad": {"min": {"answer_accuracy": 0.5}, "max": {"median_words": 40}}}))
    out = CliRunner().invoke(main, ["eval", "--squad", str(folder), "--index", str(tmp_path / "index"),
                                    "--out", str(tmp_path / "out"), "--json", "--gate", "--gate-config", str(gate),
                                    "-q"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output.strip().splitlines()[-1])
    m = result["metrics"]
    assert m["questions"] == 3 and m["answerable"] == 2 and m["answer_accuracy"] >= 0.5
    assert len(result["coverage"]) == 3 and all(g["passed"] for g in result["gate"])
    assert (tmp_path / "out" / "squad-mill-risk-coverage.png").is_file()
    failing = tmp_path / "strict.json"
    failing.write_text(json.dumps({"squad": {"min": {"answer_accuracy": 1.01}}}))
    out = CliRunner().invoke(main, ["eval", "--squad", str(folder), "--index", str(tmp_path / "index"),
                                    "--out", str(tmp_path / "out"), "--gate", "--gate-config", str(failing),
                                    "--no-plots", "-q"])
    assert out.exit_code == 1 and "squad gate FAILED" in out.output


def test_a_squad_gate_naming_an_unknown_metric_is_a_clear_error(tmp_path):
    from qa.commands.squad import _load_squad_gate

    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"squad": {"min": {"accuracy": 0.5}}}))
    with pytest.raises(QAError, match="unknown squad metric.*accuracy"):
        _load_squad_gate(path)
    path.write_text(json.dumps({"min": {}}))
    with pytest.raises(QAError, match='no "squad:mill" or "squad" section'):
        _load_squad_gate(path, "mill")


def test_a_benchmark_with_its_own_gate_section_uses_it(tmp_path):
    from qa.commands.squad import _load_squad_gate

    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"squad": {"min": {"auroc": 0.7}}, "squad:mill": {"min": {"auroc": 0.5}}}))
    assert _load_squad_gate(path, "mill").min == {"auroc": 0.5}
    assert _load_squad_gate(path, "other").min == {"auroc": 0.7}
    # the messages name the section they were checked against
    assert _load_squad_gate(path, "mill").section == "squad:mill"
    assert _load_squad_gate(path, "other").section == "squad"


def _corpus(folder, name, text, items):
    (folder / name / "docs").mkdir(parents=True)
    (folder / name / "docs" / f"{name}.md").write_text(text, encoding="utf-8")
    rows = [{"id": f"{name}-{n}", "question": q, "answerable": a is not None, "answers": [a] if a else [],
             "source": f"docs/{name}.md" if a else None, "span": [text.index(a), text.index(a) + len(a)] if a else None}
            for n, (q, a) in enumerate(items)]
    (folder / name / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def test_a_folder_of_corpora_is_scored_together_and_one_by_one(tmp_path):
    from click.testing import CliRunner

    from qa.cli import main

    folder = tmp_path / "collections"
    _corpus(folder, "bakery", "# Opening hours\n\nThe bakery opens at 7am on weekdays. It closes at noon on Sundays.\n",
            [("When does the bakery open on weekdays?", "7am"), ("Who painted the Mona Lisa?", None)])
    _corpus(folder, "club", "# Membership\n\nA year of chess club membership costs 40 pounds. Juniors pay half.\n",
            [("How much is a year of membership?", "40 pounds")])
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"squad:collections": {"min": {"answer_accuracy": 0.5}}}))
    out = CliRunner().invoke(main, ["eval", "--squad", str(folder), "--index", str(tmp_path / "index"),
                                    "--out", str(tmp_path / "out"), "--json", "--gate", "--gate-config", str(gate),
                                    "--no-plots", "-q"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output.strip().splitlines()[-1])
    assert result["name"] == "collections" and result["metrics"]["questions"] == 3
    assert [(p["name"], p["metrics"]["questions"]) for p in result["parts"]] == [("bakery", 2), ("club", 1)]
    assert (tmp_path / "index" / "bakery").is_dir() and (tmp_path / "index" / "club").is_dir()
    assert result["metrics"]["answer_accuracy"] >= 0.5 and result["gate"][0]["passed"]
