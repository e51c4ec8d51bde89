"""Read corpus files (.txt, .md, .html, .pdf) into raw text.

Offsets everywhere in the project index into the text this module returns:
for .txt/.md that is the file's own text (decoded from UTF-8, or UTF-16/32); for
.html and .pdf it is the extracted text (``offsets_in == "extracted"``), which the
index stores and ``GET /sources/{doc_id}`` serves, so citations can be shown in context.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InvalidDocumentError
from qa.ingest.encodings import declared_html_charset, decode_bytes
from qa.words import TABLE_CELL

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class RawDocument:
    doc_id: str
    source: str  # path as shown to users (relative to the working directory when possible)
    text: str
    kind: str  # "text", "markdown", "html" or "pdf"
    sha256: str  # hash of the file bytes: unchanged files are not re-embedded
    # What offsets index: "file" (the file's own text) or "extracted" (HTML/PDF text).
    offsets_in: str = "file"
    # PDF only: where each page starts in ``text`` (page n starts at page_starts[n - 1]).
    page_starts: tuple[int, ...] = ()
    title: str | None = None  # the title the format declares (HTML <h1>/<title>)
    # HTML only: [start, end) of each <h1>-<h6> line in ``text``. A heading names the section
    # under it: searched with it, never quoted as an answer on its own.
    headings: tuple[tuple[int, int], ...] = ()
    # HTML only: [start, end) of each table row in ``text`` (each its own paragraph), and of
    # each header row (a heading that starts no section).
    table_rows: tuple[tuple[int, int], ...] = ()
    table_headers: tuple[tuple[int, int], ...] = ()


def display_path(path: Path) -> str:
    try:
        # abspath, not resolve: a symlink is shown as itself, not as what it points to
        return os.path.relpath(os.path.abspath(path), os.getcwd())
    except ValueError:  # another drive on Windows
        return str(path)


def decode_utf8(data: bytes, source: str) -> str:
    """The file's text (UTF-8, or UTF-16/32); see qa/ingest/encodings.py."""
    return decode_bytes(data, source)


# Elements that start a new line; everything else (a, code, em, span...) is inline and
# joins its sentence ("Use <code>json.dumps</code> to..." stays one line).
_BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)
_DROPPED_TAGS = "script, style, noscript, template, svg, head, nav, footer, form"


def html_title(tree) -> str | None:
    """The page's first <h1>, else its <title>: what the page says it is about."""
    for selector in ("h1", "title"):
        node = tree.css_first(selector)
        text = " ".join(node.text(deep=True).split()) if node is not None else ""
        if text:
            return text
    return None


@dataclass(frozen=True)
class HtmlText:
    text: str  # visible text, one block element (or table row) per line
    title: str | None
    headings: tuple[tuple[int, int], ...]  # [start, end) of each <h1>-<h6> line in ``text``
    table_rows: tuple[tuple[int, int], ...] = ()  # [start, end) of each table row (header rows too)
    table_headers: tuple[tuple[int, int], ...] = ()  # [start, end) of each table header row or <dt> term


_HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_CELL_TAGS = frozenset(["td", "th"])
# Private-use characters mark where a heading or a table's header row opens and closes while
# the text is assembled (whitespace is collapsed afterwards, which moves every offset); they
# never reach the text.
_OPEN, _CLOSE, _HEAD_OPEN, _HEAD_CLOSE, _ROW = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
_MARKS = (_OPEN, _CLOSE, _HEAD_OPEN, _HEAD_CLOSE, _ROW)


def _unmarked(text: str) -> str:
    for mark in _MARKS:
        text = text.replace(mark, "")
    return text


def _header_row(node, in_thead: bool) -> bool:
    """A <tr> of a <thead>, or one made only of <th> cells: it names the columns."""
    cells = [c.tag for c in node.iter() if c.tag in _CELL_TAGS]
    return bool(cells) and (in_thead or all(tag == "th" for tag in cells))


def html_to_text(html: str) -> HtmlText:
    """Visible text of an HTML page, one block element per line, its title and its headings.

    A table row is one line whose cells are joined by " | " ("api | Platform team | 8080"),
    so a row reads as it does on the page instead of one cell per line.
    """
    from selectolax.lexbor import LexborHTMLParser  # lazy: only HTML corpora pay for it

    tree = LexborHTMLParser(html)
    title = html_title(tree)
    for node in tree.css(_DROPPED_TAGS):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return HtmlText("", title, ())
    parts: list[str] = []
    cells: list[int] = []  # per open <tr>: cells written so far
    closings: list[str] = []  # per open block: the mark its end writes (decided once, on entering)
    thead = in_cell = 0
    stack = [(root, True)]
    while stack:  # iterative: a deeply nested page must not hit the recursion limit
        node, entering = stack.pop()
        tag = node.tag
        if tag == "-text":
            parts.append(_unmarked(node.text_content or ""))
            continue
        if tag == "thead":
            thead += 1 if entering else -1
        if tag in _CELL_TAGS and cells:
            if entering:
                if cells[-1]:
                    parts.append(TABLE_CELL)
                cells[-1] += 1
            in_cell += 1 if entering else -1
        elif tag in _BLOCK_TAGS and in_cell:
            parts.append(" ")  # a <p> or <br> inside a cell: the row stays one line
        elif tag in _BLOCK_TAGS:
            if entering:
                # A <dt> is a term whose <dd> defines it, and a table's <caption> names the
                # table: labels, like its header row.
                if tag in _HEADING_TAGS:
                    opening, closing = _OPEN, _CLOSE
                elif tag in ("dt", "caption") or (tag == "tr" and _header_row(node, thead > 0)):
                    opening, closing = _HEAD_OPEN, _HEAD_CLOSE
                else:
                    opening = closing = ""
                closings.append(closing)
                parts.extend(("\n", opening))
            else:
                parts.extend((closings.pop(), "\n"))
            if tag == "tr":
                if entering:
                    parts.append(_ROW)
                    cells.append(0)
                elif cells:
                    cells.pop()
        if entering:
            if tag in _BLOCK_TAGS:  # cells and <thead> among them: their ends are seen too
                stack.append((node, False))
            children = list(node.iter(include_text=True))
            stack.extend((child, True) for child in reversed(children))
    lines: list[str] = []
    headings: list[tuple[int, int]] = []
    headers: list[tuple[int, int]] = []
    rows: list[tuple[int, int]] = []
    pos, depth, head_depth = 0, 0, 0
    for raw_line in "".join(parts).split("\n"):
        in_heading = depth > 0 or _OPEN in raw_line
        in_header = head_depth > 0 or _HEAD_OPEN in raw_line
        depth += raw_line.count(_OPEN) - raw_line.count(_CLOSE)
        head_depth += raw_line.count(_HEAD_OPEN) - raw_line.count(_HEAD_CLOSE)
        line = " ".join(_unmarked(raw_line).split())
        if not line:
            continue
        if in_heading:
            headings.append((pos, pos + len(line)))
        elif in_header:
            headers.append((pos, pos + len(line)))
        if _ROW in raw_line:
            rows.append((pos, pos + len(line)))
        lines.append(line)
        pos += len(line) + 1
    return HtmlText("\n".join(lines), title, tuple(headings), tuple(rows), tuple(headers))


def pdf_to_text(data: bytes, source: str) -> tuple[str, tuple[int, ...]]:
    """Text of every page, pages separated by a blank line, and where each page starts."""
    import io

    from pypdf import PdfReader  # lazy: only PDF corpora pay for it

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported once, below
    how = "re-export it, or check it with `qpdf --check`"
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        count = len(pages)
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InvalidDocumentError(f"{source} is not a readable PDF ({_first_line(exc)}); {how}") from exc
    texts, starts, pos, damaged = [], [], 0, []
    for n in range(count):
        try:
            text = pages[n].extract_text() or ""
        except Exception as exc:  # one damaged page: keep the others (it stays, empty, so pages keep their numbers)
            damaged.append(f"page {n + 1} ({_first_line(exc)})")
            text = ""
        starts.append(pos)
        texts.append(text)
        pos += len(text) + 2
    if damaged and len(damaged) == count:
        raise InvalidDocumentError(f"{source}: none of its {count} pages can be read: {damaged[0]}; {how}")
    if damaged:
        _log.warning("%s: %d of %d pages cannot be read and are left out: %s; %s",
                     source, len(damaged), count, ", ".join(damaged[:3]) + (" ..." if len(damaged) > 3 else ""), how)
    return "\n\n".join(texts), tuple(starts)


_log = logging.getLogger("qa.ingest")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def load_file(path: Path, doc_id: str | None = None) -> RawDocument:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InvalidDocumentError(
            f"{path}: unsupported file type {suffix!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    source = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidDocumentError(f"{source} cannot be read: {exc.strerror}") from exc
    sha = hashlib.sha256(data).hexdigest()
    doc_id = doc_id or path.stem
    if suffix == ".pdf":
        text, pages = pdf_to_text(data, source)
        return RawDocument(doc_id, source, text, "pdf", sha, "extracted", pages)
    if suffix in (".html", ".htm"):
        page = html_to_text(decode_bytes(data, source, declared_html_charset(data)))
        return RawDocument(doc_id, source, page.text, "html", sha, "extracted", title=page.title,
                           headings=page.headings, table_rows=page.table_rows, table_headers=page.table_headers)
    kind = "markdown" if suffix == ".md" else "text"
    return RawDocument(doc_id, source, decode_bytes(data, source), kind, sha)
