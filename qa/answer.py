"""Extractive answers: pick the sentences that answer, cite each one, or abstain.

Each sentence of the retrieved passages gets a few cheap features: its cosine to
the question (sentence vectors are computed at index time, so this is one matrix
product), the cosine of its passage, the share of the question's IDF-weighted
vocabulary it contains (a question word the corpus has never seen counts against
every sentence, which is what makes out-of-scope questions score low), the rank
of its passage, and whether it holds the kind of thing asked for (a number for
"how many", a date for "when", a name for "who").  A weighted sum ranks the
sentences; the best score is the evidence, and below the calibrated threshold
the assistant says it does not know.  Weights were fitted on the dev split of
eval/questions.jsonl only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.lexical import tokenize

NO_ANSWER = "I could not find an answer to that in the documents."


@dataclass(frozen=True)
class Weights:
    dense: float = 0.50
    context: float = 0.0
    lexical: float = 0.35
    passage: float = 0.10
    answer_type: float = 0.0
    short_penalty: float = 0.8  # headings and fragments are rarely answers
    comment_penalty: float = 0.9  # the article outranks readers unless asked about them


EXTRA_SENTENCE_RATIO = 0.85  # a further sentence must score this close to the best
MAX_SENTENCES = 3
SHORT_SENTENCE_WORDS = 6

_ASKS_ABOUT_COMMENTS = re.compile(r"\b(comment\w*|reader\w*|said by a reader)\b", re.I)
_WANTS_NUMBER = re.compile(r"\bhow (many|much|long|often)\b|\bwhat (number|percentage|proportion|share)\b", re.I)
_WANTS_DATE = re.compile(r"\bwhen\b|\bwhat (year|date|month|day)\b|\bwhich (year|month|date)\b|\bhow soon\b", re.I)
_WANTS_PERSON = re.compile(r"^\s*who\b|\bwhich (reader|person|commenter|mp|minister|official|chief)\b|\bwhose\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|half|third|quarter|dozen|double)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(19|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|october|"
    r"november|december|spring|summer|autumn|winter|year|month|week)\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+ [A-Z][a-z]+")


@dataclass(frozen=True)
class SentenceRecord:
    sid: int
    doc_id: str
    section: str
    text: str
    start: int
    end: int
    author: str | None = None
    byline: bool = False


@dataclass(frozen=True)
class PassageRef:
    pid: int
    rank: int
    score: float
    dense: float  # cosine of the question with the whole passage
    sent_ids: tuple[int, ...]


@dataclass(frozen=True)
class Pick:
    sentence: SentenceRecord
    passage: PassageRef
    score: float


@dataclass(frozen=True)
class Extraction:
    picks: list[Pick]
    evidence: float  # best sentence score; compared with the abstain threshold
    abstained: bool


@dataclass(frozen=True)
class Features:
    dense: float
    context: float
    lexical: float
    passage: float
    answer_type: float
    short: bool
    comment_penalised: bool

    def score(self, w: Weights) -> float:
        s = (
            w.dense * self.dense
            + w.context * self.context
            + w.lexical * self.lexical
            + w.passage * self.passage
            + w.answer_type * self.answer_type
        )
        if self.short:
            s *= w.short_penalty
        if self.comment_penalised:
            s *= w.comment_penalty
        return s


def answer_type_match(question: str, sentence: SentenceRecord) -> float:
    """1.0 when the sentence holds what the question asks for, 0.0 when it does not."""
    text = sentence.text
    if _WANTS_NUMBER.search(question):
        return 1.0 if _NUMBER.search(text) else 0.0
    if _WANTS_DATE.search(question):
        return 1.0 if _DATE.search(text) else 0.0
    if _WANTS_PERSON.search(question):
        return 1.0 if (sentence.author or _NAME.search(text)) else 0.0
    return 0.5  # nothing specific asked: neutral


class ExtractiveAnswerer:
    def __init__(self, max_words: int = 60, threshold: float = 0.45, weights: Weights | None = None) -> None:
        if max_words <= 0:
            raise ValueError(f"max_words must be greater than 0. Currently, max_words is {max_words}")
        self.max_words = max_words
        self.threshold = threshold
        self.weights = weights or Weights()

    def candidates(
        self,
        question: str,
        query_vector: np.ndarray,
        passages: list[PassageRef],
        sentences: Callable[[int], SentenceRecord],
        sentence_vectors: np.ndarray,
        idf: Callable[[str], float],
        unseen_idf: float,
    ) -> list[tuple[SentenceRecord, PassageRef, Features]]:
        q_terms = set(tokenize(question))
        weight = {t: (idf(t) or unseen_idf) for t in q_terms}
        total = sum(weight.values()) or 1.0
        wants_comments = bool(_ASKS_ABOUT_COMMENTS.search(question))
        seen: set[int] = set()
        out = []
        for p in passages:
            ids = [s for s in p.sent_ids if s not in seen]
            seen.update(ids)
            if not ids:
                continue
            cos = np.asarray(sentence_vectors[ids], dtype=np.float32) @ query_vector
            for sid, c in zip(ids, cos.tolist(), strict=True):
                rec = sentences(sid)
                if rec.byline:
                    continue  # "Name 01/03/2017 at 18:21" is context, never an answer
                terms = set(tokenize(rec.text if rec.author is None else f"{rec.author} {rec.text}"))
                feats = Features(
                    dense=c,
                    context=p.dense,
                    lexical=sum(weight[t] for t in q_terms & terms) / total,
                    passage=1.0 / (1.0 + 0.25 * p.rank),
                    answer_type=answer_type_match(question, rec),
                    short=len(rec.text.split()) < SHORT_SENTENCE_WORDS,
                    comment_penalised=rec.section == "comments" and not wants_comments,
                )
                out.append((rec, p, feats))
        return out

    def extract(self, question: str, query_vector: np.ndarray, passages: list[PassageRef], **tables) -> Extraction:
        cands = self.candidates(question, query_vector, passages, **tables)
        if not cands:
            return Extraction([], 0.0, True)
        ranked = sorted((Pick(r, p, f.score(self.weights)) for r, p, f in cands), key=lambda x: -x.score)
        best = ranked[0]
        if best.score < self.threshold:
            return Extraction([], best.score, True)
        picks = [best]
        words = len(best.sentence.text.split())
        for cand in ranked[1:]:
            if len(picks) >= MAX_SENTENCES or cand.score < EXTRA_SENTENCE_RATIO * best.score:
                break
            n = len(cand.sentence.text.split())
            if words + n > self.max_words or _redundant(cand, picks):
                continue
            picks.append(cand)
            words += n
        return Extraction(picks, best.score, False)


def _redundant(cand: Pick, picks: list[Pick]) -> bool:
    a = set(tokenize(cand.sentence.text))
    for p in picks:
        b = set(tokenize(p.sentence.text))
        if a and b and len(a & b) / min(len(a), len(b)) > 0.7:
            return True
    return False


def render(picks: list[Pick]) -> str:
    """Answer text: each sentence followed by its [n] marker (n = position + 1).

    Reader comments are quoted and attributed, so they never pass for the article.
    """
    parts = []
    for n, pick in enumerate(picks, start=1):
        s = pick.sentence
        text = s.text.strip()
        if s.section == "comments":
            who = f"Reader {s.author}" if s.author else "A reader"
            text = f"{who} commented: “{text}”"
        parts.append(f"{text} [{n}]")
    return " ".join(parts)
