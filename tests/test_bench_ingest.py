"""bench/ingest.py runs and reports what RESULTS.md quotes (no speed is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ingest_bench_reports_time_memory_and_passages(tmp_path):
    out = tmp_path / "ingest.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "ingest.py"), "--cases", "one-line-185kb",
                           "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    case = json.loads(out.read_text())["one-line-185kb"]
    assert case["bytes"] == 185_000 and case["passages"] > 100
    assert case["title_chars"] <= 121  # a one-line file's title is capped, not the whole line
    assert case["peak_rss_mb"] > 0 and case["total_s"] >= case["chunk_s"] > 0
