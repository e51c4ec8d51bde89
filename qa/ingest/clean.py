"""Turn scraped pages and PDF text into clean paragraphs that remember their offsets.

Every character of a cleaned paragraph maps back to a character of the source
file (``Paragraph.offsets``), so any span of clean text can be cited as an exact
span of the original.  What is dropped: cookie and browser notices, share/comment
widgets, site navigation after the article, calendars, and in hard-wrapped (PDF-like)
text page numbers and footnote lines.  What is kept but labelled: reader comments
(section "comments").

Faithful text: whole lines are dropped, never characters inside a line, so a
paragraph's text is its source span with whitespace squashed ("base64", "utf8"
and "s2 = s1" stay as written).  A glued footnote marker ("report4") is part
of the quote and stays in the answer too.
"""

from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass, field

from qa.ingest.boilerplate import line_key
from qa.ingest.readers import RawDocument
from qa.ingest.sentences import Span, split_sentences
from qa.models import Section, Segment
from qa.words import TABLE_CELL

# Lines that are boilerplate wherever they appear (matched against the stripped line).
_BOILERPLATE = [
    re.compile(p, re.I)
    for p in (
        r"\bcookies?\b.*\b(policy|consent|enable|disabled|agree|browsing|experience|allow)\b",
        r"^cookie (policy|notice|settings|preferences)",
        r"^your browser (is no longer supported|is out of date|appears)",
        r"upgrade to a newer version|recommend you upgrade",
        r"^(learn|read|find out) more\.?$",
        r"^(add|post|leave) (your|a) comment\.?$",
        r"^have your say\.?$",
        r"^you must (sign|log) in to (make|post|leave) a comment",
        r"\b(is|are) governed by (our|the site's) (terms|community|house)",  # comment-form small print
        r"\bhtml is not (allowed|permitted)\b",
        r"\breport this (comment|post|reply)$",
        r"^[•·*-]?\s*(comment|share|tweet|email|print)\s*$",
        r"^this (web)?site is (intended|only) for\b",  # audience notices
        r"^(sign in|log in|register|subscribe)( now)?\.?$",
        r"^(skip to (main )?content|back to top|advertisement)$",
        r"\bmore\s*>\s*$",
        r"^(mon|tue|wed|thu|fri|sat|sun)(\s+(mon|tue|wed|thu|fri|sat|sun)){3,}$",
        r"^(\d{1,2}\s+){4,}\d{1,2}$",  # calendar rows
    )
]

# The article is over once one of these appears (only looked for after the first paragraph).
_TAIL = re.compile(
    r"^(add your comment|have your say|you must (sign|log) in to (make|post) a comment|"
    r"related (articles|stories)|latest news|more from this section)\.?$",
    re.I,
)
# Start of the reader comments.
_COMMENTS_START = re.compile(r"^(readers'?|reader|user)?\s*comments?\s*(\(\d+\))?:?$", re.I)
# "Jane Doe   01/03/2017 at 18:21" - a comment's byline.
_COMMENT_BYLINE = re.compile(r"^\S.{1,80}?\s{2,}\d{1,2}/\d{1,2}/\d{2,4}(\s+at\s+\d{1,2}:\d{2})?$")
_BULLET_GLYPHS = re.compile(r"^[●•▪◦]+$")  # a PDF list's bullets on a line of their own
# A glyph bullet may touch its text ("•Item"); "*", "-" and "–" need a space after them, so
# "--dry-run", "-5 degrees" and "*args" keep their first characters.
_BULLET = re.compile(r"^([•●▪◦‣∙·]+|[*–-]+(?=\s))\s*")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_URL = re.compile(r"https?://|www\.\S|\S+@\S+\.\w+|^@\w+$")

# PDF leftovers, only looked for in hard-wrapped (PDF-like) text.
_PDF_JUNK = [
    _BULLET_GLYPHS,
    *(
        re.compile(p, re.I)
        for p in (
            r"^\d{1,3}$",  # page numbers and orphan footnote numbers
            # a running header or footer that ends in its page number ("Section 3: Fees      Page 2 of 4")
            r"^(\S.{0,90}?\s{2,})?page\s+\d{1,4}(\s*(of|/)\s*\d{1,4})?$",
            r"^\(accessed [^)]*\)$",
            r"^\(p+\.\s*[\d\-–, ]+\)$",
        )
    ),
]
_HAS_LETTER = re.compile(r"[^\W\d_]")
# A title longer than this is not a title (a one-line file's whole text): cut at a word.
MAX_TITLE_CHARS = 120


@dataclass
class Paragraph:
    section: Section
    group: int  # chunks never cross groups (one reader comment is one group)
    text: str
    # offsets[i] = index in the source text of text[i]; a C int array, not a list of
    # Python ints, so a 20 MB file's offsets take 80 MB rather than a gigabyte.
    offsets: array
    list_item: bool = False
    author: str | None = None  # a reader comment's author, when the page names one
    # The "Name  01/03/2017 at 18:21" line, or a quote's "Name, Role": says who, nothing more.
    byline: bool = False
    # Indexes in ``text`` where dropped lines were skipped (a PDF page's footer between the
    # halves of a wrapped sentence): a sentence is cut there, so its source span holds
    # exactly its text and never the footnotes in between.
    gaps: list[int] = field(default_factory=list)
    code: bool = False  # a code block (Markdown): verbatim, one unit, never quoted as prose
    # A heading the markup declares (Markdown "#", HTML <h1>-<h6>; also a table's header row,
    # an HTML <caption> or <dt> term, and a numbered section heading of plain text, "3.2 Fees"):
    # it names what follows and is searched with it, but it is never an answer on its own
    # ("Restoring a file" answers nothing; the sentences under it do).
    heading: bool = False
    protected: list[tuple[int, int]] = field(default_factory=list)  # inline code: no sentence ends inside
    table_row: bool = False  # a plain-text table row: offsets follow its cells, not the source's order

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        if self.table_row:
            piece = self.offsets[start:end]
            return min(piece), max(piece) + 1
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Sentence:
    section: Section
    group: int
    text: str  # clean text, what answers show
    start: int  # span in the source text, what citations quote
    end: int
    author: str | None = None
    byline: bool = False
    list_item: bool = False  # a bullet point: what a sentence ending in ":" goes on to list
    code: bool = False  # a code block: indexed for search, never an answer sentence
    heading: bool = False  # a declared heading: indexed for search, never an answer sentence


@dataclass
class CleanDocument:
    doc_id: str
    source: str
    title: str
    raw_text: str
    sha256: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    offsets_in: str = "file"  # "extracted" for HTML and PDF (see qa/ingest/readers.py)
    page_starts: tuple[int, ...] = ()
    # Corpus-learned boilerplate lines dropped here: other files decide them, so they are
    # part of this document's cache key.
    learned_boilerplate: tuple[str, ...] = ()

    @property
    def segments(self) -> list[Segment]:
        return [
            Segment(start=span[0], end=span[1], section=p.section)
            for p in self.paragraphs
            for span in [p.raw_span(0, len(p.text))]
        ]

    def sentences(self) -> list[Sentence]:
        out: list[Sentence] = []
        for p in self.paragraphs:
            if p.code:
                out.append(Sentence(p.section, p.group, p.text, p.offsets[0], p.offsets[-1] + 1, code=True))
                continue
            spans = split_sentences(p.text, p.protected)
            if p.list_item and len(spans) > 1 and len(p.text.split()) <= SHORT_ITEM_WORDS:
                spans = [Span(spans[0].start, spans[-1].end)]
            for span in _cut_at_gaps(spans, p.gaps, p.text):
                start, end = p.raw_span(span.start, span.end)
                out.append(
                    Sentence(
                        p.section, p.group, p.text[span.start : span.end], start, end, p.author, p.byline,
                        p.list_item, heading=p.heading,
                    )
                )
        return out

    def body_text(self) -> str:
        return " ".join(p.text for p in self.paragraphs if p.section == "body")


# A bullet this short is one thought, whatever its full stops: "SEV2: a major feature is
# broken. Response within one hour." is quoted whole, so its second half keeps its subject.
SHORT_ITEM_WORDS = 30


def _cut_at_gaps(spans: list[Span], gaps: list[int], text: str) -> list[Span]:
    if not gaps:
        return spans
    out = []
    for span in spans:
        start = span.start
        for gap in (g for g in gaps if span.start < g < span.end):
            out.extend(_trimmed(text, start, gap))
            start = gap
        out.extend(_trimmed(text, start, span.end))
    return out


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if end > start else []


@dataclass
class _Line:
    start: int  # content span in the source (stripped, bullet removed)
    end: int
    text: str
    indent: int = 0  # the column the content starts at (leading whitespace, before any bullet is taken off)
    kind: str = "text"  # text | blank | junk
    section: Section = "body"
    group: int = 0
    bullet: bool = False
    attribution: bool = False  # "Jane Doe, Chief Executive, X Trust" under a quoted paragraph
    speaker: str | None = None  # on a quoted paragraph's lines: its attribution
    row: bool = False  # an HTML table row: a paragraph of its own, whatever case it starts in
    hang: bool = False  # carries on the line above: the body of a term indented under it (man pages)
    # A row of a plain-text table laid out with spaces: its cells' [start, end) in the source,
    # joined with TABLE_CELL as HTML and Markdown rows are; ``header`` on the row that names the columns.
    cells: list[list[tuple[int, int]]] = field(default_factory=list)  # each cell's pieces, one per line
    header: bool = False


def _split_lines(raw: str) -> list[_Line]:
    lines = []
    pos = 0
    for chunk in raw.split("\n"):
        first, end = pos, pos + len(chunk)
        pos = end + 1
        start = first
        while start < end and raw[start].isspace():
            start += 1
        while end > start and raw[end - 1].isspace():
            end -= 1
        line = _Line(start, end, raw[start:end], indent=start - first)
        if not line.text:
            line.kind = "blank"
        lines.append(line)
    return lines


def _is_hard_wrapped(lines: list[_Line]) -> bool:
    """PDF-to-text output breaks lines mid-sentence; scraped pages break per paragraph."""
    texts = [ln for ln in lines if ln.kind == "text"]
    if len(texts) < 10:
        return False
    wrapped = sum(
        1
        for a, b in zip(lines, lines[1:], strict=False)
        if a.kind == "text" and b.kind == "text" and not _TERMINAL.search(a.text) and b.text[:1].islower()
    )
    return wrapped / len(texts) >= 0.1


def clean_document(doc: RawDocument, boilerplate: frozenset[str] = frozenset()) -> CleanDocument:
    """``boilerplate``: line keys the corpus repeats on many pages (qa/ingest/boilerplate.py)."""
    if doc.kind == "markdown":
        from qa.ingest.markdown import clean_markdown  # a real parser, not the line rules below

        clean = clean_markdown(doc)
    else:
        clean = _clean_lines(doc, boilerplate)
        if doc.headings or doc.table_headers:
            _mark_headings(clean.paragraphs, doc.headings, doc.table_headers)
        elif doc.kind in ("text", "pdf"):
            for p in clean.paragraphs:
                p.heading = p.heading or _is_numbered_heading(p) or _is_capitals_heading(p)
    clean.offsets_in, clean.page_starts = doc.offsets_in, doc.page_starts
    return clean


def _mark_headings(paragraphs: list[Paragraph], headings: tuple[tuple[int, int], ...],
                   table_headers: tuple[tuple[int, int], ...] = ()) -> None:
    """A paragraph made only of the page's <h1>-<h6> lines is a heading (the line cleaner may
    join a heading's lines, split by a <br>, into one paragraph); one made only of table
    header rows is one too, but starts no section (the table stays with its lead-in)."""
    heading_starts = [a for a, _ in headings]
    header_starts = [a for a, _ in table_headers]
    titled = [_within_lines(p, headings, heading_starts) for p in paragraphs]
    for p, heading in zip(paragraphs, titled, strict=True):
        p.heading = heading or _within_lines(p, table_headers, header_starts)
    # A heading starts a section that chunks never cross, as in Markdown; the groups the line
    # rules made (one reader comment each) stay apart too.
    sections, seen, last = 0, {}, False
    for p, heading in zip(paragraphs, titled, strict=True):
        if heading and not last:
            sections += 1
        last = heading
        p.group = seen.setdefault((p.group, sections), len(seen))


# A numbered section heading of plain or PDF text: "3.2 Year 2 deadlines", "Section 4: Fees",
# "Appendix B". A lone "2. Opening hours" is left alone: a numbered list's step reads the same.
_NUMBERED_HEADING = re.compile(r"^(\d{1,3}(\.\d{1,3})+\.?|(section|chapter|part|appendix)\s+[\dA-Z][\d.]*[.:]?)\s+\S", re.I)
MAX_HEADING_WORDS = 12


def _is_numbered_heading(p: Paragraph) -> bool:
    """One short line that opens with a section number and does not end like a sentence."""
    return (not p.list_item and "\n" not in p.text and len(p.text.split()) <= MAX_HEADING_WORDS
            and bool(_NUMBERED_HEADING.match(p.text)) and not _TERMINAL.search(p.text))


# A heading in capitals, maybe numbered: "CONTENTS", "2. YOUR RIGHT TO CANCEL (COOLING-OFF PERIOD)".
# Digits after the number ("OPEN 9AM-5PM DAILY") or a colon ("NOTE: DO NOT ...") make it a
# statement, an underscore a name ("DWSYNC_NO_COLOR", an environment variable).
_CAPITALS_HEADING = re.compile(r"^(\d{1,3}(\.\d{1,3})*\.?\s+)?[^a-z\d:_]*[A-Z]{2}[^a-z\d:_]*$")
MAX_CAPITALS_HEADING_WORDS = 10


def _is_capitals_heading(p: Paragraph) -> bool:
    """One short line in capitals (after an optional section number) that does not end like a sentence."""
    return (not p.list_item and "\n" not in p.text and len(p.text.split()) <= MAX_CAPITALS_HEADING_WORDS
            and bool(_CAPITALS_HEADING.match(p.text)) and not _TERMINAL.search(p.text))


# Cells of a plain-text table row: runs of words apart by two or more spaces, or by a tab.
_CELL = re.compile(r"\S+(?: \S+)*")
_CELL_GAP = re.compile(r" {2,}|\t")
MIN_TABLE_ROWS = 3
MAX_HEADER_CELL_WORDS = 4
MAX_LABEL_WORDS = 6
MAX_ROW_LINES = 4
MAX_ROW_WORDS = 60


def _mark_text_tables(raw: str, lines: list[_Line]) -> None:
    """Find tables laid out with spaces (PDF-to-text, plain-text reports) and make each row one
    paragraph whose cells are joined by TABLE_CELL, as HTML and Markdown rows are.

    A table is at least MIN_TABLE_ROWS adjacent lines of two or more cells that share a column:
    a cell starts at the same place (give or take one character) on most of them. Prose with two
    spaces after its full stops has such gaps too, but they never line up. Between its rows, a
    line of one cell is a wrapped cell (right of the first column, or in lower case) or a group's
    label ("Lowther Annex" over that library's rows).
    """
    run: list[tuple[_Line, list[tuple[int, int]]]] = []  # each line with its cells' [start, end)
    labels = 0  # one-cell lines at the first column in a row at the end of the run
    first: int | None = None  # the column where the run's rows start (the leftmost)

    def close() -> None:
        nonlocal labels, first
        if labels:
            del run[-labels:]  # one-cell lines after the last row are the text that follows
        rows = [r for r in run if len(r[1]) >= 2]
        if len(rows) >= MIN_TABLE_ROWS and _aligned(rows):
            _merge_rows(raw, run, first)
        run.clear()
        labels, first = 0, None

    for ln in lines:
        cells = [(ln.start + m.start(), ln.start + m.end()) for m in _CELL.finditer(ln.text)] if ln.kind == "text" else []
        if len(cells) >= 2 and _CELL_GAP.search(ln.text):
            run.append((ln, cells))
            labels = 0
            first = ln.indent if first is None else min(first, ln.indent)
            continue
        short = len(cells) == 1 and len(ln.text.split()) <= MAX_LABEL_WORDS and not _TERMINAL.search(ln.text)
        if len(cells) == 1 and run:
            if first is not None and (ln.indent > first + 1 or ln.text[0].islower()):
                run.append((ln, cells))  # a wrapped cell's next piece
                labels = 0
                continue
            if short and not labels:
                run.append((ln, cells))  # a group's label, if rows follow
                labels = 1
                continue
        close()
        if short:
            run.append((ln, cells))  # a label over the first row, maybe
            labels = 1
    close()


def _column(ln: _Line, at: int) -> int:
    """The column of source offset ``at`` on line ``ln``."""
    return ln.indent + at - ln.start


def _aligned(run: list[tuple[_Line, list[tuple[int, int]]]]) -> bool:
    if all("\t" in ln.text for ln, _ in run):
        return True
    starts = [{_column(ln, a) for a, _ in cells[1:]} for ln, cells in run]
    columns = set().union(*starts)
    return any(sum(1 for s in starts if {c - 1, c, c + 1} & s) >= 0.6 * len(run) for c in columns)


def _merge_rows(raw: str, run: list[tuple[_Line, list[tuple[int, int]]]], left: int) -> None:
    """Give each row's first line the row's cells (wrapped ones joined in), and drop the rest.

    ``left`` is the column the rows start at. A one-cell line there is a group label: a row of
    its own, marked as a header so that it is searched with the rows under it and never answers.
    Rows of more than MAX_ROW_LINES lines or MAX_ROW_WORDS words are no table's (prose that
    merely lines up): the run is left as text.
    """
    rows: list[list[tuple[_Line, list[tuple[int, int]]]]] = []
    for ln, cells in run:
        wrapped = ln.indent > left + 1 or ln.text[0].islower()
        if rows and wrapped and len(rows[-1][0][1]) >= 2:
            rows[-1].append((ln, cells))
        else:
            rows.append([(ln, cells)])
    if sum(len(row[0][1]) >= 2 for row in rows) < MIN_TABLE_ROWS or any(
            len(row) > MAX_ROW_LINES or sum(len(ln.text.split()) for ln, _ in row) > MAX_ROW_WORDS for row in rows):
        return
    for row in rows:
        head, cells = row[0]
        columns = [_column(head, a) for a, _ in cells]
        head.row, head.cells = True, [[cell] for cell in cells]
        head.header = len(cells) == 1  # a group's label
        for ln, more in row[1:]:
            for a, b in more:  # each piece of a wrapped cell joins the cell whose column is nearest
                j = min(range(len(columns)), key=lambda c: abs(columns[c] - _column(ln, a)))
                head.cells[j].append((a, b))
            ln.kind = "junk"  # now part of the row above
    # The first row names the columns when it is short words on one line, and either leaves the
    # corner cell empty (a specification table's "  Model A   Model B") or holds no figures.
    first = next(row for row in rows if len(row[0][1]) >= 2)
    head, cells = first[0]
    head.header = len(first) == 1 and (head.indent > left + 1 or not any(ch.isdigit() for ch in head.text)) and all(
        len(raw[a:b].split()) <= MAX_HEADER_CELL_WORDS for a, b in cells)


MAX_TERM_WORDS = 6
MAX_BLOCK_LINES = 12


def _mark_hanging_blocks(lines: list[_Line]) -> None:
    """A line with lines indented deeper right under it is one item with them: a man page's
    "--min-age=DURATION" or "6      The policy would remove ..." and its indented description.

    The item starts a list item and its body lines carry on it whatever their punctuation, so
    "Default: 48h." stays with the option it belongs to. A heading in capitals starts no item
    (its section is indented under it), nor a term longer than MAX_TERM_WORDS words unless the
    body is under its second cell (a hanging indent), nor a block of more than MAX_BLOCK_LINES.
    """
    i = 0
    while i < len(lines) - 1:
        head, nxt = lines[i], lines[i + 1]
        i += 1
        if head.kind != "text" or nxt.kind != "text" or head.row or nxt.row or head.attribution:
            continue
        depth, under = head.indent, nxt.indent
        if under < depth + 2 or _CAPITALS_HEADING.match(head.text):
            continue
        cells = [m.start() for m in _CELL.finditer(head.text)]
        if len(head.text.split()) > MAX_TERM_WORDS and not any(abs(depth + c - under) <= 1 for c in cells[1:]):
            continue
        body = [nxt]
        for ln in lines[i + 1 : i + MAX_BLOCK_LINES]:  # bounded: one look past the longest block
            if ln.kind != "text" or ln.row or abs(ln.indent - under) > 1:
                break
            body.append(ln)
        if len(body) + 1 > MAX_BLOCK_LINES:
            continue
        head.bullet = True
        for ln in body:
            ln.hang = True
        i += len(body)


def _within_lines(p: Paragraph, lines: tuple[tuple[int, int], ...], starts: list[int]) -> bool:
    """Whether every character of ``p`` lies on one of ``lines`` (sorted [start, end) spans,
    ``starts`` their starts), with no other line between the first and the last."""
    if not lines:
        return False
    i = bisect.bisect_right(starts, p.offsets[0]) - 1
    j = bisect.bisect_right(starts, p.offsets[-1]) - 1
    if i < 0 or p.offsets[0] >= lines[i][1] or p.offsets[-1] >= lines[j][1]:
        return False
    return all(lines[k + 1][0] == lines[k][1] + 1 for k in range(i, j))


def _clean_lines(doc: RawDocument, boilerplate: frozenset[str]) -> CleanDocument:
    lines = _split_lines(doc.text)
    if doc.table_rows:
        rows = {start for start, _ in doc.table_rows}
        for ln in lines:
            ln.row = ln.start in rows
    wrapped = _is_hard_wrapped(lines)
    learned: list[str] = []

    for ln in lines:
        if ln.kind == "blank":
            continue
        if not _HAS_LETTER.search(ln.text):
            ln.kind = "junk"  # a row of numbers or symbols is not prose (a 2,000-line table was 750 passages)
        elif boilerplate and (key := line_key(ln.text)) in boilerplate:
            ln.kind = "junk"
            learned.append(key)
        elif any(p.search(ln.text) for p in _BOILERPLATE) or wrapped and (any(p.match(ln.text) for p in _PDF_JUNK) or _URL.search(ln.text)):
            ln.kind = "junk"

    if wrapped:
        _drop_pdf_footnotes(lines)
    if doc.kind in ("text", "pdf") and not doc.table_rows:
        _mark_text_tables(doc.text, lines)
        _mark_hanging_blocks(lines)

    texts = [i for i, ln in enumerate(lines) if ln.kind == "text"]
    first_para = next((i for i in texts if len(lines[i].text) >= 120), texts[0] if texts else 0)

    # After the article: comment forms, "latest news", calendars... drop everything.
    for i, ln in enumerate(lines):
        if i > first_para and ln.kind != "blank" and _TAIL.match(ln.text):
            for ln in lines[i:]:
                ln.kind = "junk" if ln.kind == "text" else ln.kind
            break
    # Unmatched junk before the title (taglines, dates) on scraped pages.
    title_idx = _find_title(lines, first_para, wrapped)
    if not wrapped:
        for ln in lines[:title_idx]:
            if ln.kind == "text":
                ln.kind = "junk"

    _mark_comments(lines)
    _mark_attributions(lines)
    glyph = False  # PDF text puts a list's bullet ("●●") on a line of its own
    for ln in lines:
        m = _BULLET.match(ln.text) if ln.kind == "text" else None
        if m and len(m.group(1)) < len(ln.text):
            ln.bullet = True
            ln.start += m.end()
            ln.text = ln.text[m.end() :]
        elif glyph and ln.kind == "text":
            ln.bullet = True
        if ln.kind != "blank":
            glyph = ln.kind == "junk" and _BULLET_GLYPHS.match(ln.text) is not None

    title = lines[title_idx].text if title_idx < len(lines) and lines[title_idx].kind == "text" else doc.doc_id
    title = short_title(doc.title or title)
    paragraphs = _build_paragraphs(doc.text, lines, wrapped)
    _attribute_comments(paragraphs)
    clean = CleanDocument(doc.doc_id, doc.source, _squash(title), doc.text, doc.sha256, paragraphs)
    clean.learned_boilerplate = tuple(sorted(set(learned)))
    return clean


def _drop_pdf_footnotes(lines: list[_Line]) -> None:
    # "10 Research from the HFMA shows ..." followed by a line with a URL: a footnote.
    for i, ln in enumerate(lines):
        if ln.kind != "text" or not re.match(r"^\d{1,2}\s+\S", ln.text):
            continue
        nxt = next((x for x in lines[i + 1 :] if x.kind != "blank"), None)
        if _URL.search(ln.text) or (nxt is not None and _URL.search(nxt.text)):
            ln.kind = "junk"


def _find_title(lines: list[_Line], first_para: int, wrapped: bool) -> int:
    before = [i for i in range(first_para) if lines[i].kind == "text" and re.search(r"[A-Za-z]{3}", lines[i].text)]
    if not before:
        return first_para
    # PDFs open with the title; pages have banners first and the headline right before the text.
    return before[0] if wrapped else before[-1]


# A pull quote's attribution: a name, a comma, then a role ("Jane Doe, Chief
# Executive, Riverside Community Health Trust").
_ATTRIBUTION = re.compile(r"^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){1,4}, (?:\w+ ){0,3}?"
                          r"(?:chief|director|secretary|lead|officer|chair|manager|head|president|"
                          r"minister|mp|professor|adviser|advisor|editor|founder|partner|consultant|gp)\b", re.I)
_NAME_START = re.compile(r"^[A-Z][a-z'’-]+ [A-Z]")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s|$)")


def _mark_attributions(lines: list[_Line]) -> None:
    """Find pull quotes: a paragraph that ends a sentence, then "Name, Role" on the next line.

    The quoted lines above it, back to the blank line, remember it as their speaker.
    The attribution is a byline: it answers only who/which questions ("Which MP asked...?").
    Quote and attribution get a group of their own (negative, apart from the comments'),
    so a chunk holds the whole box and never mixes it with the text around it.
    """
    box = 0
    for i, ln in enumerate(lines):
        if not (ln.kind == "text" and ln.section == "body" and i > 0 and _NAME_START.match(ln.text)
                and _ATTRIBUTION.match(ln.text) and not _SENTENCE_END.search(ln.text)):
            continue
        prev = lines[i - 1]
        if prev.kind != "text" or prev.section != "body" or not _TERMINAL.search(prev.text):
            continue
        block = [ln]
        # A wrapped role runs on for a line or two, up to a blank line or a new sentence.
        for nxt in lines[i + 1 : i + 3]:
            if nxt.kind != "text" or _SENTENCE_END.search(nxt.text) or _BULLET.match(nxt.text):
                break
            block.append(nxt)
        speaker = _squash(" ".join(x.text for x in block))
        box -= 1
        for x in block:
            x.attribution = True
            x.group = box
        j = i - 1
        while j >= 0 and lines[j].kind == "text" and lines[j].section == "body" and not lines[j].attribution:
            lines[j].speaker = speaker
            lines[j].group = box
            j -= 1


def _mark_comments(lines: list[_Line]) -> None:
    in_comments = False
    group = 0
    for ln in lines:
        if ln.kind == "blank":
            continue
        starts = ln.kind == "text" and _COMMENTS_START.match(ln.text)
        byline = ln.kind == "text" and _COMMENT_BYLINE.match(ln.text)
        if starts or byline:
            in_comments = True
            group += 1
            if starts:
                ln.kind = "junk"  # the "Readers' comments (6)" heading itself
        elif in_comments and ln.kind == "text" and ln.text.startswith("•"):
            group += 1  # a new bulleted comment
        elif in_comments and ln.kind == "junk":
            group += 1  # "Report this comment" closes one
        if in_comments:
            ln.section = "comments"
            ln.group = group


def _build_paragraphs(raw: str, lines: list[_Line], wrapped: bool) -> list[Paragraph]:
    paragraphs: list[list[_Line]] = []
    prev: _Line | None = None
    for ln in lines:
        if ln.kind != "text":
            continue
        if prev is not None and _continues(raw, prev, ln, wrapped) and paragraphs:
            paragraphs[-1].append(ln)
        else:
            paragraphs.append([ln])
        prev = ln
    out = []
    for group in paragraphs:
        para = _join(raw, group)
        if para is not None:
            out.append(para)
    return out


def _continues(raw: str, prev: _Line, ln: _Line, wrapped: bool) -> bool:
    if ln.section != prev.section or ln.group != prev.group or ln.bullet or ln.row or prev.row:
        return False
    if ln.hang:
        return True  # _mark_hanging_blocks decided: the body of the term above
    if _CAPITALS_HEADING.match(prev.text):
        return False  # "NAME" over its indented text is a heading, not the text's first word
    if (ln.attribution, ln.speaker) != (prev.attribution, prev.speaker):
        return False  # a quote, its attribution and the text around them stay apart
    if ln.attribution:
        return True  # _mark_attributions already decided where a wrapped role ends
    if _BULLET.match(ln.text) or _COMMENT_BYLINE.match(prev.text):
        return False
    if _TERMINAL.search(prev.text):
        return False
    if prev.text.endswith("-") or ln.text[:1].islower():
        return True
    # Hard-wrapped text: a long line without final punctuation runs on.
    if wrapped and re.match(r"^\d{1,2}\s+[A-Z]", ln.text):
        return False  # a numbered list item
    adjacent = raw.count("\n", prev.end, ln.start) == 1  # no blank line between
    return wrapped and len(prev.text) >= 60 and adjacent


# Runs of kept characters: whitespace and private-use code points (icon-font bullets
# scraped from a page, "\uf0d8") become single spaces.
KEPT_RUN = re.compile("[^\\s\ue000-\uf8ff\U000f0000-\U0010ffff]+")


def _join(raw: str, group: list[_Line]) -> Paragraph | None:
    if len(group) == 1 and group[0].cells:
        return _join_cells(raw, group[0])
    # Whole runs, not characters, are copied: linear and fast on a multi-megabyte line.
    parts: list[str] = []
    offsets = array("i")
    gaps: list[int] = []
    for k, ln in enumerate(group):
        first_run = True
        between = raw[group[k - 1].end : ln.start] if k else ""
        if between and not between.isspace():
            gaps.append(len(offsets))
        for m in KEPT_RUN.finditer(raw, ln.start, ln.end):
            if parts:
                glued = first_run and k and group[k - 1].text.endswith("-") and ln.text[:1].islower()
                if not glued:  # "well-\nknown" joins without a space
                    parts.append(" ")
                    offsets.append(m.start() - 1 if not first_run else group[k - 1].end)
            parts.append(m.group())
            offsets.extend(range(m.start(), m.end()))
            first_run = False
    if not parts:
        return None
    text = "".join(parts)
    first = group[0]
    return Paragraph(
        first.section, first.group, text, offsets, list_item=first.bullet,
        author=first.speaker, byline=first.attribution, gaps=gaps,
    )


def _join_cells(raw: str, ln: _Line) -> Paragraph:
    """A plain-text table row: its cells joined by TABLE_CELL, a wrapped cell's pieces by a space.

    The text reads cell by cell, so a wrapped row's offsets are not in source order: the row is
    one sentence (protected) and its source span runs from its least to its greatest offset.
    """
    parts: list[str] = []
    offsets = array("i")
    for cell in ln.cells:
        for n, (a, b) in enumerate(cell):
            if a < ln.start:  # a bullet the line cleaner took off
                continue
            if parts:
                sep = " " if n else TABLE_CELL
                parts.append(sep)
                offsets.extend([a - 1] * len(sep))  # the separator sits on the space before the piece
            parts.append(raw[a:b])
            offsets.extend(range(a, b))
    text = "".join(parts)
    return Paragraph(ln.section, ln.group, text, offsets, heading=ln.header, protected=[(0, len(text))],
                     table_row=True)


_CLEAN_BYLINE = re.compile(r"^(\S.{1,80}?)\s+\d{1,2}/\d{1,2}/\d{2,4}(\s+at\s+\d{1,2}:\d{2})?$")
_NAME_LINE = re.compile(r"^[A-Z][\w.'’-]*(?:[ ,]+[A-Z][\w.'’-]*){0,4}(?:,\s*[A-Z][\w ]{1,30})?$")


def _attribute_comments(paragraphs: list[Paragraph]) -> None:
    """Give each reader comment its author, taken from the byline that opens it."""
    current: tuple[int, str | None] = (-1, None)
    for p in paragraphs:
        if p.section != "comments":
            continue
        if p.group != current[0]:
            byline = _CLEAN_BYLINE.match(p.text)  # whitespace is squashed in clean text
            if byline:
                name = byline.group(1).strip()
            elif _NAME_LINE.match(p.text) and len(p.text.split()) <= 6:
                name = p.text.strip()
            else:
                name = None
            current = (p.group, name)
            p.byline = name is not None
        p.author = current[1]


def short_title(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """``text`` squashed, and cut at a word boundary (with "…") when over ``limit`` characters."""
    text = _squash(text[: limit * 4])  # bounded work on a multi-megabyte line
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
