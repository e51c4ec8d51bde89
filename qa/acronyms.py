"""Acronyms defined in the corpus itself: "Better Care Fund (BCF)" → BCF.

The seed documents are dense with them (STP, ACS, ACO, CCG, MCP, PACS, BCF), and
people ask with either form, so answer scoring treats the two as the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.lexical import tokenize

_DEFINITION = re.compile(r"\(([A-Z][A-Za-z]{1,7}?)s?\)")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_FILLER = {"and", "of", "the", "for", "in", "on", "to", "&"}


def find_acronyms(texts: Iterable[str]) -> dict[str, frozenset[str]]:
    """Map each defined acronym's token to the tokens of its long form."""
    found: dict[str, frozenset[str]] = {}
    for text in texts:
        for m in _DEFINITION.finditer(text):
            acronym = m.group(1)
            letters = acronym.lower()
            words = _WORD.findall(text[max(0, m.start() - 120) : m.start()])
            long_form = _match_initials(words, letters)
            if long_form:
                key = tokenize(acronym)
                if key:
                    found.setdefault(key[0], frozenset(tokenize(" ".join(long_form))))
    return found


def _match_initials(words: list[str], letters: str) -> list[str] | None:
    # Walk back from the bracket: each letter must start a word; fillers may sit between.
    picked: list[str] = []
    i = len(words) - 1
    for letter in reversed(letters):
        while i >= 0 and words[i].lower() in _FILLER and picked:
            i -= 1
        if i < 0 or words[i][0].lower() != letter:
            return None
        picked.insert(0, words[i])
        i -= 1
    return picked


def expand(terms: set[str], acronyms: dict[str, frozenset[str]]) -> set[str]:
    """Add the other form of every acronym present in ``terms``."""
    out = set(terms)
    for acronym, long_form in acronyms.items():
        if acronym in terms:
            out |= long_form
        elif long_form and long_form <= terms:
            out.add(acronym)
    return out
