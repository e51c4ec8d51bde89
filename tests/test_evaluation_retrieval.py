"""Retrieval changes made while tuning on the eval set and BEIR SciFact (see docs/eval.md)."""

from __future__ import annotations

from qa.retrieve.lexical import LexicalIndex
from qa.words import query_tokens, tokenize


def test_question_words_are_dropped_from_queries_only():
    assert query_tokens("How many STPs are there in England?") == ["stp", "england"]
    assert "how" in tokenize("How many STPs are there in England?")  # passages keep them
    assert query_tokens("What is an ACO?") == ["aco"]


def test_question_words_no_longer_outrank_the_topic():
    passages = [
        "Many boards asked how and when they would be told how many meetings to hold.",
        "The leads of England's 44 STPs will be appointed soon.",
        "Hospital budgets fell again this year.",
    ]
    index = LexicalIndex.build(passages)
    scores = index.scores("How many STPs are there in England?")
    assert scores.argmax() == 1
    assert index.scores("how many?").max() == 0.0  # nothing topical left to match
