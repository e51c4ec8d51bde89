"""Run the real pipeline over the evaluation set and collect one row per question."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from qa.evaluation.dataset import CATEGORIES, SPLITS, EvalItem
from qa.evaluation.ir import rank_scores, ranx_scores
from qa.evaluation.metrics import (
    CURVE_K,
    GroupMetrics,
    aggregate,
    answer_matches,
    answer_words,
    citation_hits,
    citation_precision,
    citation_recall,
)

RANX_METRICS = ("hit_rate@1", "hit_rate@5", "mrr@10", "ndcg@10") + tuple(
    f"hit_rate@{k}" for k in range(1, CURVE_K + 1) if k not in (1, 5)
)
# Settings that change what the evaluation measures; recorded with every run.
RECORDED_SETTINGS = (
    "seeds_dir", "index_dir", "model", "encoding", "chunk_tokens", "chunk_overlap", "top_k",
    "max_answer_words", "abstain_threshold",
)


@dataclass
class QuestionResult:
    id: str
    question: str
    category: str
    split: str
    answerable: bool
    accepted: list[str]
    answer: str
    abstained: bool
    evidence: float | None
    correct: bool
    failure: str | None  # why it is wrong, None when correct
    citation_precision: float | None
    citation_recall: float | None
    answer_words: int
    first_relevant_rank: int | None  # in the top CURVE_K of engine.search
    hit_at_1: float | None
    hit_at_5: float | None
    mrr: float | None
    ndcg_at_10: float | None
    hit_curve: list[float] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)


@dataclass
class SplitSummary:
    overall: GroupMetrics
    categories: dict[str, GroupMetrics]


@dataclass
class EvalRun:
    settings: dict
    index: dict
    questions: int
    seconds: float
    summary: dict[str, SplitSummary]
    rows: list[QuestionResult]

    def to_dict(self) -> dict:
        return asdict(self)

    def metric(self, name: str, split: str = "all", category: str | None = None) -> float | None:
        group = self.summary[split]
        return (group.categories[category] if category else group.overall).get(name)


def _passage_key(doc_id: str, start: int, end: int) -> str:
    return f"{doc_id}:{start}-{end}"


def relevant_passages(engine, item: EvalItem) -> set[str]:
    """Every indexed passage whose span overlaps a support span of the same file."""
    keys = set()
    for p in engine.passages:
        source = engine.documents[p.doc_id].source
        if any(s.overlaps(source, p.start, p.end) for s in item.support):
            keys.add(_passage_key(p.doc_id, p.start, p.end))
    return keys


@contextmanager
def _one_embedding_per_question(engine) -> Iterator[None]:
    """search() and ask() embed the same question; embed it once (halves the run time)."""
    original = engine.encode_question
    memo: dict[str, object] = {}

    def encode(text: str):
        if text not in memo:
            memo[text] = original(text)
        return memo[text]

    engine.encode_question = encode  # instance attribute shadows the method (encode_query calls it)
    try:
        yield
    finally:
        del engine.encode_question


def _failure(item: EvalItem, abstained: bool, correct: bool, rank: int | None, top_k: int) -> str | None:
    if correct:
        return None
    if not item.answerable:
        return "answered an unanswerable question"
    where = f"supporting passage at rank {rank}" if rank else f"no supporting passage in top {CURVE_K}"
    if abstained:
        return f"false refusal ({where})"
    if rank is None or rank > top_k:
        return f"retrieval miss ({where}; the answer reads the top {top_k})"
    return f"wrong sentence picked ({where})"


def run_eval(
    engine,
    items: Sequence[EvalItem],
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    started = time.perf_counter()
    top_k = engine.settings.top_k
    rankings: dict[str, list[str]] = {}
    qrels: dict[str, dict[str, int]] = {}
    answers = {}
    with _one_embedding_per_question(engine):
        for n, item in enumerate(items, start=1):
            hits = engine.search(item.question, k=CURVE_K).hits
            rankings[item.id] = [_passage_key(h.doc_id, h.start, h.end) for h in hits]
            if item.answerable:
                qrels[item.id] = dict.fromkeys(relevant_passages(engine, item), 1)
            answers[item.id] = engine.ask(item.question)
            if progress:
                progress(n, len(items))
    judged = {q: rel for q, rel in qrels.items() if rel}
    ir = ranx_scores(judged, {q: rank_scores(rankings[q]) for q in judged}, RANX_METRICS)
    rows = [_row(item, answers[item.id], rankings[item.id], qrels.get(item.id), ir.get(item.id), top_k)
            for item in items]
    return EvalRun(
        settings=_settings_snapshot(engine),
        index=dict(engine.info),
        questions=len(rows),
        seconds=round(time.perf_counter() - started, 2),
        summary=summarise(rows),
        rows=rows,
    )


def _row(item, answer, ranking, relevant, ir, top_k) -> QuestionResult:
    correct = answer_matches(answer, item.answers) if item.answerable else answer.abstained
    rank = next((i for i, key in enumerate(ranking, start=1) if key in (relevant or {})), None)
    retrieval: dict = {"hit_at_1": None, "hit_at_5": None, "mrr": None, "ndcg_at_10": None, "hit_curve": []}
    if item.answerable:  # support outside the index (ir is None) scores 0 everywhere
        ir = ir or {}
        retrieval = {
            "hit_at_1": ir.get("hit_rate@1", 0.0), "hit_at_5": ir.get("hit_rate@5", 0.0),
            "mrr": ir.get("mrr@10", 0.0), "ndcg_at_10": ir.get("ndcg@10", 0.0),
            "hit_curve": [ir.get(f"hit_rate@{k}", 0.0) for k in range(1, CURVE_K + 1)],
        }
    return QuestionResult(
        id=item.id, question=item.question, category=item.category, split=item.split,
        answerable=item.answerable, accepted=list(item.answers), answer=answer.answer,
        abstained=answer.abstained, evidence=answer.evidence, correct=correct,
        failure=_failure(item, answer.abstained, correct, rank, top_k),
        citation_precision=citation_precision(answer, item.support) if item.answerable else None,
        citation_recall=citation_recall(answer, item.support),
        answer_words=0 if answer.abstained else answer_words(answer),
        first_relevant_rank=rank,
        citations=[
            {"n": c.n, "source": c.source, "quote_start": c.quote_start, "quote_end": c.quote_end,
             "on_support": citation_hits(c, item.support)}
            for c in answer.citations
        ],
        **retrieval,
    )


def summarise(rows: Sequence[QuestionResult]) -> dict[str, SplitSummary]:
    out = {}
    for split in SPLITS:
        chosen = [r for r in rows if split == "all" or r.split == split]
        out[split] = SplitSummary(
            overall=aggregate(chosen),
            categories={c: aggregate([r for r in chosen if r.category == c])
                        for c in CATEGORIES if any(r.category == c for r in chosen)},
        )
    return out


def _settings_snapshot(engine) -> dict:
    s = engine.settings
    snap = {name: str(v) if hasattr(v, "as_posix") else v for name in RECORDED_SETTINGS
            for v in [getattr(s, name)]}
    snap["abstain_threshold"] = engine.threshold  # None in settings: the model's own
    snap["dense_weight"] = s.dense_weight
    snap["retrieval_depth"] = s.retrieval_depth
    return snap
