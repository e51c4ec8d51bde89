"""Sentence splitting (qa/ingest/sentences.py): abbreviations, initials and run-on lists."""

from __future__ import annotations

from qa.ingest.sentences import LONG_SENTENCE_WORDS, split_sentences


def _split(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    assert _split("Mr Stevens met Dr J. Smith. They agreed.") == ["Mr Stevens met Dr J. Smith.", "They agreed."]


def test_a_run_on_list_is_cut_at_its_semicolons():
    items = [f"item {i} " + "word " * 12 for i in range(6)]
    text = "Career highlights: " + "; ".join(s.strip() for s in items) + "."
    assert len(text.split()) > LONG_SENTENCE_WORDS
    parts = _split(text)
    assert len(parts) == 6
    assert parts[0].startswith("Career highlights: item 0") and parts[0].endswith(";")
    assert parts[-1].startswith("item 5") and parts[-1].endswith(".")


def test_an_ordinary_sentence_keeps_its_semicolon():
    text = "Some areas are ready; others need more time."
    assert _split(text) == [text]


def test_a_footnote_number_after_an_acronyms_full_stop_ends_the_sentence():
    text = "The council may form an ABC.22 In addition, it sets a budget."
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == ["The council may form an ABC.", "In addition, it sets a budget."]


def test_a_one_or_two_word_label_stays_with_the_sentence_it_introduces():
    # a Markdown item's bold lead-in ("**Ultracentrifuge.** ...") arrives as a "sentence" of its own
    assert _split("Ultracentrifuge. The longest slot is 4 hours. Book it online.") == [
        "Ultracentrifuge. The longest slot is 4 hours.", "Book it online."]
    assert _split("Step 3. Rinse the filter. Yes. It can go in the dishwasher.") == [
        "Step 3. Rinse the filter.", "Yes. It can go in the dishwasher."]
    assert _split("It works. Nothing else is needed here.") == ["It works. Nothing else is needed here."]
    assert _split("Done.") == ["Done."]  # nothing follows: it stays a sentence


def test_a_phone_extension_does_not_end_the_sentence():
    assert _split("Out of hours, call security on ext. 2222 at once. Then tell the lab.") == [
        "Out of hours, call security on ext. 2222 at once.", "Then tell the lab."]
