"""Read corpus files (.txt, .md, .html, .pdf) into raw text.

Offsets everywhere in the project index into the text this module returns:
for .txt/.md that is the file decoded as UTF-8; for .html and .pdf it is the
extracted text, which the index stores so citations can be shown in context.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InvalidDocumentError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class RawDocument:
    doc_id: str
    source: str  # path as shown to users (relative to the working directory when possible)
    text: str
    kind: str  # "text", "html" or "pdf"
    sha256: str  # hash of the file bytes: unchanged files are not re-embedded


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), Path.cwd().resolve())
    except ValueError:  # another drive on Windows
        return str(path)


def decode_utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDocumentError(
            f"{source} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}). "
            f"Convert it first, e.g. `iconv -f latin1 -t utf-8 {source} > fixed.txt`, "
            "or move it out of the corpus folder."
        ) from exc


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


def pdf_to_text(data: bytes, source: str) -> str:
    import io

    from pypdf import PdfReader  # lazy: only PDF corpora pay for it

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types for damaged files
        raise InvalidDocumentError(f"{source} is not a readable PDF ({exc}).") from exc
    return "\n\n".join(pages)


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
    if suffix == ".pdf":
        text, kind = pdf_to_text(data, source), "pdf"
    elif suffix in (".html", ".htm"):
        text, kind = html_to_text(decode_utf8(data, source)), "html"
    else:
        text, kind = decode_utf8(data, source), "text"
    return RawDocument(doc_id=doc_id or path.stem, source=source, text=text, kind=kind, sha256=sha)


def iter_corpus(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        raise InvalidDocumentError(
            f"corpus folder {folder} does not exist; pass --seeds DIR or set QA_SEEDS_DIR"
        )
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith("."):
            yield path


def load_corpus(folder: Path) -> list[RawDocument]:
    """All supported files under ``folder``; every unreadable file is reported at once."""
    docs: list[RawDocument] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for path in iter_corpus(folder):
        rel = path.relative_to(folder)
        doc_id = rel.with_suffix("").as_posix().replace("/", "__")
        try:
            doc = load_file(path, doc_id=doc_id)
        except InvalidDocumentError as exc:
            errors.append(str(exc))
            continue
        if doc_id in seen:  # a.txt and a.md share a stem
            doc = RawDocument(f"{doc_id}{path.suffix.lower()}", doc.source, doc.text, doc.kind, doc.sha256)
        seen[doc.doc_id] = doc.source
        docs.append(doc)
    if errors:
        raise InvalidDocumentError(
            "cannot index; the index was left unchanged:\n  " + "\n  ".join(errors)
        )
    if not docs:
        raise InvalidDocumentError(
            f"no documents found in {folder} (looked for {', '.join(SUPPORTED_SUFFIXES)})"
        )
    return docs
