"""Rule-based sentence splitting with character offsets.

A small regex splitter instead of a library: NLTK's punkt needs a data download,
and pysbd is slow and unmaintained.  It only has to be right on edited prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lower-cased tokens that end with a full stop but do not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "rt", "hon", "gen", "col", "lt",
    "e.g", "i.e", "etc", "vs", "cf", "al", "no", "nos", "vol", "pp", "p", "fig", "inc", "ltd",
    "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "approx", "est", "dept", "ext", "tel", "incl",
}

# A candidate end: terminal punctuation, optional closing quotes/brackets, then space.
# A footnote number glued after a word's full stop ("needs most improvement.5 There",
# "run by the WHO.22 In addition")
# belongs to neither sentence: each span stops short of it, so no sentence's text ever
# differs from the source it cites.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?:(?<=[A-Za-z%)”’\"'][.!?])\d{1,2}|(?<=[A-Za-z%][.!?][\"'”’)])\d{1,2})?(?=\s+)")
_FOOTNOTE_TAIL = re.compile(r"\d{1,2}$")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9£$€•]")
# A "sentence" this long is a list run together (a scraped CV, "these include: a; b; c"):
# its semicolon clauses are what a reader would quote, and one long vector blurs them.
LONG_SENTENCE_WORDS = 60
_CLAUSE_END = re.compile(r";(?=\s+\S)")
# A "sentence" of this many words or fewer is a lead-in label or an aside ("Ultracentrifuge.",
# "Step 3.", "Yes."): quoted alone it says nothing, so it stays with the sentence after it.
LABEL_WORDS = 2


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, protected: list[tuple[int, int]] | None = None) -> list[Span]:
    """Sentence spans of ``text`` with surrounding whitespace trimmed.

    No sentence ends inside a ``protected`` range (inline code: "is `x?` set").
    """
    spans: list[Span] = []
    start = 0
    guard = sorted(protected or [])
    for match in _BOUNDARY.finditer(text):
        if guard and _inside(guard, match.start()):
            continue
        end = match.end()
        if not _NEXT_START.match(text, end):
            continue
        digits = _FOOTNOTE_TAIL.search(match.group(0))
        sentence_end = end - len(digits.group(0)) if digits else end
        # Only the word before the stop matters; a bounded look-back keeps this linear
        # on a megabyte with no sentence break ("1. 2. 3. ...").
        word = re.search(r"(\S+)$", text[max(start, match.start() - 40) : match.start() + 1])
        token = word.group(1).lower().rstrip(".").lstrip("(\"'“‘") if word else ""
        if match.group(0).startswith(".") and (
            token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token)  # initials: "J. Smith"
        ):
            continue
        if len(text[start:sentence_end].split()) <= LABEL_WORDS:
            continue  # a label ("**Ultracentrifuge.** The slot is 4 hours."): it reads with what it introduces
        _append(spans, text, start, sentence_end)
        start = end
    _append(spans, text, start, len(text))
    return [part for span in spans for part in _clauses(text, span)]


def _inside(ranges: list[tuple[int, int]], pos: int) -> bool:
    import bisect

    i = bisect.bisect_right(ranges, (pos, float("inf"))) - 1
    return i >= 0 and ranges[i][0] <= pos < ranges[i][1]


def _clauses(text: str, span: Span) -> list[Span]:
    if len(text[span.start : span.end].split()) <= LONG_SENTENCE_WORDS:
        return [span]
    out: list[Span] = []
    start = span.start
    for match in _CLAUSE_END.finditer(text, span.start, span.end):
        _append(out, text, start, match.end())
        start = match.end()
    _append(out, text, start, span.end)
    return out


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))
