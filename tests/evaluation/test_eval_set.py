"""Validator for the hand-written evaluation set (eval/questions.jsonl).

Stdlib + pytest only; no model is loaded. See eval/README.md for the format.
"""

import contextlib
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS_PATH = REPO_ROOT / "eval" / "questions.jsonl"
SEEDS_DIR = REPO_ROOT / "seeds"

# 001 is a duplicate scrape of 000 and is dropped by the system, so no
# support span may point into it.
DROPPED_DUPLICATE = "001_b0220d9da5d90290.txt"

REQUIRED_KEYS = {
    "id": str,
    "question": str,
    "answers": list,
    "category": str,
    "split": str,
    "support": list,
    "notes": str,
}
CATEGORIES = {"factual", "definition", "multi_passage", "paraphrase", "comments", "unanswerable"}
SPLITS = {"dev", "heldout"}
SPAN_KEYS = {"source": str, "start": int, "end": int}

MIN_ITEMS = 80
MIN_UNANSWERABLE = 15

_TEXT_CACHE = {}


def normalise(text):
    """Lower-case and collapse every run of whitespace (incl. newlines) to one space."""
    return " ".join(text.split()).lower()


def read_source(source):
    """Text of a seeds file exactly as Python reads it (offsets are str indices)."""
    if source not in _TEXT_CACHE:
        with open(REPO_ROOT / source, encoding="utf-8") as fh:
            _TEXT_CACHE[source] = fh.read()
    return _TEXT_CACHE[source]


def load_items():
    items = []
    with open(QUESTIONS_PATH, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported by test
                raise AssertionError(f"{QUESTIONS_PATH.name} line {lineno}: invalid JSON: {exc}") from exc
            assert isinstance(item, dict), f"line {lineno}: expected a JSON object"
            items.append(item)
    return items


# ---------------------------------------------------------------- checks

def check_keys_and_types(item):
    item_id = item.get("id", "<missing id>")
    assert set(item) == set(REQUIRED_KEYS), (
        f"{item_id}: keys must be exactly {sorted(REQUIRED_KEYS)}, got {sorted(item)}"
    )
    for key, typ in REQUIRED_KEYS.items():
        assert isinstance(item[key], typ), f"{item_id}: '{key}' must be {typ.__name__}, got {type(item[key]).__name__}"
    assert item["question"].strip(), f"{item_id}: empty question"
    assert item["notes"].strip(), f"{item_id}: empty notes"
    for ans in item["answers"]:
        assert isinstance(ans, str) and ans.strip(), f"{item_id}: answers must be non-empty strings, got {ans!r}"
    for span in item["support"]:
        assert isinstance(span, dict), f"{item_id}: support entries must be objects, got {span!r}"
        assert set(span) == set(SPAN_KEYS), f"{item_id}: support span keys must be {sorted(SPAN_KEYS)}, got {sorted(span)}"
        for key, typ in SPAN_KEYS.items():
            ok = isinstance(span[key], typ) and not (typ is int and isinstance(span[key], bool))
            assert ok, f"{item_id}: support '{key}' must be {typ.__name__}, got {span[key]!r}"


def check_category_and_split(item):
    assert item["category"] in CATEGORIES, f"{item['id']}: unknown category {item['category']!r}"
    assert item["split"] in SPLITS, f"{item['id']}: unknown split {item['split']!r}"


def check_unique_ids(items):
    counts = Counter(item["id"] for item in items)
    dupes = sorted(i for i, n in counts.items() if n > 1)
    assert not dupes, f"duplicate ids: {dupes}"


def check_counts(items):
    assert len(items) >= MIN_ITEMS, f"need at least {MIN_ITEMS} items, got {len(items)}"
    n_unans = sum(1 for item in items if item["category"] == "unanswerable")
    assert n_unans >= MIN_UNANSWERABLE, f"need at least {MIN_UNANSWERABLE} unanswerable items, got {n_unans}"
    n_ans = len(items) - n_unans
    assert n_ans >= MIN_ITEMS, f"need at least {MIN_ITEMS} answerable items, got {n_ans}"


def check_categories_in_both_splits(items):
    present = {(item["category"], item["split"]) for item in items}
    missing = sorted(f"{c}/{s}" for c in CATEGORIES for s in SPLITS if (c, s) not in present)
    assert not missing, f"every category must have items in both splits; missing: {missing}"


def check_unanswerable_empty(item):
    if item["category"] == "unanswerable":
        assert item["answers"] == [], f"{item['id']}: unanswerable item must have empty answers"
        assert item["support"] == [], f"{item['id']}: unanswerable item must have empty support"


def check_answerable_nonempty(item):
    if item["category"] != "unanswerable":
        assert item["answers"], f"{item['id']}: answerable item has no accepted answers"
        assert item["support"], f"{item['id']}: answerable item has no support spans"


def check_spans(item):
    for span in item["support"]:
        source = span["source"]
        assert source.startswith("seeds/"), f"{item['id']}: source {source!r} must be under seeds/"
        assert Path(source).name != DROPPED_DUPLICATE, (
            f"{item['id']}: span points into the dropped duplicate {DROPPED_DUPLICATE}; use 000_e394d50cb2b718a3.txt"
        )
        path = REPO_ROOT / source
        assert path.is_file(), f"{item['id']}: source file {source!r} does not exist"
        text = read_source(source)
        start, end = span["start"], span["end"]
        assert 0 <= start < end <= len(text), (
            f"{item['id']}: span {start}-{end} out of bounds or empty for {source} (len {len(text)})"
        )
        assert text[start:end].strip(), f"{item['id']}: span {start}-{end} in {source} is only whitespace"


def check_answers_in_spans(item):
    spans = [normalise(read_source(s["source"])[s["start"]:s["end"]]) for s in item["support"]]
    for ans in item["answers"]:
        assert any(normalise(ans) in sp for sp in spans), (
            f"{item['id']}: accepted answer {ans!r} not found in any of its support spans"
        )


# ---------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def items():
    assert QUESTIONS_PATH.is_file(), f"missing {QUESTIONS_PATH}"
    return load_items()


def test_file_parses(items):
    assert items, "eval/questions.jsonl is empty"


def test_keys_and_types(items):
    for item in items:
        check_keys_and_types(item)


def test_ids_unique(items):
    check_unique_ids(items)


def test_category_and_split_values(items):
    for item in items:
        check_category_and_split(item)


def test_counts(items):
    check_counts(items)


def test_every_category_in_both_splits(items):
    check_categories_in_both_splits(items)


def test_unanswerable_items_are_empty(items):
    for item in items:
        check_unanswerable_empty(item)


def test_answerable_items_have_answers_and_support(items):
    for item in items:
        check_answerable_nonempty(item)


def test_support_spans_valid(items):
    for item in items:
        check_spans(item)


def test_answers_occur_in_support(items):
    for item in items:
        check_answers_in_spans(item)


# ---------------------------------------------------------------- heldout leak check
#
# A heldout question that also sits in a test, a doc or the code has been looked at
# while tuning, so it no longer measures anything. Any run of LEAK_WORDS consecutive
# words of a heldout question (the whole question when it is shorter) found in these
# places fails the test; the fix is to move that item to `dev` and write a new
# heldout item (eval/README.md, "Splits").

LEAK_WORDS = 8
LEAK_SCAN = ["qa", "tests", "docs", "bench", "scripts", "eval", ".ci", "README.md", "pyproject.toml"]
# The set itself, the saved per-question results, and generated output.
LEAK_SKIP_FILES = {Path("eval/questions.jsonl"), Path("eval/baseline.json")}
LEAK_SKIP_DIRS = {"results", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules"}

_WORD = re.compile(r"[a-z0-9]+")


def words_with_lines(text):
    """Lower-cased word tokens of `text` with their 1-based line numbers.

    Only letters and digits count, so punctuation, quote escapes in code and line
    breaks in docs cannot hide a copied question.
    """
    lowered = text.lower()
    tokens, lines = [], []
    line, last = 1, 0
    for m in _WORD.finditer(lowered):
        line += lowered.count("\n", last, m.start())
        last = m.start()
        tokens.append(m.group())
        lines.append(line)
    return tokens, lines


def question_fragments(question, n=LEAK_WORDS):
    """Every run of n consecutive words of the question (the whole question if shorter)."""
    tokens, _ = words_with_lines(question)
    if len(tokens) <= n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def find_leaks(questions, documents, n=LEAK_WORDS):
    """(question id, document name, line) for each question with a fragment in a document.

    `questions` maps id -> question text; `documents` maps name -> text. One hit per
    question and document is enough to report.
    """
    wanted = {}
    for qid, question in questions.items():
        for frag in question_fragments(question, n):
            wanted.setdefault(frag, set()).add(qid)
    sizes = sorted({len(frag) for frag in wanted})
    leaks = set()
    for name, text in documents.items():
        tokens, lines = words_with_lines(text)
        found = {}
        for size in sizes:
            for i in range(len(tokens) - size + 1):
                for qid in wanted.get(tuple(tokens[i:i + size]), ()):
                    found.setdefault(qid, lines[i])
        leaks.update((qid, name, line) for qid, line in found.items())
    return sorted(leaks)


def repo_documents():
    """Text of every readable file under LEAK_SCAN, keyed by path relative to the repo root."""
    docs = {}
    for entry in LEAK_SCAN:
        top = REPO_ROOT / entry
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in paths:
            rel = path.relative_to(REPO_ROOT)
            if rel in LEAK_SKIP_FILES or LEAK_SKIP_DIRS.intersection(rel.parts[:-1]):
                continue
            try:
                docs[str(rel)] = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # images and other binary files cannot hold a question
    return docs


def heldout_questions(items):
    return {item["id"]: item["question"] for item in items if item["split"] == "heldout"}


def format_leaks(leaks):
    # Ids and places only: the failure message must not copy heldout text into logs.
    return "; ".join(f"{qid} in {name}:{line}" for qid, name, line in leaks)


def test_leak_finder_catches_a_copied_question():
    # Made-up text: the copy is split over lines, in quotes, with different case.
    questions = {"q900": "Which river did the old miller say flooded the lower meadow in 1921?"}
    documents = {
        "tests/test_made_up.py": 'CASES = [\n    ("the OLD miller say flooded the lower\n   meadow in 1921", 1),\n]\n',
        "docs/other.md": "The old miller said the river flooded the lower meadow.\n",
    }
    assert find_leaks(questions, documents) == [("q900", "tests/test_made_up.py", 2)]


def test_leak_finder_ignores_short_shared_runs():
    # Seven words in common is below the limit; a whole short question is not.
    questions = {"q901": "Which river did the old miller say flooded the lower meadow in 1921?",
                 "q902": "Who built the windmill?"}
    documents = {"a.md": "did the old miller say flooded the", "b.py": "x = 'Who built the  windmill'"}
    assert find_leaks(questions, documents) == [("q902", "b.py", 1)]


def test_repo_scan_reads_code_tests_and_docs():
    docs = repo_documents()
    for expected in ("README.md", "eval/README.md", "tests/evaluation/test_eval_set.py", "qa/engine.py"):
        assert expected in docs, f"leak scan does not read {expected}"
    assert "eval/questions.jsonl" not in docs and "eval/baseline.json" not in docs


def test_no_heldout_question_in_repo_files(items):
    leaks = find_leaks(heldout_questions(items), repo_documents())
    assert not leaks, (
        "heldout questions appear in code, tests or docs (move each to split 'dev' and write a "
        f"new heldout item, see eval/README.md): {format_leaks(leaks)}"
    )


def test_no_heldout_question_in_commit_messages(items):
    try:
        log = subprocess.run(["git", "log", "--format=%B"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no git history to check ({exc})")
    leaks = find_leaks(heldout_questions(items), {"git log": log})
    assert not leaks, (
        "heldout questions appear in commit messages (history cannot be changed, so move each "
        f"to split 'dev' and write a new heldout item): {format_leaks(leaks)}"
    )


def heldout_collection_questions():
    """The questions of the heldout made-up sets (eval/usercorpora-heldout, eval/articles-heldout), read as
    totals only."""
    out = {}
    for folder in HELDOUT_SETS:
        for path in sorted((REPO_ROOT / "eval" / folder).glob("*/questions.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    out[item["id"]] = item["question"]
    return out


HELDOUT_SETS = ("usercorpora-heldout", "articles-heldout")


def test_no_heldout_collection_question_in_repo_files_or_commit_messages():
    questions = heldout_collection_questions()
    assert len(questions) == 80 + 160
    docs = {name: text for name, text in repo_documents().items()
            if not any(name.startswith(f"eval/{folder}/") for folder in HELDOUT_SETS)}  # the sets themselves
    # no history in this checkout: the files are still checked
    with contextlib.suppress(OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        docs["git log"] = subprocess.run(["git", "log", "--format=%B"], cwd=REPO_ROOT, capture_output=True,
                                         text=True, check=True, timeout=60).stdout
    leaks = find_leaks(questions, docs)
    assert not leaks, f"heldout collection questions appear outside their collection: {format_leaks(leaks)}"
