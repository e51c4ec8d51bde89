"""Markdown through a real CommonMark parser (markdown-it-py), offsets into the file's text.

Headings are section titles (the first one is the document's title, without "# ") and
chunks never cross them; each list item is a paragraph of its own; link targets, `**`
and other markup never reach the clean text; code blocks are kept whole and verbatim,
and inline code is part of its sentence (a "?" inside it ends nothing). A table row is one
paragraph whose cells keep the source's " | " between them; the header row names the columns
and, like a heading, is searched but never an answer on its own.

markdown-it gives block tokens their lines but inline tokens no character offsets, so
each piece of inline text is found in the block's source by a forward scan: every clean
character keeps its exact offset in the file, and the scan is linear in the block.
"""

from __future__ import annotations

import re
from array import array
from functools import lru_cache

from qa.ingest.clean import CleanDocument, Paragraph, short_title
from qa.ingest.readers import RawDocument
from qa.words import TABLE_CELL

_HAS_WORD = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt  # lazy: only Markdown corpora pay for it

    return MarkdownIt("commonmark").enable("table")


class _Builder:
    """Accumulates one paragraph's clean characters and their source offsets."""

    def __init__(self, raw: str, start: int, end: int) -> None:
        self.raw, self.cursor, self.end = raw, start, end
        self.chars: list[str] = []
        self.offsets = array("i")
        self.protected: list[tuple[int, int]] = []

    def put(self, text: str) -> None:
        """Append ``text``, each character matched to the next equal source character."""
        raw, end = self.raw, self.end
        for ch in text:
            if ch.isspace():
                if self.chars and self.chars[-1] != " ":
                    self.chars.append(" ")
                    self.offsets.append(min(self.cursor, end - 1))
                continue
            pos = raw.find(ch, self.cursor, end)
            if pos < 0:  # an entity decoded to another character ("&copy;" -> "©"): kept, at the entity
                pos = min(self.cursor, end - 1)
            self.chars.append(ch)
            self.offsets.append(pos)
            self.cursor = pos + 1

    def skip_link_target(self) -> None:
        """After a link's text: move past "](target)" so its URL is never matched."""
        if self.raw.startswith("](", self.cursor):
            close = self.raw.find(")", self.cursor, self.end)
            if close >= 0:
                self.cursor = close + 1

    def paragraph(self, group: int, list_item: bool, heading: bool = False) -> Paragraph | None:
        while self.chars and self.chars[-1] == " ":
            self.chars.pop()
            self.offsets.pop()
        lead = 0
        while lead < len(self.chars) and self.chars[lead] == " ":
            lead += 1
        text = "".join(self.chars[lead:])
        if not _HAS_WORD.search(text):
            return None  # a rule, a row of numbers: no words, not prose
        protected = [(a - lead, b - lead) for a, b in self.protected]
        return Paragraph("body", group, text, self.offsets[lead:], list_item=list_item, protected=protected,
                         heading=heading)


def _line_starts(raw: str) -> list[int]:
    starts = [0]
    pos = raw.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = raw.find("\n", pos + 1)
    starts.append(len(raw) + 1)
    return starts


def clean_markdown(doc: RawDocument) -> CleanDocument:
    raw = doc.text
    lines = _line_starts(raw)
    tokens = _parser().parse(raw)
    paragraphs: list[Paragraph] = []
    title: str | None = None
    group = 0
    lists = 0
    heading = False
    head = False  # inside a table's header: its row names the columns, like a heading
    row: _Builder | None = None  # a table row is one paragraph, its cells joined by " | "
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif tok.type == "heading_open":
            heading = True
            group += 1  # a new section: chunks never cross a heading
        elif tok.type == "heading_close":
            heading = False
        elif tok.type in ("thead_open", "thead_close"):
            head = tok.type == "thead_open"
        elif tok.type == "tr_open" and tok.map:
            row = _Builder(raw, lines[tok.map[0]], min(len(raw), lines[tok.map[1]] - 1))
        elif tok.type == "tr_close" and row is not None:
            para = row.paragraph(group, False, heading=head)
            if para is not None:
                paragraphs.append(para)
            row = None
        elif tok.type in ("th_open", "td_open") and row is not None and row.chars:
            row.put(TABLE_CELL)  # the source's own cell separator, so the row reads as the table does
        elif tok.type == "inline" and row is not None:
            _put_inline(row, tok.children or [])
        elif tok.type == "inline" and tok.map:
            start, end = lines[tok.map[0]], min(len(raw), lines[tok.map[1]] - 1)
            para = _inline(raw, start, end, tok.children or [], group, lists > 0, heading)
            if para is None:
                continue
            if heading and title is None:
                title = para.text
            paragraphs.append(para)
        elif tok.type == "html_block" and tok.map:
            # Raw HTML in a README (a centred <h1>, a <p> of badges): its text, never its tags.
            paragraphs.extend(_html_block(raw, lines[tok.map[0]], min(len(raw), lines[tok.map[1]] - 1), group))
        elif tok.type in ("fence", "code_block") and tok.map:
            para = _code(raw, lines[tok.map[0]], min(len(raw), lines[tok.map[1]] - 1), tok.content, group)
            if para is not None:
                paragraphs.append(para)
    if title is None:
        title = paragraphs[0].text if paragraphs else doc.doc_id
    return CleanDocument(doc.doc_id, doc.source, short_title(title), doc.text, doc.sha256, paragraphs)


def _inline(raw: str, start: int, end: int, children, group: int, list_item: bool,
            heading: bool) -> Paragraph | None:
    b = _Builder(raw, start, end)
    _put_inline(b, children)
    return b.paragraph(group, list_item, heading)


def _put_inline(b: _Builder, children) -> None:
    raw, end = b.raw, b.end
    for child in children:
        kind = child.type
        if kind == "image":  # its alt text is not prose
            b.skip_link_target()
        elif kind == "text":
            b.put(child.content)
        elif kind == "code_inline":
            # Kept as code, backticks and all, as the source writes it.
            first = len(b.chars)
            b.put(child.markup + child.content + child.markup)
            b.protected.append((first, len(b.chars)))
        elif kind in ("softbreak", "hardbreak"):
            b.put(" ")
        elif kind == "link_close":
            b.skip_link_target()
        elif kind == "html_inline":
            pos = raw.find(child.content, b.cursor, end)
            if pos >= 0:
                b.cursor = pos + len(child.content)


_TAG_OR_TEXT = re.compile(r"<!--.*?-->|<[^>]*>|[^<]+", re.S)


_BLOCK_TAG = re.compile(r"</?(p|div|h[1-6]|li|ul|ol|br|hr|tr|td|th|table|section|header|footer|details|"
                        r"summary|blockquote|pre)\b", re.I)


def _html_block(raw: str, start: int, end: int, group: int) -> list[Paragraph]:
    import html

    out: list[Paragraph] = []
    b = _Builder(raw, start, end)
    for m in _TAG_OR_TEXT.finditer(raw, start, end):
        piece = m.group()
        if not piece.startswith("<"):
            b.cursor = m.start()  # text between tags is matched only inside itself
            b.put(html.unescape(piece))
        elif _BLOCK_TAG.match(piece):  # a block element ends a paragraph
            para = b.paragraph(group, False)
            if para is not None:
                out.append(para)
            b = _Builder(raw, m.end(), end)
    para = b.paragraph(group, False)
    return out + ([para] if para is not None else [])


def _code(raw: str, start: int, end: int, content: str, group: int) -> Paragraph | None:
    """A code block, verbatim (newlines and indentation kept), never split into sentences."""
    content = content.rstrip("\n")
    pos = raw.find(content, start, end + 1) if content.strip() else -1
    if pos < 0:
        return None
    return Paragraph("body", group, content, array("i", range(pos, pos + len(content))), code=True)
