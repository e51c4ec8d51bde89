from qa.acronyms import canonical, find_acronyms, spelled_out_asked, spells_out
from qa.words import tokenize

TEXT = (
    "An accountable care organisation (ACO) holds one contract. "
    "Accountable care systems (ACSs) are looser."
)


def test_long_forms_are_found_in_order():
    found = find_acronyms([TEXT])
    assert found["aco"] == tuple(tokenize("accountable care organisation"))
    assert found["ac"] == tuple(tokenize("accountable care system"))


def test_the_phrase_and_the_acronym_are_one_term():
    acronyms = find_acronyms([TEXT])
    spelled = canonical(tokenize("How is an accountable care organisation run?"), acronyms)
    short = canonical(tokenize("How is an ACO run?"), acronyms)
    assert "aco" in spelled and "aco" in short
    assert not {"account", "organis"} & spelled  # the words were consumed by the phrase


def test_scattered_words_are_not_the_phrase():
    # Words of the long form spread over the sentence do not make an ACO.
    acronyms = find_acronyms([TEXT])
    terms = canonical(tokenize("Care organisations will become accountable care systems."), acronyms)
    assert "aco" not in terms
    assert "ac" in terms and "organis" in terms


def test_spell_out_questions_name_their_acronym():
    assert spelled_out_asked("What does the abbreviation CCG stand for?") == ["CCG"]
    assert spelled_out_asked("What is BCF short for?") == ["BCF"]
    assert spelled_out_asked("What is a CCG?") == []  # a definition, not a spelling-out


def test_spells_out_finds_the_bracketed_form():
    assert spells_out("the merger of clinical commissioning groups (CCGs), integrating", "CCG")
    assert not spells_out("several CCGs appoint a shared accountable officer", "CCG")
