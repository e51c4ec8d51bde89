"""Hybrid fusion details (qa/retrieve/fusion.py); end-to-end ranking is covered in test_engine and qa eval."""

from __future__ import annotations

import numpy as np
import pytest

from qa.retrieve.fusion import HybridRetriever, SentenceVectors


def test_best_sentence_is_the_highest_cosine_per_passage_in_pool_order():
    vectors = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    sv = SentenceVectors(vectors, passage_sentences=[(0, 1), (2,), ()])
    query = np.array([0, 1], dtype=np.float32)
    best = sv.best(np.array([2, 0, 1]), query)
    assert best.tolist() == pytest.approx([0.0, 1.0, 0.8])


def test_sentence_weight_out_of_range_quotes_the_value():
    with pytest.raises(ValueError, match="Currently, sentence_weight is 1.5"):
        HybridRetriever(None, np.zeros((0, 2)), None, sentences=None, sentence_weight=1.5)
