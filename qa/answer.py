"""Extractive answers: pick the sentences that answer, cite each one, or abstain.

Each sentence of the retrieved passages is scored by its cosine to the question
(sentence vectors are computed at index time, so this costs one matrix product),
by how much of the question's IDF-weighted vocabulary it contains, and by the
rank of its passage.  The best sentence's score is the evidence score; below the
calibrated threshold the assistant says it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.lexical import tokenize

NO_ANSWER = "I could not find an answer to that in the documents."

# Scoring weights, tuned on the dev split of eval/questions.jsonl.
W_DENSE = 0.55
W_LEXICAL = 0.35
W_PASSAGE = 0.10
SHORT_SENTENCE_WORDS = 6  # headings and bylines are rarely answers
EXTRA_SENTENCE_RATIO = 0.88  # a second sentence must score this close to the best
MAX_SENTENCES = 3
_ASKS_ABOUT_COMMENTS = re.compile(r"\b(comment|commenter|reader|readers|commented)\b", re.I)


@dataclass(frozen=True)
class SentenceRecord:
    sid: int
    doc_id: str
    section: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class PassageRef:
    pid: int
    rank: int
    score: float
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


class ExtractiveAnswerer:
    def __init__(self, max_words: int = 60, threshold: float = 0.45) -> None:
        if max_words <= 0:
            raise ValueError(f"max_words must be greater than 0. Currently, max_words is {max_words}")
        self.max_words = max_words
        self.threshold = threshold

    def extract(
        self,
        question: str,
        query_vector: np.ndarray,
        passages: list[PassageRef],
        sentences: Callable[[int], SentenceRecord],
        sentence_vectors: np.ndarray,
        idf: Callable[[str], float],
    ) -> Extraction:
        q_terms = set(tokenize(question))
        q_weight = sum(idf(t) for t in q_terms) or 1.0
        wants_comments = bool(_ASKS_ABOUT_COMMENTS.search(question))

        scored: dict[int, Pick] = {}
        for p in passages:
            ids = [s for s in p.sent_ids if s not in scored]
            if not ids:
                continue
            cos = np.asarray(sentence_vectors[ids], dtype=np.float32) @ query_vector
            prior = 1.0 / (1.0 + 0.25 * p.rank)
            for sid, c in zip(ids, cos.tolist(), strict=True):
                rec = sentences(sid)
                terms = set(tokenize(rec.text))
                lexical = sum(idf(t) for t in q_terms & terms) / q_weight
                score = W_DENSE * c + W_LEXICAL * lexical + W_PASSAGE * prior
                if len(rec.text.split()) < SHORT_SENTENCE_WORDS:
                    score *= 0.8
                if rec.section == "comments" and not wants_comments:
                    score *= 0.9  # the article outranks readers unless asked about them
                scored[sid] = Pick(rec, p, score)
        if not scored:
            return Extraction([], 0.0, True)
        ranked = sorted(scored.values(), key=lambda x: -x.score)
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
    """Answer text: each sentence followed by its [n] marker (n = position + 1)."""
    parts = []
    for n, pick in enumerate(picks, start=1):
        text = pick.sentence.text.strip()
        if pick.sentence.section == "comments":
            text = f"A reader commented: “{text}”"
        parts.append(f"{text} [{n}]")
    return " ".join(parts)
