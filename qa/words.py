"""The one tokenizer and its word lists, shared by indexing, retrieval and answering.

"APIs" and "API" must meet, and so must "CPUs"/"CPU": all-caps plurals are
singularised before stemming (Snowball would leave "apis" alone).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib.resources import files

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[’'][a-z]+)?")
# Between the cells of a table row, as the Markdown and HTML readers write it and the answerer
# reads it back (a row's header row is its context): "api | Platform team | 8080".
TABLE_CELL = " | "
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from qa.retrieve.bm25s_lean import bm25s

    bm25s()  # bm25s.stopwords imports the package: import it lean first
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Words that shape a question but say nothing about its topic, dropped from queries
# only (passages keep them).  In a small corpus "how" and "many" have a high IDF, so
# "How many APIs are there?" ranked passages that merely say "how" and "many" above
# the one with the number (eval dev split: hit@5 0.906 -> 0.938, MRR 0.809 -> 0.838;
# BEIR SciFact claims are statements and do not change).
QUESTION_WORDS = frozenset({
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much",
    "do", "does", "did", "has", "have", "had", "can", "could", "would", "should",
    "i", "we", "you", "me", "my", "our", "your", "any", "some", "there",
})


def _words(text: str, extra_stop: frozenset[str] = frozenset()) -> list[str]:
    stop = _stopwords()
    words = []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        if _ACRONYM_PLURAL.fullmatch(word):
            word = word[:-1]
        word = word.lower().replace("’", "'")
        if word in stop or word in extra_stop or (len(word) < 2 and not word.isdigit()):
            continue
        words.append(word)
    return _stemmer().stemWords(words) if words else []


def tokenize(text: str) -> list[str]:
    """Index-side tokens: lower-cased, stop words removed, Snowball-stemmed."""
    return _words(text)


def stem_words(words: list[str]) -> list[str]:
    """Lower-case words stemmed as ``tokenize`` stems them (no stop-word filtering)."""
    return _stemmer().stemWords(words) if words else []


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    # pyspellchecker's English word list (160,000 words with frequencies, from subtitles and
    # Wiktionary), read only when a question has a word the corpus never writes. Its gzipped
    # JSON is read directly: a SpellChecker also builds letter and frequency tables we do not
    # use, 0.17 s against 0.07 s on a cold `qa ask`.
    try:
        return frozenset(json.loads(gzip.decompress((files("spellchecker") / "resources" / "en.json.gz").read_bytes())))
    except (OSError, ValueError):  # the package moved its file: ask it the documented way
        from spellchecker import SpellChecker

        return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def is_english_word(word: str) -> bool:
    """Whether ``word`` (lower-case) is an English word spelled right: "weekend" but not "boathose"."""
    return word in _english_words()


# British spellings, rewritten the American way that pyspellchecker's list (American-leaning) has:
# "colour", "centre", "organisation", "analyse", "defence", "programme", "paediatric".
_BRITISH = (
    (re.compile(r"our"), "or"),
    (re.compile(r"tre(s|d)?$"), r"ter\1"),
    (re.compile(r"is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"yse(s|d)?$"), r"yze\1"),
    (re.compile(r"ence(s)?$"), r"ense\1"),
    (re.compile(r"ogue(s)?$"), r"og\1"),
    (re.compile(r"mme(s)?$"), r"m\1"),
    (re.compile(r"(?<=[a-z])[ao]e(?=[a-z])"), "e"),
    (re.compile(r"ll(ed|ing|er|ers)$"), r"l\1"),
)


def american_spelling(word: str) -> str | None:
    """The listed American spelling of a British one ("colour" -> "color"); None when ``word`` is
    no British spelling of a listed word (or is listed itself)."""
    if is_english_word(word):
        return None
    whole = word
    for pattern, repl in _BRITISH:
        one = pattern.sub(repl, word)
        if one != word and is_english_word(one):
            return one
        whole = pattern.sub(repl, whole)  # several at once: "manoeuvre" -> "maneuver"
    return whole if whole != word and is_english_word(whole) else None


# The same rewrites the other way, for a corpus written the British way.
_AMERICAN = (
    (re.compile(r"or"), "our"),
    # not "-ster": "registre" and "ministre" are no words, yet stem as "registration" and "ministry" do
    (re.compile(r"(?<!s)ter(s|ed)?$"), r"tre\1"),
    (re.compile(r"iz(e|es|ed|ing|ation|ations|er|ers)$"), r"is\1"),
    (re.compile(r"yze(s|d)?$"), r"yse\1"),
    (re.compile(r"ense(s)?$"), r"ence\1"),
    (re.compile(r"og(s)?$"), r"ogue\1"),
    (re.compile(r"am(s)?$"), r"amme\1"),
    (re.compile(r"l(ed|ing|er|ers)$"), r"ll\1"),
)


def british_spellings(word: str) -> list[str]:
    """Spellings whose American spelling is ``word``: "color" -> ["colour"], "organization" ->
    ["organisation"]; empty when there are none."""
    found: list[str] = []
    for pattern, repl in _AMERICAN:
        for m in pattern.finditer(word):  # one place at a time: "corridor" -> "corridour" only
            one = word[: m.start()] + m.expand(repl) + word[m.end():]
            if one not in found and american_spelling(one) == word:
                found.append(one)
    return found


def load_english_words() -> None:
    """Read the English word list now: a server does it at startup, not on a visitor's first typo."""
    _english_words()


def is_content_word(word: str) -> bool:
    """Whether a word (as written) says what a question is about: not a stop word, not a question word."""
    w = word.lower().replace("’", "'")
    return (len(w) > 1 or w.isdigit()) and w not in _stopwords() and w not in QUESTION_WORDS


# A number as written ("3.0", "2,300", "9:30") is one value; tokenize() splits it at the
# punctuation, so "version 3.0" would find its "0" in "version 2.0". Letters joined to it stay
# ("E3", "B2.14", "3rd"): a code is not the bare number. A match starts only where a run of
# letters does and takes at most 8 of them before its digit: an unbounded leading run made a
# long word without digits quadratic (2 s for 20,000 letters).
_NUMBER_WRITTEN = re.compile(r"(?<![A-Za-z])[A-Za-z]{0,8}\d+(?:[.,:]\d+)*[A-Za-z]*")


def numbers_in(text: str) -> frozenset[str]:
    """The numbers a text writes, each as one value: "2,300" as 2300, "3.0" and "3.0.0" as 3, "E3" as e3."""
    out = set()
    for m in _NUMBER_WRITTEN.finditer(text):
        parts = m.group(0).lower().replace(",", "").split(".")
        while len(parts) > 1 and not parts[-1].strip("0"):
            parts.pop()
        out.add(".".join(parts))
    return frozenset(out)


def query_tokens(text: str) -> list[str]:
    """Search-side tokens: ``tokenize`` without question words."""
    return _words(text, QUESTION_WORDS)


# Words that shape a question but are not what it is about, dropped from the terms an
# answer sentence is scored on (a longer list than QUESTION_WORDS: "say", "describe",
# "called" name the kind of answer, not its topic). The auxiliaries the index's short stop
# list keeps ("have", "were", "could") go too: "How many boats does the club have?" is not
# about having, and on a small corpus that never writes "have" the word counted as a term the
# documents lack, at the highest IDF. ("may" and "will" stay: a month, a testament.)
_ANSWER_QUESTION_WORDS = (
    "what which who whom whose when where why how many much did does do doing done according "
    "say says said tell describe described call called name named mean meant list listed "
    "give given happen happened kind sort type define defined definition "
    "have has had having were been being am can could would should shall might must"
)


@lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    """The answer side's question words, as tokens (stemmed like the terms they are taken from)."""
    return frozenset(tokenize(_ANSWER_QUESTION_WORDS))
