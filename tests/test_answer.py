"""Sentence features of the extractive answerer (qa/answer.py), on hand-made tables."""

from __future__ import annotations

import numpy as np

from qa.answer import ExtractiveAnswerer, PassageRef, Pick, SentenceRecord, _with_list, render

TOMKINSON = "Jane Tomkinson, Chief Executive, Liverpool Heart and Chest NHS Foundation Trust"
SENTENCES = [
    SentenceRecord(0, "d", "body", "Plans were published in December.", 0, 34),
    SentenceRecord(1, "d", "comments", "Is this privatisation through the back door?", 40, 85, author="Joan Heaton"),
    SentenceRecord(2, "d", "body", "The starting point for any collaboration is trust.", 90, 140, author=TOMKINSON),
    SentenceRecord(3, "d", "body", TOMKINSON, 141, 220, byline=True),
]


def _features(question: str):
    answerer = ExtractiveAnswerer()
    vectors = np.eye(4, 2, dtype=np.float32)
    cands = answerer.candidates(
        question, np.array([0.6, 0.8], dtype=np.float32), [PassageRef(0, 0, 1.0, 0.5, (0, 1, 2, 3))],
        sentences=SENTENCES.__getitem__, sentence_vectors=vectors, idf=lambda t: 1.0, unseen_idf=2.0,
    )
    return {rec.sid: feats for rec, _, feats in cands}


def test_comments_yield_to_the_article_unless_asked_about():
    assert _features("Are the plans privatisation?")[1].comment_penalised
    assert not _features("What did readers say about privatisation?")[1].comment_penalised


def test_naming_the_reader_asks_about_their_comment():
    assert not _features("What did Joan Heaton worry the plans might lead to?")[1].comment_penalised


def test_a_quote_attribution_answers_only_who_questions():
    assert 3 in _features("Which trust is Jane Tomkinson the chief executive of?")
    assert 3 not in _features("What is the starting point for any collaboration?")


def test_a_quote_is_matched_by_its_speaker():
    feats = _features("What is the first ingredient, according to the Liverpool heart boss?")
    assert feats[2].lexical > 0 and feats[0].lexical == 0


def test_quotes_and_comments_are_attributed_in_the_answer():
    ref = PassageRef(0, 0, 1.0, 0.5, (0, 1, 2, 3))
    text = render([Pick(SENTENCES[i], ref, 1.0) for i in (0, 1, 2)])
    assert text == (
        "Plans were published in December. [1] "
        "Reader Joan Heaton commented: “Is this privatisation through the back door?” [2] "
        "Jane Tomkinson, Chief Executive, said: “The starting point for any collaboration is trust.” [3]"
    )


def test_a_speaker_quoted_twice_in_a_row_is_named_once_with_their_role():
    ref = PassageRef(0, 0, 1.0, 0.5, (0, 1, 2, 3))
    again = SentenceRecord(4, "d", "body", "Resources would help.", 141, 162, author=TOMKINSON)
    text = render([Pick(SENTENCES[2], ref, 1.0), Pick(again, ref, 0.9)])
    assert text == (
        "Jane Tomkinson, Chief Executive, said: “The starting point for any collaboration is trust.” [1] "
        "Jane Tomkinson added: “Resources would help.” [2]"
    )


LIST = [
    SentenceRecord(0, "d", "body", "Nine areas are likely candidates, including:", 0, 45),
    SentenceRecord(1, "d", "body", "Frimley Health", 50, 64, list_item=True),
    SentenceRecord(2, "d", "body", "Greater Manchester", 69, 87, list_item=True),
    SentenceRecord(3, "d", "body", "West Berkshire", 92, 106, list_item=True),
    SentenceRecord(4, "d", "body", "The plan added more.", 108, 128),
]


def _lead_in(budget: int, sentences=LIST) -> SentenceRecord:
    ref = PassageRef(0, 0, 1.0, 0.5, tuple(range(len(sentences))))
    return _with_list(Pick(sentences[0], ref, 1.0), sentences.__getitem__, budget).sentence


def test_a_lead_in_answers_with_the_list_it_introduces():
    rec = _lead_in(60)
    assert rec.text == "Nine areas are likely candidates, including: Frimley Health; Greater Manchester; West Berkshire"
    assert (rec.start, rec.end) == (0, 106)  # one citation spanning lead-in and items, not the next paragraph


def test_a_list_is_cut_to_the_word_budget():
    assert _lead_in(10).text == "Nine areas are likely candidates, including: Frimley Health; Greater Manchester"


def test_a_list_is_not_joined_across_dropped_text():
    far = [LIST[0], SentenceRecord(1, "d", "body", "Frimley Health", 400, 414, list_item=True)]
    assert _lead_in(60, far) == LIST[0]


def test_a_list_of_paragraphs_gives_its_first_item():
    paras = [LIST[0], SentenceRecord(1, "d", "body", "Trust comes first.", 47, 65),
             SentenceRecord(2, "d", "body", "Money helps.", 66, 78)]
    assert _lead_in(60, paras).text == "Nine areas are likely candidates, including: Trust comes first."


def test_an_item_already_picked_is_not_quoted_again_with_its_lead_in():
    records = [
        SentenceRecord(0, "d", "body", "The plan names the first areas:", 0, 31),
        SentenceRecord(1, "d", "body", "Greater Manchester, with its devolved health and care budget.", 36, 97,
                       list_item=True),
        SentenceRecord(2, "d", "body", "Dorset, where the hospitals have merged.", 102, 142, list_item=True),
    ]
    vectors = np.array([[0.9, 0.1], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    extraction = ExtractiveAnswerer(threshold=0.0).extract(
        "Is Greater Manchester among the first areas?", np.array([1.0, 0.0], dtype=np.float32),
        [PassageRef(0, 0, 1.0, 0.5, (0, 1, 2))],
        sentences=records.__getitem__, sentence_vectors=vectors, idf=lambda t: 1.0, unseen_idf=2.0,
    )
    quoted = [p.sentence.text for p in extraction.picks]
    assert quoted[0].startswith("Greater Manchester")  # the item itself is the best sentence
    assert sum(t.count("Greater Manchester") for t in quoted) == 1, quoted
