"""Read corpus files (.txt, .md, .html, .pdf) into raw text.

Offsets everywhere in the project index into the text this module returns:
for .txt/.md that is the file's own text (decoded from UTF-8, or UTF-16/32); for
.html and .pdf it is the extracted text (``offsets_in == "extracted"``), which the
index stores and ``GET /sources/{doc_id}`` serves, so citations can be shown in context.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from qa.encodings import declared_html_charset, decode_bytes
from qa.errors import InvalidDocumentError

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

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page holding ``offset``; None for other formats."""
        if not self.page_starts:
            return None
        import bisect

        return max(1, bisect.bisect_right(self.page_starts, offset))


def display_path(path: Path) -> str:
    try:
        # abspath, not resolve: a symlink is shown as itself, not as what it points to
        return os.path.relpath(os.path.abspath(path), os.getcwd())
    except ValueError:  # another drive on Windows
        return str(path)


def decode_utf8(data: bytes, source: str) -> str:
    """The file's text (UTF-8, or UTF-16/32); see qa/encodings.py."""
    return decode_bytes(data, source)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block element per line."""
    from selectolax.lexbor import LexborHTMLParser  # lazy: only HTML corpora pay for it

    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, template, svg, head, nav, footer, form"):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ""
    # separator="\n" keeps block structure so the cleaner sees lines as paragraphs.
    text = root.text(separator="\n", strip=True)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def pdf_to_text(data: bytes, source: str) -> tuple[str, tuple[int, ...]]:
    """Text of every page, pages separated by a blank line, and where each page starts."""
    import io
    import logging

    from pypdf import PdfReader  # lazy: only PDF corpora pay for it

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported once, below
    how = "re-export it, or check it with `qpdf --check`"
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        count = len(pages)
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InvalidDocumentError(f"{source} is not a readable PDF ({_first_line(exc)}); {how}") from exc
    texts, starts, pos = [], [], 0
    for n in range(count):
        try:
            text = pages[n].extract_text() or ""
        except Exception as exc:  # one damaged page: keep the others
            raise InvalidDocumentError(
                f"{source}: page {n + 1} of {count} cannot be read ({_first_line(exc)}); {how}"
            ) from exc
        starts.append(pos)
        texts.append(text)
        pos += len(text) + 2
    return "\n\n".join(texts), tuple(starts)


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
        text = html_to_text(decode_bytes(data, source, declared_html_charset(data)))
        return RawDocument(doc_id, source, text, "html", sha, "extracted")
    kind = "markdown" if suffix == ".md" else "text"
    return RawDocument(doc_id, source, decode_bytes(data, source), kind, sha)
