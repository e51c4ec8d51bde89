"""The one place that calls ranx: per-query IR metrics from qrels and a run."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

_NO_HIT = "__no_result__"  # ranx needs every judged query in the run; this id is never relevant


def ranx_scores(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], metrics: Sequence[str]
) -> dict[str, dict[str, float]]:
    """{query id: {metric: value}} for every query in ``qrels`` (ranx metric names).

    Queries missing from ``run`` or with an empty ranking score 0 on everything.
    Scores must order the run the way the system did; callers pass rank-derived
    scores so ranx's sort cannot reorder ties.
    """
    if not qrels:
        return {}
    with warnings.catch_warnings():
        # ranx's numba kernels warn about an unsigned cast on every first call; harmless.
        warnings.simplefilter("ignore")
        from ranx import Qrels, Run, evaluate

        full = {q: (dict(run.get(q) or {}) or {_NO_HIT: 0.0}) for q in qrels}
        ranx_run = Run(full)
        evaluate(Qrels(qrels), ranx_run, list(metrics), make_comparable=True)
    return {q: {m: float(ranx_run.scores[m][q]) for m in metrics} for q in qrels}


def rank_scores(ids: Sequence[str]) -> dict[str, float]:
    """Scores that reproduce the order of ``ids`` (best first) exactly."""
    n = len(ids)
    return {pid: float(n - i) for i, pid in enumerate(ids)}
