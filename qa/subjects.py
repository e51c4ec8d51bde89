"""What a question is about, as opposed to what it asks for.

"How many people live in the Dorset ACS?" asks for a number (qa/answer_types.py)
about Dorset, counting people.  A sentence with a number is not an answer unless
it is about the same place or body and counts the same thing: "NHS England has
identified the following eight areas" holds a number but counts areas, and a
sentence about new care models funding holds an amount but is not about the
Better Care Fund.  These rules let a typed question be refused when the
documents hold its kind of answer only for other subjects.

Names of who reported the answer ("according to Pulse", "the NHS Providers
briefing") and of people (the answering sentence often says "he") are not
subjects: the answer need not repeat them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.acronyms import canonical
from qa.words import tokenize

# Capitalised words after the first: names of places, people, organisations.
_CAPITALISED = re.compile(r"(?<=\s)[A-Z][\w’'&-]*")
# A run of them, with "and"/"of"/"&" inside: "Sustainability and Transformation Fund".
_NAME_RUN = re.compile(r"(?<=\s)[A-Z][\w’'&-]*(?:\s+(?:and\s+|of\s+|&\s+)?[A-Z][\w’'&-]*)*")
_POSSESSIVE = re.compile(r"(’s|'s|’|')$")

# A name in these roles is who reported something, not what is asked about:
# "according to Pulse", "what did Pulse say", "a Pulse commenter", "the NHS Providers briefing".
_REPORTING = (
    r"say|says|said|list|lists|listed|call|calls|called|report|reports|reported|write|writes|wrote|"
    r"note|notes|noted|claim|claims|claimed|describe|describes|described|name|names|named|quote|quoted|"
    r"define|defines|defined"
)
_SOURCE_NOUNS = (
    r"commenter|commentator|reader|readers|article|report|story|reporter|piece|journalist|editor|"
    r"briefing|analysis|letter|document|passage|definition|dashboard"
)
_SOURCE_NAME = r"[A-Z][\w’'-]*(?:\s+(?:and\s+)?[A-Z][\w’'-]*)*"
_SOURCE_PATTERNS = (
    re.compile(rf"\b(?i:according to) (?:the )?(?:reader |commenter )?({_SOURCE_NAME})"),
    re.compile(rf"\b(?i:how|what) (?:does|did|do) (?:the )?(?:reader |commenter )?({_SOURCE_NAME})"),
    re.compile(rf"\bdid (?:the )?({_SOURCE_NAME}) (?:{_REPORTING})\b"),
)

_HOW_MANY = re.compile(r"\bhow many ((?:[\w’'-]+\s*){1,4})", re.I)
# Where the counted noun phrase ends: "how many STP leads | came from ...".
_PHRASE_END = frozenset({
    "are", "is", "were", "was", "did", "do", "does", "have", "has", "had", "will", "would", "can", "could",
    "should", "in", "of", "on", "for", "at", "from", "by", "to", "with", "there", "that", "which", "who",
    "the", "a", "an",
})
# A count of people is as often given as a population.
_PEOPLE = frozenset({"peopl", "popul", "resid", "patient"})
_SAME_COUNT = {"peopl": _PEOPLE}
_POPULATION_OF = re.compile(r"\bpopulation of\b", re.I)
# "..., and how many ..." and "...; when ..." ask two things, answered by different sentences.
_CLAUSE = re.compile(r",\s*and\s+|;\s*")


def unknown_names(
    question: str, idf: Callable[[str], float], phrase_known: Callable[[list[str]], bool] | None = None
) -> tuple[str, ...]:
    """Names in the question that no passage contains.

    A word: "NHS Scotland" -> "Scotland".  A name of several words is unknown when
    no passage has them in a row, though each occurs somewhere: "Care Quality
    Commission" in a corpus that speaks of care, quality and commissioners.
    """
    out = []
    for word in _CAPITALISED.findall(question):
        tokens = tokenize(word.strip("’'"))
        if tokens and all(idf(t) == 0.0 for t in tokens):
            out.append(word.strip("’'?.,;:"))
    if phrase_known is not None:
        for name in _multiword_names(question):
            tokens = tokenize(name)
            if len(tokens) > 1 and all(idf(t) > 0.0 for t in tokens) and not phrase_known(tokens):
                out.append(name)
    return tuple(out)


def _multiword_names(question: str) -> list[str]:
    # "England's STPs" and "East Cumbria ACS" are a name and a description; the
    # possessive and the acronym end the name.
    out = []
    for run in _NAME_RUN.findall(question):
        for part in re.split(r"\s+and\s+|(?<=’s|'s)\s+|\s*\b[A-Z]{2,}s?\b\s*", run):
            name = _POSSESSIVE.sub("", part.strip(" ,.?;:"))
            if len(name.split()) > 1:
                out.append(name)
    return out


def is_attribution(name: str, question: str) -> bool:
    """Whether ``name`` only says who reported the answer ("did Pulse say...")."""
    n = re.escape(name)
    return bool(
        re.search(rf"\baccording to (the )?{n}\b", question, re.I)
        or re.search(rf"\b{n}(’s|'s)?\s+(\w+\s+)?({_REPORTING}|{_SOURCE_NOUNS})\b", question, re.I)
    )


def attributed_sources(question: str) -> list[str]:
    """Who the question says gave the answer: "According to NHS Providers, ..." -> ["NHS Providers"]."""
    out = []
    for pattern in _SOURCE_PATTERNS:
        for m in pattern.finditer(question):
            name = _POSSESSIVE.sub("", m.group(1))
            out.extend(part for part in name.split(" and ") if len(part) > 1)
    return out


def subject_names(
    question: str, acronyms: dict[str, tuple[str, ...]], people: frozenset[str] = frozenset()
) -> list[frozenset[str]]:
    """The terms of each place or body the question names ("the Dorset ACS" -> {dorset}, {ac})."""
    sources = [frozenset(tokenize(s)) for s in attributed_sources(question)]
    out = []
    for run in _NAME_RUN.findall(question):
        for name in run.split(" and "):
            name = _POSSESSIVE.sub("", name.strip())
            tokens = frozenset(tokenize(name))
            if len(name) < 2 or not tokens:
                continue
            if name.split()[-1].lower() in people or is_attribution(name, question):
                continue
            if any(tokens <= s or s <= tokens for s in sources if s):
                continue
            out.append(frozenset(canonical(tokenize(name), acronyms)))
    return out


def counted_terms(question: str, acronyms: dict[str, tuple[str, ...]]) -> list[frozenset[str]]:
    """What each "how many X" counts ("How many STP leads came..." -> {stp, lead}; "the population of" people)."""
    out = []
    for m in _HOW_MANY.finditer(question):
        words = []
        for word in re.findall(r"[\w’'-]+", m.group(1)):
            if word.lower() in _PHRASE_END:
                break
            words.append(word)
        terms = set(canonical(tokenize(" ".join(words)), acronyms))
        for t in list(terms):
            terms |= _SAME_COUNT.get(t, frozenset())
        if terms:
            out.append(frozenset(terms))
    if _POPULATION_OF.search(question):
        out.append(_PEOPLE)
    return out


@dataclass(frozen=True)
class Focus:
    """Per clause of a question, the subjects it names and the things it counts; and the
    change of post or state it asks about ("who replaced...", "when did X become...")."""

    clauses: tuple[tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]], ...]
    event: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.event and not any(subjects or counted for subjects, counted in self.clauses)

    def met_by(self, near: set[str], context: set[str]) -> bool:
        """Whether one clause is answered here.

        ``near`` holds the sentence's terms and its predecessor's, ``context`` those
        of its passage as well: a subject may be named a few sentences earlier
        ("...Cumbria ACS. ... We have developed eight teams"), but what a number
        counts is said next to it.
        """
        if self.event and not self.event & near:
            return False
        return any(
            all(s <= near or s <= context for s in subjects) and (not counted or any(c & near for c in counted))
            for subjects, counted in self.clauses
        )


def focus(question: str, acronyms: dict[str, tuple[str, ...]], people: frozenset[str] = frozenset()) -> Focus:
    """The subjects and counted things of each clause of ``question``."""
    clauses = [c for c in _CLAUSE.split(question) if c.strip()] or [question]
    return Focus(
        tuple((tuple(subject_names(c, acronyms, people)), tuple(counted_terms(c, acronyms))) for c in clauses),
        event_terms(question),
    )


# Changes of post or state, and the words (stems) a sentence reporting one would use.
# "Who replaced Simon Stevens?" is not answered by a sentence naming Stevens and
# someone else, nor "When did Jim Mackey become chief executive?" by a dated
# sentence about chief executives: the change itself must be reported.
_EVENTS = {
    "replac": {"replac", "succeed", "successor"},
    "succeed": {"replac", "succeed", "successor"},
    "becom": {"becom", "becam", "appoint", "join", "name"},
    "appoint": {"appoint", "becom", "becam", "join", "name"},
    "join": {"join", "becom", "becam", "appoint"},
    "resign": {"resign", "left", "leav", "quit", "step", "depart"},
    "leav": {"resign", "left", "leav", "quit", "step", "depart"},
    "quit": {"resign", "left", "leav", "quit", "step", "depart"},
    "retir": {"retir", "step"},
    "elect": {"elect"},
    "hire": {"hire", "appoint", "recruit"},
    "sack": {"sack", "fire", "dismiss"},
    "promot": {"promot"},
}
_EVENT_Q = re.compile(
    r"^\s*(?i:who)\s+(?:has\s+|had\s+|will\s+|would\s+)?([a-z]+)\b"  # "Who (has) replaced ..."
    r"|\b(?i:when|in what year|in which year|what year)\s+(?:did|does|do|will|was|were|is|has|had)\s+"
    r"(?:(?:the\s+)?[A-Z][\w’'-]*\s+)*([a-z]+)\b"  # "When did Jim Mackey become ..."
)


def event_terms(question: str) -> frozenset[str]:
    """The words that would report the change a question asks about; empty if it asks none."""
    m = _EVENT_Q.search(question)
    if not m:
        return frozenset()
    verb = tokenize(m.group(1) or m.group(2) or "")
    return frozenset(_EVENTS.get(verb[0], ())) if verb else frozenset()
