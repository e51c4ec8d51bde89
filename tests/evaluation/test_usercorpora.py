"""The made-up evaluation sets are well formed: the user corpora (eval/usercorpora,
eval/usercorpora-heldout) and the encyclopedia articles (eval/articles, eval/articles-heldout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation.metrics import normalise
from qa.evaluation.squad import load_squad_sets

EVAL = Path(__file__).resolve().parents[2] / "eval"
SETS = [s for folder in ("usercorpora", "usercorpora-heldout") for s in load_squad_sets(EVAL / folder)]
ARTICLES = [s for folder in ("articles", "articles-heldout") for s in load_squad_sets(EVAL / folder)]


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


def test_dev_and_heldout_articles_are_apart():
    dev = {s.name for s in load_squad_sets(EVAL / "articles")}
    heldout = {s.name for s in load_squad_sets(EVAL / "articles-heldout")}
    assert len(dev) == 20 and len(heldout) == 4 and not dev & heldout
    assert not (dev | heldout) & {s.name for s in SETS}  # one var/squad-NAME cache each


@pytest.mark.parametrize("dataset", ARTICLES, ids=lambda s: s.name)
def test_article_answers_are_at_their_spans(dataset):
    """SQuAD's layout: one article (title, blank line, one paragraph a line), 20 answerable questions
    whose first accepted answer is marked where the question was written from, and 20 unanswerable."""
    ids = [i.id for i in dataset.items]
    assert len(ids) == len(set(ids)) == 40 and all(i.startswith(dataset.name + "-") for i in ids)
    assert sum(i.answerable for i in dataset.items) == 20
    (article,) = sorted(dataset.docs.glob("*.txt"))
    text = article.read_text(encoding="utf-8")
    title, blank, *paragraphs = text.split("\n")
    assert title and not blank and len([p for p in paragraphs if p.strip()]) >= 10
    for item in dataset.items:
        if not item.answerable:
            assert item.answers == [] and item.span is None and item.source is None
            continue
        assert item.source == f"docs/{article.name}"
        start, end = item.span
        assert text[start:end] == item.answers[0], item.id
        assert all(a in text for a in item.answers), item.id
