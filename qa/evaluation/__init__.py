"""Evaluation harness: the hand-written set (``qa eval``) and BEIR benchmarks (``qa eval --beir``).

One job per module: ``dataset`` reads eval/questions.jsonl, ``runner`` runs the
pipeline and keeps one row per question, ``metrics`` checks answers and averages,
``ir`` is the only caller of ranx, ``baseline``/``gate`` compare and judge,
``calibrate`` sweeps the abstain threshold, ``report`` writes JSON, Markdown and
plots, ``beir`` runs a public benchmark.
"""
