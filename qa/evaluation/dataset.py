"""The hand-written evaluation set (eval/questions.jsonl; format in eval/README.md)."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from qa.errors import QAError

Category = Literal["factual", "definition", "multi_passage", "paraphrase", "comments", "unanswerable"]
Split = Literal["dev", "heldout"]
SPLITS: tuple[str, ...] = ("dev", "heldout", "all")
CATEGORIES: tuple[str, ...] = ("factual", "definition", "multi_passage", "paraphrase", "comments", "unanswerable")


class Span(BaseModel):
    source: str  # relative to the repository root, e.g. seeds/000_x.txt
    start: int
    end: int

    def overlaps(self, source: str, start: int, end: int) -> bool:
        return same_source(self.source, source) and start < self.end and self.start < end


class EvalItem(BaseModel):
    id: str
    question: str
    answers: list[str]
    category: Category
    split: Split
    support: list[Span]
    notes: str = ""

    @property
    def answerable(self) -> bool:
        return self.category != "unanswerable"


def same_source(a: str, b: str) -> bool:
    """Whether two source paths name the same file.

    The index stores sources relative to the working directory at build time and
    the eval set relative to the repository root, so compare path suffixes:
    ``seeds/000_x.txt`` matches ``../main/seeds/000_x.txt`` and ``000_x.txt``.
    """
    pa = PurePosixPath(a.replace("\\", "/")).parts
    pb = PurePosixPath(b.replace("\\", "/")).parts
    pa = tuple(p for p in pa if p not in (".",))
    pb = tuple(p for p in pb if p not in (".",))
    n = min(len(pa), len(pb))
    return n > 0 and pa[-n:] == pb[-n:]


ItemT = TypeVar("ItemT", bound=BaseModel)


def load_items(path: Path) -> list[EvalItem]:
    path = Path(path)
    if not path.is_file():
        raise QAError(f"evaluation set {path} not found; pass --questions PATH")
    items = read_items(path, EvalItem)
    if not items:
        raise QAError(f"evaluation set {path} is empty")
    return items


def read_items(path: Path, model: type[ItemT]) -> list[ItemT]:
    """Every non-blank line of a JSONL file as a ``model``; a bad line is a one-line QAError."""
    items = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                items.append(model.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise QAError(f"{path} line {lineno} is not a valid item: {exc}") from exc
    return items
