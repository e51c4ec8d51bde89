"""Near-duplicate detection for documents and passages (word 5-gram shingles).

A shingle inverted index finds candidate pairs, so this stays near-linear on
large corpora instead of comparing every pair.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


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
        best = max(overlap.items(), key=lambda kv: kv[1], default=None)
        if best and best[1] / len(mine) >= threshold:
            dropped.append(Duplicate(dropped=key, kept=best[0], containment=best[1] / len(mine)))
            continue
        for sh in mine:
            postings[sh].append(key)
    return dropped
