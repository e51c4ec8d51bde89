"""Public data contract: what `qa ask --json`, `qa search --json` and the API return."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Section = Literal["body", "comments"]
# What citation offsets index: the file's own text (.txt, .md), or the text extracted
# from it (.html, .pdf), which GET /sources/{doc_id} serves as ``text``.
OffsetsIn = Literal["file", "extracted"]


class Citation(BaseModel):
    """One numbered source behind an answer sentence.

    ``source_text[start:end] == text`` and ``source_text[quote_start:quote_end] == quote``
    hold exactly, where ``source_text`` is the ``text`` of ``GET /sources/{doc_id}``: the
    file decoded (``offsets_in == "file"``), or the text extracted from an HTML page or a
    PDF (``offsets_in == "extracted"``; ``page`` is then the PDF page of the quote).
    """

    n: int = Field(description="the number used by the [n] marker in the answer")
    doc_id: str
    source: str = Field(description="path of the source file, relative to the repository")
    title: str
    section: Section = Field(description="'comments' marks a reader comment, not the article")
    text: str = Field(description="the retrieved passage, verbatim from the source file")
    start: int
    end: int
    quote: str = Field(description="the cited sentence, verbatim from the source file")
    quote_start: int
    quote_end: int
    score: float
    offsets_in: OffsetsIn = Field("file", description="'file': offsets index the file's text (.txt, .md); "
                                  "'extracted': the text extracted from HTML or PDF, served by /sources")
    page: int | None = Field(None, description="the PDF page (1-based) the quote starts on; null for other formats")


class ExplainedPassage(BaseModel):
    rank: int
    doc_id: str
    source: str
    start: int
    end: int
    retrieval: float = Field(description="fused retrieval score")
    cosine: float


class ExplainedSentence(BaseModel):
    passage_rank: int
    source: str
    start: int
    end: int
    text: str
    probability: float = Field(description="P(this sentence answers), from the learned scorer")
    picked: bool
    features: dict[str, float]
    contributions: dict[str, float] = Field(description="each feature's share of the log-odds")


class Explanation(BaseModel):
    """Why an answer was picked or refused (`qa explain`, POST /ask?explain=1)."""

    kind: str | None = Field(description="the kind of answer the question asks for: email, phone, time, money, number, date, person, place")
    matched_terms: list[str] = Field(description="question terms found in the retrieved passages")
    unseen_terms: list[str] = Field(description="question terms no passage in the corpus contains")
    common_terms: list[str] = Field(description="question terms in most passages: too common to count")
    unmatched_terms: list[str] = Field(description="question terms in the corpus but not in these passages")
    evidence: float = Field(description="P(answerable from these passages), compared with the threshold")
    evidence_features: dict[str, float] = Field(description="what the answerability model read")
    evidence_contributions: dict[str, float] = Field(description="each of those features' share of the log-odds")
    threshold: float
    decision: str = Field(description="'answered' or 'refused'")
    reason: str
    passages: list[ExplainedPassage]
    sentences: list[ExplainedSentence] = Field(description="the best-scored candidates, best first")


class Answer(BaseModel):
    """A short extractive answer; every sentence ends with a [n] marker."""

    question: str
    answer: str
    abstained: bool
    evidence: float = Field(0.0, description=(
        "the probability (0 to 1) that the retrieved passages answer the question; below the "
        "threshold (QA_ABSTAIN_THRESHOLD, or the model's) the assistant abstains"))
    read_as: dict[str, str] = Field(default_factory=dict, description=(
        "question words the corpus never writes, read as the corpus's word one edit away (a "
        "misspelling: 'boathose' -> 'boathouse'); empty when none"))
    citations: list[Citation]
    timings_ms: dict[str, float] = Field(default_factory=dict, description="milliseconds per step")
    explanation: Explanation | None = Field(None, description="only with explain=1; null otherwise")


class SearchHit(BaseModel):
    """One ranked passage."""

    rank: int
    doc_id: str
    source: str
    title: str
    section: Section
    text: str = Field(description="the passage, verbatim from the source file")
    start: int
    end: int
    score: float = Field(description="fused retrieval score (higher is better)")
    dense_score: float | None = None
    lexical_score: float | None = None


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]
    timings_ms: dict[str, float] = Field(default_factory=dict)


class Segment(BaseModel):
    """A kept stretch of a source file (boilerplate between segments is dropped)."""

    start: int
    end: int
    section: Section


class SourceDocument(BaseModel):
    """An indexed document: its original text plus the parts that were kept."""

    doc_id: str
    source: str
    title: str
    text: str = Field(description="the text citation offsets index into: the file's own text, or the "
                      "text extracted from HTML/PDF (see offsets_in)")
    offsets_in: OffsetsIn = "file"
    segments: list[Segment]
    duplicates: list[str] = Field(
        default_factory=list, description="sources dropped as near-duplicates of this one"
    )
