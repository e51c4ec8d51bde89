"""Bounded load run against the HTTP API: N concurrent clients for a fixed time.

    python bench/load.py                      # starts its own server on a free loopback port
    python bench/load.py --url http://127.0.0.1:8000 --duration 20 --concurrency 8

Prints one JSON object: requests, errors, requests/second and latency percentiles.
The server it starts runs in a separate process (so client and server do not share
one GIL) with rate limiting off; against --url, the server's own rate limit applies
(set QA_RATE_LIMIT_PER_MINUTE=0 there, or errors will be 429s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

QUESTIONS = [
    "What are accountable care systems?",
    "How many STPs will become accountable care organisations?",
    "What did Simon Stevens tell the Public Accounts Committee?",
    "Will there be new money for STPs?",
    "What is the purchaser-provider split?",
    "Who leads the sustainability and transformation partnerships?",
    "What are the five conditions for successful STPs?",
    "Why can NHS budgets not be used for social care?",
    "What governance rights will STP leaders have?",
    "When will NHS England publish details about STPs?",
    "What is the capital of Australia?",  # off-corpus: exercises the abstention path
    "How do councils fund social care?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_index(index_dir: str | None, seeds_dir: str | None) -> None:
    """Build the index if there is none (incremental: a no-op when it is up to date)."""
    from qa.config import Settings
    from qa.errors import IndexMissingError
    from qa.index.build import build_index
    from qa.index.store import IndexStore

    overrides = {k: v for k, v in {"index_dir": index_dir, "seeds_dir": seeds_dir}.items() if v}
    settings = Settings(**overrides)
    try:
        IndexStore(settings.index_dir).current()
    except IndexMissingError:
        print(f"no index in {settings.index_dir}/: building it first", file=sys.stderr)
        build_index(settings, progress=True)


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen, str, Path]:
    port = _free_port()
    env = dict(os.environ, QA_HOST="127.0.0.1", QA_PORT=str(port), QA_RATE_LIMIT_PER_MINUTE="0")
    if args.index_dir:
        env["QA_INDEX_DIR"] = args.index_dir
    if args.seeds_dir:
        env["QA_SEEDS_DIR"] = args.seeds_dir
    log = Path(tempfile.mkstemp(prefix="qa-load-server-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from qa.serve.app import serve; serve()"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + args.startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited during startup; its log:\n{log.read_text()[-3000:]}")
        try:
            r = httpx.get(f"{url}/readyz", timeout=2)
            if r.status_code == 200:
                return proc, url, log
            sys.exit(f"the server is not ready: {r.text}")
        except httpx.TransportError:
            time.sleep(0.25)
    proc.terminate()
    sys.exit("the server did not start in time")


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def run_load(url: str, endpoint: str, duration: float, concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    abstained = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(question: str) -> httpx.Response:
            if endpoint == "search":
                return await client.get("/search", params={"q": question, "k": 10})
            return await client.post(f"/{endpoint}", json={"question": question})

        # Warm-up (not counted): connections open, caches warm.
        await asyncio.gather(*(one(q) for q in QUESTIONS[:concurrency]))

        started = time.perf_counter()
        stop_at = started + duration

        async def worker(n: int) -> None:
            nonlocal abstained
            i = n
            while time.perf_counter() < stop_at:
                question = QUESTIONS[i % len(QUESTIONS)]
                i += concurrency
                t0 = time.perf_counter()
                try:
                    r = await one(question)
                    statuses[str(r.status_code)] += 1
                    if r.status_code == 200 and endpoint == "ask" and r.json().get("abstained"):
                        abstained += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started

    ms = sorted(x * 1000 for x in latencies)
    requests = len(ms)
    errors = requests - statuses.get("200", 0)
    return {
        "url": url,
        "endpoint": f"/{endpoint}",
        "duration_s": round(elapsed, 2),
        "concurrency": concurrency,
        "requests": requests,
        "errors": errors,
        "error_rate": round(errors / requests, 4) if requests else 0.0,
        "requests_per_second": round(requests / elapsed, 2) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(_percentile(ms, 50), 1),
            "p95": round(_percentile(ms, 95), 1),
            "p99": round(_percentile(ms, 99), 1),
            "max": round(ms[-1], 1) if ms else 0.0,
            "mean": round(sum(ms) / requests, 1) if requests else 0.0,
        },
        "statuses": dict(statuses),
        "abstained": abstained if endpoint == "ask" else None,
        "cpu_count": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running server (default: start one on a free port)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--endpoint", choices=["ask", "search"], default="ask")
    parser.add_argument("--index-dir", help="index for the server it starts (default: QA_INDEX_DIR or index/)")
    parser.add_argument("--seeds-dir", help="corpus for the server it starts (default: QA_SEEDS_DIR or seeds/)")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--out", help="also write the JSON result to this file")
    args = parser.parse_args(argv)

    proc = None
    url = args.url
    if url is None:
        _ensure_index(args.index_dir, args.seeds_dir)
        proc, url, log = start_server(args)
    try:
        result = asyncio.run(run_load(url.rstrip("/"), args.endpoint, args.duration, args.concurrency))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
            log.unlink(missing_ok=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
