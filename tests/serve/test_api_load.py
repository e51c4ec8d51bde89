"""bench/load.py: a short smoke run in the default test run, the full 60 s run marked slow."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from serve_helpers import ROOT, LiveServer  # noqa: E402


def run_load(*args: str, timeout: float) -> dict:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_load_smoke_against_live_server(live: LiveServer):
    result = run_load("--url", live.url, "--duration", "3", "--concurrency", "4", timeout=120)
    assert result["requests"] > 0
    assert result["errors"] == 0, result["statuses"]
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["p99"]


@pytest.mark.slow
def test_full_load_run_has_no_errors(live: LiveServer, request: pytest.FixtureRequest):
    # A marker alone does not keep a test out of a plain `pytest` run; this one takes over
    # a minute, so it runs only when asked for (`-m slow`).
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("the full 60 s load run; select it with -m slow")
    result = run_load("--url", live.url, timeout=300)  # the defaults: 60 s, 16 clients
    assert result["errors"] == 0, result["statuses"]
    assert result["requests_per_second"] > 1
