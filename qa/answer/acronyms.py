"""Acronyms defined in the corpus itself: "Open Data Institute (ODI)" → ODI.

Policy and technical documents are dense with them, and people ask with either
form, so answer scoring treats the two as the same words.  The long form counts
only as a phrase: "data sets ... open institutes" holds the words of "open data
institute" but is not one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.words import tokenize

_DEFINITION = re.compile(r"\(([A-Z][A-Za-z]{1,7}?)s?\)")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_FILLER = {"and", "of", "the", "for", "in", "on", "to", "&"}


def find_acronyms(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Map each defined acronym's token to the tokens of its long form, in order."""
    found: dict[str, tuple[str, ...]] = {}
    for text in texts:
        for m in _DEFINITION.finditer(text):
            acronym = m.group(1)
            letters = acronym.lower()
            words = _WORD.findall(text[max(0, m.start() - 120) : m.start()])
            long_form = _match_initials(words, letters)
            if long_form:
                key = tokenize(acronym)
                if key:
                    found.setdefault(key[0], tuple(tokenize(" ".join(long_form))))
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


# "What does ODI stand for?", "What is the abbreviation NASA short for?"
_SPELL_OUT_Q = re.compile(r"\bstands? for\b|\bshort for\b|\babbreviation\b|\bacronym\b", re.I)
_ASKED_ACRONYM = re.compile(r"\b([A-Z]{2,})s?\b")


def spelled_out_asked(question: str) -> list[str]:
    """The acronyms a question asks to spell out ("What does ODI stand for?" -> ["ODI"])."""
    if not _SPELL_OUT_Q.search(question):
        return []
    return _ASKED_ACRONYM.findall(question)


def spells_out(text: str, acronym: str) -> bool:
    """Whether ``text`` defines ``acronym`` the way documents do: "... protocols (IPs)"."""
    return re.search(rf"\(\s*{re.escape(acronym)}s?\s*\)", text) is not None


def canonical(tokens: list[str], acronyms: dict[str, tuple[str, ...]]) -> set[str]:
    """The terms of a token sequence, each spelled-out long form replaced by its acronym.

    The long form's words are consumed, so "open data institute" is one
    term ("odi") that only "ODI" or the same phrase matches, not three words that
    any sentence about care and organisations would share.
    """
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for acronym, long_form in acronyms.items():
        if long_form:
            by_first.setdefault(long_form[0], []).append((long_form, acronym))
    out: set[str] = set()
    i = 0
    while i < len(tokens):
        for long_form, acronym in sorted(by_first.get(tokens[i], ()), key=lambda x: -len(x[0])):
            if tuple(tokens[i : i + len(long_form)]) == long_form:
                out.add(acronym)
                i += len(long_form)
                break
        else:
            out.add(tokens[i])
            i += 1
    return out
