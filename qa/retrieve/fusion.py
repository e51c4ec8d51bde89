"""Hybrid retrieval: FAISS (dense) and BM25 (lexical), fused.

Both lists are pooled, every pooled passage gets both scores (exact cosine from
the stored vectors, BM25 from the full score vector), each is min-max scaled
over the pool, and the fused score is their weighted sum.  Unlike plain
reciprocal-rank fusion this keeps score gaps: an exact acronym hit far ahead in
BM25 stays far ahead.

When the index has sentence vectors, the dense side also looks at each pooled
passage's best sentence ("MaxP"): a 160-token passage's single vector blurs the
one sentence a paraphrased question is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from qa.retrieve.dense import search_dense
from qa.retrieve.lexical import LexicalIndex

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class Candidate:
    pid: int
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class SentenceVectors:
    """Sentence vectors and which passage holds each sentence (for the best-sentence score)."""

    vectors: np.ndarray  # (sentences, dim), unit length
    passage_sentences: list[tuple[int, ...]]  # sentence ids of each passage

    def best(self, pids: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        """Each passage's highest sentence cosine with the query (0 for a passage without sentences)."""
        groups = [self.passage_sentences[p] for p in pids.tolist()]
        flat = np.fromiter((s for g in groups for s in g), dtype=np.int64)
        out = np.zeros(len(groups), dtype=np.float32)
        if not len(flat):
            return out
        cos = np.asarray(self.vectors[flat], dtype=np.float32) @ query_vector.astype(np.float32)
        i = 0
        for n, g in enumerate(groups):
            if g:
                out[n] = cos[i : i + len(g)].max()
                i += len(g)
        return out


class HybridRetriever:
    def __init__(
        self,
        dense_index: object,
        vectors: np.ndarray,
        lexical: LexicalIndex,
        dense_weight: float = 0.5,
        depth: int = 100,
        sentences: SentenceVectors | None = None,
        sentence_weight: float = 0.3,
    ) -> None:
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be within [0, 1]. Currently, dense_weight is {dense_weight}")
        if not 0.0 <= sentence_weight <= 1.0:
            raise ValueError(
                f"sentence_weight must be within [0, 1]. Currently, sentence_weight is {sentence_weight}"
            )
        self.dense_index = dense_index
        self.vectors = vectors
        self.lexical = lexical
        self.dense_weight = dense_weight
        self.depth = depth
        self.sentences = sentences
        self.sentence_weight = sentence_weight if sentences is not None else 0.0

    def retrieve(self, query: str, query_vector: np.ndarray, k: int, mode: Mode = "hybrid") -> list[Candidate]:
        if k <= 0:
            raise ValueError(f"k must be greater than 0. Currently, k is {k}")
        depth = max(self.depth, k)
        pool: dict[int, None] = {}
        if mode in ("hybrid", "dense"):
            ids, _ = search_dense(self.dense_index, query_vector, depth)
            pool.update(dict.fromkeys(ids.tolist()))
        lex_scores = None
        if mode in ("hybrid", "lexical"):
            # One BM25 pass: the full score vector gives both the top ids and every
            # pooled passage's score (it costs O(passages) per query).
            lex_scores = self.lexical.scores(query)
            ids, _ = self.lexical.top(lex_scores, depth)
            pool.update(dict.fromkeys(ids.tolist()))
        if not pool:
            return []
        pids = np.fromiter(pool, dtype=np.int64)
        dense = np.asarray(self.vectors[pids], dtype=np.float32) @ query_vector.astype(np.float32)
        lexical = lex_scores[pids] if lex_scores is not None else np.zeros(len(pids), np.float32)
        return fuse(pids, dense, lexical, k, mode, self.dense_weight, self.sentences, self.sentence_weight,
                    query_vector)


def fuse(
    pids: np.ndarray, dense: np.ndarray, lexical: np.ndarray, k: int, mode: Mode, dense_weight: float,
    sentences: SentenceVectors | None, sentence_weight: float, query_vector: np.ndarray,
) -> list[Candidate]:
    """The ``k`` best of a pool of passages (``pids``, with their cosine and BM25 scores).

    Hybrid: min-max normalised scores, ``dense_weight`` on the dense side, of which
    ``sentence_weight`` goes to each passage's best sentence.  Every backend fuses here.
    """
    if mode == "dense":
        fused = dense
    elif mode == "lexical":
        fused = lexical
    else:
        w, s = dense_weight, sentence_weight
        dense_side = _minmax(dense)
        if s > 0.0:
            dense_side = (1 - s) * dense_side + s * _minmax(sentences.best(pids, query_vector))
        fused = w * dense_side + (1 - w) * _minmax(lexical)
    order = np.argsort(-fused, kind="stable")[:k]
    return [Candidate(int(pids[i]), float(fused[i]), float(dense[i]), float(lexical[i])) for i in order]


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x) if hi > 0 else np.zeros_like(x)
    return (x - lo) / (hi - lo)
