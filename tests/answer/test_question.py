"""Reading a question: figures that do not depend on the order of a set.

Python seeds string hashing per process, so iterating a set of terms visits them in a
different order from one run to the next; a plain float sum over them then differs in
its last bits, and an answer on a threshold could flip between runs.
"""

from __future__ import annotations

from dataclasses import replace

from qa.answer.features import coverage
from qa.answer.question import read_question, spelling_corrections
from qa.words import american_spelling, british_spellings, stem_words

# Weights whose plain float sum depends on the order they are added in.
IDF = {"alpha": 1e16, "beta": 1.0, "gamma": -9999999999999996.0, "delta": 0.1}


def _question():
    return read_question("alpha beta gamma delta", lambda t: IDF.get(t, 0.0), 5.0, {})


def test_the_total_weight_is_the_exact_sum_whatever_the_order():
    q = _question()
    assert set(q.weight) == set(IDF)
    # Correctly rounded; added left to right, the same four give 4.0 or 6.0 by their order.
    assert q.total == 5.1


def test_coverage_does_not_depend_on_the_order_of_the_weights():
    q = _question()
    forward = replace(q, weight=dict(sorted(q.weight.items())))
    backward = replace(q, weight=dict(sorted(q.weight.items(), reverse=True)))
    terms = frozenset(IDF)
    assert coverage(forward, terms) == coverage(backward, terms) == 1.0


def test_a_question_is_negated_by_not_never_or_nt_but_not_by_without():
    def negated(text: str) -> bool:
        return read_question(text, lambda t: 1.0, 5.0, {}).negated

    assert negated("Which port is not open?") and negated("Why can't I deploy on Fridays?")
    assert negated("Who never signed the treaty?")
    assert not negated("How do I run the tests without Docker?")
    assert not negated("Which port is open?")


def test_a_when_question_is_met_by_a_date_or_a_span_of_time_the_question_does_not_name():
    from qa.answer.features import holds_new

    q = read_question("When is the report due?", lambda t: 1.0, 5.0, {})
    assert q.kind == "date"
    for text in ("The report is due within five working days.", "Send it two weeks ahead.",
                 "It was first filed in 1990.", "Reports are due in March.", "It is due in 3 months."):
        assert holds_new("date", text, q), text
    for text in ("The report is due soon.", "Reports are written by the team.", "In the days of old it was due."):
        assert not holds_new("date", text, q), text


def test_auxiliary_verbs_are_not_what_a_question_is_about():
    # On a small corpus that never writes "have" or "were", they counted as terms the
    # documents lack, at the highest IDF, and pulled the evidence down.
    q = read_question("How many boats does the club have?", lambda t: 0.0 if t == "have" else 1.0, 5.0, {})
    assert q.terms == {"boat", "club"} and q.unseen == 0.0
    q = read_question("Which millers were paid, and could they have sold flour?", lambda t: 1.0, 5.0, {})
    assert q.terms == {"miller", "paid", "sold", "flour"}
    # "may" stays a term: it is also a month
    assert "may" in read_question("What opened in May?", lambda t: 1.0, 5.0, {}).terms


def test_a_word_the_corpus_never_writes_one_edit_from_one_it_does_is_read_as_that_word():
    corpus = {"boathous": 2.0, "heron": 3.0, "member": 1.5, "river": 1.0, "miller": 1.0, "miler": 3.0}
    idf = lambda t: corpus.get(t, 0.0)  # noqa: E731
    q = read_question("Where is the Heorn boathose?", idf, 5.0, {})
    assert q.corrected == (("Heorn", "Heron"), ("boathose", "boathouse"))  # the asked word's case kept
    assert q.terms == {"heron", "boathous"} and q.unseen == 0.0
    assert q.search_text == "Where is the Heron boathouse?" and q.text == "Where is the Heorn boathose?"
    # "memebers": two letters swapped; "rivr": too short to guess (words of 4 letters have many neighbours)
    assert spelling_corrections("How many memebers cross the rivr?", idf) == (("memebers", "members"),)
    # an English word is a word the corpus lacks, not a typo: "rover" stays, though "river" is one edit away
    assert spelling_corrections("Which rovers cross it?", idf) == ()
    # of several words one edit away ("miler", "miller"), the most frequent
    assert spelling_corrections("Which mileer?", idf) == (("mileer", "miller"),)
    # a question without an English function word is left as asked: the list cannot tell its typos
    assert spelling_corrections("Quand les memebers traversent-ils la rivière?", idf) == ()
    assert spelling_corrections("Where is Heorn boathose?", idf) == (("Heorn", "Heron"), ("boathose", "boathouse"))
    assert spelling_corrections("boathose location", idf) == (("boathose", "boathouse"),)  # keywords
    # a misspelling that stems as the right word does ("windmil", "windmill") needs nothing
    assert spelling_corrections("Which windmil?", lambda t: 1.0 if t == "windmil" else 0.0) == ()


def test_a_british_spelling_is_no_typo():
    # The English list is American-leaning: "colour", "centre", "defence" are not in it.
    def idf_of(*words):  # a corpus that writes these words
        stems = set(stem_words(list(words)))
        return lambda t: 1.0 if t in stems else 0.0

    # read as the corpus's American spelling when the corpus writes it ...
    assert spelling_corrections("What colour is the boat?", idf_of("color", "boat")) == (("colour", "color"),)
    assert spelling_corrections("Which organisation pays?", idf_of("organization")) == (("organisation", "organization"),)
    assert spelling_corrections("Where is the Centre?", idf_of("center")) == (("Centre", "Center"),)
    # the other way round too: an American spelling over a corpus written the British way
    assert spelling_corrections("Which organization pays?", idf_of("organisation")) == (
        ("organization", "organisation"),)
    assert spelling_corrections("What color is the boat?", idf_of("colour", "boat")) == (("color", "colour"),)
    assert spelling_corrections("What color is the boat?", idf_of("boat")) == ()  # an English word it lacks
    # "registre" is no word, though it stems as "registration" does
    assert spelling_corrections("How do I register?", idf_of("registration")) == ()
    # ... and never as another word one edit away ("defende", which stems as "defended" does)
    assert spelling_corrections("Who leads the defence?", idf_of("defended", "team")) == ()
    q = read_question("Who leads the defence?", idf_of("defended", "team"), 5.0, {})
    assert q.corrected == () and "defenc" in q.unseen_terms  # a word the documents lack


def test_a_typo_of_a_long_word_whose_stem_is_short_is_read_as_that_word():
    # "information" stems to "inform": an English variant may stem short, a made-up one may not
    stems = set(stem_words(["information", "desk", "add"]))
    idf = lambda t: 1.0 if t in stems else 0.0  # noqa: E731
    assert spelling_corrections("Where is the informaton desk?", idf) == (("informaton", "information"),)
    # "addnesz" is one edit from "addness", no English word, which stems to "add": too little of it
    assert spelling_corrections("Where is the addnesz desk?", idf) == ()


def test_american_spellings_of_british_ones():
    pairs = {"colour": "color", "centres": "centers", "organisation": "organization", "analyse": "analyze",
             "defence": "defense", "programme": "program", "paediatric": "pediatric", "realised": "realized"}
    assert {w: american_spelling(w) for w in pairs} == pairs
    # a word in the list, a typo and a word no rewrite makes English have none
    assert [american_spelling(w) for w in ("color", "four", "boathose", "tikets")] == [None] * 4
    assert {w: british_spellings(w) for w in ("color", "center", "analyze", "four")} == {
        "color": ["colour"], "center": ["centre"], "analyze": ["analyse"], "four": []}
