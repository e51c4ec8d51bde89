"""What a question is about (qa/subjects.py): subjects, sources, counted things."""

from __future__ import annotations

import pytest

from qa.acronyms import find_acronyms
from qa.subjects import (
    attributed_sources,
    counted_terms,
    event_terms,
    focus,
    is_attribution,
    subject_names,
    unknown_names,
)

ACRONYMS = find_acronyms(["The Better Care Fund (BCF) and accountable care systems (ACSs)."])
PEOPLE = frozenset({"stevens", "mackey"})


@pytest.mark.parametrize(
    "question, sources",
    [
        ("According to NHS Providers, what does developing an ACO require?", ["NHS Providers"]),
        ("How does the King's Fund define population health?", ["King's Fund"]),
        ("How much funding is there, according to the Stevens and Mackey letter?", ["Stevens", "Mackey"]),
        ("How many first ACSs did Pulse say NHS England had named?", ["Pulse"]),
        ("How many STPs are there in England?", []),
    ],
)
def test_attributed_sources(question, sources):
    assert attributed_sources(question) == sources


def test_subjects_leave_out_sources_and_people():
    q = "How many STPs did Stevens say would become ACSs, according to the NHS Providers briefing?"
    assert subject_names(q, ACRONYMS, PEOPLE) == [frozenset({"stp"}), frozenset({"ac"})]


def test_a_spelled_out_name_and_its_acronym_are_one_subject():
    long = subject_names("What was the total cost of the Better Care Fund?", ACRONYMS)
    short = subject_names("What was the total cost of the BCF?", ACRONYMS)
    assert long == short == [frozenset({"bcf"})]


@pytest.mark.parametrize(
    "question, counted",
    [
        ("How many STP leads came from local authorities?", [{"stp", "lead", "came"}]),
        ("How many people live in the Dorset ACS?", [{"peopl", "live", "popul", "resid", "patient"}]),
        ("What was the deadline?", []),
    ],
)
def test_counted_terms(question, counted):
    assert [set(c) for c in counted_terms(question, ACRONYMS)] == counted


def test_a_number_of_something_else_does_not_answer():
    aim = focus("How many people live in the area covered by the Dorset ACS?", ACRONYMS)
    # The passage lists Dorset, but the sentence's number counts areas.
    near = {"nhs", "england", "identifi", "eight", "area", "lead", "ac"}
    assert not aim.met_by(near, near | {"dorset"})
    assert aim.met_by(near | {"popul"}, near | {"popul", "dorset"})


def test_the_subject_may_be_named_earlier_in_the_passage():
    aim = focus("How many care teams have been set up in the Cumbria ACS?", ACRONYMS)
    near = {"we", "develop", "eight", "care", "team", "ac"}
    assert aim.met_by(near, near | {"cumbria"})
    assert not aim.met_by(near, near)


def test_each_clause_is_answered_on_its_own():
    aim = focus("How many STPs did Stevens say would become ACOs, and how many areas had a procurement?", ACRONYMS)
    assert aim.met_by({"six", "stp", "aco"}, set())
    assert aim.met_by({"two", "area", "procur"}, set())


def test_is_attribution_knows_briefings_and_letters():
    assert is_attribution("NHS Providers", "How many areas are on the list in the NHS Providers briefing?")
    assert not is_attribution("Dorset", "How many people live in Dorset?")


def test_a_name_whose_words_never_meet_is_unknown():
    idf = {"care": 1.0, "qualiti": 2.0, "commiss": 1.5, "better": 1.0, "fund": 1.0}.get
    known = {("better", "care", "fund")}

    def phrase_known(tokens):
        return tuple(tokens) in known

    q = "What rating did the Care Quality Commission give the Better Care Fund?"
    assert unknown_names(q, lambda t: idf(t, 0.0), phrase_known) == ("Care Quality Commission",)
    # A possessive or an acronym ends a name: "England's STPs", "East Cumbria ACS".
    assert unknown_names("How were England's STPs rated?", lambda t: 1.0, lambda tokens: False) == ()


@pytest.mark.parametrize(
    "question, reported_by",
    [
        ("Who replaced Simon Stevens as chief executive?", {"replac", "succeed", "successor"}),
        ("Who has replaced Jim Mackey?", {"replac", "succeed", "successor"}),
        ("When did Jim Mackey become chief executive of NHS Improvement?", {"becom", "becam", "appoint", "join", "name"}),
        ("In what year was Simon Stevens appointed to run NHS England?", {"appoint", "becom", "becam", "join", "name"}),
        ("When did NHS England publish its progress dashboard?", set()),  # not a change of post
        ("Who chaired the committee?", set()),
    ],
)
def test_event_terms(question, reported_by):
    assert set(event_terms(question)) == reported_by


def test_a_change_of_post_must_be_reported():
    aim = focus("When did Jim Mackey become chief executive of NHS Improvement?", ACRONYMS, PEOPLE)
    dated = {"chief", "execut", "nhs", "improv", "wrote", "yesterday"}
    assert not aim.met_by(dated, dated)
    assert aim.met_by(dated | {"appoint"}, dated | {"appoint"})
