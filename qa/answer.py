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
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from qa.acronyms import canonical, spelled_out_asked, spells_out
from qa.answer_types import IDENTITY_Q, expected_type, holds, speaker_name, speaker_role
from qa.index.schema import SentenceRecord
from qa.subjects import focus, is_attribution, unknown_names
from qa.words import tokenize

NO_ANSWER = "I could not find an answer to that in the documents."


def no_answer_text(unknown: tuple[str, ...]) -> str:
    if not unknown:
        return NO_ANSWER
    names = ", ".join(unknown)
    return f"{NO_ANSWER} They do not mention {names}."


@dataclass(frozen=True)
class Weights:
    dense: float = 0.50
    context: float = 0.0
    lexical: float = 0.35
    passage: float = 0.20
    novelty: float = 0.10
    definition: float = 0.10
    short_penalty: float = 0.8  # headings and fragments are rarely answers
    unfinished_penalty: float = 0.95  # titles, captions, list items: no closing full stop
    comment_penalty: float = 0.9  # the article outranks readers unless asked about them


UNKNOWN_NAME_DISCOUNT = 0.85
_LIST_GAP = 12  # source characters between list items: a line break, indent and bullet
EXTRA_SENTENCE_RATIO = 0.75
MAX_SENTENCES = 3
SHORT_SENTENCE_WORDS = 6

# Words that shape a question but are not what it is about (already tokenized/stemmed).
QUESTION_WORDS = frozenset(tokenize(
    "what which who whom whose when where why how many much did does do doing done according "
    "say says said tell describe described call called name named mean meant list listed "
    "give given happen happened kind sort type define defined definition"
))

# Prose ends with a full stop (maybe inside quotes); headings, captions, references
# and list items do not, and they are answers less often.
_FINISHED = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_ASKS_ABOUT_COMMENTS = re.compile(r"\b(comment\w*|reader\w*|said by a reader)\b", re.I)
# Bylines (who wrote or said what follows) answer only questions about who.
_ASKS_WHO = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:who|whom|whose|which)\b", re.I)
_DEFINITION_Q = re.compile(
    r"^\s*(?:what\s+(?:is|are|was|were|does|do)|define|what's|how (?:does|do) .+? define)\s+(?:an?\s+|the\s+)?(.+?)\s*(?:mean|stand for)?\??\s*$",
    re.I,
)
_DEFINES = re.compile(
    r"\b(is|are)\s+(an?|the)\b|\bdescribes?\b.*\bas\b|\bdefin\w*|\bmeans\b|\brefers? to\b|\boccurs\b|"
    r"\bcharacteristics\b|\bfocuses on\b|\baims? to\b",
    re.I,
)
# What defines a person for "who is X?": a role in apposition ("Simon Stevens, chief executive, ...").
_ROLE = re.compile(
    r"^[^,]{0,40}, (?:the |a |an )?(?:[\w-]+ ){0,3}(?:chief|chair|director|secretary|minister|head|boss|leader|"
    r"officer|editor|executive|president|professor|manager|lead)\b",
    re.I,
)


def terms_of(sid: int, sentences: Callable[[int], SentenceRecord], acronyms: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The terms a sentence is scored on: its words and its writer's name, long forms as acronyms."""
    rec = sentences(sid)
    return frozenset(canonical(tokenize(rec.text if rec.author is None else f"{rec.author} {rec.text}"), acronyms))


@dataclass(frozen=True)
class DefinitionAsk:
    """What a definitional question asks to define, read once per question."""

    spell_out: tuple[str, ...] = ()  # "What does STP stand for?" -> ("STP",)
    term: frozenset[str] = frozenset()  # "What is an ACO?" -> {aco}
    identity: bool = False  # "Who is Simon Stevens?": a role in apposition also defines

    @classmethod
    def parse(cls, question: str, acronyms: dict[str, tuple[str, ...]]) -> DefinitionAsk | None:
        asked = spelled_out_asked(question)
        if asked:
            return cls(spell_out=tuple(asked))
        identity = IDENTITY_Q.match(question)
        m = identity or _DEFINITION_Q.match(question)
        if not m:
            return None
        term = frozenset(canonical(tokenize(m.group(1)), acronyms) - QUESTION_WORDS)
        return cls(term=term, identity=bool(identity)) if term else None

    def match(self, sentence: SentenceRecord, words: frozenset[str]) -> float:
        """1.0 for a sentence (with terms ``words``) that defines what was asked."""
        if self.spell_out:
            # "What does STP stand for?" is answered where the documents spell it out.
            return 1.0 if any(spells_out(sentence.text, a) for a in self.spell_out) else 0.0
        if not self.term & words:
            return 0.0
        defines = _DEFINES.search(sentence.text) or (self.identity and _ROLE.search(sentence.text))
        return 1.0 if defines else 0.0


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
    unknown: tuple[str, ...] = ()  # names in the question the corpus never mentions


@dataclass(frozen=True)
class Features:
    dense: float
    context: float
    lexical: float
    passage: float
    typed: bool | None  # holds the kind of thing asked for; None when no kind is asked
    novelty: float  # share of the sentence's words the question does not already have
    definition: float  # a definitional sentence for a "what is X?" question
    short: bool
    unfinished: bool
    comment_penalised: bool
    on_subject: bool  # about what the question names and counts (qa/subjects.py); typed questions only

    def score(self, w: Weights) -> float:
        s = (
            w.dense * self.dense
            + w.context * self.context
            + w.lexical * self.lexical
            + w.passage * self.passage
            + w.novelty * self.novelty
            + w.definition * self.definition
        )
        if self.short:
            s *= w.short_penalty
        if self.unfinished:
            s *= w.unfinished_penalty
        if self.comment_penalised:
            s *= w.comment_penalty
        return s


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
        acronyms: dict[str, tuple[str, ...]] | None = None,
        people: frozenset[str] = frozenset(),
        sentence_terms: Callable[[int], frozenset[str]] | None = None,
    ) -> list[tuple[SentenceRecord, PassageRef, Features]]:
        acronyms = acronyms or {}
        if sentence_terms is None:
            sentence_terms = partial(terms_of, sentences=sentences, acronyms=acronyms)
        q_terms = canonical(tokenize(question), acronyms) - QUESTION_WORDS
        weight = {t: (idf(t) or unseen_idf) for t in q_terms}
        total = sum(weight.values()) or 1.0
        wants_comments = bool(_ASKS_ABOUT_COMMENTS.search(question))
        asked_words = set(tokenize(question))
        asks_who = bool(_ASKS_WHO.match(question))
        kind = expected_type(question)
        # Only typed questions are held to their subjects: "what is an ACO?" is answered
        # by sentences that say "it", and its wording is scored by the features anyway.
        wants_definition = DefinitionAsk.parse(question, acronyms)
        aim = focus(question, acronyms, people) if kind is not None else None
        if aim is not None and aim.empty:
            aim = None
        seen: set[int] = set()
        out = []
        for p in passages:
            ids = [s for s in p.sent_ids if s not in seen]
            seen.update(ids)
            if not ids:
                continue
            cos = np.asarray(sentence_vectors[ids], dtype=np.float32) @ query_vector
            passage_terms: set[str] = set()
            if aim is not None:
                for sid in p.sent_ids:
                    passage_terms |= sentence_terms(sid)
            for sid, c in zip(ids, cos.tolist(), strict=True):
                rec = sentences(sid)
                if rec.code or (rec.byline and not asks_who):
                    continue  # "Name 01/03/2017 at 18:21" only says who wrote what follows
                terms = sentence_terms(sid)
                on_subject = True
                if aim is not None:
                    near = terms | _previous_terms(rec, sentences, sentence_terms)
                    on_subject = aim.met_by(near, near | passage_terms)
                feats = Features(
                    dense=c,
                    context=p.dense,
                    lexical=sum(weight[t] for t in q_terms & terms) / total,
                    passage=1.0 / (1.0 + 0.25 * p.rank),
                    typed=None if kind is None else holds(kind, question, rec.text, rec.author, people),
                    novelty=len(terms - q_terms) / len(terms) if terms else 0.0,
                    definition=wants_definition.match(rec, terms) if wants_definition else 0.0,
                    short=len(rec.text.split()) < SHORT_SENTENCE_WORDS,
                    unfinished=not _FINISHED.search(rec.text),
                    # naming the reader ("What did Joan Heaton worry...?") asks about comments too
                    comment_penalised=rec.section == "comments" and not wants_comments
                    and not (rec.author and set(tokenize(rec.author)) <= asked_words),
                    on_subject=on_subject,
                )
                out.append((rec, p, feats))
        return out

    def extract(self, question: str, query_vector: np.ndarray, passages: list[PassageRef], **tables) -> Extraction:
        # A name the documents never mention ("NHS Scotland") means they cannot answer,
        # unless it only names who reported the answer ("according to Pulse"): the
        # publisher of a page is often not in its text.  That use weakens the evidence.
        unknown = unknown_names(question, tables["idf"], tables.pop("phrase_known", None))
        if any(not is_attribution(name, question) for name in unknown):
            return Extraction([], 0.0, True, unknown)
        discount = UNKNOWN_NAME_DISCOUNT if unknown else 1.0
        cands = self.candidates(question, query_vector, passages, **tables)
        # When the question asks for a kind of thing (a number for "how many?"), only
        # sentences holding one can answer it; none at all means refuse.
        # It must also be about what the question names and counts: "eight areas" does
        # not say how many people live in Dorset.
        cands = [c for c in cands if c[2].typed is not False and c[2].on_subject]
        if spelled_out_asked(question):
            # Where the documents spell the acronym out, that sentence is the answer.
            cands = [c for c in cands if c[2].definition] or cands
        if not cands:
            return Extraction([], 0.0, True, unknown)
        ranked = sorted((Pick(r, p, f.score(self.weights)) for r, p, f in cands), key=lambda x: -x.score)
        best = ranked[0]
        evidence = best.score * discount
        if evidence < self.threshold:
            return Extraction([], evidence, True, unknown)
        first = _with_list(best, tables["sentences"], self.max_words)
        picks = [first]
        words = len(first.sentence.text.split())
        for cand in ranked[1:]:
            if len(picks) >= MAX_SENTENCES or cand.score < EXTRA_SENTENCE_RATIO * best.score:
                break
            n = len(cand.sentence.text.split())
            if words + n > self.max_words or _redundant(cand, picks) or _within(cand, picks):
                continue
            cand = _with_list(cand, tables["sentences"], self.max_words - words)
            if cand.sentence.text.endswith(":") or any(_within(p, [cand]) for p in picks):
                continue  # a lead-in whose list does not fit says nothing; nor is a pick quoted twice
            picks.append(cand)
            words += len(cand.sentence.text.split())
        return Extraction(picks, evidence, False)


def _previous_terms(
    rec: SentenceRecord, sentences: Callable[[int], SentenceRecord], sentence_terms: Callable[[int], frozenset[str]]
) -> frozenset[str]:
    if rec.sid == 0 or sentences(rec.sid - 1).doc_id != rec.doc_id:
        return frozenset()
    return sentence_terms(rec.sid - 1)


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
        if item.doc_id != rec.doc_id or item.section != rec.section or item.byline or item.code:
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


def render(picks: list[Pick]) -> str:
    """Answer text: each sentence followed by its [n] marker (n = position + 1).

    Reader comments are quoted and attributed, so they never pass for the article;
    so are the pull quotes a document attributes to someone ("Jane Doe, Chief Executive").
    """
    parts = []
    for n, pick in enumerate(picks, start=1):
        s = pick.sentence
        text = s.text.strip()
        again = n > 1 and s.author is not None and (picks[n - 2].sentence.author, picks[n - 2].sentence.section) == (
            s.author, s.section)
        if s.section == "comments":
            who = f"Reader {s.author}" if s.author else "A reader"
            text = f"{speaker_name(s.author) if again else who} {'added' if again else 'commented'}: “{text}”"
        elif s.author:
            text = f"{speaker_name(s.author)} added: “{text}”" if again else f"{speaker_role(s.author)}, said: “{text}”"
        parts.append(f"{text} [{n}]")
    return " ".join(parts)
