"""BM25 over passages (bm25s), on the tokens of qa/words.py."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.retrieve.bm25s_lean import bm25s
from qa.words import query_tokens, tokenize


class LexicalIndex:
    def __init__(self, bm25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        bm25 = bm25s().BM25(k1=k1, b=b)
        bm25.index([tokenize(t) or ["<empty>"] for t in texts], show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s().BM25.load(str(folder)))

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(passage ids, scores), best first; only passages sharing a term."""
        return self.top(self.scores(query), k)

    @staticmethod
    def top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best positive entries of a ``scores`` vector, best first."""
        k = min(k, len(scores))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        keep = scores[top] > 0
        return top[keep].astype(np.int64), scores[top][keep].astype(np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no term is known)."""
        vocab = self._bm25.vocab_dict
        terms = [t for t in query_tokens(query) if t in vocab]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a tokenized term (0 if unseen)."""
        vocab = self._bm25.vocab_dict
        if term not in vocab:
            return 0.0
        return float(self._idf_table()[vocab[term]])

    def passages_with(self, terms: list[str]) -> np.ndarray:
        """Ids of the passages that contain every one of the tokenized ``terms``."""
        vocab = self._bm25.vocab_dict
        scores = self._bm25.scores
        found: np.ndarray | None = None
        for term in terms:
            if term not in vocab:
                return np.zeros(0, dtype=np.int64)
            v = vocab[term]
            ids = scores["indices"][scores["indptr"][v] : scores["indptr"][v + 1]]
            found = ids if found is None else np.intersect1d(found, ids, assume_unique=True)
        return np.zeros(0, dtype=np.int64) if found is None else found.astype(np.int64)

    def max_idf(self) -> float:
        """The IDF a term would have if it occurred in a single passage."""
        n = float(self.size)
        return float(np.log(1 + (n - 1 + 0.5) / 1.5))

    @lru_cache(maxsize=1)  # noqa: B019 - one index object lives as long as its engine
    def _idf_table(self) -> np.ndarray:
        scores = self._bm25.scores
        indptr = scores["indptr"]
        df = np.diff(indptr).astype(np.float64)
        n = float(scores["num_docs"])
        return np.log(1 + (n - df + 0.5) / (df + 0.5))
