"""Server-Sent Events framing, and cutting an answer into stream deltas."""

from __future__ import annotations

import json
import re
from typing import Any

# Proxies (nginx) buffer responses unless told not to; caches must never keep a stream.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

WORDS_PER_DELTA = 4

# Split *before* each word that follows whitespace, so the pieces join back exactly.
_WORD_START = re.compile(r"(?<=\s)(?=\S)")


def sse(data: Any, event: str | None = None) -> str:
    """One SSE message; ``data`` is sent as compact JSON unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    lines = [f"event: {event}"] if event else []
    lines.extend(f"data: {line}" for line in payload.split("\n"))
    return "\n".join(lines) + "\n\n"


def split_deltas(text: str, words: int = WORDS_PER_DELTA) -> list[str]:
    """Cut ``text`` into groups of ``words`` words; ``"".join(result) == text``."""
    pieces = [p for p in _WORD_START.split(text) if p]
    return ["".join(pieces[i : i + words]) for i in range(0, len(pieces), words)]
