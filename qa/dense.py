"""FAISS dense index: exact inner product for small corpora, HNSW above a size.

Vectors are L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def build_dense(vectors: np.ndarray, exact_max: int) -> tuple[object, str]:
    """(index, kind) where kind is "flat" (exact) or "hnsw" (approximate)."""
    import faiss

    n, dim = vectors.shape if vectors.size else (0, vectors.shape[1] if vectors.ndim == 2 else 0)
    if n <= exact_max:
        index, kind = faiss.IndexFlatIP(dim), "flat"
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        kind = "hnsw"
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    _tune(index)
    return index, kind


def _tune(index: object) -> None:
    hnsw = getattr(index, "hnsw", None)
    if hnsw is not None:
        hnsw.efSearch = HNSW_EF_SEARCH


def save_dense(index: object, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_dense(path: Path) -> object:
    import faiss

    index = faiss.read_index(str(path))
    _tune(index)
    return index


def search_dense(index: object, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(passage ids, cosine scores), best first."""
    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, index.ntotal))
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
