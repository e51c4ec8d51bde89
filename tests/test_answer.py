"""Sentence features of the extractive answerer (qa/answer.py), on hand-made tables."""

from __future__ import annotations

import numpy as np

from qa.answer import ExtractiveAnswerer, PassageRef, SentenceRecord

SENTENCES = [
    SentenceRecord(0, "d", "body", "Plans were published in December.", 0, 34),
    SentenceRecord(1, "d", "comments", "Is this privatisation through the back door?", 40, 85, author="Joan Heaton"),
]


def _features(question: str):
    answerer = ExtractiveAnswerer()
    vectors = np.eye(2, dtype=np.float32)
    cands = answerer.candidates(
        question, np.array([0.6, 0.8], dtype=np.float32), [PassageRef(0, 0, 1.0, 0.5, (0, 1))],
        sentences=SENTENCES.__getitem__, sentence_vectors=vectors, idf=lambda t: 1.0, unseen_idf=2.0,
    )
    return {rec.sid: feats for rec, _, feats in cands}


def test_comments_yield_to_the_article_unless_asked_about():
    assert _features("Are the plans privatisation?")[1].comment_penalised
    assert not _features("What did readers say about privatisation?")[1].comment_penalised


def test_naming_the_reader_asks_about_their_comment():
    assert not _features("What did Joan Heaton worry the plans might lead to?")[1].comment_penalised
