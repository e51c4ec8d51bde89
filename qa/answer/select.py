"""Extractive answers: pick the sentences that answer, cite each one, or abstain.

Every sentence of the retrieved passages gets general features
(qa/answer/features.py: cosines, IDF-weighted overlap with the question,
passage rank, whether it holds the kind of thing asked for) and a learned
model (qa/answer/scorer.py, logistic regression fitted on public data by
scripts/train_answerer.py) turns them into the probability that the sentence
answers the question.  The best sentence is the answer; a further one joins
only when its own probability is close to the best's.  A second model reads how
the best candidates look (their probability and lead, what question terms they
and their passages lack) and gives the probability that the question is
answerable from them: that is the evidence, and below the threshold the
assistant says it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from qa.answer.acronyms import canonical
from qa.answer.features import (
    FEATURES,
    add_relative,
    question_features,
    question_pieces,
    sentence_features,
    token_match,
)
from qa.answer.question import QuestionInfo, read_question
from qa.answer.scorer import AnswererModel, load_scorer
from qa.index.schema import SentenceRecord
from qa.index.tokens import SentenceTokens, TokenEncoding
from qa.words import TABLE_CELL, numbers_in, tokenize

_LIST_GAP = 12  # source characters between list items: a line break, indent and bullet
MAX_SENTENCES = 3

# Prose ends with a full stop (maybe inside quotes); list items often do not.
_FINISHED = re.compile(r"[.!?…][\"'”’)\]]*\s*$")


def terms_of(sid: int, sentences: Callable[[int], SentenceRecord], acronyms: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The terms a sentence is scored on: its words and its writer's name, long forms as acronyms."""
    rec = sentences(sid)
    return frozenset(canonical(tokenize(rec.text if rec.author is None else f"{rec.author} {rec.text}"), acronyms))


@dataclass(frozen=True)
class PassageRef:
    pid: int
    rank: int
    score: float  # fused retrieval score
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
    evidence: float  # P(answerable from the retrieved text); compared with the abstain threshold
    abstained: bool
    unknown: tuple[str, ...] = ()  # question terms no passage contains


@dataclass(frozen=True)
class Scored:
    """Every candidate sentence of one question with its features and probability."""

    question: QuestionInfo
    records: list[SentenceRecord]
    passages: list[PassageRef]
    matrix: np.ndarray  # (candidates, FEATURES)
    probability: np.ndarray  # (candidates,)
    question_row: np.ndarray  # QUESTION_FEATURES
    evidence: float  # P(answerable), from question_row


MAX_TABLE_ROWS = 200  # how far up a table its header row is looked for


def _table_context(rec: SentenceRecord, sentences: Callable[[int], SentenceRecord]) -> list[int]:
    """The sentence ids that say what table row ``rec`` is about: the header row above it (rows
    all the way up) and the nearest group label between them ("Lowther Annex" over that
    library's rows, in a plain-text table). Empty when ``rec`` is no table row."""
    if TABLE_CELL not in rec.text:
        return []
    found: list[int] = []
    for sid in range(rec.sid - 1, max(-1, rec.sid - MAX_TABLE_ROWS), -1):
        above = sentences(sid)
        if above.doc_id != rec.doc_id:
            break
        if TABLE_CELL not in above.text:
            if not above.heading:
                break
            if not found:
                found.append(sid)  # its group's label; an earlier group's is passed over
            continue
        if above.heading:
            return found + [sid]
    return found


class ExtractiveAnswerer:
    def __init__(self, max_words: int = 60, threshold: float | None = None,
                 scorer: AnswererModel | None = None) -> None:
        if max_words <= 0:
            raise ValueError(f"max_words must be greater than 0. Currently, max_words is {max_words}")
        self.max_words = max_words
        self.scorer = scorer or load_scorer()
        self.threshold = self.scorer.threshold if threshold is None else threshold

    def score(
        self,
        question: str | QuestionInfo,
        query_vector: np.ndarray,
        passages: list[PassageRef],
        sentences: Callable[[int], SentenceRecord],
        sentence_vectors: np.ndarray,
        idf: Callable[[str], float],
        unseen_idf: float,
        acronyms: dict[str, tuple[str, ...]] | None = None,
        sentence_terms: Callable[[int], frozenset[str]] | None = None,
        query_tokens: TokenEncoding | None = None,
        sentence_tokens: SentenceTokens | None = None,
        sentence_words: Callable[[int], list[str]] | None = None,
        sentence_numbers: Callable[[int], frozenset[str]] | None = None,
    ) -> Scored:
        """Features and probability of every sentence of ``passages``.

        ``query_tokens`` and ``sentence_tokens`` (the question's and each sentence's word-piece
        vectors) give the late-interaction feature ``tok``; without them it falls back to the
        sentence cosine. ``sentence_terms``, ``sentence_words`` and ``sentence_numbers`` may cache
        per sentence.
        """
        acronyms = acronyms or {}
        if sentence_words is None:
            def sentence_words(sid: int) -> list[str]:
                return tokenize(sentences(sid).text)
        if sentence_terms is None:
            def sentence_terms(sid: int) -> frozenset[str]:
                return terms_of(sid, sentences, acronyms)
        if sentence_numbers is None:
            def sentence_numbers(sid: int) -> frozenset[str]:
                return numbers_in(sentences(sid).text)
        # The engine passes the question it already read; a bare string is read here.
        q = question if isinstance(question, QuestionInfo) else read_question(question, idf, unseen_idf, acronyms)
        asks_who = q.asks_who
        pieces, piece_idf = (question_pieces(query_tokens, q.surface) if query_tokens is not None and sentence_tokens
                             else (None, None))
        tok_of: dict[int, tuple[float, float]] = {}
        if pieces is not None:
            wanted = list(dict.fromkeys(s for p in passages for s in p.sent_ids))
            tok, tok_idf = token_match(sentence_tokens.best_matches(pieces, wanted), piece_idf)
            tok_of = dict(zip(wanted, zip(tok.tolist(), tok_idf.tolist(), strict=True), strict=True))
        seen: set[int] = set()
        records: list[SentenceRecord] = []
        refs: list[PassageRef] = []
        rows: list[list[float]] = []
        for p in passages:
            ids = [s for s in p.sent_ids if s not in seen]
            seen.update(ids)
            if not ids:
                continue
            # every sentence of the passage, for the neighbours' cosines
            all_cos = (np.asarray(sentence_vectors[list(p.sent_ids)], dtype=np.float32) @ query_vector).tolist()
            terms = [sentence_terms(s) for s in p.sent_ids]
            numbers = [sentence_numbers(s) for s in p.sent_ids]
            passage_terms = set().union(*terms) if terms else set()
            position = {sid: i for i, sid in enumerate(p.sent_ids)}
            for sid in ids:
                c = all_cos[position[sid]]
                rec = sentences(sid)
                if rec.code or rec.heading or (rec.byline and not asks_who):
                    # "Name 01/03/2017 at 18:21" only says who wrote what follows; a heading
                    # ("Restoring a file") names a section: its words count for the passage
                    # (lex_passage, the next sentence's window), the sentences under it answer.
                    continue
                i = position[sid]
                window = set(terms[i]).union(*terms[max(0, i - 1) : i + 2])
                window_numbers = set().union(*numbers[max(0, i - 1) : i + 2])
                for sid_above in _table_context(rec, sentences):
                    # "billing | 7300 | 17300" says which port is staging's only with its header row
                    window |= sentence_terms(sid_above)
                    window_numbers |= sentence_numbers(sid_above)
                near = all_cos[max(0, i - 1) : i + 2]
                tok = tok_of.get(sid, (c, c))  # no word-piece vectors: the sentence cosine stands in
                rows.append(sentence_features(
                    q, rec.text, rec.section, terms[i], window, window_numbers, passage_terms, sentence_words(sid),
                    c, p.dense, p.rank, i == 0, unseen_idf, sum(near) / len(near), *tok,
                ))
                records.append(rec)
                refs.append(p)
        matrix = add_relative(np.asarray(rows, dtype=np.float64).reshape(len(rows), -1))
        prob = self.scorer.probabilities(matrix) if len(rows) else np.zeros(0)
        row = question_features(q, matrix, prob)
        return Scored(q, records, refs, matrix, prob, row, self.scorer.answerable(row) if len(rows) else 0.0)

    def extract(self, question: str | QuestionInfo, query_vector: np.ndarray, passages: list[PassageRef],
                threshold: float | None = None, **tables) -> Extraction:
        """Pick the answer sentences, or abstain when the evidence is below ``threshold``
        (default: this answerer's)."""
        threshold = self.threshold if threshold is None else threshold
        scored = self.score(question, query_vector, passages, **tables)
        unknown = scored.question.unseen_terms
        if not len(scored.probability):
            return Extraction([], 0.0, True, unknown)
        if scored.question.terms and scored.question.unseen >= 1.0 - 1e-9:
            # Not one of the question's content words occurs anywhere in the documents: they
            # cannot answer it, whatever sentence scores best (on a small corpus the learned
            # evidence has little to go on).  No squad2 or seeds dev question is like this.
            return Extraction([], 0.0, True, unknown)
        order = np.argsort(-scored.probability, kind="stable")
        evidence = scored.evidence
        if scored.question.spell_out:
            # "What does X stand for?" is answered where the documents spell X out, when they
            # do ("Open Data Institute (ODI)"): the corpus itself defines it, so no doubt is left.
            spells = [i for i in order if scored.matrix[i, FEATURES.index("defines")]]
            if spells:
                order = np.array(spells + [i for i in order if i not in spells], dtype=int)
                evidence = 1.0
        ranked = [Pick(scored.records[i], scored.passages[i], float(scored.probability[i])) for i in order]
        best = ranked[0]
        if evidence < threshold:
            return Extraction([], evidence, True, unknown)
        first = _with_list(best, tables["sentences"], self.max_words)
        picks = [first]
        words = len(first.sentence.text.split())
        for cand in ranked[1:]:
            if len(picks) >= MAX_SENTENCES or cand.score < self.scorer.extra_ratio * best.score:
                break
            n = len(cand.sentence.text.split())
            if words + n > self.max_words or _redundant(cand, picks) or _within(cand, picks):
                continue
            cand = _with_list(cand, tables["sentences"], self.max_words - words)
            if cand.sentence.text.endswith(":") or any(_within(p, [cand]) for p in picks):
                continue  # a lead-in whose list does not fit says nothing; nor is a pick quoted twice
            picks.append(cand)
            words += len(cand.sentence.text.split())
        return Extraction(picks, evidence, False, unknown)


def _with_list(pick: Pick, sentences: Callable[[int], SentenceRecord], budget: int) -> Pick:
    """A sentence ending in ":" ("... likely candidates, including:") answers with what it lists.

    Following bullet points (or, where the items are paragraphs, the next sentence)
    join it in one citation whose span runs to the last item, as the budget allows.
    """
    rec = pick.sentence
    if not rec.text.rstrip().endswith(":"):
        return pick
    words = len(rec.text.split())
    items: list[SentenceRecord] = []
    prev = rec
    for sid in pick.passage.sent_ids[pick.passage.sent_ids.index(rec.sid) + 1 :]:
        item = sentences(sid)
        if item.doc_id != rec.doc_id or item.section != rec.section or item.byline or item.code or item.heading:
            break
        if item.start - prev.end > _LIST_GAP:
            break  # something was dropped in between (a page break's footnotes): not one quote
        if items and not (item.list_item and items[-1].list_item):
            break  # a list of paragraphs gets its first item; bullets run to the list's end
        n = len(item.text.split())
        if words + n > budget:
            break
        items.append(item)
        prev = item
        words += n
    if not items:
        return pick
    sep = "; " if all(i.list_item and not _FINISHED.search(i.text) for i in items) else " "
    text = rec.text.rstrip() + " " + sep.join(i.text.strip() for i in items)
    merged = replace(rec, text=text, end=items[-1].end)
    return Pick(merged, pick.passage, pick.score)


def _within(cand: Pick, picks: list[Pick]) -> bool:
    """Whether a candidate is already quoted inside a pick (a list item joined to its lead-in)."""
    s = cand.sentence
    return any(p.sentence.doc_id == s.doc_id and p.sentence.start <= s.start and s.end <= p.sentence.end for p in picks)


def _redundant(cand: Pick, picks: list[Pick]) -> bool:
    a = set(tokenize(cand.sentence.text))
    for p in picks:
        b = set(tokenize(p.sentence.text))
        if a and b and len(a & b) / min(len(a), len(b)) > 0.7:
            return True
    return False
