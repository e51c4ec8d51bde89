"""`qa serve` as a real process on loopback: it picks up a `qa index` run beside it, its
memory stays flat over re-indexes, and a spoofed X-Forwarded-For does not dodge the limit."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from made_up import made_up_text, make_corpus

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "process-test-key"

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads RSS from /proc")


def run_qa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A small made-up corpus and its index, built once; each test works on a copy."""
    tmp = tmp_path_factory.mktemp("process-corpus")
    seeds = make_corpus(tmp / "seeds", documents=4, sentences=12, seed=7)
    out = run_qa("index", "-q", "--seeds", str(seeds), "--index", str(tmp / "index"))
    assert out.returncode == 0, out.stderr
    return seeds, tmp / "index"


@pytest.fixture
def corpus(built, tmp_path) -> tuple[Path, Path]:
    seeds, index = built
    return shutil.copytree(seeds, tmp_path / "seeds"), shutil.copytree(index, tmp_path / "index")


@dataclass
class Served:
    proc: subprocess.Popen
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=600)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS line")


@contextmanager
def qa_serve(tmp: Path, seeds: Path, index: Path, **settings: str) -> Iterator[Served]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "QA_SEEDS_DIR": str(seeds), "QA_INDEX_DIR": str(index),
        "QA_FEEDBACK_DB": str(tmp / "feedback.sqlite3"), "QA_API_KEY": API_KEY, **settings,
    }
    log = (tmp / f"serve-{port}.log").open("w")  # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )
    served = Served(proc, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 180
        with served.client() as c:
            while True:
                assert proc.poll() is None, (tmp / f"serve-{port}.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "qa serve was not ready within 180 s"
                try:
                    if c.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def add_document(seeds: Path, name: str, title: str) -> None:
    (seeds / name).write_text(made_up_text(random.Random(name), title, 10), encoding="utf-8")


def test_server_picks_up_a_new_generation_by_itself(corpus, tmp_path):
    seeds, index = corpus
    with qa_serve(tmp_path, seeds, index, QA_INDEX_WATCH_SECONDS="0.5") as server, server.client() as c:
        before = c.get("/readyz").json()["index"]
        (seeds / "zz_new.txt").write_text(
            "Quorblat ferries\n\nThe quorblat ferry sails from the north jetty every ninth morning.\n",
            encoding="utf-8",
        )
        out = run_qa("index", "-q", "--seeds", str(seeds), "--index", str(index))  # beside the server
        assert out.returncode == 0, out.stderr
        deadline = time.monotonic() + 60
        while (after := c.get("/readyz").json()["index"])["generation"] == before["generation"]:
            assert time.monotonic() < deadline, "the server did not load the new generation within 60 s"
            time.sleep(0.2)
        assert after["documents"] == before["documents"] + 1
        hits = c.get("/search", params={"q": "quorblat ferry jetty", "k": 1}).json()["hits"]
        assert hits and hits[0]["source"].endswith("zz_new.txt")


def test_memory_stays_flat_over_three_reindexes(corpus, tmp_path):
    seeds, index = corpus
    question = {"question": "What sails from the jetty?"}
    with qa_serve(tmp_path, seeds, index) as server, server.client() as c:
        assert c.post("/ask", json=question).status_code == 200
        first = server.rss_mb()  # after the first load, warmed up and answering
        sizes = []
        for i in range(3):
            add_document(seeds, f"added{i}.txt", f"Added note {i}")
            r = c.post("/admin/reindex", headers={"X-API-Key": API_KEY})
            assert r.status_code == 200, r.text
            assert r.json()["embedded_passages"] >= 1  # each re-index really built something
            assert c.post("/ask", json=question).status_code == 200
            sizes.append(server.rss_mb())
        assert c.get("/readyz").json()["index"]["documents"] == 4 + 3
    assert max(sizes) <= 1.5 * first, f"RSS after first load {first:.0f} MB, after each re-index {sizes}"


def _statuses(server: Served, forwarded_for: list[str]) -> list[int]:
    with server.client() as c:
        return [
            c.get("/search", params={"q": "ferry"}, headers={"X-Forwarded-For": ip}).status_code
            for ip in forwarded_for
        ]


def test_spoofed_forwarded_for_does_not_dodge_the_rate_limit(corpus, tmp_path):
    seeds, index = corpus
    with qa_serve(tmp_path, seeds, index, QA_RATE_LIMIT_PER_MINUTE="2") as server:
        # Three "different clients" from one loopback peer: one bucket, the third is refused.
        assert _statuses(server, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [200, 200, 429]


def test_forwarded_for_is_believed_from_a_trusted_proxy(corpus, tmp_path):
    seeds, index = corpus
    with qa_serve(tmp_path, seeds, index, QA_RATE_LIMIT_PER_MINUTE="2", QA_TRUSTED_PROXIES="127.0.0.1") as server:
        # Behind a trusted proxy each forwarded client has its own bucket...
        assert _statuses(server, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [200, 200, 200]
        # ...and is still limited: 203.0.113.1 has one request left of its two.
        assert _statuses(server, ["203.0.113.1", "203.0.113.1"]) == [200, 429]


def test_failed_build_is_reported_and_the_old_index_keeps_serving(corpus, tmp_path):
    seeds, index = corpus
    with qa_serve(tmp_path, seeds, index) as server, server.client() as c:
        shutil.rmtree(seeds)  # the corpus folder is gone: `qa index` refuses it
        r = c.post("/admin/reindex", headers={"X-API-Key": API_KEY})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["type"] == "BuildFailedError"
        assert f"corpus folder {seeds} does not exist" in error["message"]
        assert "keeps answering" in error["message"]
        assert c.get("/readyz").status_code == 200
        assert c.get("/search", params={"q": "report"}).status_code == 200
