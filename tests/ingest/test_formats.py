"""Readers per format, and offsets that mean what they say, for .txt, .md, .html and .pdf.

One real index over one small file of each format; every citation's offsets index the
text that GET /sources/{doc_id} serves: the file's own text for .txt and .md, the
extracted text for HTML and PDF (with the PDF page of the quote).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from odd_files import make_pdf

from qa.config import Settings
from qa.index.build import build_index
from qa.ingest.clean import clean_document
from qa.ingest.readers import load_file

MARKDOWN = """# fastcsv: **quick** CSV parsing

fastcsv reads comma-separated files in `utf8` or base64 form. Is `sep?` optional? Yes, the
separator of fastcsv defaults to a comma. See [the fastcsv docs](https://example.org/docs?x=1) for more.

## Installing fastcsv

- Run `pip install fastcsv` to install the fastcsv package.
- Python3 is required by fastcsv
- fastcsv works on *Linux* and __macOS__ &amp; Windows

```python
import fastcsv
rows = fastcsv.read("a.csv")  # returns a list. Done? Yes.
```
"""

HTML = """<html><head><title>Glacier guide - Example Site</title></head><body>
<div>Keyboard shortcuts</div>
<h1>How glaciers move</h1>
<p>Glaciers move by <em>basal sliding</em> over a film of meltwater and by the slow deformation of
the ice itself, which the function <code>flow_rate()</code> in the <a href="/m">model</a> estimates.</p>
<p>A glacier advancing 2 metres a day is called a surging glacier.</p>
</body></html>"""

TEXT = """Sourdough notes

Sourdough bread rises because wild yeast and lactic acid bacteria in the starter ferment the dough.
The starter is fed with flour and water every day, and a ratio like s2 = s1 * 2 is common.
"""

PDF_PAGES = [
    ["Lighthouse Report", "Lighthouses warn ships away from rocks with a beam of light at night."],
    ["The Fresnel lens focuses the lamp of a lighthouse into a narrow, bright beam.",
     "Most lighthouses today are automated and need no keeper."],
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    (folder / "fastcsv.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "glaciers.html").write_text(HTML, encoding="utf-8")
    (folder / "sourdough.txt").write_text(TEXT, encoding="utf-8")
    (folder / "lighthouse.pdf").write_bytes(make_pdf(PDF_PAGES))
    return folder


@pytest.fixture(scope="module")
def engine(corpus, tmp_path_factory):
    from qa.engine import Engine

    settings = Settings(seeds_dir=corpus, index_dir=tmp_path_factory.mktemp("formats-index"))
    build_index(settings, log=lambda _m: None)
    return Engine.load(settings)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _cited(engine, question: str, doc_id: str):
    answer = engine.ask(question)
    cites = [c for c in answer.citations if c.doc_id == doc_id]
    assert cites, (question, answer.answer)
    served = engine.source(doc_id)
    for c in cites:
        assert served.text[c.start : c.end] == c.text and served.text[c.quote_start : c.quote_end] == c.quote
        assert served.offsets_in == c.offsets_in
    parts = dict((int(n), t) for t, n in re.findall(r"(.*?) \[(\d+)\]", answer.answer))
    for c in cites:
        assert _words(parts[c.n]) == _words(c.quote) or _words(parts[c.n]) == _words(_rendered_md(c.quote))
    return answer, cites, served


def _rendered_md(quote: str) -> str:
    return re.sub(r"\]\([^)]*\)", "", quote)  # a link's target is not prose


def test_txt_offsets_index_the_file_itself(engine, corpus):
    _, cites, _ = _cited(engine, "Why does sourdough bread rise?", "sourdough")
    file_text = (corpus / "sourdough.txt").read_text(encoding="utf-8")
    for c in cites:
        assert c.offsets_in == "file" and c.page is None
        assert file_text[c.quote_start : c.quote_end] == c.quote


def test_md_offsets_index_the_file_and_answers_carry_no_markup(engine, corpus):
    answer, cites, _ = _cited(engine, "How do I install fastcsv?", "fastcsv")
    file_text = (corpus / "fastcsv.md").read_text(encoding="utf-8")
    for c in cites:
        assert c.offsets_in == "file" and c.page is None
        assert file_text[c.quote_start : c.quote_end] == c.quote
    assert "**" not in answer.answer and "](" not in answer.answer and "import fastcsv" not in answer.answer
    assert engine.source("fastcsv").title == "fastcsv: quick CSV parsing"


def test_md_reader_keeps_structure(corpus):
    doc = clean_document(load_file(corpus / "fastcsv.md"))
    sentences = doc.sentences()
    texts = [s.text for s in sentences]
    assert doc.title == "fastcsv: quick CSV parsing"  # first heading, no "# ", no "**"
    assert "Is `sep?` optional?" in texts  # a "?" in inline code ends nothing
    items = [s.text for s in sentences if s.list_item]
    assert items == ["Run `pip install fastcsv` to install the fastcsv package.", "Python3 is required by fastcsv",
                     "fastcsv works on Linux and macOS & Windows"]
    code = [s for s in sentences if s.code]
    assert len(code) == 1 and code[0].text.startswith("import fastcsv\nrows = ") and code[0].text.endswith("Yes.")
    assert not any("](" in t or "**" in t or "__" in t for t in texts)
    # headings start sections: chunks never cross them
    assert len({s.group for s in sentences}) == 2
    # headings are marked as such (searched, never an answer on their own); nothing else is
    assert [s.text for s in sentences if s.heading] == ["fastcsv: quick CSV parsing", "Installing fastcsv"]


def test_md_table_rows_read_as_the_table_does_and_the_header_is_a_heading(tmp_path):
    md = tmp_path / "t.md"
    md.write_text("# Services\n\n| Service | Owner | Port |\n|---|:---:|---|\n| api | Platform *team* | 8080 |\n"
                  "web | Frontend team | 3000\n", encoding="utf-8")
    doc = clean_document(load_file(md))
    rows = [(s.text, s.heading) for s in doc.sentences()]
    assert rows == [("Services", True), ("Service | Owner | Port", True), ("api | Platform team | 8080", False),
                    ("web | Frontend team | 3000", False)]
    raw = md.read_text(encoding="utf-8")
    for s in doc.sentences():  # every row's span is the row in the file, cell markup and all
        assert _words(raw[s.start : s.end]) == _words(s.text)


def test_a_short_bullet_is_one_sentence_a_long_one_is_split(tmp_path):
    long_item = ("Backups run every night at two, copy each changed file to the remote server, and keep thirty "
                 "daily snapshots on disk. Restores older than that need a ticket to the storage team first.")
    md = tmp_path / "l.md"
    md.write_text(f"# Levels\n\n- SEV2: a major feature is broken. Response within one hour.\n- {long_item}\n",
                  encoding="utf-8")
    doc = clean_document(load_file(md))
    items = [s for s in doc.sentences() if s.list_item]
    assert [s.text for s in items[:1]] == ["SEV2: a major feature is broken. Response within one hour."]
    assert [s.text for s in items[1:]] == [long_item[: long_item.index(" Restores")], long_item[long_item.index("Restores"):]]
    raw = md.read_text(encoding="utf-8")
    assert all(raw[s.start : s.end] == s.text for s in items)


def test_html_offsets_index_the_extracted_text(engine):
    _, cites, served = _cited(engine, "How do glaciers move?", "glaciers")
    for c in cites:
        assert c.offsets_in == "extracted" and c.page is None
    assert served.title == "How glaciers move"  # the <h1>, not "Keyboard shortcuts"
    # inline elements join their sentence instead of breaking it into lines
    assert "the function flow_rate() in the model estimates." in served.text
    # the <h1> restates the question; it is searched, never quoted as the answer
    assert all(c.quote != "How glaciers move" for c in cites)


def test_html_headings_are_marked_and_nothing_else_is(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<h1>Tides</h1><p>Tides rise twice a day.</p><h2>Spring <br>tides</h2><p>They come with the "
                    "<em>new</em> moon.</p><h3>Why it <b>matters</b></h3><div>Harbours flood.</div>", encoding="utf-8")
    raw = load_file(page)
    assert [raw.text[a:b] for a, b in raw.headings] == ["Tides", "Spring", "tides", "Why it matters"]
    assert "\ue000" not in raw.text and "\ue001" not in raw.text
    marked = [(s.text, s.heading) for s in clean_document(raw).sentences()]
    assert marked == [("Tides", True), ("Tides rise twice a day.", False), ("Spring tides", True),
                      ("They come with the new moon.", False), ("Why it matters", True), ("Harbours flood.", False)]
    # each heading starts a section that chunks never cross, as in Markdown
    assert [s.group for s in clean_document(raw).sentences()] == [0, 0, 1, 1, 2, 2]


def test_html_table_rows_read_as_the_page_shows_them_and_the_header_row_is_a_heading(tmp_path):
    page = tmp_path / "t.html"
    page.write_text("<h2>Services</h2><p>Our services are listed below.</p><table><thead><tr><th>Service</th>"
                    "<th>Owner</th><th>Port</th></tr></thead><tbody><tr><td>api</td><td>Platform <b>team</b></td>"
                    "<td>8080</td></tr><tr><td>web</td><td><p>Frontend</p><p>team</p></td><td>3000</td></tr>"
                    "</tbody></table><table><caption>Prices for each size</caption><tr><th>Size</th><th>Price</th></tr>"
                    "<tr><td>small</td><td>4</td></tr></table>", encoding="utf-8")
    doc = clean_document(load_file(page))
    marked = [(s.text, s.heading, s.group) for s in doc.sentences()]
    assert marked == [("Services", True, 0), ("Our services are listed below.", False, 0),
                      ("Service | Owner | Port", True, 0), ("api | Platform team | 8080", False, 0),
                      ("web | Frontend team | 3000", False, 0),  # a <p> in a cell keeps the row on one line
                      ("Prices for each size", True, 0),  # a <caption> names its table: a label
                      ("Size | Price", True, 0), ("small | 4", False, 0)]  # a row of <th> only is a header


def test_an_html_definition_term_is_a_label_its_definition_answers(tmp_path):
    page = tmp_path / "g.html"
    page.write_text("<h1>Glossary</h1><dl><dt>Snapshot</dt><dd>A copy of a folder as it was at one moment.</dd>"
                    "<dt>Retention</dt><dd>How long snapshots are kept.</dd></dl>", encoding="utf-8")
    marked = [(s.text, s.heading) for s in clean_document(load_file(page)).sentences()]
    assert marked == [("Glossary", True), ("Snapshot", True), ("A copy of a folder as it was at one moment.", False),
                      ("Retention", True), ("How long snapshots are kept.", False)]


def test_pdf_offsets_index_the_extracted_text_with_the_page(engine, capsys):
    from qa.cli import _print_answer

    answer, cites, served = _cited(engine, "What does the Fresnel lens do?", "lighthouse")
    assert served.offsets_in == "extracted"
    for c in cites:
        assert c.offsets_in == "extracted"
        assert c.page == (2 if "Fresnel" in c.quote else 1)
    _print_answer(answer)  # the command line names the page too
    assert f"lighthouse.pdf:{cites[0].quote_start}-{cites[0].quote_end}, page {cites[0].page}" in capsys.readouterr().out


def test_md_raw_html_gives_its_text_not_its_tags(tmp_path):
    path = tmp_path / "readme.md"
    path.write_text('<h1 align="center">Quillpad</h1>\n<p align="center">A notes app &copy; the authors.</p>\n\n'
                    "Quillpad syncs notes between devices.\n", encoding="utf-8")
    doc = clean_document(load_file(path))
    texts = [s.text for s in doc.sentences()]
    assert texts == ["Quillpad", "A notes app © the authors.", "Quillpad syncs notes between devices."]
    assert doc.title == "Quillpad"
    raw = path.read_text(encoding="utf-8")
    for s in doc.sentences():
        assert "<" not in s.text and raw[s.start : s.end].startswith(s.text[:3])
