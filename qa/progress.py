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
        clock: Callable[[], float] = time.monotonic, every: float = 5.0,
    ) -> None:
        self.say, self.clock, self.every = say, clock, every
        self.total_docs, self.total_passages, self.total_texts = documents, passages, texts
        self.docs = self.passages = self.texts = 0
        self.started = clock()
        self.last_said: float | None = None

    def advance(self, documents: int, passages: int, texts: int) -> str | None:
        """Count a step; say a line on the first step, then every ``every`` seconds, and at the end."""
        self.docs += documents
        self.passages += passages
        self.texts += texts
        now = self.clock()
        done = self.docs >= self.total_docs
        if self.last_said is not None and now - self.last_said < self.every and not done:
            return None
        self.last_said = now
        rate = self.texts / max(now - self.started, 1e-9)
        left = (self.total_texts - self.texts) / rate if rate > 0 else 0.0
        line = (
            f"embedded {self.docs}/{self.total_docs} documents, {self.passages}/{self.total_passages} "
            f"passages ({rate:.1f} texts/s, ETA {_clock(left)}); each document is saved as it is done"
        )
        self.say(line)
        return line
