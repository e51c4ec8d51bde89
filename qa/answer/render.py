"""The answer text: each picked sentence with its [n] marker, attributed where it must be."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.answer.select import Pick

NO_ANSWER = "I could not find an answer to that in the documents."


def no_answer_text(unknown: tuple[str, ...] = ()) -> str:
    return NO_ANSWER


def speaker_name(author: str) -> str:
    """The person in an attribution: "Jane Doe, Chief Executive" -> "Jane Doe"."""
    return author.split(",")[0].strip() or author


def speaker_role(author: str) -> str:
    """Name and first role of an attribution: "Jane Doe, Chief Executive, Acme (North)" -> "Jane Doe, Chief Executive"."""
    parts = [p.strip() for p in author.split(",")]
    role = re.sub(r"\s*\(.*$", "", parts[1]) if len(parts) > 1 else ""
    return f"{parts[0]}, {role}" if role else parts[0]


def render(picks: list[Pick]) -> str:
    """Answer text: each sentence followed by its [n] marker (n = position + 1).

    Reader comments are quoted and attributed, so they never pass for the article;
    so are the pull quotes a document attributes to someone ("Jane Doe, Chief Executive").
    """
    parts = []
    for n, pick in enumerate(picks, start=1):
        s = pick.sentence
        text = s.text.strip()
        again = n > 1 and s.author is not None and (picks[n - 2].sentence.author, picks[n - 2].sentence.section) == (
            s.author, s.section)
        if s.section == "comments":
            who = f"Reader {s.author}" if s.author else "A reader"
            text = f"{speaker_name(s.author) if again else who} {'added' if again else 'commented'}: “{text}”"
        elif s.author:
            text = f"{speaker_name(s.author)} added: “{text}”" if again else f"{speaker_role(s.author)}, said: “{text}”"
        parts.append(f"{text} [{n}]")
    return " ".join(parts)
