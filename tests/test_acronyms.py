from qa.acronyms import canonical, find_acronyms
from qa.lexical import tokenize

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
