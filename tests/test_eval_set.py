"""Validator for the hand-written evaluation set (eval/questions.jsonl).

Stdlib + pytest only; no model is loaded. See eval/README.md for the format.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
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
