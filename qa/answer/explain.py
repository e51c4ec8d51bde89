"""`qa explain` and POST /ask?explain=1: every candidate with its score, and why the answer.

Built from what the answerer already computed (qa/answer/select.py ``Scored``), so the
explanation shows the numbers the decision was made on, not a second opinion.
"""

from __future__ import annotations

import numpy as np

from qa.answer.select import Extraction, PassageRef, Scored
from qa.models import ExplainedPassage, ExplainedSentence, Explanation

SHOWN_SENTENCES = 10


def explain(engine, scored: Scored, refs: list[PassageRef], found, extraction: Extraction) -> Explanation:
    q = scored.question
    scorer = engine.answerer.scorer
    threshold = engine.answerer.threshold
    in_passages: set[str] = set()
    for p in refs:
        for sid in p.sent_ids:
            in_passages |= engine._sentence_terms(sid)
    matched = sorted(q.terms & in_passages)
    unseen = list(q.unseen_terms)
    unmatched = sorted(q.terms - in_passages - set(unseen))
    order = np.argsort(-scored.probability, kind="stable")[:SHOWN_SENTENCES]
    sentences = []
    for i in order.tolist():
        rec = scored.records[i]
        source = engine.documents[rec.doc_id].source
        sentences.append(ExplainedSentence(
            passage_rank=scored.passages[i].rank + 1, source=source, start=rec.start, end=rec.end, text=rec.text,
            probability=round(float(scored.probability[i]), 4),
            picked=any(p.sentence.doc_id == rec.doc_id and p.sentence.start <= rec.start < p.sentence.end
                       for p in extraction.picks),
            features={n: round(float(v), 4) for n, v in zip(scorer.features, scored.matrix[i], strict=True)},
            contributions=scorer.contributions(scored.matrix[i]),
        ))
    passages = [
        ExplainedPassage(
            rank=r + 1, doc_id=engine.passages[c.pid].doc_id,
            source=engine.documents[engine.passages[c.pid].doc_id].source,
            start=engine.passages[c.pid].start, end=engine.passages[c.pid].end,
            retrieval=round(c.score, 4), cosine=round(c.dense, 4),
        )
        for r, c in enumerate(found)
    ]
    return Explanation(
        kind=q.kind, matched_terms=matched, unseen_terms=unseen, common_terms=list(q.common_terms),
        unmatched_terms=unmatched, evidence=round(extraction.evidence, 4),
        evidence_features={n: round(float(v), 4) for n, v in zip(scorer.question.features, scored.question_row,
                                                                  strict=True)},
        evidence_contributions=scorer.question.contributions(scored.question_row), threshold=round(threshold, 4),
        decision="refused" if extraction.abstained else "answered",
        reason=_reason(extraction, threshold, unseen, unmatched, sentences,
                       scorer.question.contributions(scored.question_row)),
    passages=passages, sentences=sentences)


def _reason(extraction: Extraction, threshold: float, unseen: list[str], unmatched: list[str],
            sentences: list[ExplainedSentence], contributions: dict[str, float]) -> str:
    if not sentences:
        return "no passage was retrieved, so there is nothing to answer from"
    top = sorted(contributions.items(), key=lambda kv: -abs(kv[1]))[:3]
    why = ", ".join(f"{n} {v:+.2f}" for n, v in top)
    if extraction.abstained:
        extra = ""
        if unseen:
            extra += f"; the corpus never contains {', '.join(unseen)}"
        if unmatched:
            extra += f"; the retrieved passages lack {', '.join(unmatched)}"
        return (f"the evidence (probability that these passages answer) {extraction.evidence:.3f} is below the "
                f"threshold {threshold:.3f} (largest contributions: {why}){extra}")
    n = len(extraction.picks)
    return (f"{n} sentence{'s' if n > 1 else ''} picked, best first by sentence probability; the evidence "
            f"{extraction.evidence:.3f} reaches the threshold {threshold:.3f} (largest contributions: {why})")
