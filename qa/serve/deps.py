"""The engine as the API sees it: one swappable holder, and a bounded thread pool.

Encoding a question is synchronous CPU work, so every engine call runs in a worker
thread (the event loop keeps serving other requests), limited to a few at a time so
a burst of questions queues instead of oversubscribing the CPU.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from fastapi import Request

from qa.config import Settings
from qa.errors import IndexMissingError, QAError

if TYPE_CHECKING:
    from qa.engine import Engine

log = logging.getLogger("qa.api")

T = TypeVar("T")

# Concurrent engine calls; the model already uses several cores per call.
ENGINE_CONCURRENCY = max(2, os.cpu_count() or 2)

_INDEX_HINT = "Run `qa index` to build it, then restart the server or POST /admin/reindex."


def default_loader(settings: Settings) -> Engine:
    from qa.engine import Engine  # imported late: loading torch is slow and not needed for --help

    return Engine.load(settings)


def load_warm(settings: Settings, loader: Callable[[Settings], Engine]) -> Engine:
    """Load an engine and make its first query fast (the model loads lazily), before it serves."""
    engine = loader(settings)
    warm_up = getattr(engine, "warm_up", None)
    if callable(warm_up):
        warm_up()
    return engine


class EngineHolder:
    """Holds the current engine; a re-index swaps in a new one atomically.

    Each request takes a reference once, at its start (``require``), so requests in
    flight finish on the engine they started with while new ones see the new engine.
    """

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._error: QAError | None = IndexMissingError(f"The index is not loaded yet. {_INDEX_HINT}")
        self._lock = threading.Lock()
        self.reindexing = False
        self._source: tuple[Settings, Callable[[Settings], Engine]] | None = None
        self._reloading = False

    def load(self, settings: Settings, loader: Callable[[Settings], Engine]) -> None:
        """Load at startup; a missing or unreadable index leaves the app up but not ready."""
        self._source = (settings, loader)
        try:
            self.swap(load_warm(settings, loader))
        except QAError as exc:
            log.warning("index not loaded: %s", exc)
            with self._lock:
                self._error = exc

    def swap(self, engine: Engine) -> None:
        with self._lock:
            self._engine, self._error = engine, None

    @property
    def engine(self) -> Engine | None:
        return self._engine

    def error(self) -> QAError:
        """Why there is no engine; a fresh exception each time (raising a shared one grows its traceback)."""
        err = self._error or IndexMissingError("No index is loaded.")
        message = str(err)
        if "qa index" not in message:
            message = f"{message} {_INDEX_HINT}"
        return type(err)(message)

    def require(self) -> Engine:
        engine = self._engine
        if engine is None:
            raise self.error()
        if getattr(engine, "outdated", False):
            self._reload_in_background()
        return engine

    def _reload_in_background(self) -> None:
        """An engine on a shared database saw another process re-index it: load the new
        generation beside the old one (which keeps answering) and swap when it is ready."""
        with self._lock:
            if self._reloading or self.reindexing or self._source is None:
                return
            self._reloading = True
        settings, loader = self._source

        def run() -> None:
            try:
                self.swap(load_warm(settings, loader))
            except QAError as exc:
                log.warning("reload after a re-index failed: %s", exc)
                threading.Event().wait(10.0)  # the old engine keeps answering; retry later
            finally:
                self._reloading = False

        threading.Thread(target=run, name="qa-reload", daemon=True).start()


def current_engine(request: Request) -> Engine:
    """FastAPI dependency: the engine this request will use from start to end."""
    return request.app.state.holder.require()


async def run_engine(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking engine call in a worker thread, at most ENGINE_CONCURRENCY at once."""
    return await anyio.to_thread.run_sync(
        functools.partial(fn, *args), limiter=request.app.state.engine_limiter
    )
