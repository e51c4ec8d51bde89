"""Walk a corpus folder: read every supported file, skip (and say why) the ones that can't be.

One bad file never stops a corpus: it is skipped with one line saying what, why and how
to fix it, and the build goes on (``qa index --strict`` makes any skip fatal).  Nothing
that resolves outside the corpus folder is read: a symlink to a system file would
otherwise be indexed and published by ``GET /sources``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.errors import InvalidDocumentError
from qa.ingest.readers import SUPPORTED_SUFFIXES, RawDocument, display_path, load_file

# Above this many bytes a file (or a whole corpus) gets a warning with an estimate first.
LARGE_INPUT_BYTES = 10_000_000
# Rates behind the estimate, measured with `python bench/ingest.py` and `qa bench` on the
# 2-core development machine (bench/RESULTS.md): cleaning and chunking ~0.2 MB/s; a
# passage is ~530 characters of text, and ~15 are embedded per second with their sentences
# (the seed index: 110 passages and 411 sentences in about 7 s).
_CHUNK_BYTES_PER_S = 200_000
_BYTES_PER_PASSAGE = 530
_PASSAGES_PER_S = 15


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str  # one line: what is wrong, why, and what to do

    def __str__(self) -> str:
        return f"skipped {self.reason}"


@dataclass
class Corpus:
    documents: list[RawDocument] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def estimate(nbytes: int) -> str:
    """Human estimate of the work ``nbytes`` of text costs, for the warning before it."""
    passages = nbytes // _BYTES_PER_PASSAGE
    seconds = nbytes / _CHUNK_BYTES_PER_S + passages / _PASSAGES_PER_S
    return f"{nbytes / 1e6:.1f} MB, about {passages:,} passages; roughly {_duration(seconds)} to index on 2 cores"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def walk(folder: Path, skipped: list[SkippedFile]) -> Iterator[Path]:
    """Supported files under ``folder`` in a stable order; symlinks are followed only inside it."""
    if not folder.is_dir():
        raise InvalidDocumentError(
            f"corpus folder {folder} does not exist; pass --seeds DIR or set QA_SEEDS_DIR"
        )
    root = folder.resolve()
    seen_dirs = {root}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            real = (here / name).resolve()
            if not _inside(real, root):
                skipped.append(SkippedFile(display_path(here / name), _outside(here / name, real, "folder")))
            elif real not in seen_dirs:  # a link back up would loop forever
                seen_dirs.add(real)
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            real = path.resolve()
            if not _inside(real, root):
                skipped.append(SkippedFile(display_path(path), _outside(path, real, "file")))
            elif not real.is_file():
                skipped.append(SkippedFile(display_path(path), f"{display_path(path)}: not a regular file "
                                           "(a broken link, a pipe or a device); remove it from the corpus folder"))
            else:
                yield path


def _outside(path: Path, real: Path, what: str) -> str:
    return (f"{display_path(path)}: links to a {what} outside the corpus folder ({real}), which is never "
            f"read or published; copy the {what} into the corpus folder if it should be indexed")


def read_corpus(folder: Path, log: Callable[[str], None] = lambda _m: None) -> Corpus:
    """Every readable supported file under ``folder``; the others are listed in ``skipped``."""
    corpus = Corpus()
    seen: set[str] = set()
    total = 0
    for path in walk(folder, corpus.skipped):
        size = path.stat().st_size
        if size >= LARGE_INPUT_BYTES:
            log(f"warning: {display_path(path)} is large: {estimate(size)}")
        total += size
        rel = path.relative_to(folder)
        doc_id = rel.with_suffix("").as_posix().replace("/", "__")
        if size == 0:
            corpus.skipped.append(SkippedFile(display_path(path), f"{display_path(path)}: the file is empty; "
                                              "nothing to index (remove it, or give it text)"))
            continue
        try:
            doc = load_file(path, doc_id=doc_id)
        except InvalidDocumentError as exc:
            corpus.skipped.append(SkippedFile(display_path(path), str(exc)))
            continue
        if not doc.text.strip():
            corpus.skipped.append(SkippedFile(doc.source, f"{doc.source}: no text in it (a scanned PDF has "
                                              "only images: run OCR first, e.g. ocrmypdf)"))
            continue
        if doc_id in seen:  # a.txt and a.md share a stem
            doc = replace(doc, doc_id=f"{doc_id}{path.suffix.lower()}")
        seen.add(doc.doc_id)
        corpus.documents.append(doc)
    if total >= LARGE_INPUT_BYTES:
        log(f"warning: the corpus is large: {estimate(total)}")
    if not corpus.documents and not corpus.skipped:
        raise InvalidDocumentError(
            f"no documents found in {folder} (looked for {', '.join(SUPPORTED_SUFFIXES)})"
        )
    return corpus
