"""Chunks respect token budgets, the model's own input limit, and source offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import DEFAULT_ENCODING, DEFAULT_MODEL
from qa.index.embedding import WordPieceCounter, model_max_tokens
from qa.ingest.chunk import Chunker, embedding_text
from qa.ingest.clean import clean_document
from qa.ingest.readers import RawDocument, load_file

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def counter():
    return WordPieceCounter(DEFAULT_MODEL)


def _chunker(counter, max_tokens=160, overlap=32):
    return Chunker(DEFAULT_ENCODING, max_tokens, overlap, counter.count, model_max_tokens(DEFAULT_MODEL),
                   counter.starts)


def test_model_limit_is_read_from_the_bundled_model():
    assert model_max_tokens(DEFAULT_MODEL) == 256


@pytest.mark.parametrize("max_tokens", [64, 160, 400])
def test_no_chunk_exceeds_the_model_input_limit(counter, max_tokens):
    """MiniLM silently truncates past 256 word pieces; every embedded text must fit."""
    chunker = _chunker(counter, max_tokens=max_tokens, overlap=min(32, max_tokens // 4))
    limit = model_max_tokens(DEFAULT_MODEL)
    for path in sorted(SEEDS.iterdir()):
        doc = clean_document(load_file(path))
        for chunk in chunker.chunk(doc):
            pieces = counter.count([embedding_text(doc.title, chunk)])[0]
            assert pieces <= limit, (path.name, pieces, chunk.text[:60])


def test_wordpiece_limit_binds_before_tiktoken_budget(counter):
    # Numbers and rare names cost more word pieces than cl100k tokens: a 400-token budget
    # would overflow MiniLM, so the chunker must split on the word-piece count.
    sentence = "Reference 1234567 8901234 5678901 for Aldershot-Bassetlaw-Wokingham. "
    raw = RawDocument("n", "n.txt", "Numbers\n\n" + sentence * 30, "text", "0")
    doc = clean_document(raw)
    chunks = _chunker(counter, max_tokens=2000, overlap=0).chunk(doc)
    assert len(chunks) > 1
    assert all(counter.count([embedding_text(doc.title, c)])[0] <= 256 for c in chunks)


def test_token_budget_and_overlap(counter):
    doc = clean_document(load_file(SEEDS / "002_9aabc97dfefbaefd.txt"))
    chunker = _chunker(counter, max_tokens=120, overlap=30)
    chunks = chunker.chunk(doc)
    assert len(chunks) > 10
    for c in chunks:
        if len(c.sentences) > 1:
            assert chunker.tokens(c.text) <= 120 + 5  # joined with spaces
    # Consecutive chunks in one section share their boundary sentences.
    shared = sum(
        1 for a, b in zip(chunks, chunks[1:], strict=False)
        if a.section == b.section and {(s.start, s.end) for s in a.sentences} & {(s.start, s.end) for s in b.sentences}
    )
    assert shared > 0


def test_chunks_never_mix_article_and_comments(counter):
    doc = clean_document(load_file(SEEDS / "000_e394d50cb2b718a3.txt"))
    for chunk in _chunker(counter).chunk(doc):
        assert {s.section for s in chunk.sentences} == {chunk.section}


def test_chunk_offsets_cover_their_sentences(counter):
    doc = clean_document(load_file(SEEDS / "003_56a6725d5cdb8bb7.txt"))
    for chunk in _chunker(counter).chunk(doc):
        assert chunk.start == chunk.sentences[0].start and chunk.end == chunk.sentences[-1].end
        assert 0 <= chunk.start < chunk.end <= len(doc.raw_text)


def test_invalid_settings_are_rejected(counter):
    with pytest.raises(ValueError, match="overlap"):
        _chunker(counter, max_tokens=50, overlap=50)
    with pytest.raises(ValueError, match="max_tokens must be greater than 0"):
        _chunker(counter, max_tokens=0, overlap=0)


def test_a_comment_sentence_split_for_length_keeps_its_author(counter):
    # One reader comment's bullet list has no full stops: a 75-word "sentence" that the
    # chunker must cut; every piece is still that reader's words.
    doc = clean_document(load_file(SEEDS / "000_e394d50cb2b718a3.txt"))
    pieces = [s for c in _chunker(counter).chunk(doc) for s in c.sentences if "UnitedHealth" in s.text]
    assert pieces
    assert {s.author for s in pieces} == {"Jan Mclachlan"}


def test_a_lead_in_sentence_starts_the_chunk_of_what_it_introduces(counter):
    # Sentences of 1, 2, 9, 9, 9 and 11 tokens: a 42-token budget would end a chunk on "as follows:".
    text = "Intro. " + " ".join(f"Sentence number {i} says something about care." for i in range(3))
    text += "\n\nThe enablers can be summarised as follows:\n\n• Trust between partners matters most.\n• Money helps."
    raw = RawDocument("x", "x.txt", "Title\n\n" + text + "\n", "text", "0")
    chunks = _chunker(counter, max_tokens=42, overlap=0).chunk(clean_document(raw))
    for c in chunks:
        assert not c.sentences[-1].text.endswith(":") or c is chunks[-1], c.text
    lead = next(c for c in chunks if "as follows:" in c.text)
    assert "Trust between partners" in lead.text


def _squash(text: str) -> str:
    return "".join(text.split())


def test_a_long_sentence_is_split_into_pieces_that_fit_with_exact_offsets(counter):
    # One run-on sentence of numbers, names and odd spacing: every piece fits both
    # limits and its source span holds exactly its text.
    body = "  ".join(f"item{i} costs £{i * 37}.5 in Aldershot-Bassetlaw\nand base64 blobs" for i in range(400))
    raw = RawDocument("l", "l.txt", "A heading\n\n" + body + "\n", "text", "0")
    doc = clean_document(raw)
    chunker = _chunker(counter, max_tokens=160, overlap=0)
    pieces = [s for c in chunker.chunk(doc) for s in c.sentences]
    assert len(pieces) > 10
    for s in pieces:
        assert _squash(raw.text[s.start : s.end]) == _squash(s.text), s.text[:60]
        assert chunker.tokens(s.text) <= 160
    covered = "".join(_squash(s.text) for s in sorted(pieces, key=lambda s: s.start))
    assert covered == "Aheading" + _squash(body)  # nothing lost, nothing repeated


def test_a_one_line_file_gets_a_short_title_and_fitting_chunks(counter):
    line = " ".join(f"word{i % 97} and more text" for i in range(20000))  # ~500 KB, no newline
    doc = clean_document(RawDocument("one", "one.txt", line, "text", "0"))
    assert len(doc.title) <= 121
    chunks = _chunker(counter).chunk(doc)
    assert all(counter.count([embedding_text(doc.title, c)])[0] <= 256 for c in chunks)
    assert _squash("".join(c.text for c in chunks if c.sentences)).startswith(_squash(line[:200]))


def test_a_run_with_no_spaces_is_cut_without_losing_characters(counter):
    blob = "QUJD" * 5000  # 20,000 characters, no space
    raw = RawDocument("b", "b.txt", "Blob\n\nThe data is " + blob + " and ends here.\n", "text", "0")
    doc = clean_document(raw)
    pieces = [s for c in _chunker(counter).chunk(doc) for s in c.sentences]
    assert "".join(s.text.replace(" ", "") for s in pieces) == ("BlobThedatais" + blob + "andendshere.")
    assert all(raw.text[s.start : s.end].replace(" ", "") == s.text.replace(" ", "") for s in pieces)
