"""What kind of thing a question asks for, and whether a sentence holds one.

"How many STPs are there?" wants a number, "when" a date, "in what year" a
year, "how much are they paid" an amount of money, "who" a name, "which company"
a company's name (one ending in Group, Ltd, Corporation...).  A sentence
that holds nothing of the asked-for kind cannot answer the question, however
close its wording; that is the cheapest strong signal an extractive answerer has
for refusing in-domain questions the documents do not answer ("What is the
population of Surrey Heartlands?" retrieves sentences about Surrey Heartlands,
none with a number).

Rules, not a tagger: no NER model ships offline here, and these few patterns
are easy to read and to test.  A thing already named in the question does not
count as the answer ("How many of the 44 STPs..." is not answered by "44").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from qa.words import tokenize

AnswerType = Literal["money", "year", "date", "number", "person", "company"]

_MONEY_Q = re.compile(
    r"\bhow much\b(?!.*\b(rise|rose|grow|grew|increase|fall|fell|cut|share|per ?cent|percentage)\b)"
    r".*\b(cost|costs|costing|paid|pay|salary|salaries|spend|spent|price|earn|earns|worth|budget)\b"
    r"|\bwhat (?:is|was|were|are) the (?:total |annual |overall )?(cost|budget|salary|price)\b",
    re.I,
)
_YEAR_Q = re.compile(r"\b(in |from |since |by )?(what|which) year\b", re.I)
# "when" asks only when an auxiliary follows ("when did..."), not in "...when NHS Providers wrote it".
_DATE_Q = re.compile(
    r"\bhow long\b|\bwhen (did|does|do|is|are|was|were|will|would|can|could|should|has|have|had|must|might|may)\b|"
    r"\b(what|which) (date|month|day)\b|\bhow soon\b",
    re.I,
)
_NUMBER_Q = re.compile(
    r"\bhow (many|much|often|big|large)\b|\bwhat (number|percentage|proportion|share|size)\b|"
    r"\bpopulation of\b|\bthe population\b",
    re.I,
)
_ASKS_WHO_WROTE = re.compile(
    r"\b(reader|commenter|commentator|comment\w*|wrote|write|writes|said|say|says|describ\w*|call\w*|"
    r"argu\w*|warn\w*|claim\w*|complain\w*|suggest\w*)\b",
    re.I,
)
# "Who is Simon Stevens?" asks what a named person is (a role), not for another person.
IDENTITY_Q = re.compile(r"^\s*(?i:who\s+(?:is|was|are|were))\s+((?:(?:Mr|Mrs|Ms|Dr|Sir|Dame)\.?\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)\s*\??\s*$")
_COMPANY_Q = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+)?(?:company|companies|firm|corporation|insurer)\b", re.I)
_PERSON_Q = re.compile(r"^\s*who\b|\bwhich (reader|person|commenter|mp|minister|official)\b|\bwhose\b", re.I)

_MONEY = re.compile(
    r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|k|million|billion|pounds?)\b|\b(million|billion)\b", re.I
)
# A company's name ends in what the law makes companies call themselves.
_COMPANY = re.compile(
    r"\b(?:[A-Z][\w&'’-]*\s+)+(?:Group|Inc|Ltd|Limited|plc|PLC|Corporation|Corp|Company|Holdings|LLC)\b"
)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|half|third|quarter|dozen|double"
)
_DATE = re.compile(
    r"\b(19|20)\d\d\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(january|february|march|april|may|june|july|"
    r"august|september|october|november|december|yesterday|today|tomorrow|spring|summer|autumn|winter)\b|"
    r"\b(next|last|this|a|the) (year|month|week)\b|\bin time\b|"
    # durations answer "how soon?" and "how long?": "within two weeks", "takes years"
    rf"\b(\d+|{_NUMBER_WORDS}|a few|several|many) (days?|weeks?|months?|years?|decades?)\b|"
    r"\b(days|weeks|months|years|decades)\b",
    re.I,
)
_NUMBER = re.compile(rf"\d[\d,.]*%?|\b({_NUMBER_WORDS})\b", re.I)
_DATE_NUMBERS = re.compile(
    r"\b\d{1,2}(st|nd|rd|th)? (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"\b(19|20)\d\d(/\d\d|-\d\d)?\b",
    re.I,
)
_LIST_NUMBER = re.compile(r"^\d{1,2}\s+")  # "7 Berkshire West, ..." numbers a list item
_ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")  # "CCGs alone" answers "who will be on the hook?"
_WORD = r"[A-Z](?:[a-z]|[’'][A-Z]|[A-Z](?=[a-z]))*[a-z]"  # Stevens, O’Neill, McLachlan; not NHS
_PROPER_PAIR = re.compile(rf"\b({_WORD}(?:[ -]{_WORD})+)\b")
_NOT_PEOPLE = re.compile(
    r"\b(NHS|England|Trust|Health|Care|Council|Committee|Fund|Office|Department|Government|"
    r"Providers|Improvement|Partnership|System|Systems|Forward|View|Act|Association|Foundation|"
    r"Commission|Confederation|University|Hospital|Hospitals|Services|Select|Public|Accounts)\b"
)


_NAME = rf"{_WORD}(?:[ -]{_WORD})*"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady|Baroness|Professor|Prof|Cllr|Councillor)\.?"
_SAYS = (
    r"said|says|say|told|warned|argued|wrote|writes|added|revealed|commented|asked|explained|claimed|"
    r"stated|insisted|admitted|replied|responded|has|have|had|is|was"
)
# A name is a person's where the text treats it as one: a title, "MP", a role in
# apposition ("the committee's chair, Meg Hillier,") or a verb of speech after it.
_PERSON_CONTEXTS = (
    re.compile(rf"\b{_TITLE} ({_NAME})"),
    re.compile(rf"\b({_NAME}),? MP\b"),
    re.compile(rf"\b({_NAME}), (?i:(?:the |a |an )?(?:[a-z]+ ){{0,3}}(?:chief|chair|director|secretary|minister|"
               r"leader|head|boss|officer|manager|editor|member|president|professor|executive|founder|"
               r"partner|lead|adviser|advisor|fellow|midwife|doctor|nurse|gp|consultant|trust))\b"),
    re.compile(rf"\b(?:chair|chief executive|director|secretary|minister|leader|head|boss|editor|"
               rf"president|founder|lead)\b,? ({_NAME})\b"),
    re.compile(rf"\b({_WORD}(?: {_WORD})+) (?:and {_NAME} )?(?:{_SAYS})\b"),
)


def speaker_name(author: str) -> str:
    """The person in an author or attribution: "Rt Hon Jeremy Hunt MP, Secretary of State" -> "Rt Hon Jeremy Hunt"."""
    name = author.split(",")[0].strip()
    return re.sub(r"\s+MP$", "", name) or author


def speaker_role(author: str) -> str:
    """Name and first role of an attribution: "Jane Tomkinson, Chief Executive, Liverpool ..." -> "Jane Tomkinson, Chief Executive"."""
    parts = [p.strip() for p in author.split(",")]
    role = re.sub(r"\s*\(.*$", "", parts[1]) if len(parts) > 1 else ""
    return f"{parts[0]}, {role}" if role else parts[0]


def find_people(texts: Iterable[str], authors: Iterable[str] = ()) -> frozenset[str]:
    """Surnames the corpus uses as people's names (so "Surrey Heath" is a place, "Jim Mackey" a person)."""
    out: set[str] = set()
    for name in authors:
        if name:
            out.add(speaker_name(name).split()[-1].lower())
    for text in texts:
        for pattern in _PERSON_CONTEXTS:
            for m in pattern.finditer(text):
                # "NHS England said" is an organisation; a person's name has no such words.
                if not _NOT_PEOPLE.search(m.group(1)):
                    out.add(m.group(1).split()[-1].lower())
    return frozenset(out)


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer the question asks for; None when it asks for no particular kind."""
    if _MONEY_Q.search(question):
        return "money"
    if _YEAR_Q.search(question):
        return "year"
    if _DATE_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    if _COMPANY_Q.search(question):
        return "company"
    if _PERSON_Q.search(question) and not IDENTITY_Q.match(question):
        return "person"
    return None


def holds(
    kind: AnswerType, question: str, text: str, author: str | None = None, people: frozenset[str] = frozenset()
) -> bool:
    """Whether ``text`` contains a thing of ``kind`` that the question does not already name.

    ``people`` (from :func:`find_people`) tells people's names from places; without
    it any two capitalised words outside an organisation's name count as a name.
    """
    text = _LIST_NUMBER.sub("", text)
    if kind == "person":
        asked = set(tokenize(question))
        # A comment's writer answers "which reader said...?", not "who replaced Stevens?".
        if author and _ASKS_WHO_WROTE.search(question) and not set(tokenize(author)) <= asked:
            return True
        names = [
            m for m in _PROPER_PAIR.findall(text)
            if not _NOT_PEOPLE.search(m) and (not people or m.split()[-1].lower() in people)
        ]
        return any(not set(tokenize(m)) <= asked for m in names + _ACRONYM.findall(text))
    if kind == "number":
        text = _DATE_NUMBERS.sub(" ", text)  # "10 October 2017" counts nothing
    pattern = {"money": _MONEY, "year": _YEAR, "date": _DATE, "number": _NUMBER, "company": _COMPANY}[kind]
    return any(not _named_in(m.group(0).strip(".,"), question) for m in pattern.finditer(text))


def _named_in(thing: str, question: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(thing)}(?!\w)", question, re.I) is not None
