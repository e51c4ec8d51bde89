"""The torch-free query path: ONNX export at index time, agreement with sentence-transformers, fallback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.index.query_encoder import (
    ENCODER_FILE,
    MIN_AGREEMENT,
    NumpyBertEncoder,
    OnnxQueryEncoder,
    SentenceTransformerQueryEncoder,
    encoder_dir,
    ensure_query_encoder,
    load_query_encoder,
    pool,
)

QUERIES = [
    "How many STPs are there in England?",
    "What is an accountable care system?",
    "Who is Simon Stevens?",
    "ACOs",
    "What did the Health Select Committee say about funding for social care in 2017/18?",
    "Ünïcödé “quotes” — dashes, 12.5% & numbers!",
    " ".join(["integrated care across hospitals, GPs and councils"] * 50),  # beyond 256 word pieces
]


@pytest.fixture(scope="module")
def bundle(seed_settings, seed_index) -> Path:
    folder = encoder_dir(seed_settings.index_dir, seed_settings.model)
    assert (folder / ENCODER_FILE).is_file(), "build_index should export the query encoder"
    return folder


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


def test_build_exports_a_bundle(bundle, seed_settings):
    meta = json.loads((bundle / ENCODER_FILE).read_text())
    assert meta["model"] == seed_settings.model
    assert meta["pooling"] == ["mean"] and meta["normalize"] is True
    assert meta["max_seq_length"] == 256 and meta["dim"] == 384
    assert meta["agreement"] >= MIN_AGREEMENT
    assert meta["numpy_bert"]["agreement"] >= MIN_AGREEMENT  # MiniLM is a plain BERT
    names = {p.name for p in bundle.iterdir()}
    assert names >= {"model.onnx", "model.onnx.data", "bert.safetensors", "tokenizer.json", ENCODER_FILE}
    assert not [n for n in bundle.parent.iterdir() if n.name.startswith(".")], "no temporary folders left"


def test_onnx_query_vectors_agree_with_sentence_transformers(bundle, engine):
    onnx = OnnxQueryEncoder(bundle)
    ours = np.vstack([onnx.encode([q]) for q in QUERIES])  # one at a time, like queries
    ref = engine.embedder.encode(QUERIES)
    assert ours.shape == ref.shape == (len(QUERIES), 384) and ours.dtype == np.float32
    cos = _cosines(ours, ref)
    assert cos.min() >= 0.999, cos
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # Batches are padded; padding must not change the vectors.
    assert _cosines(onnx.encode(QUERIES), ref).min() >= 0.999


def test_numpy_bert_vectors_agree_with_sentence_transformers(bundle, engine):
    ours = np.vstack([NumpyBertEncoder(bundle).encode([q]) for q in QUERIES])
    ref = engine.embedder.encode(QUERIES)
    cos = _cosines(ours, ref)
    assert cos.min() >= 0.999, cos
    assert _cosines(NumpyBertEncoder(bundle).encode(QUERIES), ref).min() >= 0.999


def test_one_shot_processes_use_numpy_servers_onnx(seed_settings, bundle):
    args = (seed_settings.index_dir, seed_settings.model, object())
    assert load_query_encoder(*args, one_shot=True).kind == "numpy-bert"
    assert load_query_encoder(*args, one_shot=False).kind == "onnx"


def test_damaged_numpy_weights_fall_back_to_onnx(seed_settings, seed_index, tmp_path, caplog):
    settings = _copy_index(seed_settings, tmp_path, with_bundle=True)
    folder = encoder_dir(settings.index_dir, settings.model)
    (folder / "bert.safetensors").write_bytes(b"\x00" * 16)
    with caplog.at_level(logging.WARNING, logger="qa.query_encoder"):
        enc = load_query_encoder(settings.index_dir, settings.model, object(), one_shot=True)
    assert enc.kind == "onnx" and "cannot load the numpy query encoder" in caplog.text


def test_engine_embeds_queries_with_onnx(engine):
    assert engine.query_encoder.kind == "onnx"
    vec = engine.encode_query(QUERIES[0])
    ref = engine.embedder.encode([QUERIES[0]])[0]
    assert vec.shape == (384,) and float(vec @ ref) >= 0.999


def _copy_index(seed_settings, tmp_path: Path, with_bundle: bool):
    index_dir = tmp_path / "index"
    shutil.copytree(
        seed_settings.index_dir, index_dir, ignore=None if with_bundle else shutil.ignore_patterns("models")
    )
    return seed_settings.model_copy(update={"index_dir": index_dir})


def test_fallback_when_no_export_exists(seed_settings, seed_index, engine, tmp_path, caplog):
    from qa.engine import Engine

    settings = _copy_index(seed_settings, tmp_path, with_bundle=False)
    eng = Engine.load(settings)
    with caplog.at_level(logging.WARNING, logger="qa.query_encoder"):
        answer = eng.ask(QUERIES[0])
    assert eng.query_encoder.kind == "sentence-transformers"
    assert "no ONNX query encoder" in caplog.text
    assert answer.answer == engine.ask(QUERIES[0]).answer
    assert float(eng.encode_query(QUERIES[1]) @ engine.encode_query(QUERIES[1])) >= 0.999


def test_fallback_when_the_export_is_damaged(seed_settings, seed_index, tmp_path, caplog):
    settings = _copy_index(seed_settings, tmp_path, with_bundle=True)
    folder = encoder_dir(settings.index_dir, settings.model)
    (folder / "model.onnx").write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="qa.query_encoder"):
        enc = load_query_encoder(settings.index_dir, settings.model, embedder=object())  # a server
    assert isinstance(enc, SentenceTransformerQueryEncoder)
    assert "cannot load the ONNX query encoder" in caplog.text


def test_forced_backend(seed_settings, seed_index, monkeypatch):
    monkeypatch.setenv("QA_QUERY_ENCODER", "sentence-transformers")
    settings = Settings(index_dir=seed_settings.index_dir)  # QA_QUERY_ENCODER is a setting
    assert settings.query_encoder == "sentence-transformers"
    enc = load_query_encoder(settings.index_dir, settings.model, embedder=object(), backend=settings.query_encoder)
    assert enc.kind == "sentence-transformers"


def test_unexportable_model_warns_and_exports_nothing(tmp_path, caplog):
    class Module:  # neither Transformer nor Pooling
        pass

    class FakeEmbedder:
        model = [Module()]

    with caplog.at_level(logging.WARNING, logger="qa.query_encoder"):
        assert ensure_query_encoder(tmp_path, "all-MiniLM-L6-v2", FakeEmbedder()) is None
    assert "ONNX export" in caplog.text and "failed" in caplog.text
    models = tmp_path / "models"
    assert not models.exists() or not any(p.name.startswith("all-MiniLM") for p in models.iterdir())


def test_up_to_date_export_is_not_redone(bundle, seed_settings):
    before = (bundle / "model.onnx").stat().st_mtime_ns

    class NoModel:
        @property
        def model(self):
            raise AssertionError("an up-to-date export must not load the model")

    assert ensure_query_encoder(seed_settings.index_dir, seed_settings.model, NoModel()) == bundle
    assert (bundle / "model.onnx").stat().st_mtime_ns == before


def test_safetensors_round_trip(tmp_path):
    from qa.index.query_encoder import read_safetensors, write_safetensors

    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(5, np.float16), "c": np.arange(3)}
    write_safetensors(tmp_path / "w.safetensors", tensors)
    back = read_safetensors(tmp_path / "w.safetensors")
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and (back[k] == v).all()
        assert back[k].ctypes.data % 8 == 0  # aligned: maps straight into numpy


def test_pooling_matches_the_definitions():
    hidden = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    mean = pool(hidden, mask, ("mean",), normalize=False)
    np.testing.assert_allclose(mean, [[1, 2], [8, 9]])
    np.testing.assert_allclose(pool(hidden, mask, ("cls",), False), [[0, 1], [6, 7]])
    np.testing.assert_allclose(pool(hidden, mask, ("max",), False), [[2, 3], [10, 11]])
    both = pool(hidden, mask, ("cls", "mean"), True)
    assert both.shape == (2, 4)
    np.testing.assert_allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-6)


def test_qa_ask_does_not_import_torch_or_the_web_stack(seed_settings, seed_index, repo_root):
    """The cold path: `qa ask` must not import torch, transformers, sentence-transformers, fastapi."""
    probe = (
        "import sys\n"
        "from qa.cli import main\n"
        "try:\n"
        f"    main(['ask', 'How many STPs are there in England?', '--index', {str(seed_settings.index_dir)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "heavy = ['torch', 'transformers', 'sentence_transformers', 'fastapi', 'uvicorn', 'numba']\n"
        "print('HEAVY=' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "QA_QUERY_ENCODER": "auto"}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=repo_root, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "Sources:" in out.stdout
    assert "HEAVY=\n" in out.stdout, out.stdout[-300:]


@pytest.mark.parametrize("kind", ["onnx", "numpy"])
def test_word_piece_vectors_agree_across_encoders(bundle, engine, kind):
    """`qa ask` (numpy), servers (ONNX) and the fallback give the same question word pieces."""
    ref_encoder = SentenceTransformerQueryEncoder(engine.embedder)
    ours_encoder = OnnxQueryEncoder(bundle) if kind == "onnx" else NumpyBertEncoder(bundle)
    for q in QUERIES:
        ours, ref = ours_encoder.encode_tokens(q), ref_encoder.encode_tokens(q)
        assert ours.offsets == ref.offsets and ours.text == ref.text
        assert ours.tokens.shape == ref.tokens.shape and ours.tokens.shape[0] == len(ours.offsets)
        assert _cosines(ours.tokens, ref.tokens).min() >= 0.99
        np.testing.assert_allclose(np.linalg.norm(ours.tokens, axis=1), 1.0, atol=1e-5)
        # the pooled vector is the one `encode` gives: one pass serves retrieval and the answer
        assert _cosines(ours.vector[None], ours_encoder.encode([q]))[0] >= 0.9999
