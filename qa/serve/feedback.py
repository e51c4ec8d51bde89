"""Visitor feedback on answers: a durable SQLite store and an export to the eval-set format.

Each call opens its own connection (sqlite3 connections must not be shared between
threads, and the API writes from a thread pool); WAL mode lets readers and the
single writer proceed together, and ``timeout`` waits out a concurrent writer.

Switching a new file into WAL mode is different: SQLite answers "database is locked"
at once, without waiting, when another connection touches the file meanwhile. So the
file is prepared once per path, under a lock in this process and with retries
against other processes, before any connection writes to it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    bad_citation INTEGER,
    comment TEXT
)
"""


class FeedbackCitation(BaseModel):
    """The part of a citation that feedback keeps: where the cited text lies."""

    model_config = ConfigDict(extra="ignore")

    n: int | None = Field(None, ge=0, le=1000)
    doc_id: str | None = Field(None, max_length=500)
    source: str = Field(max_length=1000)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote_start: int | None = Field(None, ge=0)
    quote_end: int | None = Field(None, ge=0)


class FeedbackIn(BaseModel):
    """A visitor's verdict on one answer."""

    question: str = Field(min_length=1, max_length=10_000)
    answer: str = Field(max_length=20_000)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=50)
    helpful: bool
    bad_citation: int | None = Field(
        None, ge=0, le=1000, description="the [n] number of a citation that does not support the answer"
    )
    comment: str | None = Field(None, max_length=2000)


class FeedbackCreated(BaseModel):
    id: int


_TIMEOUT_S = 10.0
_prepared: set[Path] = set()
_prepare_lock = threading.Lock()


def _prepare(db_path: Path) -> None:
    """Put the file in WAL mode and create the table, once per path in this process."""
    with _prepare_lock:
        if db_path in _prepared and db_path.exists():
            return
        db_path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + _TIMEOUT_S
        while True:
            try:
                with closing(sqlite3.connect(db_path, timeout=_TIMEOUT_S)) as conn:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute(_SCHEMA)
                    conn.commit()
                break
            except sqlite3.OperationalError as exc:
                # Another process is preparing or writing the same file; its lock is brief.
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        _prepared.add(db_path)


@contextmanager
def _connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    db_path = Path(db_path).resolve()
    _prepare(db_path)
    # The inner ``conn`` context commits on success and rolls back on error.
    with closing(sqlite3.connect(db_path, timeout=_TIMEOUT_S)) as conn, conn:
        yield conn


def store_feedback(db_path: Path, item: FeedbackIn) -> int:
    """Insert one feedback item and return its id (committed before returning)."""
    with _connect(db_path) as conn:
        cursor = conn.execute(
            "INSERT INTO feedback (created_at, question, answer, citations, helpful, bad_citation, comment)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                datetime.now(UTC).isoformat(timespec="seconds"),
                item.question,
                item.answer,
                json.dumps([c.model_dump(exclude_none=True) for c in item.citations]),
                int(item.helpful),
                item.bad_citation,
                item.comment,
            ),
        )
        return int(cursor.lastrowid)


def read_feedback(db_path: Path) -> list[dict[str, Any]]:
    """All stored rows, oldest first, with citations decoded."""
    if not Path(db_path).exists():
        return []
    with _connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM feedback ORDER BY id").fetchall()
    items = []
    for row in rows:
        item = dict(row)
        item["citations"] = json.loads(item["citations"])
        item["helpful"] = bool(item["helpful"])
        items.append(item)
    return items


def _support(citations: list[dict[str, Any]], bad_citation: int | None) -> list[dict[str, Any]]:
    # The cited sentence (quote) is the narrowest supporting span; fall back to the
    # passage.  A citation the visitor flagged as bad is not support.
    spans = []
    for c in citations:
        if bad_citation is not None and c.get("n") == bad_citation:
            continue
        start, end = c.get("quote_start"), c.get("quote_end")
        if start is None or end is None:
            start, end = c["start"], c["end"]
        spans.append({"source": c["source"], "start": start, "end": end})
    return spans


def export_feedback(db_path: Path) -> list[dict[str, Any]]:
    """Feedback as items of the evaluation set (eval/questions.jsonl), for review before use."""
    items = []
    for row in read_feedback(db_path):
        notes = (
            f"from feedback #{row['id']}: helpful={row['helpful']}, bad_citation={row['bad_citation']}"
        )
        if row["comment"]:
            notes += f", comment={row['comment']!r}"
        items.append(
            {
                "id": f"feedback-{row['id']}",
                "question": row["question"],
                "answers": [],
                "category": "feedback",
                "split": "dev",
                "support": _support(row["citations"], row["bad_citation"]),
                "notes": notes,
            }
        )
    return items


def export_feedback_jsonl(db_path: Path, out: TextIO) -> int:
    """Write the exported items to ``out`` as JSON lines; return how many were written."""
    items = export_feedback(db_path)
    for item in items:
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(items)
