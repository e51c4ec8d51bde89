"""Fit the answer sentence scorer (qa/answerer_model.json) on public data only.

Data: the SQuAD 2.0 article in eval/squad2 (CC BY-SA 4.0; see its README) and the
`dev` split of eval/questions.jsonl.  No other SQuAD article is used: those may be
the hidden test.  A candidate sentence (one of those the answerer scores for a
question) is positive when it contains an accepted answer (case-insensitive);
every candidate of an unanswerable question is negative.

Reproduce (from the repository root, a few minutes on two cores):

    python scripts/train_answerer.py            # writes qa/answerer_model.json
    python scripts/train_answerer.py --dry-run  # only prints the figures

It also prints grouped cross-validation on the SQuAD article (fit on the seeds
dev split plus one half of the article's paragraphs, test on the other half, and
vice versa), so the quoted figures are not in-sample.  Logistic regression
(scikit-learn, training only; the query path scores with numpy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer import ExtractiveAnswerer, PassageRef  # noqa: E402
from qa.answer_features import FEATURES  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.evaluation.metrics import normalise  # noqa: E402
from qa.evaluation.squad import auroc, index_squad, load_squad  # noqa: E402
from qa.indexing import build_index  # noqa: E402
from qa.scorer import MODEL_PATH, SentenceScorer  # noqa: E402

SEED = 0
C = 1.0
FR_TARGET = 0.035  # false refusals allowed when choosing the threshold on out-of-fold scores
MAX_MEDIAN_WORDS = 30
RATIOS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)


@dataclass
class QuestionData:
    qid: str
    source: str  # "squad" or "seeds"
    group: int  # squad: paragraph half (0/1); seeds: -1
    answerable: bool
    accepted: list[str]
    texts: list[str]
    matrix: np.ndarray
    labels: np.ndarray
    right: np.ndarray  # each candidate holds an accepted answer (what the accuracy metric counts)


def _zero_scorer() -> SentenceScorer:
    n = len(FEATURES)
    return SentenceScorer(FEATURES, np.zeros(n), np.ones(n), np.zeros(n), 0.0, 1.01, 0.0)


def _contains(text: str, accepted: list[str]) -> bool:
    t = normalise(text)
    return any(normalise(a) in t for a in accepted if a.strip())


def collect(engine: Engine, questions: list[tuple]) -> list[QuestionData]:
    answerer = ExtractiveAnswerer(engine.settings.max_answer_words, 0.0, _zero_scorer())
    k = engine.settings.top_k
    out = []
    for qid, source, group, answerable, accepted, question, span in questions:
        qvec = engine.encode_query(question)
        found = engine._with_definitions(question, engine.retriever.retrieve(question, qvec, k), k)
        refs = [PassageRef(c.pid, r, c.score, c.dense, engine.passages[c.pid].sent_ids) for r, c in enumerate(found)]
        scored = answerer.score(question, qvec, refs, **engine._answer_tables)
        texts = [r.text for r in scored.records]
        right = np.array([answerable and _contains(t, accepted) for t in texts], dtype=bool)
        labels = right
        if span is not None:  # SQuAD: the sentence that holds the marked answer, not any repeat of it
            labels = np.array([r.start < span[1] and span[0] < r.end for r in scored.records], dtype=bool)
        out.append(QuestionData(qid, source, group, answerable, accepted, texts, scored.matrix, labels, right))
    return out


def squad_questions(folder: Path) -> list[tuple]:
    data = load_squad(folder)
    text = (folder / data.items[0].source).read_text(encoding="utf-8") if data.items[0].source else ""
    starts = [0] + [i + 2 for i in range(len(text)) if text.startswith("\n\n", i)]
    paragraph, out = 0, []
    for it in data.items:
        if it.span:  # unanswerable items follow the answerable ones of their paragraph
            paragraph = max(i for i, s in enumerate(starts) if s <= it.span[0])
        out.append((it.id, "squad", paragraph, it.answerable, it.answers, it.question, it.span))
    middle = statistics.median(sorted({q[2] for q in out}))
    return [(q[0], q[1], int(q[2] > middle), *q[3:]) for q in out]


def seeds_dev(path: Path) -> list[tuple]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            if d["split"] == "dev":
                out.append((d["id"], "seeds", -1, d["category"] != "unanswerable", d["answers"], d["question"], None))
    return out


def fit(data: list[QuestionData]):
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([d.matrix for d in data if len(d.matrix)])
    y = np.concatenate([d.labels for d in data if len(d.matrix)])
    mean, scale = X.mean(0), X.std(0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=C, max_iter=5000, random_state=SEED).fit((X - mean) / scale, y)
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def outcomes(data: list[QuestionData], scorer: SentenceScorer, ratio: float):
    """Per question: (answerable, evidence, right if answered, words) under the answer policy."""
    rows = []
    for d in data:
        if not len(d.matrix):
            rows.append((d.answerable, 0.0, False, 0))
            continue
        p = scorer.probabilities(d.matrix)
        order = np.argsort(-p, kind="stable")
        picked, words = [order[0]], len(d.texts[order[0]].split())
        for i in order[1:]:
            if len(picked) >= 3 or p[i] < ratio * p[order[0]]:
                break
            n = len(d.texts[i].split())
            if words + n > 60:
                continue
            picked.append(i)
            words += n
        text = " ".join(d.texts[i] for i in picked)
        rows.append((d.answerable, float(p[order[0]]), d.answerable and _contains(text, d.accepted), words))
    return rows


def metrics(rows, t: float) -> dict:
    ans = [r for r in rows if r[0]]
    una = [r for r in rows if not r[0]]
    answered = [r for r in rows if r[1] >= t]
    return {
        "accuracy": round(sum(r[2] and r[1] >= t for r in ans) / max(len(ans), 1), 4),
        "median_words": float(statistics.median([r[3] for r in answered])) if answered else None,
        "false_refusal": round(sum(r[1] < t for r in ans) / max(len(ans), 1), 4),
        "refused": round(sum(r[1] < t for r in una) / max(len(una), 1), 4),
        "auroc": auroc([r[1] for r in rows], [r[0] for r in rows]),
        "threshold": round(t, 4),
    }


def choose_threshold(rows, fr_target: float = FR_TARGET) -> float:
    ans = sorted(r[1] for r in rows if r[0])
    # the largest threshold that refuses at most fr_target of the answerable questions
    n = int(np.floor(fr_target * len(ans)))
    return float(ans[n] - 1e-6) if ans else 0.0


def scorer_of(params, ratio: float = 1.01, threshold: float = 0.0) -> SentenceScorer:
    mean, scale, coef, intercept = params
    return SentenceScorer(FEATURES, mean, scale, coef, intercept, ratio, threshold)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    args = ap.parse_args()

    squad_dir = ROOT / "eval" / "squad2"
    base = Settings()
    print("indexing the SQuAD article and the seeds", file=sys.stderr)
    squad_settings = base.model_copy(update={"index_dir": ROOT / "var" / "squad-squad2"})
    index_squad(load_squad(squad_dir), squad_settings)
    seeds_settings = base.model_copy(update={"seeds_dir": ROOT / "seeds", "index_dir": ROOT / "var" / "train-seeds"})
    build_index(seeds_settings)
    squad = collect(Engine.load(squad_settings), squad_questions(squad_dir))
    seeds = collect(Engine.load(seeds_settings), seeds_dev(ROOT / "eval" / "questions.jsonl"))
    print(f"{len(squad)} squad questions, {len(seeds)} seeds dev questions, "
          f"{sum(len(d.labels) for d in squad + seeds)} candidate sentences", file=sys.stderr)

    # Grouped cross-validation: out-of-fold scores for every SQuAD question.
    oof_params = {}
    for fold in (0, 1):
        train = seeds + [d for d in squad if d.group != fold]
        oof_params[fold] = fit(train)
    report: dict = {"cv": {}, "in_sample": {}}
    best_ratio, best = None, None
    for ratio in RATIOS:
        rows = []
        for fold in (0, 1):
            rows += outcomes([d for d in squad if d.group == fold], scorer_of(oof_params[fold]), ratio)
        t = choose_threshold(rows)
        m = metrics(rows, t)
        print(f"cv ratio {ratio}: {m}", file=sys.stderr)
        if m["median_words"] is not None and m["median_words"] <= MAX_MEDIAN_WORDS and (
                best is None or m["accuracy"] > best["accuracy"]):
            best_ratio, best = ratio, m
    if best_ratio is None:
        best_ratio = RATIOS[-1]
    rows = []
    for fold in (0, 1):
        rows += outcomes([d for d in squad if d.group == fold], scorer_of(oof_params[fold]), best_ratio)
    threshold = choose_threshold(rows)
    report["cv"]["squad2"] = metrics(rows, threshold)
    # Each fold with the threshold chosen on the other fold's out-of-fold scores (no peeking).
    for fold in (0, 1):
        test = outcomes([d for d in squad if d.group == fold], scorer_of(oof_params[fold]), best_ratio)
        other = outcomes([d for d in squad if d.group != fold], scorer_of(oof_params[1 - fold]), best_ratio)
        report["cv"][f"squad2_half{fold}"] = metrics(test, choose_threshold(other))

    params = fit(seeds + squad)
    final = scorer_of(params, best_ratio, threshold)
    report["in_sample"]["squad2"] = metrics(outcomes(squad, final, best_ratio), threshold)
    report["in_sample"]["seeds_dev"] = metrics(outcomes(seeds, final, best_ratio), threshold)
    print(json.dumps(report, indent=2))
    if args.dry_run:
        return
    mean, scale, coef, intercept = params
    MODEL_PATH.write_text(json.dumps({
        "about": "Logistic regression scoring answer sentences (qa/scorer.py); features in qa/answer_features.py.",
        "command": "python scripts/train_answerer.py",
        "data": {
            "squad2": "eval/squad2 (SQuAD 2.0 dev article 'Computational complexity theory', CC BY-SA 4.0), "
                      f"{len(squad)} questions",
            "seeds_dev": f"eval/questions.jsonl split=dev, {len(seeds)} questions",
            "labels": "a candidate sentence is positive when it contains an accepted answer (case-insensitive)",
        },
        "seed": SEED, "C": C,
        "threshold_rule": f"largest threshold refusing <= {FR_TARGET} of answerable SQuAD questions, "
                          "on grouped out-of-fold scores",
        "extra_ratio_rule": f"most accurate ratio with median answer <= {MAX_MEDIAN_WORDS} words, out-of-fold",
        "figures": report,
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in coef],
        "intercept": round(intercept, 6),
        "extra_ratio": best_ratio,
        "threshold": round(threshold, 4),
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
