"""The on-disk index: generations written atomically, and a small read/write API.

Layout under the index folder::

    CURRENT            name of the live generation (replaced atomically)
    gen-<stamp>/       manifest.json, documents.jsonl, chunks.jsonl, sentences.jsonl,
                       vectors.npy, sentence_vectors.npy, dense.faiss, bm25/
    cache/             per-document vectors keyed by content hash (incremental builds)
    models/            the query encoder exported for the index's model (qa/index/query_encoder/)

A build writes a new generation in a temporary folder, renames it into place,
then swaps CURRENT; readers never see a half-written index, and a reader that
opened the previous generation keeps working until it is done.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexCorruptError, IndexMissingError
from qa.index.schema import Manifest


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, then rename over the target."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def current(self) -> Path:
        pointer = self.root / "CURRENT"
        if not pointer.is_file():
            raise IndexMissingError(
                f"no index found in {self.root}/. Build it with `qa index` "
                f"(or `qa index --index {self.root}` for this folder)."
            )
        gen = self.root / pointer.read_text(encoding="utf-8").strip()
        if not gen.is_dir() or not gen.name.startswith("gen-"):
            raise IndexCorruptError(
                f"{pointer} names {gen.name!r}, which is not an index generation. "
                "Rebuild with `qa index --rebuild`."
            )
        return gen

    def read_manifest(self, gen: Path | None = None) -> Manifest:
        gen = gen or self.current()
        try:
            manifest = Manifest.from_dict(json.loads((gen / "manifest.json").read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise IndexCorruptError(
                f"the index manifest in {gen} is unreadable ({exc}). Rebuild with `qa index --rebuild`."
            ) from exc
        return manifest

    def check_compatible(self, manifest: Manifest, model: str, encoding: str) -> None:
        manifest.check_compatible(model, encoding, f"the index in {self.root}/")

    @contextmanager
    def new_generation(self) -> Iterator[Path]:
        """Yield an empty folder; on success it becomes the live generation."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.root))
        try:
            yield tmp
            stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
            final = self.root / f"gen-{stamp}"
            os.replace(tmp, final)
            atomic_write_text(self.root / "CURRENT", final.name + "\n")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(keep={final.name})

    def _prune(self, keep: set[str]) -> None:
        # Keep the previous generation too: a server may still be answering from it.
        gens = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        for old in gens[:-2]:
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
        for stale in self.root.glob(".build-*"):
            if stale.is_dir() and time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)

    # --- per-document vector cache --------------------------------------
    def cache_path(self, key: str) -> Path:
        return self.cache_dir / f"{key}.npz"

    def load_cached(self, key: str) -> dict[str, np.ndarray] | None:
        path = self.cache_path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError):
            return None  # a damaged cache entry is just re-embedded

    def save_cached(self, key: str, **arrays: np.ndarray) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.cache_dir)
        os.close(fd)
        try:
            np.savez(tmp, **arrays)
            os.replace(tmp, self.cache_path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def prune_cache(self, live: set[str]) -> None:
        if self.cache_dir.is_dir():
            for path in self.cache_dir.glob("*.npz"):
                if path.stem not in live:
                    path.unlink(missing_ok=True)
