"""One parse of the question: everything an answer check reads from it, read once.

``read_question`` turns the question text into a ``QuestionInfo`` (its content
terms and their IDF, what kind of thing it asks for, what it defines or asks to
spell out, ...) with the corpus's BM25 statistics and acronyms; the answerer,
its features and the engine's definition lookup all read that value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.answer.acronyms import canonical, spelled_out_asked
from qa.config import Settings
from qa.errors import InvalidQuestionError
from qa.words import (
    american_spelling,
    british_spellings,
    is_content_word,
    is_english_word,
    numbers_in,
    question_words,
    stem_words,
    tokenize,
)

# Not "without": "How do I run the tests without Docker?" asks nothing negated, and the
# weights of the negation features were fitted on questions with "not"/"never"/"n't" only
# (no squad2 or seeds dev question says "without").
NEGATION = re.compile(r"\b(not|never|no|none|nor|cannot)\b|n[’']t\b", re.I)
_NUMBER_Q = re.compile(
    r"\bhow (many|much|long|far|old|large|big|high|often|fast|tall|wide)\b|"
    r"\bwhat (number|percentage|percent|proportion|amount|size|share|fraction)\b",
    re.I,
)
_DATE_Q = re.compile(
    r"^\s*when\b|\bwhen (did|does|do|is|are|was|were|will|would|has|have|had)\b|"
    r"\b(what|which) (year|years|century|decade|date|month|day|era|period)\b",
    re.I,
)
# Finer kinds, read first: each names what its answer must hold (an address, a clock time, an amount
# of money), so a sentence that only names the thing asked about does not pass for an answer
# ("What is Ann's email address?" over "Email Ann with questions."). Not "rate": an error rate,
# a frame rate or a rate limit is no price.
FINE_KINDS = frozenset({"email", "phone", "time", "money"})
_EMAIL_Q = re.compile(r"\be-?mail\s+address(es)?\b|\bwhat(?:['’]s|\s+is|\s+are)\s+(?:the\s+|\S+['’]s?\s+)?e-?mail\b", re.I)
_PHONE_Q = re.compile(r"\b(phone|telephone|mobile|fax|contact|helpline)\s+numbers?\b", re.I)
_TIME_Q = re.compile(r"\bwhat time\b|\bopening (hours|times)\b|\b(hours|times) of opening\b|"
                     r"\bwhen (does|do|is|are|will)\b.*\b(open|opens|close|closes|shut|shuts)\b", re.I)
_MONEY_Q = re.compile(r"\bhow much (is|are|was|were|to|money)\b|"
                      r"\b(what|how)\b.*\b(cost|costs|price|prices|fee|fees|fare|fares|charge|charges|salary|paid)\b", re.I)
# "How much did costs rise?" asks for a change (a share or a number), not a price.
_CHANGE = re.compile(r"\b(rise|rises|risen|rose|increase[sd]?|decrease[sd]?|fall|falls|fell|grow|grows|grew|drop|"
                     r"dropped|change[sd]?|more|less|bigger|larger|smaller|cheaper|dearer)\b", re.I)
_PERSON_Q = re.compile(r"^\s*(who|whom|whose)\b|\b(who|whom|whose) (is|was|were|are|did|does)\b", re.I)
_PLACE_Q = re.compile(r"^\s*where\b|\bwhere (is|was|were|are|did|does|do)\b", re.I)
CAPITALISED = re.compile(r"(?<=[\s(\"“])[A-Z][\w’'-]*")
_DEFINITION_Q = re.compile(
    r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(.+?)\s*\??\s*$", re.I
)
_ASKS_WHO = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:who|whom|whose|which)\b", re.I)
_HAS_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class QuestionInfo:
    """What the scorer reads from a question, once."""

    terms: frozenset[str]  # content terms (acronym long forms folded)
    weight: dict[str, float]  # term -> IDF (unseen terms get the highest IDF)
    total: float
    unseen: float  # IDF-weighted share of terms the corpus never contains
    unseen_terms: tuple[str, ...]
    common_terms: tuple[str, ...]  # content terms in most passages: they barely count
    bigrams: frozenset[tuple[str, str]]
    kind: str | None  # see question_kind
    words: frozenset[str]  # every token of the question (for "already named")
    negated: bool
    defined: frozenset[str]  # "what is X?" -> terms of X
    spell_out: tuple[str, ...]  # "what does X stand for?" -> acronyms
    asks_comments: bool
    surface: dict[str, float]  # question words as written (lower-cased) -> the IDF of their term
    unseen_name: float  # 1.0 when a capitalised word (not the first) names something the corpus never mentions
    text: str = ""  # the question as asked (validated)
    asks_who: bool = False  # bylines (who wrote what follows) answer only questions about who
    numbers: frozenset[str] = frozenset()  # the numbers it writes, each one value ("2", "150", "3.0" as 3)
    # Misspellings read as the corpus's words: (word as asked, the word the corpus writes).
    corrected: tuple[tuple[str, str], ...] = ()
    search_text: str = ""  # the question with those words put right: what the lexical index searches


SURFACE = re.compile(r"[a-z0-9]+")

# A word the corpus never writes that is one edit (a letter dropped, added or changed, or two
# swapped) from a word it does write is read as that word: "boathose" as "boathouse", "memebers"
# as "members". Shorter words have too many neighbours one edit away ("boat": "bolt", "coat").
MIN_CORRECTED_LETTERS = 5
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NOT_IN_A_WORD = (r"(?<![\w’'-])", r"(?![\w’'-])")  # a word whole: not part of "traversent-ils", "it's"
_PLAIN_WORD = re.compile(_NOT_IN_A_WORD[0] + "[A-Za-z]+" + _NOT_IN_A_WORD[1])


def _one_edit(word: str) -> list[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return sorted(out)  # sorted: ties are broken the same way every run


def spelling_corrections(question: str, idf: Callable[[str], float]) -> tuple[tuple[str, str], ...]:
    """(word as asked, word as the corpus writes it) for each content word of ``question`` that
    the corpus never contains, and that is either the other side's spelling of a corpus word
    ("color" over "colour", "colour" over "color"), or no English word (one spelled right,
    "weekend" or "detest", is a word the corpus lacks, not a typo) and one edit from a word
    the corpus does contain; of several, the most frequent (lowest IDF)."""
    words = list(_PLAIN_WORD.finditer(question))
    longer = [m.group(0).lower() for m in words if len(m.group(0)) >= 3]
    if all(is_content_word(m.group(0)) for m in words) and 2 * sum(map(is_english_word, longer)) < len(longer):
        # no English function word ("the", "is", "where") and mostly not English words: the list
        # cannot tell such a question's typos from its words ("Quand les ... traversent-ils ?")
        return ()
    out = []
    for m in words:
        word = m.group(0).lower()
        if len(word) < MIN_CORRECTED_LETTERS or not is_content_word(word) or idf(stem_words([word])[0]) > 0.0:
            continue
        british = [w for w in british_spellings(word) if idf(stem_words([w])[0]) > 0.0]
        if british:  # "color" over a corpus that writes "colour"
            out.append((m.group(0), _cased(british[0], m.group(0))))
            continue
        if is_english_word(word):
            continue
        american = american_spelling(word)
        if american is not None:
            # A British spelling is no typo: it is read as the corpus's American spelling when the
            # corpus has that ("colour" as "color"), never as another word ("defence" as "defended").
            if idf(stem_words([american])[0]) > 0.0:
                out.append((m.group(0), _cased(american, m.group(0))))
            continue
        variants = [v for v in _one_edit(word) if is_content_word(v)]
        best, best_key = None, (math.inf, True)
        for variant, stem in zip(variants, stem_words(variants), strict=True):
            v = idf(stem)
            if v <= 0.0:
                continue
            # A variant that is no English word must keep most of the word in its stem: "addness"
            # stems to "add", which says nothing. An English one may stem short: "informaton" is
            # "information", which stems to "inform".
            english = is_english_word(variant)
            if not english and len(stem) < len(word) - 3:
                continue
            # the most frequent term; of variants with one stem, an English word ("commercially",
            # not "commerciably") is what is shown
            key = (v, not english)
            if key < best_key:
                best, best_key = variant, key
        if best is not None:
            out.append((m.group(0), _cased(best, m.group(0))))
    return tuple(out)


def _cased(word: str, like: str) -> str:
    return word.upper() if like.isupper() else word.capitalize() if like[0].isupper() else word


def _put_right(question: str, corrected: tuple[tuple[str, str], ...]) -> str:
    for asked, found in corrected:
        question = re.sub(_NOT_IN_A_WORD[0] + re.escape(asked) + _NOT_IN_A_WORD[1], found, question)
    return question


def question_kind(question: str) -> str | None:
    """What the answer must hold: "email", "phone", "time", "money", "number", "date", "person",
    "place", or None."""
    for kind, pattern in (("email", _EMAIL_Q), ("phone", _PHONE_Q), ("time", _TIME_Q), ("money", _MONEY_Q)):
        if pattern.search(question) and not (kind == "money" and _CHANGE.search(question)):
            return kind
    if _NUMBER_Q.search(question):
        return "number"
    if _DATE_Q.search(question):
        return "date"
    if _PERSON_Q.search(question):
        return "person"
    if _PLACE_Q.search(question):
        return "place"
    return None


def read_question(
    question: str, idf: Callable[[str], float], unseen_idf: float, acronyms: dict[str, tuple[str, ...]]
) -> QuestionInfo:
    asked = question
    corrected = spelling_corrections(asked, idf)
    question = _put_right(asked, corrected)
    tokens = tokenize(question)
    terms = canonical(tokens, acronyms) - question_words()
    weight = {t: (idf(t) or unseen_idf) for t in terms}
    # fsum: exactly rounded, so the result does not depend on the set's (hash-seeded) order
    total = math.fsum(weight.values()) or 1.0
    unseen_terms = tuple(sorted(t for t in terms if idf(t) == 0.0))
    # BM25's IDF, log(1 + (N - n + 0.5) / (n + 0.5)), is below 0.3 for a term in about three
    # quarters of the passages or more: such a term barely tells passages apart.
    common = tuple(sorted(t for t in terms if 0.0 < idf(t) < 0.3))
    content = [t for t in tokens if t in terms]
    m = _DEFINITION_Q.match(question)
    defined = frozenset(canonical(tokenize(m.group(1)), acronyms) - question_words()) if m else frozenset()
    kind = question_kind(question)
    return QuestionInfo(
        terms=frozenset(terms), weight=weight, total=total,
        unseen=math.fsum(weight[t] for t in unseen_terms) / total, unseen_terms=unseen_terms, common_terms=common,
        bigrams=frozenset(zip(content, content[1:], strict=False)), kind=kind,
        words=frozenset(tokens), negated=bool(NEGATION.search(question)), defined=defined,
        spell_out=tuple(spelled_out_asked(question)),
        asks_comments=bool(re.search(r"\b(comment\w*|reader\w*)\b", question, re.I)),
        unseen_name=1.0 if any(
            (t := tokenize(w)) and all(idf(x) == 0.0 for x in t) for w in CAPITALISED.findall(question)
        ) else 0.0,
        surface={w: weight[t[0]] for w in set(SURFACE.findall(question.lower()))
                 for t in [tokenize(w)] if t and t[0] in weight},
        text=asked, asks_who=kind == "person" or bool(_ASKS_WHO.match(question)),
        numbers=numbers_in(question), corrected=corrected, search_text=question,
    )


def validate_question(question: object, settings: Settings) -> str:
    """The question to answer, or an InvalidQuestionError that says what is wrong and what to do.

    The one check every interface (CLI, HTTP, OpenAI route, Python) goes through.
    """
    if not isinstance(question, str):
        raise InvalidQuestionError(f"question must be text. Currently, question is {type(question).__name__}")
    cleaned = question.replace("\x00", "").strip()
    if not cleaned:
        raise InvalidQuestionError(
            'question is empty. Ask something, e.g. qa ask "When was the windmill built?"'
        )
    if len(cleaned) > settings.max_question_chars:
        raise InvalidQuestionError(
            f"question is {len(cleaned)} characters long; the limit is {settings.max_question_chars}. "
            "Shorten it, or raise QA_MAX_QUESTION_CHARS."
        )
    # Bytes that were not UTF-8 arrive as lone surrogates (argv, stdin, a JSON "\udce9").
    bad = next((i for i, ch in enumerate(cleaned) if "\ud800" <= ch <= "\udfff"), None)
    if bad is not None:
        code = ord(cleaned[bad])
        what = f"byte 0x{code - 0xDC00:02x}" if code >= 0xDC80 else f"U+{code:04X}"
        raise InvalidQuestionError(
            f"question is not valid UTF-8 ({what} at position {bad}): the terminal or input file uses "
            "another encoding. Retype the question, or convert the input to UTF-8 (e.g. with iconv)."
        )
    if not _HAS_LETTER.search(cleaned):
        raise InvalidQuestionError(
            f"question {cleaned[:40]!r} has no words to look for. Ask in words, e.g. qa ask \"What does the "
            "report recommend?\""
        )
    return cleaned
