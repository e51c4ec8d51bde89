"""Every document left out as a near-duplicate is listed, with why, by `qa index` (text and
--json) and in the manifest (real CLI subprocess, made-up documents)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from made_up import made_up_text

from qa.index.store import IndexStore

ROOT = Path(__file__).resolve().parents[2]


def qa_index(seeds: Path, index: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", "index", "-q", "--seeds", str(seeds), "--index", str(index), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_dropped_documents_are_listed_with_the_reason(tmp_path: Path):
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    full = made_up_text(random.Random(3), "Field notes", 30)
    (seeds / "a_full.txt").write_text(full, encoding="utf-8")
    (seeds / "b_excerpt.txt").write_text("\n".join(full.splitlines()[:-3]) + "\n", encoding="utf-8")
    (seeds / "c_other.txt").write_text(made_up_text(random.Random(4), "Other notes", 10), encoding="utf-8")

    out = qa_index(seeds, index, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["indexed_documents"] == 2
    [dropped] = report["duplicates"]
    assert dropped["dropped_source"].endswith("b_excerpt.txt")
    assert dropped["kept_source"].endswith("a_full.txt")
    assert dropped["reason"].startswith(f"near-duplicate of {dropped['kept_source']}: ")
    assert 0.8 <= dropped["containment"] <= 1.0 and "% of its word 5-grams" in dropped["reason"]

    entry = IndexStore(index).read_manifest().documents[dropped["dropped"]]
    assert (entry.duplicate_of, entry.dropped_reason, entry.passages) == (dropped["kept"], dropped["reason"], 0)

    again = qa_index(seeds, index)  # text output, also when there is nothing to rebuild
    assert again.returncode == 0, again.stderr
    assert f"skipped {dropped['dropped_source']}: {dropped['reason']}" in again.stdout
