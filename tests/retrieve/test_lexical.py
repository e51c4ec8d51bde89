"""BM25 and its tokens (qa/retrieve/lexical.py, qa/words.py): question words, acronym plurals, save and load."""

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


def test_acronym_plurals_meet_their_singular():
    assert tokenize("Two ACOs and one ACO") == ["two", "aco", "one", "aco"]


def test_index_saves_loads_and_finds_phrases(tmp_path):
    index = LexicalIndex.build(["Kestrels hover over the dunes.", "Gulls nest on the cliffs.", ""])
    index.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25")
    assert again.size == 3
    ids, scores = again.search("where do gulls nest", 2)
    assert ids.tolist() == [1] and scores[0] > 0
    assert again.passages_with(tokenize("gulls nest")).tolist() == [1]
    assert again.passages_with(["unseenword"]).tolist() == []
    assert again.idf(tokenize("kestrels")[0]) > 0 and again.idf("unseenword") == 0.0


def test_english_word_list_is_pyspellcheckers():
    # The list is read from the package's data file directly (faster than a SpellChecker);
    # it must be the same list the library itself would give.
    from spellchecker import SpellChecker

    from qa.words import _english_words, is_english_word

    assert _english_words() == frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)
    assert is_english_word("weekend") and not is_english_word("boathose")
