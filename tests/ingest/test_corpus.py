"""A corpus of odd files: what can be read is indexed, the rest is skipped with one line each,
nothing outside the corpus folder is read, and every answer quotes its source faithfully."""

from __future__ import annotations

import re

import pytest
from odd_files import write_odd_corpus

from qa.config import Settings
from qa.errors import InvalidDocumentError
from qa.index.build import build_index
from qa.ingest.corpus import read_corpus


def _outcomes(corpus) -> dict[str, str]:
    out = {d.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]: "read" for d in corpus.documents}
    out.update({s.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]: "skip" for s in corpus.skipped})
    return out


def test_odd_files_are_read_or_skipped_with_one_clear_line(tmp_path):
    expect = write_odd_corpus(tmp_path / "corpus", tmp_path / "outside")
    corpus = read_corpus(tmp_path / "corpus")
    assert _outcomes(corpus) == {name.rsplit(".", 1)[0]: outcome for name, outcome in expect.items()}
    texts = {d.doc_id: d.text for d in corpus.documents}
    assert texts["utf16"].startswith("Wave energy") and texts["utf16_nobom"].startswith("Ocean currents")
    assert "Le café au bord de la mer" in texts["latin"]  # <meta charset=iso-8859-1> honoured
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in corpus.skipped}
    assert all("\n" not in r for r in reasons.values())
    assert "outside the corpus folder" in reasons["link_outside.txt"] and "outside" in reasons["linkdir"]
    assert "iconv -f windows-1252" in reasons["latin1.txt"]
    assert "binary" in reasons["binary.txt"] and "empty" in reasons["empty.txt"]
    assert "not a readable PDF" in reasons["truncated.pdf"]
    assert not any("TOPSECRET" in t for t in texts.values())


def test_strict_makes_a_skip_fatal_and_leaves_no_index(tmp_path):
    write_odd_corpus(tmp_path / "corpus", tmp_path / "outside")
    settings = Settings(seeds_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    with pytest.raises(InvalidDocumentError, match=r"--strict.*6 file\(s\) cannot be read"):
        build_index(settings, strict=True, log=lambda _m: None)
    assert not (tmp_path / "index" / "CURRENT").exists()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def assert_answers_quote_their_sources(engine, questions: list[str]) -> int:
    """Every answer sentence has the words of its citation's quote, in order, none cut."""
    checked = 0
    for q in questions:
        answer = engine.ask(q)
        parts = re.findall(r"(.*?) \[(\d+)\]", answer.answer)
        cites = {c.n: c for c in answer.citations}
        for text, n in parts:
            quote = cites[int(n)].quote
            inner = re.search(r"“(.*)”$", text.strip())
            said = inner.group(1) if inner and cites[int(n)].section == "comments" else text
            # A Markdown quote is the file's text: a link's target is markup, not prose.
            assert _words(said) == _words(re.sub(r"\]\([^)]*\)", "", quote)), (q, said, quote)
            checked += 1
    return checked


def _index_odd_corpus(tmp_path, big: bool):
    from qa.engine import Engine

    write_odd_corpus(tmp_path / "corpus", tmp_path / "outside", big=big)
    settings = Settings(seeds_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    lines: list[str] = []
    report = build_index(settings, log=lines.append)
    assert len(report.skipped) == 6
    assert sum(1 for ln in lines if ln.startswith("skipped ")) == 6
    engine = Engine.load(settings)
    assert not any("TOPSECRET" in p.text for p in engine.passages)
    # the nine templated pages differ in their numbers: none is a duplicate
    assert not [d for d in report.duplicates if d["dropped"].startswith("pool")]
    assert {f"pool{i}" for i in range(9)} <= {p.doc_id for p in engine.passages}
    # code is searchable but never quoted as prose
    assert any(p.doc_id == "codebook" and "import tidal" in p.text for p in engine.passages)
    return engine


ODD_QUESTIONS = ["What does tidal.fit do?", "How do I read gauge files?", "When does the pool open?",
                 "What is a tidal barrage?", "What do wave energy converters ride?",
                 "Where do ocean currents carry warm water?", "When did the first large barrage open?",
                 "How big is a tidal stream turbine?"]


def test_an_odd_corpus_indexes_and_every_answer_matches_its_source(tmp_path):
    engine = _index_odd_corpus(tmp_path, big=False)
    assert assert_answers_quote_their_sources(engine, ODD_QUESTIONS) >= 3
    answer = engine.ask("How do I read gauge files?")
    assert "import tidal" not in answer.answer and "](" not in answer.answer


@pytest.mark.slow
def test_an_odd_corpus_with_a_one_megabyte_line_indexes(tmp_path):
    engine = _index_odd_corpus(tmp_path, big=True)
    assert assert_answers_quote_their_sources(engine, ODD_QUESTIONS) >= 3


def test_a_huge_file_is_announced_with_its_size_and_an_estimate(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "huge.txt").write_text("Big text. " * 1_100_000, encoding="utf-8")  # 11 MB
    lines: list[str] = []
    read_corpus(folder, lines.append)
    warning = next(ln for ln in lines if "huge.txt" in ln)
    assert warning.startswith("warning:") and "11.0 MB" in warning and "passages" in warning and "min" in warning


def test_a_damaged_pdf_page_loses_that_page_only(tmp_path, monkeypatch, caplog):
    import logging

    from odd_files import make_pdf
    from pypdf import PageObject

    from qa.ingest.readers import load_file

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_pdf([["The tide turns at noon."], ["Smudged page."], ["The ferry leaves at six."]]))
    real = PageObject.extract_text

    def damaged(page, *args, **kwargs):
        text = real(page, *args, **kwargs)
        if "Smudged" in text:
            raise ValueError("Invalid Elementary Object starting with b'\\xff'")
        return text

    monkeypatch.setattr(PageObject, "extract_text", damaged)
    with caplog.at_level(logging.WARNING, logger="qa.ingest"):
        doc = load_file(pdf)
    assert "tide turns" in doc.text and "ferry leaves" in doc.text and "Smudged" not in doc.text
    assert len(doc.page_starts) == 3  # the lost page keeps its place: later pages keep their numbers
    assert doc.text[doc.page_starts[2]:].startswith("The ferry")
    assert "1 of 3 pages cannot be read" in caplog.text and "page 2 (Invalid Elementary Object" in caplog.text

    monkeypatch.setattr(PageObject, "extract_text", lambda *a, **k: (_ for _ in ()).throw(ValueError("bad")))
    with pytest.raises(InvalidDocumentError, match="none of its 3 pages can be read"):
        load_file(pdf)
