"""Write the run: latest.json (machine-readable), report.md (readable) and PNG plots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation.baseline import Comparison
from qa.evaluation.dataset import CATEGORIES, SPLITS
from qa.evaluation.gate import GateResult
from qa.evaluation.metrics import CURVE_K, HEADLINE, GroupMetrics
from qa.evaluation.runner import EvalRun

CATEGORY_PLOT = "scores_by_category.png"
CURVE_PLOT = "hit_rate_vs_k.png"
# Category bars: what each category is mainly judged on.
BAR_METRICS = (("answer_accuracy", "answer accuracy"), ("hit@5", "hit@5"), ("mrr", "MRR@10"))


@dataclass
class Outputs:
    json: Path
    report: Path
    plots: list[Path]


def result_dict(run: EvalRun, comparison: Comparison | None, gate: GateResult | None) -> dict:
    out = run.to_dict()
    out["baseline"] = comparison.to_dict() if comparison else None
    out["gate"] = gate.to_dict() if gate else None
    return out


def write_outputs(
    run: EvalRun, out_dir: Path, comparison: Comparison | None = None, gate: GateResult | None = None,
    plots: bool = True,
) -> Outputs:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "latest.json"
    json_path.write_text(
        json.dumps(result_dict(run, comparison, gate), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    made = [plot_categories(run, out_dir / CATEGORY_PLOT), plot_hit_curve(run, out_dir / CURVE_PLOT)] if plots else []
    report = out_dir / "report.md"
    report.write_text(markdown(run, comparison, gate, [p.name for p in made]), encoding="utf-8")
    return Outputs(json_path, report, made)


# --- text ------------------------------------------------------------------
def _f(v: float | None, pct: bool = True) -> str:
    if v is None:
        return "–"
    return f"{v * 100:.1f}%" if pct else f"{v:.3f}"


def _cells(g: GroupMetrics) -> list[str]:
    return [
        str(g.questions), _f(g.correct), _f(g.answer_accuracy), _f(g.hit_at_1), _f(g.hit_at_5), _f(g.mrr, False),
        _f(g.ndcg_at_10, False), _f(g.citation_precision), _f(g.citation_recall),
        _f(g.unanswerable_refusal), _f(g.false_refusal),
        "–" if g.answer_words is None else f"{g.answer_words:.1f}",
    ]


_COLUMNS = ["n", "correct (all)", "accuracy", "hit@1", "hit@5", "MRR@10", "nDCG@10", "cite P", "cite R",
            "refused (unans.)", "false refusal", "words"]


def summary_table(run: EvalRun) -> list[str]:
    lines = ["| split | " + " | ".join(_COLUMNS) + " |", "|---" * (len(_COLUMNS) + 1) + "|"]
    for split in SPLITS:
        lines.append(f"| **{split}** | " + " | ".join(_cells(run.summary[split].overall)) + " |")
    return lines


def category_table(run: EvalRun, split: str) -> list[str]:
    lines = ["| category | " + " | ".join(_COLUMNS) + " |", "|---" * (len(_COLUMNS) + 1) + "|"]
    for c, g in run.summary[split].categories.items():
        lines.append(f"| {c} | " + " | ".join(_cells(g)) + " |")
    return lines


def _esc(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown(run: EvalRun, comparison: Comparison | None, gate: GateResult | None, plots: list[str]) -> str:
    s = run.settings
    lines = [
        "# Evaluation report", "",
        f"{run.questions} questions in {run.seconds:.1f}s. Model `{s.get('model')}`, top_k {s.get('top_k')}, "
        f"abstain threshold {s.get('abstain_threshold')}, dense weight {s.get('dense_weight')}, "
        f"index generation `{run.index.get('generation')}` ({run.index.get('passages')} passages).", "",
        "\"correct (all)\" counts a refusal of an unanswerable question as correct. "
        "Accuracy, retrieval and citation scores are over answerable questions; "
        "\"refused (unans.)\" is the share of unanswerable questions declined, \"false refusal\" the share "
        "of answerable ones declined. A passage is relevant when it overlaps a support span.", "",
        "## Summary", "", *summary_table(run), "",
    ]
    if gate is not None:
        lines += ["## Gate", "", f"**{'PASSED' if gate.passed else 'FAILED'}** (split `{gate.split}`)", ""]
        lines += [f"- {'ok  ' if c.passed else 'FAIL'} {c.name}: {c.message}" for c in gate.checks]
        lines.append("")
    if comparison is not None:
        lines += _comparison_md(comparison)
    for split in SPLITS:
        lines += [f"## By category ({split})", "", *category_table(run, split), ""]
    if plots:
        lines += ["## Plots", "", *[f"![{p}]({p})" for p in plots], ""]
    lines += _rows_md(run)
    return "\n".join(lines) + "\n"


def _comparison_md(cmp: Comparison) -> list[str]:
    lines = ["## Against the baseline", "", f"Baseline `{cmp.baseline_path}` from {cmp.baseline_created}.", ""]
    deltas = cmp.deltas.get("all", {})
    if deltas:
        lines.append("Change (all): " + ", ".join(f"{k} {v:+.3f}" for k, v in deltas.items() if k in HEADLINE))
        lines.append("")
    if cmp.regressions:
        shown, heldout = cmp.listed()
        lines.append(f"**{len(cmp.regressions)} question(s) got worse:**")
        lines += [f"- {r.id} ({r.category}, {r.split}): was {r.was}, now {r.now}" for r in shown]
        if heldout:
            lines.append(f"- and {heldout} heldout question(s), not listed (heldout is read as totals only)")
    else:
        lines.append("No question got worse.")
    if cmp.improvements:
        lines.append(f"\nNow right, wrong in the baseline: {', '.join(cmp.improvements)}")
    return [*lines, ""]


def _rows_md(run: EvalRun) -> list[str]:
    lines = [
        "## Questions (failures first)", "",
        "| id | split | category | ok | rank | evidence | question | answer | why |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(run.rows, key=lambda r: (r.correct, CATEGORIES.index(r.category), r.id))
    for r in order:
        answer = "(refused)" if r.abstained else r.answer
        lines.append(
            f"| {r.id} | {r.split} | {r.category} | {'✓' if r.correct else '✗'} | "
            f"{r.first_relevant_rank or '–'} | {'–' if r.evidence is None else f'{r.evidence:.3f}'} | "
            f"{_esc(r.question, 120)} | {_esc(answer)} | {r.failure or ''} "
            f"{'' if r.correct or not r.accepted else '(expected: ' + _esc(' / '.join(r.accepted), 80) + ')'} |"
        )
    return lines


# --- plots -------------------------------------------------------------------
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on CI or servers
    import matplotlib.pyplot as plt

    return plt


def plot_categories(run: EvalRun, path: Path) -> Path:
    plt = _pyplot()
    cats = run.summary["all"].categories
    names = list(cats)
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=110)
    width = 0.8 / (len(BAR_METRICS) + 1)
    for i, (metric, label) in enumerate(BAR_METRICS):
        values = [cats[c].get(metric) or 0.0 for c in names]
        bars = ax.bar([x + i * width for x in range(len(names))], values, width, label=label)
        ax.bar_label(bars, labels=[f"{v:.2f}" if v else "" for v in values], fontsize=7, padding=1)
    refusal = [cats[c].unanswerable_refusal or 0.0 for c in names]
    bars = ax.bar([x + len(BAR_METRICS) * width for x in range(len(names))], refusal, width,
                  label="refused (unanswerable)")
    ax.bar_label(bars, labels=[f"{v:.2f}" if v else "" for v in refusal], fontsize=7, padding=1)
    ax.set_xticks([x + width * len(BAR_METRICS) / 2 for x in range(len(names))])
    ax.set_xticklabels([f"{c}\n(n={cats[c].questions})" for c in names])
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score")
    ax.set_title(f"Scores per category (all splits, {run.questions} questions)")
    ax.legend(loc="upper center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_hit_curve(run: EvalRun, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    ks = list(range(1, CURVE_K + 1))
    for split, style in zip(SPLITS, ("-o", "-s", "-^"), strict=True):
        curve = run.summary[split].overall.hit_curve
        if curve:
            ax.plot(ks[: len(curve)], curve, style, markersize=3.5,
                    label=f"{split} (n={run.summary[split].overall.answerable})")
    top_k = run.settings.get("top_k")
    if isinstance(top_k, int) and top_k <= CURVE_K:
        ax.axvline(top_k, color="grey", linestyle=":", linewidth=1)
        ax.text(top_k + 0.2, 0.02, f"top_k={top_k} (answers read these)", fontsize=8, color="grey",
                transform=ax.get_xaxis_transform())
    ax.set_xticks(ks)
    ax.set_xlim(0.5, CURVE_K + 0.5)
    ax.set_ylim(min(0.5, *(min(run.summary[s].overall.hit_curve or [1]) for s in SPLITS)) - 0.02, 1.01)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("hit rate@k (a supporting passage in the top k)")
    ax.set_title("Retrieval hit rate against k (answerable questions)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
