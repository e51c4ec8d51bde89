"""Sentence word-piece vectors: int8 storage, the index files, the PostgreSQL bytes, and what an old index says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.errors import IndexMismatchError
from qa.index.tokens import FILES, SentenceTokens


def best_matches(query: np.ndarray, sentence: np.ndarray) -> np.ndarray:
    """The reference: each question piece's best cosine with one sentence's pieces, plainly."""
    if not len(query) or not len(sentence):
        return np.zeros(len(query), dtype=np.float32)
    return (query @ sentence.T).max(axis=1)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_sign_bits_come_back_as_unit_rows_with_the_original_signs():
    rng = np.random.default_rng(0)
    pieces = [rng.normal(size=(n, 384)).astype(np.float32) for n in (3, 0, 7)]
    stored = SentenceTokens.quantize(pieces, 384)
    assert stored.bits.dtype == np.uint8 and stored.bits.shape == (10, 48)  # one bit a dimension
    assert list(stored.counts) == [3, 0, 7] and len(stored) == 3
    assert stored.of(1).shape == (0, 384)
    for sid, original in enumerate(pieces):
        back = stored.of(sid)
        assert back.shape == original.shape
        np.testing.assert_array_equal(np.sign(back), np.where(original > 0, 1.0, -1.0))
        np.testing.assert_allclose(np.linalg.norm(back, axis=1), 1.0, atol=1e-5)
        if len(original):  # a unit vector and its signs: cosine about 0.8 for Gaussian components
            assert (np.sum(back * _unit(original), axis=1) > 0.7).all()


def test_dimensions_that_are_not_a_multiple_of_eight():
    stored = SentenceTokens.quantize([np.array([[1.0, -1.0, 2.0, -3.0, 0.5, 1.0, -1.0, 1.0, -2.0, 3.0]])], 10)
    assert stored.bits.shape == (1, 2)
    np.testing.assert_array_equal(np.sign(stored.of(0)[0]), [1, -1, 1, -1, 1, 1, -1, 1, -1, 1])


def test_files_and_bytes_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    stored = SentenceTokens.quantize([rng.normal(size=(n, 16)) for n in (2, 5)], 16)
    stored.save(tmp_path)
    loaded = SentenceTokens.load(tmp_path, 16)
    np.testing.assert_array_equal(loaded.of(1), stored.of(1))
    again = SentenceTokens.from_bytes(*stored.to_bytes(), dim=16)
    np.testing.assert_array_equal(again.of(0), stored.of(0))
    joined = SentenceTokens.concat([stored, again], 16)
    assert len(joined) == 4
    np.testing.assert_array_equal(joined.of(3), stored.of(1))


def test_files_that_disagree_are_refused(tmp_path):
    stored = SentenceTokens.quantize([np.ones((2, 16)), np.ones((3, 16))], 16)
    stored.save(tmp_path)
    np.save(tmp_path / FILES[1], np.array([2, 2], dtype=np.int32))  # counts no longer add up
    with pytest.raises(ValueError, match="word pieces"):
        SentenceTokens.load(tmp_path, 16)
    stored.save(tmp_path)
    with pytest.raises(ValueError, match="bytes expected for 384 dimensions"):
        SentenceTokens.load(tmp_path, 384)  # written for another model


def test_best_matches_takes_each_question_piece_s_nearest_sentence_piece():
    # sentence 0: pieces with signs (+, +) and (-, +); sentence 1: none
    stored = SentenceTokens.quantize([np.array([[2.0, 1.0], [-1.0, 3.0]]), np.zeros((0, 2))], 2)
    q = np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    half = 1 / np.sqrt(2)
    np.testing.assert_allclose(stored.best_matches(q, [0, 1]), [[half, half], [0.0, 0.0]], rtol=1e-6)
    assert stored.best_matches(q[:0], [0]).shape == (1, 0)


def test_a_question_s_candidates_are_matched_in_one_go_as_one_by_one():
    rng = np.random.default_rng(2)
    stored = SentenceTokens.quantize([rng.normal(size=(n, 16)) for n in (4, 0, 1, 6)], 16)
    query = _unit(rng.normal(size=(3, 16))).astype(np.float32)
    sids = [3, 1, 0, 2, 3]
    batched = stored.best_matches(query, sids)
    one_by_one = np.array([best_matches(query, stored.of(s)) for s in sids])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5, atol=1e-6)
    assert stored.best_matches(query, []).shape == (0, 3)


def test_the_index_keeps_every_sentence_s_word_pieces(engine):
    from qa.index.tokens import FORMAT

    assert engine.manifest.sentence_tokens == FORMAT
    assert len(engine.sentence_tokens) == len(engine.sentences)
    # pieces per sentence: at least one for a sentence with a word, never more than the model reads
    counts = np.asarray(engine.sentence_tokens.counts)
    assert counts.min() >= 1 and counts.max() <= 256


def test_an_index_from_before_word_pieces_asks_to_be_rebuilt(seed_settings, seed_index, tmp_path):
    import shutil

    from qa.engine import Engine
    from qa.index.store import IndexStore

    copy = tmp_path / "index"
    shutil.copytree(seed_settings.index_dir, copy)
    gen = IndexStore(copy).current()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest.pop("sentence_tokens")
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="qa index --rebuild"):
        Engine.load(seed_settings.model_copy(update={"index_dir": copy}))
