"""Startup without an index, then /admin/reindex: first build, and a swap under load."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_helpers import API_KEY, LiveServer, api_settings, copy_seeds, start_server  # noqa: E402

from qa.serve.app import create_app

ASK = {"question": "What are accountable care systems?"}
ADMIN = {"X-API-Key": API_KEY}

NEW_DOCUMENT = """Harbour ferries to return in spring

The city council has confirmed that the harbour ferry service will resume in April after a
two-year pause. The ferries will run every twenty minutes between the old quay and the
lighthouse pier, and tickets will cost two pounds for adults.

Councillors said the service had been suspended while the pier was rebuilt. The new pier has
a covered waiting area and step-free access for wheelchair users.
"""


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> Iterator[tuple[LiveServer, object]]:
    """A server whose index has not been built yet (its own copy of the seeds, so it can add one)."""
    tmp = tmp_path_factory.mktemp("reindex")
    seeds = copy_seeds(tmp / "seeds")
    settings = api_settings(tmp, tmp / "index", seeds_dir=seeds)
    server = start_server(create_app(settings))
    yield server, settings
    server.stop()


def reindex(server: LiveServer) -> httpx.Response:
    with server.client(timeout=600) as c:  # a build takes a while on a busy 2-core machine
        return c.post("/admin/reindex", headers=ADMIN)


def test_not_ready_without_index(empty):
    server, _ = empty
    with server.client() as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "unavailable"
        message = r.json()["error"]["message"]
        assert "qa index" in message
        for method, path, body in [
            ("POST", "/ask", ASK),
            ("POST", "/ask/stream", ASK),
            ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi there"}]}),
            ("GET", "/search?q=care", None),
            ("GET", "/sources/anything", None),
        ]:
            r = c.request(method, path, json=body)
            assert r.status_code == 503, path
            assert r.json()["error"]["message"] == message
        assert "qa_index_ready 0.0" in c.get("/metrics").text


def test_first_reindex_makes_it_ready(empty, built_index: Path):
    server, settings = empty
    # Start from the session build's vector cache (keyed by content hash and settings): the
    # build below still writes a whole new generation, without embedding the corpus twice.
    shutil.copytree(built_index / "cache", settings.index_dir / "cache")
    r = reindex(server)
    with server.client() as c:
        assert r.status_code == 200, r.text
        assert r.json()["documents"] >= 1
        r = c.get("/readyz")
        assert r.status_code == 200
        assert c.post("/ask", json=ASK).status_code == 200


def test_reindex_under_load_drops_nothing(empty):
    server, settings = empty
    with server.client() as c:
        before = c.get("/readyz").json()["index"]
    (settings.seeds_dir / "900_harbour_ferries.txt").write_text(NEW_DOCUMENT, encoding="utf-8")

    stop = threading.Event()
    results: list[tuple[int, str]] = []
    errors: list[str] = []

    def fire() -> None:
        with server.client() as c:
            while not stop.is_set():
                try:
                    r = c.post("/ask", json=ASK)
                    results.append((r.status_code, r.text[:200]))
                except httpx.HTTPError as exc:  # a dropped connection is a failure too
                    errors.append(repr(exc))

    workers = [threading.Thread(target=fire) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        time.sleep(0.5)  # requests are in flight when the re-index starts
        r = reindex(server)
        time.sleep(0.5)  # and continue on the new engine
    finally:
        stop.set()
        for w in workers:
            w.join()

    assert r.status_code == 200, r.text
    assert r.json()["embedded_passages"] >= 1  # the new file; the rest comes from the cache
    assert not errors
    assert len(results) >= 4  # every worker got answers while the index was swapped
    assert results and all(status == 200 for status, _ in results), [x for x in results if x[0] != 200][:3]
    with server.client() as c:
        after = c.get("/readyz").json()["index"]
        assert after["documents"] == before["documents"] + 1
        assert after["generation"] != before["generation"]
        hits = c.get("/search", params={"q": "harbour ferry lighthouse pier", "k": 1}).json()["hits"]
        assert hits and "900_harbour_ferries" in hits[0]["source"]
        assert 'qa_reindex_total{outcome="ok"} 2.0' in c.get("/metrics").text


def test_concurrent_reindex_is_refused(empty):
    server, _ = empty
    statuses = []

    threads = [threading.Thread(target=lambda: statuses.append(reindex(server).status_code)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Either both ran one after the other (fast, up-to-date index) or the second was refused.
    assert sorted(statuses) in ([200, 200], [200, 409])
