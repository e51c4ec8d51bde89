"""The stored records of an index, and their one serialisation.

Every index writer (qa/index/build.py for the local files, qa/postgres/writer.py
for PostgreSQL) makes these records, and every reader (qa/engine.py,
qa/postgres/engine.py) gets them back; the row shapes below are the only place
that knows the field names on disk (JSONL) and in the tables (PostgreSQL).

    DocumentRecord  the original text of an indexed file and the stretches kept
    PassageRecord   a chunk: what is embedded, searched and cited
    SentenceRecord  a sentence of a passage: what an answer quotes
    Manifest        what the index was built with (model, chunking, documents)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from qa.errors import IndexMismatchError
from qa.models import Segment, SourceDocument

if TYPE_CHECKING:
    from qa.ingest.chunk import Chunk
    from qa.ingest.clean import CleanDocument, Sentence

FORMAT_VERSION = 1


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    source: str
    title: str
    text: str  # the source text that citation offsets index (see offsets_in)
    segments: tuple[Segment, ...]
    duplicates: tuple[str, ...] = ()  # sources of the near-duplicates not indexed
    offsets_in: str = "file"  # "file" (the file itself) or "extracted" (HTML, PDF text)
    page_starts: tuple[int, ...] = ()  # PDF: offset of each page in ``text``

    @classmethod
    def of(cls, doc: CleanDocument, duplicates: list[str]) -> DocumentRecord:
        return cls(doc.doc_id, doc.source, doc.title, doc.raw_text, tuple(doc.segments), tuple(duplicates),
                   doc.offsets_in, tuple(doc.page_starts))

    def to_row(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "source": self.source, "title": self.title, "text": self.text,
                "segments": self.segment_rows(), "duplicates": list(self.duplicates),
                "offsets_in": self.offsets_in, "page_starts": list(self.page_starts)}

    def segment_rows(self) -> list[dict[str, Any]]:
        return [s.model_dump() for s in self.segments]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DocumentRecord:
        # Indexes written before duplicates, offsets_in and page_starts existed read with the defaults.
        return cls(row["doc_id"], row["source"], row["title"], row["text"],
                   tuple(Segment(**s) for s in row["segments"]), tuple(row.get("duplicates") or ()),
                   row.get("offsets_in") or "file", tuple(row.get("page_starts") or ()))

    def source_document(self) -> SourceDocument:
        return SourceDocument(doc_id=self.doc_id, source=self.source, title=self.title, text=self.text,
                              segments=list(self.segments), duplicates=list(self.duplicates),
                              offsets_in=self.offsets_in)

    def page_of(self, offset: int) -> int | None:
        """The 1-based PDF page holding ``offset``; None for formats without pages."""
        if not self.page_starts:
            return None
        import bisect

        return max(1, bisect.bisect_right(self.page_starts, offset))


@dataclass(frozen=True)
class SentenceRecord:
    sid: int  # position in the index's sentence list (sentences.jsonl line, or load order)
    doc_id: str
    section: str
    text: str
    start: int
    end: int
    author: str | None = None
    byline: bool = False
    list_item: bool = False
    code: bool = False
    heading: bool = False  # a heading the markup declares: context for the sentences under it, never an answer

    # Column names in qa_sentences (``start``/``end`` are SQL keywords there).
    PG_COLUMNS = ("doc_id", "section", "text", "start_offset", "end_offset", "author", "byline", "list_item",
                  "code", "heading")
    PG_TYPES = ("text", "text", "text", "int4", "int4", "text", "bool", "bool", "bool", "bool")  # for binary COPY

    @classmethod
    def of(cls, sid: int, doc_id: str, s: Sentence) -> SentenceRecord:
        return cls(sid, doc_id, s.section, s.text, s.start, s.end, s.author, bool(s.byline), bool(s.list_item),
                   bool(s.code), bool(s.heading))

    def to_row(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "section": self.section, "text": self.text, "start": self.start,
                "end": self.end, "author": self.author, "byline": self.byline, "list_item": self.list_item,
                "code": self.code, "heading": self.heading}

    @classmethod
    def from_row(cls, sid: int, row: dict[str, Any]) -> SentenceRecord:
        return cls(sid, row["doc_id"], row["section"], row["text"], row["start"], row["end"], row.get("author"),
                   bool(row.get("byline", False)), bool(row.get("list_item", False)), bool(row.get("code", False)),
                   bool(row.get("heading", False)))

    def to_pg(self) -> tuple:
        """Values for ``PG_COLUMNS``."""
        return (self.doc_id, self.section, self.text, self.start, self.end, self.author, self.byline,
                self.list_item, self.code, self.heading)

    @classmethod
    def from_pg(cls, sid: int, values: tuple) -> SentenceRecord:
        doc_id, section, text, start, end, author, byline, list_item, code, heading = values
        return cls(sid, doc_id, section, text, start, end, author, bool(byline), bool(list_item), bool(code),
                   bool(heading))


@dataclass(frozen=True)
class PassageRecord:
    pid: int  # position in the index's passage list: the row of its vector, FAISS and BM25
    doc_id: str
    section: str
    start: int
    end: int
    text: str
    sent_ids: tuple[int, ...]  # its sentences' sids (empty in indexes built without sentences)

    @classmethod
    def of(cls, pid: int, doc_id: str, chunk: Chunk, sent_ids: list[int]) -> PassageRecord:
        return cls(pid, doc_id, chunk.section, chunk.start, chunk.end, chunk.text, tuple(sent_ids))

    def to_row(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "section": self.section, "start": self.start, "end": self.end,
                "text": self.text, "sent_ids": list(self.sent_ids)}

    @classmethod
    def from_row(cls, pid: int, row: dict[str, Any]) -> PassageRecord:
        return cls(pid, row["doc_id"], row["section"], row["start"], row["end"], row["text"],
                   tuple(row["sent_ids"]))


@dataclass
class DocumentEntry:
    doc_id: str
    source: str
    title: str
    sha256: str
    passages: int = 0
    duplicate_of: str | None = None
    duplicates: list[str] = field(default_factory=list)
    dropped_reason: str | None = None  # why a document is not indexed (e.g. which copy is)


@dataclass
class Manifest:
    format_version: int
    model: str
    dim: int
    encoding: str
    chunk_tokens: int
    chunk_overlap: int
    built_at: str
    passages: int
    dense_index: str  # "flat" (exact) or "hnsw" (approximate)
    documents: dict[str, DocumentEntry]
    pipeline_version: int = 1
    sentence_vectors: bool = True
    # How the sentences' word pieces are stored (qa/index/tokens.py FORMAT); "" for none (indexes
    # without sentences, and indexes from before word pieces were kept).
    sentence_tokens: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        docs = {k: DocumentEntry(**v) for k, v in data["documents"].items()}
        return cls(**{**data, "documents": docs})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check_compatible(self, model: str, encoding: str, place: str) -> None:
        """Raise IndexMismatchError unless this index can serve ``model`` and ``encoding``.

        ``place`` names the index in the message ("the index in index/").
        """
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"{place} has format version {self.format_version}, this version of qa reads "
                f"{FORMAT_VERSION}. Rebuild it with `qa index --rebuild`."
            )
        if self.model != model:
            raise IndexMismatchError(
                f"{place} was built with model {self.model!r} but the settings ask for {model!r}. "
                f"Rebuild it with `qa index --rebuild`, or set QA_MODEL={self.model}."
            )
        if self.encoding != encoding:
            raise IndexMismatchError(
                f"{place} was built with encoding {self.encoding!r} but the settings ask for "
                f"{encoding!r}. Rebuild it with `qa index --rebuild`, or set QA_ENCODING={self.encoding}."
            )
