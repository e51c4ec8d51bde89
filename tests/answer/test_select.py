"""The learned answerer (qa/answer/select.py, qa/answer/features.py, qa/answer/scorer.py), on made-up text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.answer.features import FEATURES, holds_new
from qa.answer.question import question_kind, read_question
from qa.answer.render import render
from qa.answer.scorer import MODEL_PATH, AnswererModel, LogisticModel, load_scorer
from qa.answer.select import (
    ExtractiveAnswerer,
    PassageRef,
    Pick,
    _with_list,
)
from qa.index.schema import SentenceRecord
from qa.words import numbers_in, tokenize

SPEAKER = "Jane Doe, Chief Executive, Acme Health Trust"
SENTENCES = [
    SentenceRecord(0, "d", "body", "Plans were published in December.", 0, 34),
    SentenceRecord(1, "d", "comments", "Is this privatisation through the back door?", 40, 85, author="Sam Roe"),
    SentenceRecord(2, "d", "body", "The starting point for any collaboration is trust.", 90, 140, author=SPEAKER),
    SentenceRecord(3, "d", "body", SPEAKER, 141, 220, byline=True),
]
WINDMILL = [
    SentenceRecord(0, "w", "body", "The old windmill was built in 1820.", 0, 35),
    SentenceRecord(1, "w", "body", "The windmill is painted white and stands on a hill.", 36, 87),
    SentenceRecord(2, "w", "body", "Visitors can climb to the top on weekends.", 88, 130),
]
IDF = {tokenize(w)[0]: v for w, v in {"windmill": 1.0, "built": 2.0, "old": 2.0, "painted": 2.0, "white": 2.0,
                                       "plans": 1.0, "privatisation": 2.0}.items()}


def _scored(question: str, records=SENTENCES, qvec=(0.6, 0.8)):
    vectors = np.eye(len(records), 2, dtype=np.float32)
    answerer = ExtractiveAnswerer(threshold=0.0)
    scored = answerer.score(
        question, np.array(qvec, dtype=np.float32), [PassageRef(0, 0, 1.0, 0.5, tuple(range(len(records))))],
        sentences=records.__getitem__, sentence_vectors=vectors, idf=lambda t: IDF.get(t, 0.0), unseen_idf=3.0,
    )
    return {rec.sid: dict(zip(FEATURES, row, strict=True)) for rec, row in zip(scored.records, scored.matrix,
                                                                              strict=True)}, scored


@pytest.mark.parametrize(("question", "kind"), [
    ("When was the windmill built?", "date"), ("In what year did the mill open?", "date"),
    ("How many sails does it have?", "number"), ("Who built the windmill?", "person"),
    ("Where does the windmill stand?", "place"), ("Why is it white?", None),
    ("What is the miller's email address?", "email"), ("What's the phone number for the mill shop?", "phone"),
    ("What are the opening hours of the windmill?", "time"), ("When does the mill shop close on Sundays?", "time"),
    ("How much is a guided tour?", "money"), ("What does a school visit cost?", "money"),
    ("How much did visitor numbers rise last year?", "number"),  # a change, not a price
    ("How much flour does it grind a day?", "number"), ("What is the error rate of the sensor?", None),
])
def test_the_kind_of_answer_asked_for_is_read_from_the_wh_word(question, kind):
    assert question_kind(question) == kind


@pytest.mark.parametrize(("kind", "holds", "lacks"), [
    ("email", "Write to tours@mill.example for bookings.", "Email the miller with questions."),
    ("phone", "Call 01632 960 123 to book.", "Phone the shop to book."),
    ("phone", "The tour desk is on ext. 4101.", "The tour desk is by the door."),
    ("time", "The shop opens at 9:30 and shuts at 5pm.", "The shop sells flour and postcards."),
    ("time", "It is closed on Mondays.", "It is run by volunteers."),
    ("money", "A guided tour costs £6 for adults.", "Guided tours take six visitors at a time."),
    ("money", "Children under five go free.", "Children must be supervised."),
    # "where" in documentation: a file path or a web address is a place; a fraction or "and/or" is not
    ("place", "The settings file lives at `~/.config/mill/settings.toml`.", "Roughly 3/4 of the flour is sold and/or baked."),
    ("place", "Logs are written to C:\\ProgramData\\Mill\\logs.", "The logs are rotated weekly."),
    ("place", "The manual is at https://mill.example/manual.", "The manual is short and clear."),
    # "how many": a count, not the year that dates the text ("December 2017", "in 1998", "(2004)")
    ("number", "In July 2017 the guild had 20 members.", "The guild's report (December 2017) lists its members."),
    ("number", "About 2000 visitors came in 1998.", "Visitors have come since 1998."),
    ("number", "Twelve millers worked there by 1850.", "The mill (1820) was rebuilt in May 1851."),
])
def test_a_finer_kind_is_held_only_by_what_it_asks_for(kind, holds, lacks):
    q = read_question("What is it?", lambda t: 1.0, 3.0, {})
    assert holds_new(kind, holds, q) and not holds_new(kind, lacks, q)


def test_a_finer_kind_is_its_own_feature():
    feats, _ = _scored("What is the miller's email address?", WINDMILL)
    assert all(f["typed"] == 1 and f["typed_fine"] == 1 and f["type_ok_fine"] == 0 for f in feats.values())
    feats, _ = _scored("When was the windmill built?", WINDMILL)
    assert feats[0]["type_ok"] == 1 and feats[0]["typed_fine"] == 0 and feats[0]["type_ok_fine"] == 0


def test_a_sentence_holding_a_new_date_agrees_with_a_when_question():
    feats, _ = _scored("When was the windmill built?", WINDMILL)
    assert feats[0]["typed"] == 1 and feats[0]["type_ok"] == 1
    assert feats[1]["type_ok"] == 0


def test_a_date_the_question_already_names_is_not_an_answer():
    feats, _ = _scored("What happened to the windmill in 1820?", WINDMILL)
    assert feats[0]["typed"] == 0
    feats, _ = _scored("When, after 1820, was the windmill built?", WINDMILL)
    assert feats[0]["type_ok"] == 0


def test_the_windmill_question_is_answered_with_the_sentence_holding_the_year():
    _, scored = _scored("When was the windmill built?", WINDMILL, qvec=(0.7, 0.7))
    best = int(np.argmax(scored.probability))
    assert scored.records[best].text == "The old windmill was built in 1820."


def test_question_terms_the_corpus_never_contains_are_counted():
    q = read_question("Was the windmill built by Zorblax?", lambda t: IDF.get(t, 0.0), 3.0, {})
    assert q.unseen_terms == ("zorblax",) and 0 < q.unseen < 1


def test_comments_are_marked_unless_asked_about():
    assert _scored("Are the plans privatisation?")[0][1]["comment"] == 1
    assert _scored("What did readers say about privatisation?")[0][1]["comment"] == 0


def test_a_quote_attribution_answers_only_who_questions():
    assert 3 in _scored("Who runs the Acme Health Trust?")[0]
    assert 3 not in _scored("What is the starting point for any collaboration?")[0]


def test_a_quote_is_matched_by_its_speaker():
    feats, _ = _scored("What did the Acme boss say about privatisation?")
    assert feats[2]["matched_idf"] >= 0 and feats[0]["lex"] == 0


def test_the_model_file_matches_the_features_and_says_how_it_was_made():
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert raw["sentence"]["features"] == list(FEATURES)
    assert raw["command"].startswith("python scripts/train_answerer.py") and "squad2" in raw["data"]
    assert 0.0 < load_scorer().threshold < 1.0


def test_a_model_fitted_on_other_features_is_refused_with_the_command_to_retrain():
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    raw["sentence"]["features"] = raw["sentence"]["features"][:-1]
    with pytest.raises(ValueError, match="train_answerer"):
        AnswererModel.from_dict(raw)


def test_probabilities_follow_the_weights():
    n = len(FEATURES)
    coef = np.zeros(n)
    coef[FEATURES.index("cos")] = 2.0
    scorer = LogisticModel(FEATURES, np.zeros(n), np.ones(n), coef, 0.0)
    low, high = np.zeros((1, n)), np.zeros((1, n))
    high[0, FEATURES.index("cos")] = 1.0
    assert scorer.probabilities(low)[0] == pytest.approx(0.5)
    assert scorer.probabilities(high)[0] > 0.85


def test_below_the_threshold_the_answerer_refuses():
    vectors = np.eye(3, 2, dtype=np.float32)
    extraction = ExtractiveAnswerer(threshold=1.0).extract(
        "When was the windmill built?", np.array([0.7, 0.7], dtype=np.float32),
        [PassageRef(0, 0, 1.0, 0.5, (0, 1, 2))], sentences=WINDMILL.__getitem__, sentence_vectors=vectors,
        idf=lambda t: IDF.get(t, 0.0), unseen_idf=3.0,
    )
    assert extraction.abstained and extraction.picks == [] and 0 < extraction.evidence < 1


def test_the_evidence_is_the_answerability_model_read_from_the_best_candidates():
    _, scored = _scored("When was the old windmill built?", WINDMILL, qvec=(0.7, 0.7))
    model = load_scorer()
    assert scored.evidence == pytest.approx(model.answerable(scored.question_row))
    _, unseen = _scored("When was the Zorblax windmill built?", WINDMILL, qvec=(0.7, 0.7))
    assert unseen.evidence < scored.evidence  # a term the corpus never contains lowers it


def test_quotes_and_comments_are_attributed_in_the_answer():
    ref = PassageRef(0, 0, 1.0, 0.5, (0, 1, 2, 3))
    text = render([Pick(SENTENCES[i], ref, 1.0) for i in (0, 1, 2)])
    assert text == (
        "Plans were published in December. [1] "
        "Reader Sam Roe commented: “Is this privatisation through the back door?” [2] "
        "Jane Doe, Chief Executive, said: “The starting point for any collaboration is trust.” [3]"
    )


def test_a_speaker_quoted_twice_in_a_row_is_named_once_with_their_role():
    ref = PassageRef(0, 0, 1.0, 0.5, (0, 1, 2, 3))
    again = SentenceRecord(4, "d", "body", "Resources would help.", 141, 162, author=SPEAKER)
    text = render([Pick(SENTENCES[2], ref, 1.0), Pick(again, ref, 0.9)])
    assert text == (
        "Jane Doe, Chief Executive, said: “The starting point for any collaboration is trust.” [1] "
        "Jane Doe added: “Resources would help.” [2]"
    )


LIST = [
    SentenceRecord(0, "d", "body", "Nine areas are likely candidates, including:", 0, 45),
    SentenceRecord(1, "d", "body", "North Field", 50, 64, list_item=True),
    SentenceRecord(2, "d", "body", "Lake Town", 69, 87, list_item=True),
    SentenceRecord(3, "d", "body", "Hill Park", 92, 106, list_item=True),
    SentenceRecord(4, "d", "body", "The plan added more.", 108, 128),
]


def _lead_in(budget: int, sentences=LIST) -> SentenceRecord:
    ref = PassageRef(0, 0, 1.0, 0.5, tuple(range(len(sentences))))
    return _with_list(Pick(sentences[0], ref, 1.0), sentences.__getitem__, budget).sentence


def test_a_lead_in_answers_with_the_list_it_introduces():
    rec = _lead_in(60)
    assert rec.text == "Nine areas are likely candidates, including: North Field; Lake Town; Hill Park"
    assert (rec.start, rec.end) == (0, 106)  # one citation spanning lead-in and items, not the next paragraph


def test_a_list_is_cut_to_the_word_budget():
    assert _lead_in(10).text == "Nine areas are likely candidates, including: North Field; Lake Town"


def test_a_list_is_not_joined_across_dropped_text():
    far = [LIST[0], SentenceRecord(1, "d", "body", "North Field", 400, 414, list_item=True)]
    assert _lead_in(60, far) == LIST[0]


def test_a_list_of_paragraphs_gives_its_first_item():
    paras = [LIST[0], SentenceRecord(1, "d", "body", "Trust comes first.", 47, 65),
             SentenceRecord(2, "d", "body", "Money helps.", 66, 78)]
    assert _lead_in(60, paras).text == "Nine areas are likely candidates, including: Trust comes first."


def test_an_item_already_picked_is_not_quoted_again_with_its_lead_in():
    records = [
        SentenceRecord(0, "d", "body", "The plan names the first areas:", 0, 31),
        SentenceRecord(1, "d", "body", "Lake Town, with its devolved health and care budget.", 36, 97,
                       list_item=True),
        SentenceRecord(2, "d", "body", "River Bend, where the hospitals have merged.", 102, 142, list_item=True),
    ]
    vectors = np.array([[0.9, 0.1], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    extraction = ExtractiveAnswerer(threshold=0.0).extract(
        "Is Lake Town among the first areas?", np.array([1.0, 0.0], dtype=np.float32),
        [PassageRef(0, 0, 1.0, 0.5, (0, 1, 2))],
        sentences=records.__getitem__, sentence_vectors=vectors, idf=lambda t: 1.0, unseen_idf=2.0,
    )
    quoted = [p.sentence.text for p in extraction.picks]
    assert quoted[0].startswith("Lake Town")  # the item itself is the best sentence
    assert sum(t.count("Lake Town") for t in quoted) == 1, quoted


def test_a_table_row_is_read_with_its_header_row():
    rows = [SentenceRecord(0, "t", "body", "Service | Prod port | Staging port", 0, 34, heading=True)]
    rows += [SentenceRecord(i, "t", "body", f"{name} | {7000 + i} | {17000 + i}", 40 * i, 40 * i + 20)
             for i, name in enumerate(["api", "web", "queue", "billing"], start=1)]
    rows.append(SentenceRecord(5, "t", "body", "Ports below 1024 need root.", 300, 327))
    _, scored = _scored("What port is billing on in staging?", rows, qvec=(0.5, 0.5))
    # the header is three rows above "billing", out of the neighbours' reach: only the table brings it
    window = {rec.sid: row[FEATURES.index("lex_window")] for rec, row in zip(scored.records, scored.matrix,
                                                                              strict=True)}
    assert window[4] == pytest.approx(1.0)  # billing, port, staging: the row and its header hold them all
    assert window[5] < window[4]  # prose after the table has no header


def test_table_context_stops_at_the_table_edge():
    from qa.answer.select import _table_context

    recs = [SentenceRecord(0, "t", "body", "Size | Price", 0, 12, heading=True),
            SentenceRecord(1, "t", "body", "small | 4", 13, 22), SentenceRecord(2, "t", "body", "Prose here.", 23, 34),
            SentenceRecord(3, "t", "body", "large | 9", 35, 44), SentenceRecord(4, "u", "body", "x | y", 0, 5)]
    assert _table_context(recs[1], recs.__getitem__) == [0]
    assert _table_context(recs[3], recs.__getitem__) == []  # prose between: not the same table
    assert _table_context(recs[4], recs.__getitem__) == []  # another document
    assert _table_context(recs[2], recs.__getitem__) == []  # not a row


def test_table_context_holds_a_rows_group_label():
    from qa.answer.select import _table_context

    recs = [SentenceRecord(0, "t", "body", "Term time | Vacation", 0, 20, heading=True),
            SentenceRecord(1, "t", "body", "North Library", 21, 34, heading=True),
            SentenceRecord(2, "t", "body", "Saturday | 09:00 - 22:00 | Closed", 35, 60),
            SentenceRecord(3, "t", "body", "East Annex", 61, 71, heading=True),
            SentenceRecord(4, "t", "body", "Monday | 08:30 - 20:00 | 09:00 - 17:00", 72, 100),
            SentenceRecord(5, "t", "body", "Saturday | 10:00 - 17:00 | Closed", 101, 130)]
    assert _table_context(recs[2], recs.__getitem__) == [1, 0]
    assert _table_context(recs[5], recs.__getitem__) == [3, 0]  # its own group's label, not the one above


def test_a_number_the_text_does_not_give_counts_against_a_sentence():
    feats, _ = _scored("Why was the windmill built in 1820?", WINDMILL)
    assert feats[0]["num_window"] == 1.0  # the sentence gives 1820
    feats, _ = _scored("Why was the windmill built in 1850?", WINDMILL)
    assert all(f["num_window"] == 0.0 for f in feats.values())  # a false premise: 1850 is nowhere
    feats, _ = _scored("Why is the windmill white?", WINDMILL)
    assert all(f["num_window"] == 1.0 for f in feats.values())  # no number asked about: nothing to miss


def test_a_number_is_matched_as_written_not_digit_by_digit():
    """"3.0" is one value: "version 2.0" does not hold it by its "0"; "3.0.0", "£2,000.00" are 3 and 2000."""
    releases = [SentenceRecord(0, "r", "body", "Version 2.0 was released in 2023.", 0, 33),
                SentenceRecord(1, "r", "body", "The release notes are on the wiki.", 34, 68)]
    feats, _ = _scored("When was version 3.0 released?", releases)
    assert all(f["num_window"] == 0.0 for f in feats.values())
    feats, _ = _scored("When was version 2 released?", releases)
    assert feats[0]["num_window"] == 1.0
    assert numbers_in("v3.0.0 costs £2,000.00 at 9:30 in room B2.14, 3rd floor") == {
        "v3", "2000", "9:30", "b2.14", "3rd"}


def test_the_evidence_reads_how_literally_the_best_sentence_repeats_the_question():
    from qa.answer.features import QUESTION_FEATURES

    feats, scored = _scored("When was the windmill built?", WINDMILL)
    row = dict(zip(QUESTION_FEATURES, scored.question_row, strict=True))
    best = int(np.argmax(scored.probability))
    assert row["exact"] == scored.matrix[best, FEATURES.index("exact")] > 0
    assert row["bigram"] == scored.matrix[best, FEATURES.index("bigram")]
    # a question none of whose words any sentence holds as written repeats nothing
    _, unmatched = _scored("Which colour are its sails?", WINDMILL)
    assert dict(zip(QUESTION_FEATURES, unmatched.question_row, strict=True))["exact"] == 0.0
