"""General features of a candidate answer sentence, for the learned scorer (qa/scorer.py).

Nothing here names a corpus: every feature is a cosine, an IDF-weighted overlap
computed from the corpus's own BM25 statistics, a position, or a generic English
reading of the question ("when" asks for a date, "how many" for a number, "who"
for a name) matched against what the sentence holds that the question does not
already say (a number, a year, a capitalised word).  The weights that combine
them are fitted on public data by ``scripts/train_answerer.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.acronyms import canonical, spelled_out_asked, spells_out
from qa.lexical import tokenize

# Words that shape a question but are not what it is about (tokenized/stemmed).
QUESTION_WORDS = frozenset(tokenize(
    "what which who whom whose when where why how many much did does do doing done according "
    "say says said tell describe described call called name named mean meant list listed "
    "give given happen happened kind sort type define defined definition"
))

FEATURES = (
    # No fused retrieval score: it is min-max scaled over the candidate pool, so it moves with
    # the retrieval depth and the backend's pool (pgvector's HNSW pool is not FAISS's); the
    # passage's rank carries the same signal without that.
    "cos", "cos_rel", "cos_rank", "cos_passage", "rank_inv",
    "lex", "lex_rel", "lex_rank", "cos_x_lex", "matched_idf", "lex_window", "lex_passage", "rarest_missing", "unseen",
    "bigram", "exact", "compact", "cos_window", "novelty", "log_words", "first_in_passage", "finished",
    "typed", "type_ok", "defines", "negation_mismatch", "comment",
)

_FINISHED = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_NEGATION = re.compile(r"\b(not|never|no|none|nor|without|cannot)\b|n[’']t\b", re.I)
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
_PERSON_Q = re.compile(r"^\s*(who|whom|whose)\b|\b(who|whom|whose) (is|was|were|are|did|does)\b", re.I)
_PLACE_Q = re.compile(r"^\s*where\b|\bwhere (is|was|were|are|did|does|do)\b", re.I)
_NUMBER = re.compile(
    r"\d[\d,.]*\d|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|half|third|quarter|dozen|double|twice)\b",
    re.I,
)
_DATE = re.compile(
    r"\b\d{3,4}s?\b|\b\d{1,2}(st|nd|rd|th)\b|\bcentur(y|ies)\b|\bdecades?\b|\b(january|february|march|april|"
    r"may|june|july|august|september|october|november|december|spring|summer|autumn|winter)\b",
    re.I,
)
_CAPITALISED = re.compile(r"(?<=[\s(\"“])[A-Z][\w’'-]*")
_DEFINITION_Q = re.compile(
    r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(.+?)\s*\??\s*$", re.I
)
_COPULA = re.compile(r"\b(is|are|was|were|refers? to|means?|denotes?)\b", re.I)


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
    kind: str | None  # "number", "date", "person", "place" or None
    words: frozenset[str]  # every token of the question (for "already named")
    negated: bool
    defined: frozenset[str]  # "what is X?" -> terms of X
    spell_out: tuple[str, ...]  # "what does X stand for?" -> acronyms
    asks_comments: bool
    surface: dict[str, float]  # question words as written (lower-cased) -> the IDF of their term
    unseen_name: float  # 1.0 when a capitalised word (not the first) names something the corpus never mentions


_SURFACE = re.compile(r"[a-z0-9]+")


def question_kind(question: str) -> str | None:
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
    tokens = tokenize(question)
    terms = canonical(tokens, acronyms) - QUESTION_WORDS
    weight = {t: (idf(t) or unseen_idf) for t in terms}
    total = sum(weight.values()) or 1.0
    unseen_terms = tuple(sorted(t for t in terms if idf(t) == 0.0))
    # BM25's IDF, log(1 + (N - n + 0.5) / (n + 0.5)), is below 0.3 for a term in about three
    # quarters of the passages or more: such a term barely tells passages apart.
    common = tuple(sorted(t for t in terms if 0.0 < idf(t) < 0.3))
    content = [t for t in tokens if t in terms]
    m = _DEFINITION_Q.match(question)
    defined = frozenset(canonical(tokenize(m.group(1)), acronyms) - QUESTION_WORDS) if m else frozenset()
    return QuestionInfo(
        terms=frozenset(terms), weight=weight, total=total,
        unseen=sum(weight[t] for t in unseen_terms) / total, unseen_terms=unseen_terms, common_terms=common,
        bigrams=frozenset(zip(content, content[1:], strict=False)), kind=question_kind(question),
        words=frozenset(tokens), negated=bool(_NEGATION.search(question)), defined=defined,
        spell_out=tuple(spelled_out_asked(question)),
        asks_comments=bool(re.search(r"\b(comment\w*|reader\w*)\b", question, re.I)),
        unseen_name=1.0 if any(
            (t := tokenize(w)) and all(idf(x) == 0.0 for x in t) for w in _CAPITALISED.findall(question)
        ) else 0.0,
        surface={w: weight[t[0]] for w in set(_SURFACE.findall(question.lower()))
                 for t in [tokenize(w)] if t and t[0] in weight},
    )


def holds_new(kind: str, text: str, q: QuestionInfo) -> bool:
    """Whether ``text`` holds a thing of ``kind`` the question does not already name."""
    if kind == "number":
        found = [m.group(0) for m in _NUMBER.finditer(text)]
    elif kind == "date":
        found = [m.group(0) for m in _DATE.finditer(text)]
    else:  # a person or a place: a capitalised word the question lacks
        found = [m.group(0) for m in _CAPITALISED.finditer(text)]
    return any(not set(tokenize(f)) <= q.words for f in found if tokenize(f) or f.isdigit())


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with its feature vector."""

    sid: int
    pid: int
    rank: int
    features: np.ndarray  # in FEATURES order


def coverage(q: QuestionInfo, terms: frozenset[str] | set[str]) -> float:
    return sum(q.weight[t] for t in q.terms & terms) / q.total


def sentence_features(
    q: QuestionInfo,
    text: str,
    section: str,
    terms: frozenset[str],
    window_terms: set[str],
    passage_terms: set[str],
    tokens: list[str],
    cos: float,
    cos_passage: float,
    rank: int,
    first_in_passage: bool,
    max_idf: float,
    cos_window: float,
) -> list[float]:
    """Every feature but the relative ones (filled in by the caller, over all candidates)."""
    missing = [q.weight[t] for t in q.terms - window_terms - passage_terms]
    rarest = max(missing, default=0.0) / max(max_idf, 1e-9)
    sent_bigrams = set(zip(tokens, tokens[1:], strict=False))
    bigram = len(q.bigrams & sent_bigrams) / len(q.bigrams) if q.bigrams else 0.0
    words = len(text.split())
    type_ok = 1.0 if q.kind is not None and holds_new(q.kind, text, q) else 0.0
    if q.spell_out:
        defines = 1.0 if any(spells_out(text, a) for a in q.spell_out) else 0.0
    elif q.defined and q.defined <= terms and _COPULA.search(text):
        defines = 1.0
    else:
        defines = 0.0
    lex = coverage(q, terms)
    matched = sum(q.weight[t] for t in q.terms & terms) / max(max_idf, 1e-9)
    return [
        cos, 0.0, 0.0, cos_passage, 1.0 / (1.0 + rank),
        lex, 0.0, 0.0, cos * lex, matched, coverage(q, window_terms), coverage(q, passage_terms), rarest, q.unseen,
        bigram, _exact(q, text), _compact(q, tokens), cos_window, len(terms - q.terms) / len(terms) if terms else 0.0, float(np.log1p(words)),
        1.0 if first_in_passage else 0.0, 1.0 if _FINISHED.search(text) else 0.0,
        1.0 if q.kind is not None else 0.0, type_ok, defines,
        1.0 if q.negated != bool(_NEGATION.search(text)) else 0.0,
        1.0 if section == "comments" and not q.asks_comments else 0.0,
    ]


def _exact(q: QuestionInfo, text: str) -> float:
    """IDF-weighted share of the question's words found as written (not only by stem)."""
    words = set(_SURFACE.findall(text.lower()))
    return sum(w for word, w in q.surface.items() if word in words) / q.total


def _compact(q: QuestionInfo, tokens: list[str]) -> float:
    """Matched question terms per token of the stretch holding them: close together reads as one statement."""
    places = [i for i, t in enumerate(tokens) if t in q.terms]
    if len(places) < 2:
        return 0.0
    return len(places) / (places[-1] - places[0] + 1)


def add_relative(matrix: np.ndarray) -> np.ndarray:
    """Each candidate's cosine and overlap against the others of the same question.

    ``*_rel`` is the gap to the best candidate, ``*_rank`` 1/(1 + place) in that order.
    """
    if len(matrix):
        for name in ("cos", "lex"):
            col = matrix[:, FEATURES.index(name)]
            matrix[:, FEATURES.index(f"{name}_rel")] = col - col.max()
            place = np.empty(len(col))
            place[np.argsort(-col, kind="stable")] = np.arange(len(col))
            matrix[:, FEATURES.index(f"{name}_rank")] = 1.0 / (1.0 + place)
    return matrix


# Question-level features: how the best candidates look, read after the sentence scorer.
QUESTION_FEATURES = (
    "log_p1", "log_gap", "rarest_missing", "lex_window", "unseen", "cos", "lex_passage_max", "cos_max",
    "negation_mismatch", "question_negated", "typed", "type_ok", "unseen_name",
)


def question_features(q: QuestionInfo, matrix: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """One row: the best sentence's probability and lead, and what it and the passages lack."""
    if not len(probability):
        row = np.zeros(len(QUESTION_FEATURES))
        row[0] = row[1] = np.log(1e-6)
        row[QUESTION_FEATURES.index("unseen")] = q.unseen
        row[QUESTION_FEATURES.index("unseen_name")] = q.unseen_name
        return row
    order = np.argsort(-probability, kind="stable")
    b = order[0]
    p1 = float(probability[b])
    p2 = float(probability[order[1]]) if len(order) > 1 else 0.0
    f = FEATURES.index
    return np.array([
        np.log(p1 + 1e-6), np.log(p1 + 1e-6) - np.log(p2 + 1e-6), matrix[b, f("rarest_missing")],
        matrix[b, f("lex_window")], q.unseen, matrix[b, f("cos")], matrix[:, f("lex_passage")].max(),
        matrix[:, f("cos")].max(), matrix[b, f("negation_mismatch")], 1.0 if q.negated else 0.0,
        matrix[b, f("typed")], matrix[b, f("type_ok")], q.unseen_name,
    ])
