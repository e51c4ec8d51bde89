"""Make a follow-up question self-contained, using the earlier user turns.

The engine answers one question at a time, so "and when does it start?" after
"What is a heat pump?" must carry the earlier topic itself.  A
small rule set is enough here: retrieval is lexical + dense, so appending the
content words of the previous question restores the topic without a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# A question this short ("why?", "and Wales?") can only be a follow-up.
SHORT_WORDS = 3

FOLLOW_UP_OPENERS = ("and ", "what about ", "how about ", "but ", "also ", "so ")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that point back to something named earlier.
PRONOUNS = _word_set("it its it's they them their theirs this that these those he him his she her hers")

# Dropped when carrying the previous question's topic forward: they name no topic.
STOPWORDS = _word_set(
    """
    a an the and or but if then so of to in on at by for with from as into about over under
    is are was were be been being am do does did doing done have has had having can could
    will would shall should may might must not no yes
    what which who whom whose when where why how whatever
    i me my we us our you your it its it's they them their this that these those
    he him his she her there here than too very just also only more most some any all
    tell explain describe please know say said mean means
    """
)

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_follow_up(question: str) -> bool:
    """True when the question leans on an earlier turn for its topic."""
    text = question.strip().lower()
    words = [w.lower().replace("’", "'") for w in _words(text)]
    if not words:
        return False
    if len(words) <= SHORT_WORDS:
        return True
    if text.startswith(FOLLOW_UP_OPENERS):
        return True
    return any(w in PRONOUNS for w in words)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that name its topic, in order, without repeats."""
    seen: set[str] = set()
    kept: list[str] = []
    for word in _words(text):
        key = word.lower()
        if key in STOPWORDS or key in seen:
            continue
        seen.add(key)
        kept.append(word)
    return kept


def message_text(content: Any) -> str:
    """Plain text of a chat message: a string, or OpenAI-style content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part.get("text", "") for part in content if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def make_standalone(question: str, history: Iterable[Mapping[str, Any]] = ()) -> str:
    """Return ``question`` with the topic of the previous user turn added when it is a follow-up.

    ``history`` holds the turns before ``question`` as ``{"role", "content"}`` mappings
    (assistant turns are ignored: they repeat the sources, not the user's topic).
    Earlier follow-ups are resolved first, so a chain of follow-ups keeps the topic.
    """
    question = question.strip()
    user_turns = [
        message_text(turn.get("content")).strip()
        for turn in history
        if turn.get("role") == "user"
    ]
    user_turns = [t for t in user_turns if t]
    if not user_turns or not is_follow_up(question):
        return question
    previous = make_standalone(user_turns[-1], [{"role": "user", "content": t} for t in user_turns[:-1]])
    present = {w.lower() for w in _words(question)}
    topic = [w for w in content_words(previous) if w.lower() not in present]
    if not topic:
        return question
    return f"{question} ({' '.join(topic)})"
