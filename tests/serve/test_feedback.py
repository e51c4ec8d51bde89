"""Feedback storage in SQLite and its export to the evaluation-set format."""

from __future__ import annotations

import io
import json
import sqlite3
import threading

from qa.serve.feedback import (
    FeedbackIn,
    export_feedback,
    export_feedback_jsonl,
    read_feedback,
    store_feedback,
)

CITATIONS = [
    {"n": 1, "doc_id": "d1", "source": "seeds/a.txt", "start": 10, "end": 90, "quote_start": 20, "quote_end": 60,
     "title": "ignored", "score": 0.5},
    {"n": 2, "doc_id": "d2", "source": "seeds/b.txt", "start": 0, "end": 40},
]


def item(**overrides):
    values = {"question": "What are ACSs?", "answer": "Partnerships. [1]", "citations": CITATIONS,
              "helpful": False, "bad_citation": 2, "comment": "2 is off topic"}
    values.update(overrides)
    return FeedbackIn(**values)


def test_store_creates_parent_dirs_and_uses_wal(tmp_path):
    db = tmp_path / "deep" / "dir" / "feedback.sqlite3"
    first = store_feedback(db, item())
    second = store_feedback(db, item(helpful=True, bad_citation=None, comment=None))
    assert (first, second) == (1, 2)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = read_feedback(db)
    assert [r["helpful"] for r in rows] == [False, True]
    assert rows[0]["created_at"].endswith("+00:00")
    assert rows[0]["citations"][0]["quote_start"] == 20


def test_concurrent_writers_all_land(tmp_path):
    # Several first writers on a new file: switching it to WAL mode used to fail one of
    # them with "database is locked" (SQLite does not wait for that lock).
    for trial in range(5):
        db = tmp_path / f"fb{trial}.sqlite3"
        errors = []

        def write(db=db, errors=errors):
            try:
                for _ in range(5):
                    store_feedback(db, item())
            except Exception as exc:  # noqa: BLE001 - the test reports any failure below
                errors.append(exc)

        threads = [threading.Thread(target=write) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(read_feedback(db)) == 40


def test_store_after_the_file_was_removed(tmp_path):
    db = tmp_path / "fb.sqlite3"
    store_feedback(db, item())
    db.unlink()
    assert store_feedback(db, item()) == 1
    assert len(read_feedback(db)) == 1


def test_export_in_eval_format(tmp_path):
    db = tmp_path / "fb.sqlite3"
    store_feedback(db, item())
    [exported] = export_feedback(db)
    assert exported == {
        "id": "feedback-1",
        "question": "What are ACSs?",
        "answers": [],
        "category": "feedback",
        "split": "dev",
        # The quote is the narrowest support; the citation flagged bad (n=2) is left out.
        "support": [{"source": "seeds/a.txt", "start": 20, "end": 60}],
        "notes": "from feedback #1: helpful=False, bad_citation=2, comment='2 is off topic'",
    }


def test_export_falls_back_to_passage_offsets(tmp_path):
    db = tmp_path / "fb.sqlite3"
    store_feedback(db, item(helpful=True, bad_citation=None, comment=None))
    [exported] = export_feedback(db)
    assert exported["support"] == [
        {"source": "seeds/a.txt", "start": 20, "end": 60},
        {"source": "seeds/b.txt", "start": 0, "end": 40},
    ]
    assert exported["notes"] == "from feedback #1: helpful=True, bad_citation=None"


def test_export_jsonl(tmp_path):
    db = tmp_path / "fb.sqlite3"
    out = io.StringIO()
    assert export_feedback_jsonl(db, out) == 0  # no database yet: nothing to export, nothing created
    assert not db.exists()
    store_feedback(db, item())
    store_feedback(db, item())
    out = io.StringIO()
    assert export_feedback_jsonl(db, out) == 2
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["feedback-1", "feedback-2"]
