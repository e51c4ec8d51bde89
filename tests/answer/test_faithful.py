"""Faithful text: every sentence (what answers show) is the source slice it cites.

Whitespace may be squashed and a private-use icon glyph may become a space, nothing
else: no character of a word is ever dropped ("base64" stays "base64").
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.ingest.clean import clean_document
from qa.ingest.readers import RawDocument

_IGNORED = re.compile(r"[\s\ue000-\uf8ff\U000f0000-\U0010ffff]+")


def squash(text: str) -> str:
    return _IGNORED.sub("", text)


def assert_faithful(raw: str) -> None:
    doc = clean_document(RawDocument("doc", "doc.txt", raw, "text", "0"))
    for s in doc.sentences():
        assert squash(s.text) == squash(raw[s.start : s.end]), (s.text, raw[s.start : s.end])
        assert s.text == s.text.strip() and s.text


# Prose-like pieces: words glued to digits, footnote-looking numbers, bullets, quotes,
# line breaks and page-number lines, so the PDF-like rules get exercised too.
_PIECES = st.sampled_from([
    "base64", "utf8", "Python3", "s2 = s1", "dashboard4", "improvement.5", "needed”.9", "x²",
    "The", "the", "report", "was", "published", "in", "2017", "by", "Acme", "Ltd.", "e.g.", "Dr.",
    "is", "a", "long", "wrapped", "line", "of", "text", "that", "goes", "on", "and", "on",
    ".", ",", ";", ":", "?", "!", "“quoted”", "(p.34)", "-", "well-", "known", "•", "●●", "\uf0d8",
    " ", " ", " ", "\n", "\n", "\n\n", "\n12\n", "\nhttps://example.org/a\n", "\t", "\u00a0",
    "Comments (2)", "Jane Doe  01/03/2017 at 18:21", "Add your comment",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=120).map(" ".join))
def test_sentences_equal_their_source_slice_prose(raw):
    assert_faithful(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_sentences_equal_their_source_slice_any_text(raw):
    assert_faithful(raw)


def test_digits_after_letters_are_kept():
    raw = "Encoding notes\n\nThe payload is base64 and the file is utf8. Then s2 = s1 holds for Python3 users.\n"
    doc = clean_document(RawDocument("doc", "doc.txt", raw, "text", "0"))
    text = " ".join(s.text for s in doc.sentences())
    for word in ("base64", "utf8", "s2 = s1", "Python3"):
        assert word in text


_MD_PIECES = st.sampled_from([
    "# ", "## ", "\n", "\n\n", "- ", "1. ", "> ", "**", "*", "_", "`", "```\n", "    ", "[", "](http://x.org/a)",
    "![alt](i.png)", "<b>", "</b>", "<p>", "&amp;", "&copy;", "\\*", "|", "---", "base64", "utf8", "s2 = s1",
    "word", "Word", "The", "answer", "is", "here", ".", "?", "!", ",", " ", " ", " ", "2017", "x?",
])


def _is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(any(c == b for b in it) for c in small)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MD_PIECES, max_size=80).map("".join))
def test_markdown_sentences_are_rendered_slices_of_the_file(raw):
    # A Markdown quote is the file's text (markup included); the sentence is it rendered:
    # every character of the sentence is the quote's, in order (only markup is left out),
    # and every word of the quote outside markup is whole in the sentence.
    doc = clean_document(RawDocument("doc", "doc.md", raw, "markdown", "0"))
    for s in doc.sentences():
        assert 0 <= s.start < s.end <= len(raw)
        quote = raw[s.start : s.end]
        assert _is_subsequence(squash(s.text).replace("©", ""), squash(quote)), (s.text, quote)
        for word in ("base64", "utf8", "s2", "s1", "2017"):
            assert quote.count(word) <= s.text.count(word) or "`" in quote or "](" in quote or "<" in quote, \
                (word, s.text, quote)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, min_size=1, max_size=120).map(" ".join), st.data())
def test_rendered_answers_quote_their_source_slices(raw, data):
    # The answer text is built from picked sentences (qa/answer/select.py render): each part before
    # a [n] marker is its sentence's source slice, whitespace squashed, quotes for comments.
    from qa.answer.render import render
    from qa.answer.select import PassageRef, Pick
    from qa.index.schema import SentenceRecord

    doc = clean_document(RawDocument("doc", "doc.txt", raw, "text", "0"))
    sentences = doc.sentences()
    if not sentences:
        return
    chosen = data.draw(st.lists(st.sampled_from(sentences), min_size=1, max_size=3))
    picks = [Pick(SentenceRecord(i, "doc", s.section, s.text, s.start, s.end, s.author, s.byline, s.list_item),
                  PassageRef(0, 0, 1.0, 1.0, tuple(range(len(chosen)))), 1.0) for i, s in enumerate(chosen)]
    parts = re.findall(r"(.*?) \[(\d+)\](?: |$)", render(picks))
    assert [int(n) for _, n in parts] == list(range(1, len(picks) + 1))
    for (text, _n), pick in zip(parts, picks, strict=True):
        s = pick.sentence
        # the quote follows the attribution ("Jane Doe commented: “...”"), whose name may hold quotes itself
        said = re.search(r"(?:commented|added|said): “(.*)”$", text).group(1) if s.section == "comments" or s.author \
            else text
        assert squash(said) == squash(raw[s.start : s.end]), (said, raw[s.start : s.end])
