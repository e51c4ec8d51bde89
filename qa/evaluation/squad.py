"""A SQuAD 2.0-style benchmark folder: answers and refusals on text nobody here wrote.

The folder holds ``docs/`` (the corpus) and ``questions.jsonl`` (one object a line:
``id``, ``question``, ``answerable``, ``answers``, ``source``, ``span``), the layout
of ``../shared/benchmarks/squad2`` (see its README); or it holds several such folders
(``eval/usercorpora``: small collections of the kinds users bring), each its own
corpus with its own index, scored together and one by one.  Each corpus is indexed into a
cache folder under ``var/`` and every question is asked once with abstention off,
so one pass gives each answer, its evidence score and whether it is right; the
configured threshold then decides which are refused (the answer text does not
depend on it).

Reported: answer accuracy (an accepted string appears in the answer,
case-insensitive; a refusal is wrong) with the median answer length in words,
false refusals, the share of unanswerable questions refused, the AUROC of the
evidence score for telling answerable from unanswerable questions, and a
risk-coverage curve (answer the most confident questions first: the share of
answers that are wrong at each coverage).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from qa.errors import QAError
from qa.evaluation.dataset import read_items
from qa.evaluation.metrics import answer_words, normalise


class SquadItem(BaseModel):
    id: str
    question: str
    answerable: bool
    answers: list[str]
    source: str | None = None
    span: list[int] | None = None


@dataclass(frozen=True)
class SquadSet:
    name: str
    docs: Path
    items: list[SquadItem]


@dataclass
class SquadRow:
    id: str
    question: str
    answerable: bool
    answer: str
    evidence: float
    right_if_answered: bool  # the answer holds an accepted string (False when unanswerable)
    words: int  # of the answer given with abstention off
    refused: bool  # under the threshold of this run


@dataclass
class SquadMetrics:
    questions: int
    answerable: int
    unanswerable: int
    threshold: float
    answer_accuracy: float  # answerable items answered right; a refusal counts as wrong
    median_words: float | None  # answered items
    false_refusal: float
    unanswerable_refusal: float
    auroc: float | None  # evidence: answerable vs unanswerable
    auroc_right: float | None  # evidence: right answers vs everything else


@dataclass
class SquadPart:
    """One corpus of a multi-corpus benchmark, scored alone."""

    name: str
    metrics: SquadMetrics


@dataclass
class SquadRun:
    name: str
    index_dir: str
    seconds: float
    metrics: SquadMetrics
    parts: list[SquadPart] = field(default_factory=list)  # one per corpus (one for a plain folder)
    coverage: list[float] = field(default_factory=list)
    risk: list[float] = field(default_factory=list)
    rows: list[SquadRow] = field(default_factory=list)

    def to_dict(self, per_question: bool = True) -> dict:
        out = asdict(self)
        if not per_question:
            out.pop("rows")
        return out


def load_squad(folder: Path) -> SquadSet:
    folder = Path(folder)
    questions, docs = folder / "questions.jsonl", folder / "docs"
    if not questions.is_file() or not docs.is_dir():
        raise QAError(
            f"{folder} is not a SQuAD-style benchmark folder: it needs docs/ and questions.jsonl "
            "(see ../shared/benchmarks/squad2/README.md)"
        )
    items = read_items(questions, SquadItem)
    if not items:
        raise QAError(f"{questions} has no questions")
    return SquadSet(folder.resolve().name, docs, items)


def load_squad_sets(folder: Path) -> list[SquadSet]:
    """A SQuAD-style folder, or a folder of them (each its own corpus, in name order)."""
    folder = Path(folder)
    if folder.is_dir() and not (folder / "questions.jsonl").exists():
        subs = sorted(p for p in folder.iterdir() if p.is_dir() and (p / "questions.jsonl").is_file())
        if subs:
            return [load_squad(p) for p in subs]
    return [load_squad(folder)]


def index_squad(dataset: SquadSet, settings, progress: bool = False):
    """Index the benchmark's docs/ into ``settings.index_dir`` (incremental, like `qa index`)."""
    from qa.index.build import build_index

    return build_index(settings.model_copy(update={"seeds_dir": dataset.docs}), progress=progress)


def matches(text: str, accepted: Sequence[str]) -> bool:
    text = normalise(text)
    return any(normalise(a) in text for a in accepted if a.strip())


def observe(engine, items: Sequence[SquadItem], progress: Callable[[int, int], None] | None = None) -> list[SquadRow]:
    """Ask every item with abstention off (threshold 0 for these questions only)."""
    rows = []
    for n, item in enumerate(items, start=1):
        ans = engine.ask(item.question, threshold=0.0)
        evidence = ans.evidence
        right = item.answerable and not ans.abstained and matches(ans.answer, item.answers)
        rows.append(SquadRow(
            item.id, item.question, item.answerable, "" if ans.abstained else ans.answer, evidence,
            right, 0 if ans.abstained else answer_words(ans), ans.abstained,
        ))
        if progress:
            progress(n, len(items))
    return rows


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve by the rank-sum formula (ties get their average rank)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return round(float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg)), 4)


def score(rows: Sequence[SquadRow], threshold: float) -> SquadMetrics:
    """Metrics of ``rows`` when evidence below ``threshold`` is refused."""
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]
    refused = [r.refused or r.evidence < threshold for r in rows]
    answered_words = [r.words for r, x in zip(rows, refused, strict=True) if not x]
    right = sum(r.right_if_answered and not x for r, x in zip(rows, refused, strict=True) if r.answerable)
    return SquadMetrics(
        questions=len(rows), answerable=len(ans), unanswerable=len(una), threshold=round(threshold, 4),
        answer_accuracy=round(right / max(len(ans), 1), 4),
        median_words=float(statistics.median(answered_words)) if answered_words else None,
        false_refusal=round(sum(x for r, x in zip(rows, refused, strict=True) if r.answerable) / max(len(ans), 1), 4),
        unanswerable_refusal=round(
            sum(x for r, x in zip(rows, refused, strict=True) if not r.answerable) / max(len(una), 1), 4),
        auroc=auroc([r.evidence for r in rows], [r.answerable for r in rows]),
        auroc_right=auroc([r.evidence for r in rows], [r.right_if_answered for r in rows]),
    )


def risk_coverage(rows: Sequence[SquadRow]) -> tuple[list[float], list[float]]:
    """Answer questions from the highest evidence down: (coverage, share of answers wrong)."""
    order = sorted(rows, key=lambda r: -r.evidence)
    coverage, risk, wrong = [], [], 0
    for n, r in enumerate(order, start=1):
        wrong += not r.right_if_answered
        coverage.append(round(n / len(order), 4))
        risk.append(round(wrong / n, 4))
    return coverage, risk


def run_squad(engine, dataset: SquadSet, progress: Callable[[int, int], None] | None = None) -> SquadRun:
    started = time.perf_counter()
    rows = observe(engine, dataset.items, progress)
    threshold = engine.threshold
    for r in rows:
        r.refused = r.refused or r.evidence < threshold
    coverage, risk = risk_coverage(rows)
    metrics = score(rows, threshold)
    return SquadRun(
        name=dataset.name, index_dir=str(engine.settings.index_dir),
        seconds=round(time.perf_counter() - started, 2), metrics=metrics, parts=[SquadPart(dataset.name, metrics)],
        coverage=coverage, risk=risk, rows=rows,
    )


def combine(name: str, index_dir: str, runs: Sequence[SquadRun]) -> SquadRun:
    """Several corpora's runs as one: every question pooled, each corpus's own figures kept."""
    if len(runs) == 1:
        return runs[0]
    rows = [r for run in runs for r in run.rows]
    coverage, risk = risk_coverage(rows)
    return SquadRun(
        name=name, index_dir=index_dir, seconds=round(sum(r.seconds for r in runs), 2),
        metrics=score(rows, runs[0].metrics.threshold), parts=[p for run in runs for p in run.parts],
        coverage=coverage, risk=risk, rows=rows,
    )


def plot_risk_coverage(run: SquadRun, path: Path) -> Path:
    from qa.evaluation.report import _pyplot

    plt = _pyplot()
    m = run.metrics
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    ax.plot(run.coverage, run.risk, "-", linewidth=1.5, label="answer the most confident first")
    answered = 1 - (m.false_refusal * m.answerable + m.unanswerable_refusal * m.unanswerable) / m.questions
    ax.axvline(answered, color="grey", linestyle=":", linewidth=1)
    ax.text(answered + 0.01, 0.05, f"threshold {m.threshold}", fontsize=8, color="grey",
            transform=ax.get_xaxis_transform())
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("risk (share of answers wrong; unanswerable answered = wrong)")
    ax.set_title(f"{run.name}: risk against coverage (AUROC {m.auroc})")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def summary_line(m: SquadMetrics) -> str:
    words = "–" if m.median_words is None else f"{m.median_words:g}"
    return (
        f"accuracy {m.answer_accuracy:.1%} at a median of {words} words; false refusals {m.false_refusal:.1%}; "
        f"unanswerable refused {m.unanswerable_refusal:.1%}; AUROC {m.auroc} (answerable vs not), "
        f"{m.auroc_right} (right answer vs not); threshold {m.threshold}"
    )
