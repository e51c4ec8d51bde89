"""Import bm25s without numba and scipy: every bm25s import goes through ``bm25s()``.

bm25s imports numba and scipy whenever they are installed (here they come with
ranx and sentence-transformers): about 0.5 s and 60 MB, a large share of a cold
`qa ask`.  Our BM25 only loads saved arrays and scores queries, which bm25s does
with numpy either way, so while bm25s is first imported those two are hidden.
Modules already imported are left alone (then there is nothing to save), and
nothing stays hidden afterwards: `import scipy` later works as usual.  bm25s's
progress bars (tqdm, another ~50 ms to import) are switched off the same way.

This belongs next to the other bm25s imports in qa/retrieve/lexical.py; it is separate
only because that file has another owner.  qa.engine imports it before
qa.answer.select, whose module-level tokenize() call is the first to import bm25s.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


@contextmanager
def hidden_if_unloaded(*modules: str) -> Iterator[None]:
    """Make ``import m`` raise ImportError for each not-yet-imported ``m``, then undo it."""
    hidden = [m for m in modules if m not in sys.modules]
    for m in hidden:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for m in hidden:
            if m in sys.modules and sys.modules[m] is None:
                del sys.modules[m]


@cache
def bm25s():
    """The bm25s module, imported (once) with numba, scipy and tqdm hidden."""
    had_flag = "DISABLE_TQDM" in os.environ
    os.environ.setdefault("DISABLE_TQDM", "1")  # bm25s then skips importing tqdm (~30-70 ms); we pass
    try:  # show_progress=False everywhere anyway
        with hidden_if_unloaded("numba", "scipy"):
            import bm25s as module
    finally:
        if not had_flag:
            del os.environ["DISABLE_TQDM"]
    return module
