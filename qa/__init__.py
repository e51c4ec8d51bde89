"""qa: cited answers from your documents, offline.

The Python API (the command line and the HTTP service are built on it)::

    import qa

    qa.build_index("docs/", "index/")          # read, clean, de-duplicate, chunk, embed
    engine = qa.load("index/")                 # load the index once
    answer = engine.ask("What does the report recommend?")
    print(answer.answer, [c.source for c in answer.citations])

``engine.search(query, k)`` ranks passages; ``qa.ask`` and ``qa.search`` load and
query in one call.  Keyword arguments are settings (``qa.Settings``, the ``QA_*``
variables).  Names are imported on first use, so ``import qa`` costs nothing.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.engine import Engine
    from qa.errors import QAError
    from qa.index.build import IndexReport
    from qa.models import Answer, SearchResult

__all__ = [
    "Answer", "Engine", "IndexReport", "QAError", "SearchResult", "Settings",
    "ask", "build_index", "load", "search",
]

# Public names that live in other modules, imported when first asked for (a cold
# `qa ask` must not pay for what it does not use).
_LAZY = {
    "Answer": "qa.models",
    "Engine": "qa.engine",
    "IndexReport": "qa.index.build",
    "QAError": "qa.errors",
    "SearchResult": "qa.models",
    "Settings": "qa.config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _settings(**values: Any) -> Settings:
    from qa.config import Settings

    return Settings(**{k: v for k, v in values.items() if v is not None})


def build_index(seeds_dir: str | Path, index_dir: str | Path = "index", *, rebuild: bool = False,
                progress: bool = False, **settings: Any) -> IndexReport:
    """Index the ``.txt``, ``.md``, ``.html`` and ``.pdf`` files under ``seeds_dir`` into ``index_dir``
    (only new or changed files are embedded, as ``qa index`` does)."""
    from qa.index.build import build_index as build

    return build(_settings(seeds_dir=Path(seeds_dir), index_dir=Path(index_dir), **settings), rebuild=rebuild,
                 progress=progress)


def load(index_dir: str | Path = "index", **settings: Any) -> Engine:
    """The engine over the index in ``index_dir`` (or the database, with ``backend="postgres"``)."""
    from qa.engine import Engine

    return Engine.load(_settings(index_dir=Path(index_dir), **settings))


def ask(question: str, index_dir: str | Path = "index", **settings: Any) -> Answer:
    """Load the index and answer one question (load once with ``load`` to ask many)."""
    return load(index_dir, **settings).ask(question)


def search(query: str, k: int = 10, index_dir: str | Path = "index", **settings: Any) -> SearchResult:
    """Load the index and rank its passages for ``query``."""
    return load(index_dir, **settings).search(query, k)
