"""Word-piece vectors of every indexed sentence, for late-interaction matching.

A sentence's single vector blurs which of its words meet the question's. Keeping the
encoder's contextual vector of each word piece lets the answerer ask, for every
content word of the question, how close the sentence's nearest word piece comes, the
way ColBERT scores passages. On the public SQuAD article (eval/squad2) that number
puts the sentence holding the answer first for 78% of the answerable questions,
against 66% for the sentence cosine.

The vectors come from the same forward pass that embeds the sentence at index time,
so indexing costs nothing more to compute, only to store. Each word piece is kept as
the signs of its components, one bit each (48 bytes for MiniLM's 384 dimensions,
about 8 KB per 160-token passage), and scored against the question's full vectors.
On eval/squad2 and the seeds dev split the retrained answerer is as accurate with
these bits as with int8 codes (eight times the size); see docs/eval.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

# What the manifest records: an index whose word pieces were stored another way is rebuilt.
FORMAT = "sign-bits-1"
FILES = ("sentence_tokens.npy", "sentence_token_counts.npy")


@dataclass(frozen=True)
class TokenEncoding:
    """One text through the encoder: its pooled vector and its word pieces' unit vectors."""

    vector: np.ndarray  # (dim,) float32, the text's embedding
    tokens: np.ndarray  # (pieces, dim) float32, unit rows; special tokens left out
    offsets: tuple[tuple[int, int], ...]  # each piece's [start, end) in the encoded text
    text: str = ""  # the text encoded (offsets index it)


@dataclass(frozen=True, eq=False)
class SentenceTokens:
    """Every sentence's word pieces, end to end in sentence order, one sign bit per dimension."""

    bits: np.ndarray  # (pieces, ceil(dim / 8)) uint8: np.packbits of (vector > 0)
    counts: np.ndarray  # (sentences,) int32: pieces per sentence
    dim: int

    @classmethod
    def empty(cls, dim: int) -> SentenceTokens:
        return cls(np.zeros((0, _width(dim)), np.uint8), np.zeros(0, np.int32), dim)

    @classmethod
    def quantize(cls, per_sentence: list[np.ndarray], dim: int) -> SentenceTokens:
        """From one (pieces, dim) float array per sentence."""
        if not per_sentence:
            return cls.empty(dim)
        counts = np.array([len(t) for t in per_sentence], dtype=np.int32)
        rows = np.concatenate(per_sentence).reshape(-1, dim) if counts.sum() else np.zeros((0, dim))
        return cls(np.packbits(rows > 0, axis=1), counts, dim)

    @classmethod
    def concat(cls, parts: list[SentenceTokens], dim: int) -> SentenceTokens:
        if not parts:
            return cls.empty(dim)
        return cls(np.concatenate([p.bits for p in parts]), np.concatenate([p.counts for p in parts]), dim)

    def __len__(self) -> int:
        return len(self.counts)

    @cached_property
    def starts(self) -> np.ndarray:
        out = np.zeros(len(self.counts) + 1, dtype=np.int64)
        np.cumsum(self.counts, out=out[1:])
        return out

    def _vectors(self, rows: np.ndarray) -> np.ndarray:
        """Word pieces as unit float32 rows of +-1/sqrt(dim)."""
        signs = np.unpackbits(np.asarray(self.bits[rows], dtype=np.uint8), axis=1, count=self.dim)
        return (signs.astype(np.float32) * 2 - 1) * np.float32(1 / np.sqrt(self.dim))

    def of(self, sid: int) -> np.ndarray:
        """Sentence ``sid``'s word pieces as (pieces, dim) float32 unit rows."""
        return self._vectors(np.arange(int(self.starts[sid]), int(self.starts[sid + 1])))

    def best_matches(self, query: np.ndarray, sids: list[int]) -> np.ndarray:
        """(len(sids), query pieces): each sentence's best cosine for each of the question's pieces.

        One gather and one product for all the candidates of a question (per-sentence calls
        cost more in Python than the arithmetic).
        """
        out = np.zeros((len(sids), len(query)), dtype=np.float32)
        if not len(sids) or not len(query):
            return out
        ids = np.asarray(sids, dtype=np.int64)
        lo, hi = self.starts[ids], self.starts[ids + 1]
        lengths = hi - lo
        if not lengths.sum():
            return out
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)])
        sims = self._vectors(rows) @ np.asarray(query, dtype=np.float32).T
        firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        some = lengths > 0
        out[some] = np.maximum.reduceat(sims, firsts[some], axis=0)
        return out

    # --- storage: two .npy files in an index generation ---------------------
    def save(self, folder: Path) -> None:
        np.save(folder / FILES[0], self.bits)
        np.save(folder / FILES[1], self.counts)

    @classmethod
    def load(cls, folder: Path, dim: int) -> SentenceTokens:
        bits = np.load(folder / FILES[0], mmap_mode="r")
        counts = np.asarray(np.load(folder / FILES[1]), dtype=np.int32)
        if bits.ndim != 2 or bits.shape[1] != _width(dim) or len(bits) != int(counts.sum(dtype=np.int64)):
            raise ValueError(f"{len(bits)} word pieces of {bits.shape[1:]} bytes stored, {int(counts.sum())} "
                             f"counted, {_width(dim)} bytes expected for {dim} dimensions")
        return cls(bits, counts, dim)

    # --- storage: one document's share as bytes (the PostgreSQL backend) -----
    def to_bytes(self) -> tuple[bytes, list[int]]:
        return np.ascontiguousarray(self.bits, dtype=np.uint8).tobytes(), [int(c) for c in self.counts]

    @classmethod
    def from_bytes(cls, bits: bytes, counts: list[int], dim: int) -> SentenceTokens:
        return cls(np.frombuffer(bits, dtype=np.uint8).reshape(-1, _width(dim)), np.asarray(counts, dtype=np.int32),
                   dim)


def _width(dim: int) -> int:
    return (dim + 7) // 8


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` as float32, each scaled to length 1 (a zero row stays zero)."""
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)
