"""Made-up documents for tests: nonsense words, so no two documents share a 5-word run
(none is a near-duplicate of another) and nothing depends on the seed corpus."""

from __future__ import annotations

import random
from pathlib import Path

_SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "dor", "pi", "nex", "ba", "qua", "zi", "fen", "ho"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def made_up_text(rng: random.Random, title: str, sentences: int) -> str:
    lines = [f"{title} on the {_word(rng)} {_word(rng)}", ""]
    for _ in range(sentences):
        words = [_word(rng) for _ in range(rng.randint(8, 16))]
        lines.append(" ".join(words).capitalize() + ".")
    return "\n".join(lines) + "\n"


def make_corpus(folder: Path, documents: int, sentences: int = 36, seed: int = 15) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        (folder / f"doc{d:03d}.txt").write_text(made_up_text(rng, f"Report {d}", sentences), encoding="utf-8")
    return folder
