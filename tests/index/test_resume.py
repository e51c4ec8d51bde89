"""A killed build resumes: `qa index` is killed with SIGKILL mid-embedding, and the re-run
embeds only the documents whose vectors were not checkpointed (real model, real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from made_up import make_corpus

ROOT = Path(__file__).resolve().parents[2]


def qa_index(seeds: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "index", "--seeds", str(seeds), "--index", str(index), "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def checkpointed(index: Path) -> list[Path]:
    cache = index / "cache"
    # ".tmp-*" files are checkpoints cut short by the kill; the build never reads them.
    return [p for p in cache.glob("*.npz") if not p.name.startswith(".")] if cache.is_dir() else []


def test_killed_build_resumes_and_embeds_only_the_rest(tmp_path: Path):
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    make_corpus(seeds, documents=36)

    first = qa_index(seeds, index)
    # Read stderr as it comes: the progress line follows a group's checkpoints, so killing on
    # the checkpoints alone could land between them and the line (a race, not a missing line).
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(first.stderr.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while len(checkpointed(index)) < 2 or not any(line.startswith("embedded ") for line in lines):
        assert first.poll() is None, f"the build ended before it could be killed: {''.join(lines)[-2000:]}"
        assert time.monotonic() < deadline, "no document was checkpointed within 300 s"
        time.sleep(0.02)
    first.kill()  # SIGKILL: no cleanup code runs
    first.wait()
    reader.join(timeout=10)
    stderr = "".join(lines)
    assert not (index / "CURRENT").exists()  # it died before writing an index

    saved = checkpointed(index)
    saved_passages = 0
    for path in saved:
        with np.load(path) as data:
            saved_passages += data["chunks"].shape[0]
    assert 0 < len(saved) < 36 and saved_passages > 0
    # progress was shown while it ran: documents and passages done, rate, ETA
    assert "embedded " in stderr and "/36 documents" in stderr and "ETA " in stderr, stderr[-2000:]

    second = qa_index(seeds, index)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-2000:]
    report = json.loads(out)
    total = report["embedded_passages"] + report["reused_passages"]
    assert report["indexed_documents"] == 36
    assert report["reused_passages"] == saved_passages  # every checkpoint was used
    assert report["embedded_passages"] == total - saved_passages > 0  # and only the rest embedded
    assert f"from {36 - len(saved)} documents" in err


def test_progress_lines_count_documents_and_passages_with_rate_and_eta():
    from qa.progress import EmbedProgress

    now = [100.0]
    lines: list[str] = []
    meter = EmbedProgress(lines.append, documents=4, passages=40, texts=200, clock=lambda: now[0], every=5.0)
    now[0] = 102.0
    assert meter.advance(1, 10, 50) == (
        "embedded 1/4 documents, 10/40 passages (25.0 texts/s, ETA 0:06); each document is saved as it is done"
    )
    now[0] = 104.0
    assert meter.advance(1, 10, 50) is None  # under 5 s since the last line: quiet
    now[0] = 108.0
    assert meter.advance(1, 10, 50).startswith("embedded 3/4 documents, 30/40 passages (18.8 texts/s, ETA 0:03)")
    now[0] = 109.0
    assert meter.advance(1, 10, 50).startswith("embedded 4/4 documents, 40/40 passages")  # the end is always said
    assert len(lines) == 3


def test_bench_counts_progress_lines_as_embedding_time():
    from bench.perf import _stage_times

    stamps = [(1.0, "cleaning 3 documents"), (2.0, "embedding 10 passages and 40 sentences from 2 documents"),
              (5.0, "embedded 1/2 documents, ..."), (9.0, "embedded 2/2 documents, ..."), (10.0, "writing index")]
    assert _stage_times(0.0, stamps, 12.0) == {"start": 1.0, "cleaning": 1.0, "embedding": 8.0, "writing": 2.0}
