"""Progress of long work (embedding a corpus) as one line per step: done, rate, ETA."""

from __future__ import annotations

import time
from collections.abc import Callable


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class EmbedProgress:
    """Counts documents and passages embedded; the rate and ETA are over texts (passages and
    sentences), the unit of the model's work, so a document with many sentences is not hidden."""

    def __init__(
        self, say: Callable[[str], None], documents: int, passages: int, texts: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.say, self.clock = say, clock
        self.total_docs, self.total_passages, self.total_texts = documents, passages, texts
        self.docs = self.passages = self.texts = 0
        self.started = clock()

    def advance(self, documents: int, passages: int, texts: int) -> str:
        self.docs += documents
        self.passages += passages
        self.texts += texts
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.texts / elapsed
        left = (self.total_texts - self.texts) / rate if rate > 0 else 0.0
        line = (
            f"embedded {self.docs}/{self.total_docs} documents, {self.passages}/{self.total_passages} "
            f"passages ({rate:.1f} texts/s, ETA {_clock(left)}); each document is saved as it is done"
        )
        self.say(line)
        return line
