"""General features of a candidate answer sentence, for the learned scorer (qa/answer/scorer.py).

Nothing here names a corpus: every feature is a cosine, an IDF-weighted overlap
computed from the corpus's own BM25 statistics, a position, or a generic English
reading of the question ("when" asks for a date, "how many" for a number, "who"
for a name, "what is her email address" for an address) matched against what the
sentence holds that the question does not already say (a number, a year, a
capitalised word, an address).  The weights that combine
them are fitted on public data by ``scripts/train_answerer.py``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa.answer.acronyms import spells_out
from qa.answer.question import CAPITALISED, FINE_KINDS, NEGATION, SURFACE, QuestionInfo
from qa.index.tokens import TokenEncoding
from qa.words import is_content_word, tokenize

FEATURES = (
    # No fused retrieval score: it is min-max scaled over the candidate pool, so it moves with
    # the retrieval depth and the backend's pool (pgvector's HNSW pool is not FAISS's); the
    # passage's rank carries the same signal without that.
    "cos", "cos_rel", "cos_rank", "cos_passage", "rank_inv",
    "lex", "lex_rel", "lex_rank", "cos_x_lex", "matched_idf", "lex_window", "lex_passage", "rarest_missing", "unseen",
    "bigram", "exact", "compact", "cos_window", "novelty", "log_words", "first_in_passage", "finished",
    "typed", "type_ok",
    # The finer kinds (an email address, a phone number, a clock time, an amount of money) again on
    # their own: what they ask for is unambiguous, so a sentence without it rarely answers.
    "typed_fine", "type_ok_fine",
    "defines", "negation_mismatch", "comment",
    # The share of the question's numbers ("after 2 years", "version 3.0", "£150") that the sentence
    # and its neighbours hold: a number the text does not give is a false premise or another thing.
    "num_window",
    # Late interaction (qa/index/tokens.py): how closely the sentence's word pieces meet each
    # content word piece of the question, and that against the other candidates.
    "tok", "tok_rel", "tok_rank", "tok_idf",
)

_FINISHED = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_NUMBER = re.compile(
    r"\d[\d,.]*\d|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|half|third|quarter|dozen|double|twice)\b",
    re.I,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(
    r"\b\d{3,4}s?\b|\b\d{1,2}(st|nd|rd|th)\b|\bcentur(y|ies)\b|\bdecades?\b|"
    rf"\b({_MONTHS}|spring|summer|autumn|winter)\b|"
    # a span of time answers "when" too: "within five working days", "two weeks ahead"
    r"\b(\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|few|several)"
    r"(\s+[a-z]+)?\s+(minutes?|hours?|days?|weeks?|fortnights?|months?|quarters?|years?)\b",
    re.I,
)
# A year where the text dates something ("December 2017", "in 1998", "(2004)") is not a count:
# "how many ..." is not answered by the date of the document that mentions it.
_DATING_YEAR = re.compile(
    rf"(?:\b(?:{_MONTHS}|in|since|by|until|till|from|during|before|after)\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?|\()"
    r"(1\d{3}|20\d{2})\b",
    re.I,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\w)(\+?\d[\d ()-]{5,}\d)|\bext(ension)?\.?\s*\d{3,}", re.I)
_TIME = re.compile(
    r"\b\d{1,2}([:.]\d{2})?\s*(am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b|\b(noon|midday|midnight)\b|"
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?)\b|\b(open|closed)\b",
    re.I,
)
_MONEY = re.compile(
    r"[£$€¥]\s?\d|\d\s?(p|pence|pounds?|dollars?|euros?|cents?|usd|eur|gbp|yen|francs?)\b|\bfree\b|\bno charge\b",
    re.I,
)
# "Where is the settings file?" over "... which lives at `~/.config/app/settings.toml`": a file
# path (with a slash, or a drive letter) or a web address.
_LOCATION = re.compile(r"(?<![\w/])(?:~|\.{1,2}|[A-Za-z]:)?[/\\][\w.@%+-]+(?:[/\\][\w.@%+-]*)*|\bhttps?://\S+|\bwww\.\S+")
_KIND_PATTERNS = {"email": _EMAIL, "phone": _PHONE, "time": _TIME, "money": _MONEY}
_COPULA = re.compile(r"\b(is|are|was|were|refers? to|means?|denotes?)\b", re.I)


def holds_new(kind: str, text: str, q: QuestionInfo) -> bool:
    """Whether ``text`` holds a thing of ``kind`` the question does not already name."""
    if kind in _KIND_PATTERNS:
        found = [m.group(0) for m in _KIND_PATTERNS[kind].finditer(text)]
    elif kind == "number":
        years = {m.start(1) for m in _DATING_YEAR.finditer(text)}
        found = [m.group(0) for m in _NUMBER.finditer(text) if m.start() not in years]
    elif kind == "date":
        found = [m.group(0) for m in _DATE.finditer(text)]
    else:  # a person or a place: a capitalised word the question lacks
        found = [m.group(0) for m in CAPITALISED.finditer(text)]
        if kind == "place":  # in documentation a place is as often a path or an address on the web
            found += [m.group(0) for m in _LOCATION.finditer(text)]
    return any(not set(tokenize(f)) <= q.words for f in found if tokenize(f) or f.isdigit())


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with its feature vector."""

    sid: int
    pid: int
    rank: int
    features: np.ndarray  # in FEATURES order


def coverage(q: QuestionInfo, terms: frozenset[str] | set[str]) -> float:
    return math.fsum(q.weight[t] for t in q.terms & terms) / q.total


def sentence_features(
    q: QuestionInfo,
    text: str,
    section: str,
    terms: frozenset[str],
    window_terms: set[str],
    window_numbers: set[str],
    passage_terms: set[str],
    tokens: list[str],
    cos: float,
    cos_passage: float,
    rank: int,
    first_in_passage: bool,
    max_idf: float,
    cos_window: float,
    tok: float,
    tok_idf: float,
) -> list[float]:
    """Every feature but the relative ones (filled in by the caller, over all candidates)."""
    missing = [q.weight[t] for t in q.terms - window_terms - passage_terms]
    rarest = max(missing, default=0.0) / max(max_idf, 1e-9)
    sent_bigrams = set(zip(tokens, tokens[1:], strict=False))
    bigram = len(q.bigrams & sent_bigrams) / len(q.bigrams) if q.bigrams else 0.0
    words = len(text.split())
    type_ok = 1.0 if q.kind is not None and holds_new(q.kind, text, q) else 0.0
    fine = 1.0 if q.kind in FINE_KINDS else 0.0
    if q.spell_out:
        defines = 1.0 if any(spells_out(text, a) for a in q.spell_out) else 0.0
    elif q.defined and q.defined <= terms and _COPULA.search(text):
        defines = 1.0
    else:
        defines = 0.0
    lex = coverage(q, terms)
    matched = math.fsum(q.weight[t] for t in q.terms & terms) / max(max_idf, 1e-9)
    return [
        cos, 0.0, 0.0, cos_passage, 1.0 / (1.0 + rank),
        lex, 0.0, 0.0, cos * lex, matched, coverage(q, window_terms), coverage(q, passage_terms), rarest, q.unseen,
        bigram, _exact(q, text), _compact(q, tokens), cos_window, len(terms - q.terms) / len(terms) if terms else 0.0, float(np.log1p(words)),
        1.0 if first_in_passage else 0.0, 1.0 if _FINISHED.search(text) else 0.0,
        1.0 if q.kind is not None else 0.0, type_ok, fine, fine * type_ok, defines,
        1.0 if q.negated != bool(NEGATION.search(text)) else 0.0,
        1.0 if section == "comments" and not q.asks_comments else 0.0,
        len(q.numbers & window_numbers) / len(q.numbers) if q.numbers else 1.0,
        tok, 0.0, 0.0, tok_idf,
    ]


def _exact(q: QuestionInfo, text: str) -> float:
    """IDF-weighted share of the question's words found as written (not only by stem)."""
    words = set(SURFACE.findall(text.lower()))
    return math.fsum(w for word, w in q.surface.items() if word in words) / q.total


def _compact(q: QuestionInfo, tokens: list[str]) -> float:
    """Matched question terms per token of the stretch holding them: close together reads as one statement."""
    places = [i for i, t in enumerate(tokens) if t in q.terms]
    if len(places) < 2:
        return 0.0
    return len(places) / (places[-1] - places[0] + 1)


_WORD = re.compile(r"[A-Za-z0-9]+(?:[’'][A-Za-z]+)?")


def question_pieces(encoded: TokenEncoding, surface: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The question's word pieces that carry its content: not stop words, question words or punctuation.

    Every piece of a kept word stays ("windmill" -> "wind", "##mill"). A question made only
    of such words keeps all its word pieces.
    """
    surface = surface or {}
    fallback = float(np.mean(list(surface.values()))) if surface else 1.0
    words = [(m.start(), m.end(), is_content_word(m.group(0)), surface.get(m.group(0).lower(), fallback))
             for m in _WORD.finditer(encoded.text)]
    keep = np.zeros(len(encoded.tokens), dtype=bool)
    in_word = np.zeros(len(encoded.tokens), dtype=bool)
    weight = np.full(len(encoded.tokens), fallback)
    w = 0
    for i, (a, _b) in enumerate(encoded.offsets[: len(encoded.tokens)]):
        while w < len(words) and words[w][1] <= a:
            w += 1
        if w < len(words) and words[w][0] <= a:
            in_word[i], keep[i], weight[i] = True, words[w][2], words[w][3]
    if not keep.any():
        keep = in_word if in_word.any() else np.ones(len(encoded.tokens), dtype=bool)
    return encoded.tokens[keep], weight[keep]


def token_match(best: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tok`` and ``tok_idf`` of each row of ``best`` (sentences x question pieces): the mean of
    the pieces' best cosines, plain and IDF-weighted."""
    best = np.asarray(best, dtype=np.float64).reshape(len(best), -1)
    if not best.shape[1]:
        return np.zeros(len(best)), np.zeros(len(best))
    return best.mean(axis=1), best @ weights / max(float(np.sum(weights)), 1e-9)


def add_relative(matrix: np.ndarray) -> np.ndarray:
    """Each candidate's cosine and overlap against the others of the same question.

    ``*_rel`` is the gap to the best candidate, ``*_rank`` 1/(1 + place) in that order.
    """
    if len(matrix):
        for name in ("cos", "lex", "tok"):
            col = matrix[:, FEATURES.index(name)]
            matrix[:, FEATURES.index(f"{name}_rel")] = col - col.max()
            place = np.empty(len(col))
            place[np.argsort(-col, kind="stable")] = np.arange(len(col))
            matrix[:, FEATURES.index(f"{name}_rank")] = 1.0 / (1.0 + place)
    return matrix


# Question-level features: how the best candidates look, read after the sentence scorer.
QUESTION_FEATURES = (
    "log_p1", "log_gap", "rarest_missing", "lex_window", "unseen", "cos", "lex_passage_max", "cos_max",
    "negation_mismatch", "question_negated", "typed", "type_ok", "unseen_name", "typed_fine", "type_ok_fine",
    "num_window", "question_numbered",
    # How literally the best sentence repeats the question: its share of the question's words as
    # written and of its word pairs. SQuAD 2.0's unanswerable questions are rewrites of a sentence
    # with one thing swapped; users' near misses name what the text names and ask for what it lacks.
    "exact", "bigram",
)


def question_features(q: QuestionInfo, matrix: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """One row: the best sentence's probability and lead, and what it and the passages lack."""
    if not len(probability):
        row = np.zeros(len(QUESTION_FEATURES))
        row[0] = row[1] = np.log(1e-6)
        row[QUESTION_FEATURES.index("unseen")] = q.unseen
        row[QUESTION_FEATURES.index("unseen_name")] = q.unseen_name
        row[QUESTION_FEATURES.index("typed_fine")] = 1.0 if q.kind in FINE_KINDS else 0.0
        row[QUESTION_FEATURES.index("question_numbered")] = 1.0 if q.numbers else 0.0
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
        matrix[b, f("typed")], matrix[b, f("type_ok")], q.unseen_name, matrix[b, f("typed_fine")],
        matrix[b, f("type_ok_fine")], matrix[b, f("num_window")], 1.0 if q.numbers else 0.0,
        matrix[b, f("exact")], matrix[b, f("bigram")],
    ])
