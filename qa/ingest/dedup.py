"""Near-duplicate detection for documents and passages (word 5-gram shingles).

A shingle inverted index finds candidate pairs, so this stays near-linear on
large corpora instead of comparing every pair.  Overlap alone is not enough: an
item is dropped only if every number and name in it is also in the copy kept, so
templated pages that differ in their figures or names (a price list per town) are
all kept: dropping one would lose the content that makes it different.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


def specifics(text: str) -> set[str]:
    """Numbers and names: the words that tell one templated page from another."""
    return {w for w in _WORD.findall(text) if w[:1].isupper() or any(c.isdigit() for c in w)}


def shingles(text: str, n: int = 5) -> set[int]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    return {zlib.crc32(" ".join(words[i : i + n]).encode()) for i in range(len(words) - n + 1)}


@dataclass(frozen=True)
class Duplicate:
    dropped: str
    kept: str
    containment: float  # share of the dropped text's shingles found in the kept one


def find_duplicates(
    texts: dict[str, str], threshold: float = 0.8, group: dict[str, str] | None = None
) -> list[Duplicate]:
    """Items whose text is mostly contained in another, larger item.

    The larger (more complete) copy is kept; ties go to the first key in order.
    Items in the same ``group`` (e.g. overlapping chunks of one document) are
    never compared with each other.
    """
    sets = {key: shingles(text) for key, text in texts.items()}
    named: dict[str, set[str]] = {}

    def names(key: str) -> set[str]:
        if key not in named:
            named[key] = specifics(texts[key])
        return named[key]

    position = {k: i for i, k in enumerate(texts)}
    order = sorted(sets, key=lambda k: (-len(sets[k]), position[k]))
    postings: dict[int, list[str]] = defaultdict(list)
    dropped: list[Duplicate] = []
    for key in order:  # larger first: a later item can only be contained in an earlier one
        mine = sets[key]
        if not mine:
            continue
        overlap: dict[str, int] = defaultdict(int)
        for sh in mine:
            for other in postings.get(sh, ()):
                if group is None or group[other] != group[key]:
                    overlap[other] += 1
        close = sorted((kv for kv in overlap.items() if kv[1] / len(mine) >= threshold),
                       key=lambda kv: (-kv[1], position[kv[0]]))
        same = next((kv for kv in close if names(key) <= names(kv[0])), None)
        if same:
            dropped.append(Duplicate(dropped=key, kept=same[0], containment=same[1] / len(mine)))
            continue
        for sh in mine:
            postings[sh].append(key)
    return dropped
