"""Dense search: exact for small corpora, approximate (FAISS IVF + 8-bit SQ) above a size.

Vectors are L2-normalised, so inner product is cosine similarity.

The rest of the code needs only ``DenseBackend``: ``ntotal`` and FAISS's
``search(queries, k) -> (scores, ids)``.  FAISS indexes implement it as they are,
and so does ``NumpyFlat`` (exact search over a flat index file without importing
FAISS, which keeps ``qa ask`` quick to start).  Serving the index from another
engine (OpenSearch k-NN, Qdrant, Vespa; see docs/scale.md) is one more class
with those two members, built by ``build_dense`` and opened by ``load_dense``.

Why IVF-SQ8 above ``Settings.exact_search_max`` (measured in bench/RESULTS.md):
on two cores HNSW took minutes per 100k vectors to build, IVF seconds; 8-bit
scalar quantisation keeps a quarter of the memory of IVF-Flat, and its small
loss of ranking precision does not reach the answers, because the retriever
re-scores its candidate pool with the exact stored vectors.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qa.index.blas import one_blas_thread

FLAT = "flat"  # exact inner product
IVF_SQ8 = "ivf-sq8"  # inverted lists, 8-bit scalar-quantised codes (the approximate default)
IVF_FLAT = "ivf-flat"  # inverted lists, full float32 vectors (measured, not the default)
HNSW = "hnsw"  # graph index; indexes written by earlier versions still load
APPROXIMATE_KINDS = (IVF_SQ8, IVF_FLAT, HNSW)

IVF_NPROBE = 32  # lists visited per query (see bench/RESULTS.md for recall vs latency)
IVF_TRAIN_PER_LIST = 40  # k-means training points per list (FAISS wants >= 39)
IVF_MIN_LISTS = 16
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


@runtime_checkable
class DenseBackend(Protocol):
    """What retrieval needs from a dense index; FAISS indexes satisfy it unchanged."""

    ntotal: int

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (len(x), k), best first; ids are -1 where fewer than k exist."""
        ...


class NumpyFlat:
    """Exact inner-product search in numpy over the vectors of a FAISS flat index."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.ntotal = int(self.vectors.shape[0])
        self.d = int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, self.d)
        nq, kk = x.shape[0], min(k, self.ntotal)
        scores = np.full((nq, k), -np.inf, dtype=np.float32)
        ids = np.full((nq, k), -1, dtype=np.int64)
        if kk == 0:
            return scores, ids
        with one_blas_thread():  # memory-bound: a second thread only adds contention
            sims = x @ self.vectors.T  # (nq, ntotal)
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk] if kk < self.ntotal else np.tile(
            np.arange(self.ntotal), (nq, 1)
        )
        top_scores = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        ids[:, :kk] = np.take_along_axis(top, order, axis=1)
        scores[:, :kk] = np.take_along_axis(top_scores, order, axis=1)
        return scores, ids


def ivf_lists(n: int) -> int:
    """Inverted lists for ``n`` vectors: a power of two near sqrt(n), trainable from n points."""
    target = 2 ** round(math.log2(max(1.0, math.sqrt(n))))
    return int(min(max(target, IVF_MIN_LISTS), max(1, n // IVF_TRAIN_PER_LIST)))


def dense_kind(n: int, exact_max: int, approximate: str = IVF_SQ8) -> str:
    """The index kind ``build_dense`` makes for ``n`` vectors: the switch at ``exact_max``."""
    return FLAT if n <= exact_max else approximate


def build_dense(vectors: np.ndarray, exact_max: int, approximate: str = IVF_SQ8) -> tuple[object, str]:
    """(index, kind): exact ("flat") up to ``exact_max`` vectors, else ``approximate``."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    if dense_kind(n, exact_max) == FLAT:
        index: object = faiss.IndexFlatIP(dim)
        kind = FLAT
    elif approximate in (IVF_SQ8, IVF_FLAT):
        nlist = ivf_lists(n)
        codes = "SQ8" if approximate == IVF_SQ8 else "Flat"
        index = faiss.index_factory(dim, f"IVF{nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
        sample = min(n, nlist * IVF_TRAIN_PER_LIST)
        rng = np.random.default_rng(0)  # the same vectors always give the same index
        train = vectors if sample == n else vectors[np.sort(rng.choice(n, size=sample, replace=False))]
        index.train(train)
        kind = approximate
    elif approximate == HNSW:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        kind = HNSW
    else:
        raise ValueError(f"approximate must be one of {APPROXIMATE_KINDS}. Currently, it is {approximate!r}")
    if n:
        index.add(vectors)
    _tune(index)
    return index, kind


def _tune(index: object) -> None:
    hnsw = getattr(index, "hnsw", None)
    if hnsw is not None:
        hnsw.efSearch = HNSW_EF_SEARCH
    if hasattr(index, "nprobe") and hasattr(index, "nlist"):
        index.nprobe = min(IVF_NPROBE, int(index.nlist))


def save_dense(index: object, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_dense(path: Path) -> DenseBackend:
    """Open a saved index: flat ones in numpy (no FAISS import), the rest with FAISS."""
    flat = _read_flat_ip(Path(path))
    if flat is not None:
        return NumpyFlat(flat)
    import faiss

    index = faiss.read_index(str(path))
    _tune(index)
    return index


# FAISS's IndexFlatIP file: "IxFI", d:int32, ntotal:int64, two int64 placeholders,
# is_trained:uint8, metric:int32, count:uint64, then count float32 values.
_FLAT_HEADER = struct.Struct("<4siqqqBiQ")


def _read_flat_ip(path: Path) -> np.ndarray | None:
    """The vectors of an inner-product flat index file, or None if it is anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_FLAT_HEADER.size)
            if len(head) < _FLAT_HEADER.size or head[:4] != b"IxFI":
                return None
            _, d, ntotal, _, _, _, metric, count = _FLAT_HEADER.unpack(head)
            size = path.stat().st_size
            if metric != 0 or d <= 0 or ntotal < 0 or count != d * ntotal:
                return None
            if size != _FLAT_HEADER.size + 4 * count:
                return None
            data = np.fromfile(fh, dtype="<f4", count=count)
    except OSError:
        return None
    if data.size != count:
        return None
    return data.reshape(ntotal, d)


def search_dense(index: DenseBackend, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(passage ids, cosine scores), best first."""
    if index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, index.ntotal))
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
