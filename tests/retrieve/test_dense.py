"""Dense index: the exact/approximate switch, agreement with exact search, the numpy flat reader."""

from __future__ import annotations

import shutil

import faiss
import numpy as np
import pytest

from qa.retrieve.dense import (
    FLAT,
    HNSW,
    IVF_FLAT,
    IVF_SQ8,
    DenseBackend,
    NumpyFlat,
    _read_flat_ip,
    build_dense,
    dense_kind,
    ivf_lists,
    load_dense,
    save_dense,
    search_dense,
)


def _clustered(n: int, dim: int = 64, clusters: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around a few centres, plus 20 queries drawn the same way."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    pick = rng.integers(clusters, size=n + 20)
    x = centres[pick] + 0.4 * rng.standard_normal((n + 20, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x[:n]), np.ascontiguousarray(x[n:])


def _top(index, queries: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(index.search(queries, k)[1])


def test_switch_happens_at_the_configured_size():
    x, _ = _clustered(400)
    assert build_dense(x, exact_max=400)[1] == FLAT
    assert build_dense(x, exact_max=399)[1] == IVF_SQ8
    assert dense_kind(400, 400) == FLAT and dense_kind(401, 400) == IVF_SQ8
    index, kind = build_dense(x, exact_max=399)
    assert kind == IVF_SQ8 and index.ntotal == 400 and isinstance(index, faiss.IndexIVF)


@pytest.mark.parametrize("kind", [IVF_SQ8, IVF_FLAT, HNSW])
def test_approximate_index_returns_the_exact_top_results_on_a_small_corpus(kind):
    x, queries = _clustered(3000)
    exact, _ = build_dense(x, exact_max=len(x))
    approx, got_kind = build_dense(x, exact_max=100, approximate=kind)
    assert got_kind == kind
    truth = _top(exact, queries, 10)
    found = _top(approx, queries, 50)
    recall = np.mean([len(set(found[i, :10]) & set(truth[i])) / 10 for i in range(len(queries))])
    assert recall >= 0.9
    # As the retriever uses it: candidates re-scored with the exact vectors.
    for i, q in enumerate(queries):
        cand = found[i][found[i] >= 0]
        rescored = cand[np.argsort(-(x[cand] @ q), kind="stable")][:10]
        assert list(rescored) == list(truth[i])


def test_approximate_index_round_trips_through_a_file(tmp_path):
    x, queries = _clustered(2000)
    index, _ = build_dense(x, exact_max=10)
    save_dense(index, tmp_path / "dense.faiss")
    loaded = load_dense(tmp_path / "dense.faiss")
    assert isinstance(loaded, faiss.IndexIVF)
    assert loaded.nprobe == min(32, loaded.nlist)
    assert (_top(loaded, queries, 10) == _top(index, queries, 10)).all()


def test_ivf_lists_stay_trainable():
    assert ivf_lists(1_000_000) == 1024
    assert ivf_lists(200_001) == 512
    for n in (1, 10, 100, 640, 5000):
        assert 1 <= ivf_lists(n) <= max(1, n // 40)


def test_flat_index_loads_without_faiss_and_matches_it(tmp_path):
    x, queries = _clustered(500)
    index, kind = build_dense(x, exact_max=1000)
    assert kind == FLAT
    save_dense(index, tmp_path / "dense.faiss")
    loaded = load_dense(tmp_path / "dense.faiss")
    assert isinstance(loaded, NumpyFlat) and loaded.ntotal == 500
    np.testing.assert_array_equal(loaded.vectors, x)
    ref_scores, ref_ids = faiss.read_index(str(tmp_path / "dense.faiss")).search(queries, 10)
    scores, ids = loaded.search(queries, 10)
    assert (ids == ref_ids).all()
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)


def test_numpy_flat_pads_like_faiss_when_k_exceeds_the_corpus():
    x, queries = _clustered(5)
    ref = faiss.IndexFlatIP(x.shape[1])
    ref.add(x)
    scores, ids = NumpyFlat(x).search(queries[:2], 8)
    ref_scores, ref_ids = ref.search(queries[:2], 8)
    assert (ids == ref_ids).all() and (ids[:, 5:] == -1).all()
    np.testing.assert_allclose(scores[:, :5], ref_scores[:, :5], atol=1e-5)
    got_ids, got_scores = search_dense(NumpyFlat(x), queries[0], 8)
    assert len(got_ids) == 5 and got_ids.dtype == np.int64


def test_empty_flat_index(tmp_path):
    index, kind = build_dense(np.zeros((0, 16), np.float32), exact_max=10)
    save_dense(index, tmp_path / "dense.faiss")
    loaded = load_dense(tmp_path / "dense.faiss")
    assert kind == FLAT and loaded.ntotal == 0
    ids, scores = search_dense(loaded, np.ones(16, np.float32), 5)
    assert len(ids) == 0 and len(scores) == 0


def test_flat_reader_refuses_other_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"IxFI" + b"\0" * 10)
    assert _read_flat_ip(tmp_path / "junk") is None
    l2 = faiss.IndexFlatL2(8)
    l2.add(np.ones((3, 8), np.float32))
    faiss.write_index(l2, str(tmp_path / "l2.faiss"))
    assert _read_flat_ip(tmp_path / "l2.faiss") is None
    assert isinstance(load_dense(tmp_path / "l2.faiss"), faiss.IndexFlatL2)
    x, _ = _clustered(10)
    index, _ = build_dense(x, exact_max=100)
    save_dense(index, tmp_path / "cut.faiss")
    data = (tmp_path / "cut.faiss").read_bytes()
    (tmp_path / "cut.faiss").write_bytes(data[:-4])  # truncated: not silently half-read
    assert _read_flat_ip(tmp_path / "cut.faiss") is None


def test_backends_satisfy_the_protocol():
    x, _ = _clustered(50)
    assert isinstance(NumpyFlat(x), DenseBackend)
    assert isinstance(build_dense(x, exact_max=100)[0], DenseBackend)
    assert isinstance(build_dense(x, exact_max=10)[0], DenseBackend)


def test_engine_over_an_approximate_index_answers_like_the_exact_one(seed_settings, seed_index, engine, tmp_path):
    """Same seed corpus, exact_search_max below its size: IVF index, same top passages."""
    from qa.engine import Engine
    from qa.index.build import build_index

    index_dir = tmp_path / "index"
    shutil.copytree(seed_settings.index_dir, index_dir)  # cached vectors and ONNX export come along
    settings = seed_settings.model_copy(update={"index_dir": index_dir, "exact_search_max": 20})
    report = build_index(settings)
    assert not report.up_to_date, "a lower exact_search_max must rebuild the dense index"
    assert report.dense_index == IVF_SQ8 and report.embedded_passages == 0
    approx = Engine.load(settings)
    assert approx.info["dense_index"] == IVF_SQ8
    assert build_index(settings).up_to_date
    for q in ("How many STPs are there in England?", "What is an accountable care system?"):
        want = [h.doc_id + str(h.start) for h in engine.search(q, k=5, mode="dense").hits]
        got = [h.doc_id + str(h.start) for h in approx.search(q, k=5, mode="dense").hits]
        assert got == want


def test_one_blas_thread_is_scoped():
    from qa.index.blas import _openblas_set_threads_local, one_blas_thread

    fn = _openblas_set_threads_local()
    if fn is None:
        pytest.skip("numpy is not linked to its bundled OpenBLAS here")

    def current() -> int:
        n = fn(1)
        fn(n)
        return n

    before = current()
    with one_blas_thread():
        assert current() == 1
    assert current() == before
