"""The Python API in qa/__init__.py: lazy, and the README's five lines work on made-up text."""

from __future__ import annotations

import subprocess
import sys

import qa

HEAVY = ("numpy", "torch", "faiss", "bm25s", "fastapi", "pydantic", "qa.engine", "qa.config")


def test_import_qa_imports_nothing_heavy():
    code = f"import sys, qa; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_all_names_resolve():
    for name in qa.__all__:
        assert getattr(qa, name) is not None
    try:
        qa.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("qa.no_such_name should raise AttributeError")


def test_build_load_ask_search(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lighthouse.txt").write_text(
        "The Marrowby lighthouse keeper logs every passing ship in a green ledger.\n\n"
        "The lamp was converted to electric power in 1931, after a storm broke the oil store.\n",
        encoding="utf-8",
    )
    (docs / "bakery.md").write_text(
        "# Quillan Street bakery\n\nThe bakery opens at six and sells rye bread baked in a wood oven.\n",
        encoding="utf-8",
    )
    report = qa.build_index(docs, tmp_path / "index")
    assert isinstance(report, qa.IndexReport) and report.indexed_documents == 2
    engine = qa.load(tmp_path / "index")
    assert isinstance(engine, qa.Engine)
    answer = engine.ask("When was the lamp converted to electric power?")
    assert isinstance(answer, qa.Answer)
    assert not answer.abstained and "1931" in answer.answer
    assert answer.citations[0].source.endswith("lighthouse.txt")
    hits = qa.search("rye bread oven", k=2, index_dir=tmp_path / "index").hits
    assert hits[0].source.endswith("bakery.md")
    assert qa.ask("When was the lamp converted?", index_dir=tmp_path / "index").citations
