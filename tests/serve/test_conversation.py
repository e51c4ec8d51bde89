"""The rule-based rewriter that makes follow-up questions self-contained."""

from __future__ import annotations

import pytest

from qa.serve.conversation import content_words, is_follow_up, make_standalone, message_text

FIRST = "What are accountable care systems?"


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in pairs]


def test_follow_up_with_pronoun_gets_the_earlier_topic():
    history = turns(("user", FIRST), ("assistant", "They are partnerships of NHS bodies. [1]"))
    question = make_standalone("and when does it start?", history)
    assert question.startswith("and when does it start?")
    assert "accountable care systems" in question


@pytest.mark.parametrize(
    "question",
    ["and when?", "What about Wales?", "How about their budgets?", "Who leads them?", "why?",
     "Is this funded by NHS England?"],
)
def test_follow_up_markers(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    ["How many STPs will become accountable care organisations?",
     "What did Simon Stevens tell the Public Accounts Committee?"],
)
def test_standalone_questions_are_left_alone(question):
    assert not is_follow_up(question)
    assert make_standalone(question, turns(("user", FIRST))) == question


def test_no_history_means_no_change():
    assert make_standalone("  and when does it start? ") == "and when does it start?"


def test_assistant_turns_are_not_a_topic():
    history = turns(("assistant", "Accountable care systems are partnerships. [1]"))
    assert make_standalone("when does it start?", history) == "when does it start?"


def test_chain_of_follow_ups_keeps_the_first_topic():
    history = turns(("user", FIRST), ("assistant", "..."), ("user", "and who runs them?"), ("assistant", "..."))
    question = make_standalone("why?", history)
    assert "accountable" in question and "care" in question and "systems" in question


def test_words_already_in_the_question_are_not_repeated():
    question = make_standalone("What about accountable care organisations?", turns(("user", FIRST)))
    assert question.lower().count("accountable") == 1
    assert "systems" in question


def test_content_words_drop_question_words_and_keep_order():
    assert content_words("What are the accountable care systems in England?") == [
        "accountable", "care", "systems", "England",
    ]


def test_message_text_accepts_openai_content_parts():
    parts = [{"type": "text", "text": "What are"}, {"type": "image_url"}, {"type": "text", "text": "ACSs?"}]
    assert message_text(parts) == "What are ACSs?"
    assert message_text(None) == ""
