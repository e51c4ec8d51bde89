"""Index changes as the server sees them: builds run in a child process, and a watcher
swaps in each new generation that a `qa index` run beside the server writes.

Building in the server's own process would import torch and sentence-transformers
into it for good (about 600 MB resident, never given back); a child process takes that
memory with it when it exits, so the server stays at its query-time size.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import json
import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.errors import QAError

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("qa.api")

# The settings that shape an index; the child reads them as QA_* variables.
_INDEX_SETTINGS = ("model", "encoding", "chunk_tokens", "chunk_overlap", "exact_search_max", "embed_batch_size")


class BuildFailedError(QAError):
    """The child `qa index` process failed; its message says why."""

    status_code = 500


def build_in_subprocess(settings: Settings) -> dict:
    """Run `qa index --json` in a child process with these settings; its JSON report."""
    env = {**os.environ, **{f"QA_{name.upper()}": str(getattr(settings, name)) for name in _INDEX_SETTINGS}}
    cmd = [
        sys.executable, "-m", "qa.cli", "index", "--json", "--quiet",
        "--seeds", str(settings.seeds_dir), "--index", str(settings.index_dir),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        reason = lines[-1].removeprefix("error: ") if lines else f"exit status {proc.returncode}"
        error = BuildFailedError(
            f"the index build failed: {reason}. The server keeps answering from the index it has; "
            "fix the cause and POST /admin/reindex again."
        )
        # Exit status 2 is `qa index` refusing the corpus or settings (as in process: a 400);
        # anything else is the build itself breaking.
        error.status_code = 400 if proc.returncode == 2 else 500
        raise error
    return json.loads(proc.stdout)


def release_memory() -> None:
    """Free the replaced engine now, and hand freed heap pages back to the OS (glibc keeps
    them otherwise, so the resident size would grow by an index per re-index)."""
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): nothing to trim
            ctypes.CDLL(libc_name).malloc_trim(0)


def live_generation(settings: Settings) -> str | None:
    """The name in the index's CURRENT pointer (one small read), or None when there is none."""
    try:
        return (settings.index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


async def watch_generations(app: FastAPI) -> None:
    """Every QA_INDEX_WATCH_SECONDS, load the generation CURRENT names if it is new.

    A generation that fails to load is not retried until CURRENT changes again; the
    engine already serving keeps serving.
    """
    from anyio import to_thread

    from qa.serve.deps import load_warm

    state = app.state
    settings: Settings = state.settings
    holder = state.holder
    engine = holder.engine
    seen = engine.generation.name if engine is not None and hasattr(engine, "generation") else None
    while True:
        await asyncio.sleep(settings.index_watch_seconds)
        name = live_generation(settings)
        engine = holder.engine
        serving = getattr(getattr(engine, "generation", None), "name", None)
        if name is None or name in (seen, serving) or holder.reindexing:
            continue
        seen = name
        holder.reindexing = True  # checked and set on the event loop: no overlap with /admin/reindex
        try:
            new = await to_thread.run_sync(load_warm, settings, state.engine_loader)
        except QAError as exc:
            log.warning("new index generation %s not loaded: %s", name, exc)
            continue
        except Exception:  # never let the watcher die: it would stop noticing new builds
            log.exception("new index generation %s not loaded", name)
            continue
        finally:
            holder.reindexing = False
        holder.swap(new)
        state.metrics.set_index(new.info)
        log.info("now serving index generation %s (found by the watcher)", name)
        del engine, new
        await to_thread.run_sync(release_memory)
