"""scripts/make_spans.py: a draft of SQuAD-style questions becomes questions.jsonl with exact spans,
or a list of what to fix and nothing written."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_spans.py"
ARTICLE = ("Windmill\n\nThe old windmill was built in 1820 by the miller Ann Hale. "
           "A second windmill was built in 1850. The mill was built in 1820 of brick.\n")


@pytest.fixture(scope="module")
def make_spans():
    spec = importlib.util.spec_from_file_location("make_spans", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _draft(tmp_path: Path, lines: list[dict]) -> tuple[Path, Path]:
    folder = tmp_path / "windmill"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "Windmill.txt").write_text(ARTICLE, encoding="utf-8")
    draft = tmp_path / "draft.jsonl"
    draft.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return draft, folder


def test_the_span_marks_the_answer_inside_its_evidence_sentence(make_spans, tmp_path):
    # "1820" occurs twice; the evidence picks the brick sentence, so the span is its "1820"
    draft, folder = _draft(tmp_path, [
        {"question": "In what year was the brick mill put up?", "answerable": True, "answers": ["1820"],
         "evidence": "The mill was built in 1820 of brick."},
        {"question": "Who painted the mill?", "answerable": False, "answers": [], "evidence": ""},
    ])
    items, problems = make_spans.make(draft, folder)
    assert problems == []
    first, second = items
    assert first["id"] == "windmill-01" and first["source"] == "docs/Windmill.txt"
    start, end = first["span"]
    assert ARTICLE[start:end] == "1820" and start > ARTICLE.index("1850")
    assert second == {"id": "windmill-02", "question": "Who painted the mill?", "answerable": False,
                      "answers": [], "source": None, "span": None}


@pytest.mark.parametrize(("line", "problem"), [
    ({"answers": ["1820"], "evidence": "built in 1820 by a carpenter"}, "evidence not found verbatim"),
    ({"answers": ["1820"], "evidence": "was built in"}, "occurs more than once"),
    ({"answers": ["Ann Hale"], "evidence": "A second windmill was built in 1850."}, "is not in its evidence"),
    ({"answers": ["1850", "1851"], "evidence": "A second windmill was built in 1850."}, "not in the article"),
    ({"answers": [], "evidence": "A second windmill was built in 1850."}, "no answer"),
])
def test_a_line_that_does_not_check_out_is_named_and_nothing_is_kept(make_spans, tmp_path, line, problem):
    draft, folder = _draft(tmp_path, [{"question": "When?", "answerable": True} | line])
    items, problems = make_spans.make(draft, folder)
    assert len(problems) == 1 and problems[0].startswith("line 1:") and problem in problems[0]


def test_the_command_writes_nothing_when_a_line_fails(make_spans, tmp_path, monkeypatch, capsys):
    draft, folder = _draft(tmp_path, [
        {"question": "When was it built?", "answerable": True, "answers": ["1850"],
         "evidence": "A second windmill was built in 1850."},
        {"question": "Who built it?", "answerable": True, "answers": ["Ann Hale"], "evidence": "the miller Ann Hal"},
    ])
    monkeypatch.setattr("sys.argv", ["make_spans.py", str(draft), str(folder)])
    with pytest.raises(SystemExit) as stop:
        make_spans.main()
    assert stop.value.code == 1 and "line 2:" in capsys.readouterr().err
    assert not (folder / "questions.jsonl").exists()
