"""Boilerplate learned from the corpus: short lines that many of its pages repeat.

A site's banner, audience notice or comment-form small print is printed on every page
it serves; a fixed list of phrases only knows the sites it was written for.  At index
time, a short line found on at least ``MIN_DOCS`` pages and on at least ``MIN_SHARE``
of all pages is taken to be the site's furniture and dropped from every page.
Markdown is left alone (its structure comes from its parser).
"""

from __future__ import annotations

from collections import Counter

from qa.ingest.readers import RawDocument

MIN_DOCS = 3
MIN_SHARE = 0.2
MAX_LINE_CHARS = 100  # longer lines are prose, even when templated pages share them


def line_key(line: str) -> str:
    return " ".join(line.split()).lower()


def repeated_lines(docs: list[RawDocument]) -> frozenset[str]:
    """Keys (see ``line_key``) of the short lines that many documents repeat."""
    pages = [d for d in docs if d.kind != "markdown"]
    counts: Counter[str] = Counter()
    for d in pages:
        counts.update({key for line in d.text.splitlines() if (key := line_key(line)) and len(key) <= MAX_LINE_CHARS})
    need = max(MIN_DOCS, MIN_SHARE * len(pages))
    return frozenset(k for k, n in counts.items() if n >= need)
