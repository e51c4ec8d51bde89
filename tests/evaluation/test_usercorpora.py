"""The made-up user corpora (eval/usercorpora, eval/usercorpora-heldout) are well formed."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation.metrics import normalise
from qa.evaluation.squad import load_squad_sets

EVAL = Path(__file__).resolve().parents[2] / "eval"
SETS = [s for folder in ("usercorpora", "usercorpora-heldout") for s in load_squad_sets(EVAL / folder)]


def test_dev_and_heldout_collections_are_apart():
    dev = {s.name for s in load_squad_sets(EVAL / "usercorpora")}
    heldout = {s.name for s in load_squad_sets(EVAL / "usercorpora-heldout")}
    assert len(dev) == 32 and len(heldout) == 4 and not dev & heldout


@pytest.mark.parametrize("dataset", SETS, ids=lambda s: s.name)
def test_every_answer_is_in_its_source_at_its_span(dataset):
    ids = [i.id for i in dataset.items]
    assert len(ids) == len(set(ids)) and all(i.startswith(dataset.name + "-") for i in ids)
    assert sum(i.answerable for i in dataset.items) == 13 and len(dataset.items) == 20
    everything = normalise(" ".join(p.read_text(encoding="utf-8") for p in sorted(dataset.docs.iterdir())))
    for item in dataset.items:
        if not item.answerable:
            assert item.answers == [] and item.span is None
            continue
        text = (dataset.docs.parent / item.source).read_text(encoding="utf-8")
        start, end = item.span
        assert text[start:end] == item.answers[0], item.id
        # another spelling may come from another page ("8 MiB" in the changelog, "8MiB" in the table)
        assert all(normalise(a) in everything for a in item.answers), item.id
