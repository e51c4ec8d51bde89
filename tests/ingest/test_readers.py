"""One file in, one RawDocument out (qa/ingest/readers.py), per format, with one-line errors."""

from __future__ import annotations

import hashlib

import pytest

from qa.errors import InvalidDocumentError
from qa.ingest.readers import load_file


def test_text_is_read_as_written(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Grafting starts in spring.\n")
    doc = load_file(path)
    assert (doc.doc_id, doc.kind, doc.text, doc.offsets_in) == ("notes", "text", "Grafting starts in spring.\n", "file")
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_utf16_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("Ferries leave at noon.".encode("utf-16"))
    assert load_file(path).text == "Ferries leave at noon."


def test_markdown_keeps_its_markup_and_kind(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("# Guide\n\nUse **bold** sparingly.\n", encoding="utf-8")
    doc = load_file(path)
    assert doc.kind == "markdown" and "**bold**" in doc.text


def test_html_is_extracted_with_its_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>Tab</title></head><body><h1>Harbour news</h1>"
                    "<p>The pier <code>reopens</code> on Monday.</p></body></html>", encoding="utf-8")
    doc = load_file(path)
    assert (doc.kind, doc.offsets_in, doc.title) == ("html", "extracted", "Harbour news")
    assert "The pier reopens on Monday." in doc.text


def test_unsupported_type_names_the_supported_ones(tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InvalidDocumentError, match=r"unsupported file type '\.xlsx'; supported: .*\.txt"):
        load_file(path)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(InvalidDocumentError, match="cannot be read") as info:
        load_file(tmp_path / "gone.txt")
    assert "\n" not in str(info.value)
