"""Acronyms the corpus itself defines (qa/answer/acronyms.py), on made-up text."""

from qa.answer.acronyms import canonical, find_acronyms, spelled_out_asked, spells_out
from qa.words import tokenize

TEXT = (
    "The regional flood authority (RFA) sets one budget. "
    "Regional flood plans (RFPs) are looser."
)


def test_long_forms_are_found_in_order():
    found = find_acronyms([TEXT])
    assert found["rfa"] == tuple(tokenize("regional flood authority"))
    assert found["rfp"] == tuple(tokenize("regional flood plan"))


def test_the_phrase_and_the_acronym_are_one_term():
    acronyms = find_acronyms([TEXT])
    spelled = canonical(tokenize("How is a regional flood authority run?"), acronyms)
    short = canonical(tokenize("How is an RFA run?"), acronyms)
    assert "rfa" in spelled and "rfa" in short
    assert not {"region", "author"} & spelled  # the words were consumed by the phrase


def test_scattered_words_are_not_the_phrase():
    # Words of the long form spread over the sentence do not make an RFA.
    acronyms = find_acronyms([TEXT])
    terms = canonical(tokenize("Flood authorities will adopt regional flood plans."), acronyms)
    assert "rfa" not in terms
    assert "rfp" in terms and "author" in terms


def test_spell_out_questions_name_their_acronym():
    assert spelled_out_asked("What does the abbreviation RFA stand for?") == ["RFA"]
    assert spelled_out_asked("What is ODI short for?") == ["ODI"]
    assert spelled_out_asked("What is an RFA?") == []  # a definition, not a spelling-out


def test_spells_out_finds_the_bracketed_form():
    assert spells_out("the merger of regional flood plans (RFPs), integrating", "RFP")
    assert not spells_out("several RFPs appoint a shared officer", "RFP")
