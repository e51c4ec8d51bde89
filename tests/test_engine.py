"""Asking and searching over the real seed index with the real bundled model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.errors import InvalidQuestionError

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What is an accountable care system?",
    "What is an ACO?",
    "How many STPs were rated outstanding on the progress dashboard?",
    "What did Joan Heaton ask about privatisation?",
    "Which areas are likely candidates to become the first ACSs?",
    "Who chairs the Public Accounts Committee?",
]


def _source_text(source: str) -> str:
    return (ROOT / source).read_text(encoding="utf-8")


@pytest.mark.parametrize("question", QUESTIONS)
def test_citation_offsets_slice_the_source_file_exactly(engine, question):
    answer = engine.ask(question)
    for c in answer.citations:
        text = _source_text(c.source)
        assert text[c.start : c.end] == c.text
        assert text[c.quote_start : c.quote_end] == c.quote
        assert c.start <= c.quote_start < c.quote_end <= c.end


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_marker_has_a_citation_and_every_citation_is_used(engine, question):
    answer = engine.ask(question)
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert sorted(markers) == [c.n for c in answer.citations]
    if not answer.abstained:
        assert answer.answer.rstrip().endswith("]")  # every sentence ends with its marker
        assert len(answer.answer.split()) <= engine.settings.max_answer_words + 30


def test_definition_answer_comes_from_the_briefing(engine):
    answer = engine.ask("What three characteristics do accountable care organisations have in common?")
    assert not answer.abstained
    assert any("defined population" in c.quote for c in answer.citations)


def test_acronyms_are_found_lexically(engine):
    hits = engine.search("PACS vanguard", k=3).hits
    assert any("pacs" in h.text.lower() for h in hits)  # PACS and PACs are one term


@pytest.mark.parametrize(
    "question, long_form",
    [
        ("What does the abbreviation CCG stand for?", "clinical commissioning groups"),
        ("What does PACS stand for?", "Integrated primary and acute care systems"),
    ],
)
def test_an_acronym_is_spelled_out_from_where_the_documents_define_it(engine, question, long_form):
    hits = engine.search(question).hits
    assert long_form.lower() in " ".join(hits[0].text.split()).lower()  # verbatim text wraps lines
    answer = engine.ask(question)
    assert not answer.abstained and long_form.lower() in answer.answer.lower()


def test_reader_comments_are_labelled_in_citations_and_answer(engine):
    answer = engine.ask("What did reader Joan Heaton ask about privatisation?")
    assert not answer.abstained
    c = answer.citations[0]
    assert c.section == "comments"
    assert "Joan Heaton commented" in answer.answer


def test_a_sentence_introducing_a_list_answers_with_the_list(engine):
    answer = engine.ask("Which areas are likely candidates to become the first ACSs?")
    assert "including: Frimley Health; Greater Manchester;" in answer.answer
    quote = answer.citations[0].quote
    assert quote.startswith("NHS England noted nine STP areas") and "• Greater Manchester" in quote


def test_a_pull_quote_is_answered_in_its_speakers_name(engine):
    answer = engine.ask("Who said that the starting point for any collaboration is trust?")
    assert not answer.abstained
    assert answer.answer.startswith("Jane Tomkinson, Chief Executive, said: “In terms of enablers")
    assert answer.citations[0].quote.startswith("In terms of enablers, the starting point")


def test_off_topic_question_is_refused(engine):
    answer = engine.ask("How do I make a sourdough starter?")
    assert answer.abstained and answer.citations == []
    assert "could not find" in answer.answer


def test_naming_the_publisher_as_the_source_still_gets_an_answer(engine):
    # The seed pages never name their publisher (Pulse); the name only attributes.
    answer = engine.ask("According to Pulse, how soon could some STP areas acquire accountable care system status?")
    assert not answer.abstained
    assert "April" in answer.answer


@pytest.mark.parametrize(
    "question, message",
    [
        ("", "question is empty"),
        ("   \n\t ", "question is empty"),
        ("x" * 10_000, "question is 10000 characters long; the limit is 2000"),
    ],
)
def test_bad_questions_get_clear_errors(engine, question, message):
    with pytest.raises(InvalidQuestionError, match=message):
        engine.ask(question)
    with pytest.raises(InvalidQuestionError, match=message):
        engine.search(question)


@pytest.mark.parametrize("k", [0, -1, 51])
def test_bad_top_k_is_rejected(engine, k):
    with pytest.raises(InvalidQuestionError, match=f"top_k must be between 1 and 50. Currently, top_k is {k}"):
        engine.ask("What is an STP?", top_k=k)


def test_search_returns_ranked_passages_with_offsets(engine):
    result = engine.search("integrated primary and acute care systems", k=5)
    assert [h.rank for h in result.hits] == [1, 2, 3, 4, 5]
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    for h in result.hits:
        assert _source_text(h.source)[h.start : h.end] == h.text


def test_sources_expose_the_document_and_its_kept_segments(engine):
    doc = engine.source("003_56a6725d5cdb8bb7")
    assert doc.text == _source_text(doc.source)
    assert {s.section for s in doc.segments} == {"body", "comments"}
    assert not any("Cookie policy" in doc.text[s.start : s.end] for s in doc.segments)
    with pytest.raises(KeyError):
        engine.source("../../etc/passwd")


def test_pipeline_steps_are_public_and_threshold_is_per_call(engine):
    # Evaluation sweeps the threshold through ask(threshold=) instead of mutating the engine.
    question = "What is an accountable care system?"
    before = engine.threshold
    never = engine.ask(question, threshold=0.0)
    always = engine.ask(question, threshold=1.01)
    assert not never.abstained and always.abstained and not always.citations
    assert engine.threshold == before
    assert never.evidence == always.evidence and 0.0 <= never.evidence <= 1.0
    assert "evidence" not in never.timings_ms  # a probability, not a timing
    found = engine.retrieve(question, 5)
    assert [c.pid for c in found] == [engine.passages.index(p) for p in _hit_passages(engine, question)]
    qvec = engine.encode_query(question)
    again = engine.answer(question, found, qvec)
    assert again.answer == engine.ask(question).answer


def _hit_passages(engine, question):
    hits = engine.search(question, 5).hits
    return [next(p for p in engine.passages if (p.doc_id, p.start, p.end) == (h.doc_id, h.start, h.end)) for h in hits]


ROWING_CLUB = """# The Heron rowing club

The Heron rowing club was founded in 1887 by a group of mill workers. Its boathouse stands on the
east bank of the river, next to the old ferry steps.

## Boats

The club owns 14 boats, including two eights and six single sculls. The oldest boat still in use,
the Kingfisher, was built in 1962.

## Membership

New members must pass a swimming test before they row. Adult membership costs 180 pounds a year.
"""


@pytest.fixture(scope="module")
def rowing_engine(tmp_path_factory, engine):  # `engine`: the model is loaded once per session
    from qa.config import Settings
    from qa.engine import Engine
    from qa.index.build import build_index

    tmp = tmp_path_factory.mktemp("rowing")
    (tmp / "docs").mkdir()
    (tmp / "docs" / "club.md").write_text(ROWING_CLUB, encoding="utf-8")
    settings = Settings(seeds_dir=tmp / "docs", index_dir=tmp / "index")
    build_index(settings, progress=False)
    return Engine.load(settings)


def test_a_misspelt_word_is_read_as_the_corpus_writes_it_everywhere(rowing_engine):
    # Searched, embedded and scored as "boathouse": the same answer and evidence as spelled right.
    typo = rowing_engine.ask("Where is the boathose?")
    right = rowing_engine.ask("Where is the boathouse?")
    assert typo.read_as == {"boathose": "boathouse"} and right.read_as == {}
    assert typo.question == "Where is the boathose?"  # the answer says what was asked
    assert typo.answer == right.answer and not typo.abstained
    assert "east bank" in typo.answer
    assert typo.evidence == pytest.approx(right.evidence, abs=1e-6)
    assert [c.model_dump() for c in typo.citations] == [c.model_dump() for c in right.citations]
