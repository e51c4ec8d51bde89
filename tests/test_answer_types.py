"""What a question asks for, and whether a sentence holds it (qa/answer_types.py)."""

from __future__ import annotations

import pytest

from qa.answer_types import expected_type, find_people, holds, speaker_name, speaker_role
from qa.subjects import is_attribution


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many STPs are there in England?", "number"),
        ("What is the population of Surrey Heartlands?", "number"),
        ("How much are STP leads paid?", "money"),
        ("What was the total cost of the Better Care Fund?", "money"),
        # a rise is a number or a percentage, not an amount of money
        ("How much were demand and cost predicted to rise in 2017/18?", "number"),
        ("In what year was the Better Care Fund set up?", "year"),
        ("When did NHS England publish 'Next steps'?", "date"),
        ("How soon will the new capital framework be published?", "date"),
        ("How long does it take an area to get an ACO off the ground?", "date"),
        # "when" joining two clauses does not ask for a date
        ("How many STPs were led by a provider chief executive when NHS Providers wrote its briefing?", "number"),
        ("Who chaired the committee that questioned Stevens?", "person"),
        ("Which MP pressed Simon Stevens with questions?", "person"),
        ("Who is the Director of Humber Coast and Vale STP?", "person"),
        ("Which company did Stevens work for before 2014?", "company"),
        ("Which sugar company's privatisation did he arrange?", "company"),
        ("What insurer ran GP surgeries?", "company"),
        # naming the person asks what they are (a role), not for someone else
        ("Who is Simon Stevens?", None),
        ("who was Meg Hillier", None),
        ("What is an accountable care organisation?", None),
        ("In the King's Fund definition of population health, what is meant by health equity?", None),
    ],
)
def test_expected_type(question, kind):
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    "kind, question, text, expected",
    [
        ("number", "How many STPs had provider leads?", "there were 19 provider chief executive leads", True),
        ("number", "How many areas?", "NHS England has identified the following eight areas.", True),
        # a list item's number, a date and a number the question already gives are not answers
        ("number", "How many people live in Dorset?", "7 Berkshire West, covering Reading", False),
        ("number", "How many STPs had provider leads?", "Stevens, 10 October 2017", False),
        ("number", "How many of the 44 STPs are advanced?", "England's 44 STPs", False),
        ("money", "How much is the funding?", "funding this year is around £200m", True),
        ("money", "What was the total cost of the BCF?", "the indicators in the BCF mark 1", False),
        ("year", "From what year will ACSs get funding?", "funding from 2018", True),
        ("year", "In what year was the BCF set up?", "the BCF was set up with vague aims", False),
        ("date", "How soon will it be published?", "A new capital framework will be published within two weeks.", True),
        ("date", "How long does it take?", "Setting one up takes years.", True),
        ("date", "When did Jim Mackey start?", "Jim Mackey wrote to STP leaders.", False),
        ("person", "Who will be on the hook for admissions?", "CCGs alone will be held to account.", True),
        # a company is named the way companies name themselves; "NHS England" is not one
        ("company", "Which company did he work for?", "Vice-President of UnitedHealth Group 2004 – 2014;", True),
        ("company", "Which sugar company was privatised?", "the National Sugar Corporation of Guyana", True),
        ("company", "Which company did he work for?", "He was appointed to run NHS England in 2014.", False),
        ("company", "What did UnitedHealth Group do?", "UnitedHealth Group ran GP surgeries.", False),
    ],
)
def test_holds(kind, question, text, expected):
    assert holds(kind, question, text) is expected


def test_a_comment_writer_answers_only_questions_about_what_was_written():
    text = "A former health insurance industry executive was appointed to run NHS England in 2014."
    assert holds("person", "Which reader called Stevens a privatiser?", text, author="Jan Mclachlan") is True
    assert holds("person", "Who replaced Simon Stevens at NHS England?", text, author="Jan Mclachlan") is False


def test_people_come_from_how_the_corpus_writes_names():
    people = find_people([
        "The committee's chair, Meg Hillier, argued that the BCF was set up badly.",
        "in response to a question from Maggie Throup MP",
        "As Chris O’Neill, Director of Humber Coast and Vale STP puts it",
        "Simon Stevens and Jim Mackey have warned",
        "1 Frimley Health including Slough, Surrey Heath and Aldershot",
        "NHS England said it would publish the plan.",
    ], authors=["Joan Heaton"])
    assert {"hillier", "throup", "o’neill", "stevens", "heaton"} <= people
    assert not people & {"heath", "england", "aldershot", "slough"}

    question = "Who is the STP lead for Frimley Health?"
    place = "1 Frimley Health including Slough, Surrey Heath and Aldershot"
    assert holds("person", question, place, people=people) is False
    person = "As Chris O’Neill, Director of Humber Coast and Vale STP puts it"
    assert holds("person", question, person, people=people) is True


@pytest.mark.parametrize(
    "name, question, expected",
    [
        ("Pulse", "According to Pulse, how soon could STP areas become ACSs?", True),
        ("Pulse", "How many first ACSs did Pulse say NHS England had named?", True),
        ("Pulse", "What does an anonymous Pulse commenter think devolved funding is?", True),
        ("Scotland", "How many STPs are there in NHS Scotland?", False),
        ("Welsh", "Who is the health minister in the Welsh Government?", False),
    ],
)
def test_a_name_that_only_says_who_reported_is_an_attribution(name, question, expected):
    assert is_attribution(name, question) is expected


@pytest.mark.parametrize(
    "author, name, role",
    [
        ("Barry Longden", "Barry Longden", "Barry Longden"),
        ("Jane Tomkinson, Chief Executive, Liverpool Heart and Chest NHS Foundation Trust",
         "Jane Tomkinson", "Jane Tomkinson, Chief Executive"),
        ("Rt Hon Jeremy Hunt MP, Secretary of State for Health (10 October 2017, oral evidence)",
         "Rt Hon Jeremy Hunt", "Rt Hon Jeremy Hunt MP, Secretary of State for Health"),
    ],
)
def test_a_quote_attribution_gives_the_person_and_their_role(author, name, role):
    assert speaker_name(author) == name
    assert speaker_role(author) == role


def test_a_quoted_speaker_counts_as_a_person_by_name_not_by_role():
    people = find_people([], ["Jane Tomkinson, Chief Executive, Cheshire and Merseyside STP"])
    assert "tomkinson" in people and "stp" not in people
