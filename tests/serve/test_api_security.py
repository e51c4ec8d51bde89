"""CORS, origin refusal, rate limiting, the admin API key and body limits, on live servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_helpers import (  # noqa: E402
    ALLOWED_ORIGIN,
    API_KEY,
    REFUSED_ORIGIN,
    LiveServer,
    api_settings,
    start_server,
)

from qa.serve.app import create_app

ASK = {"question": "What are accountable care systems?"}
FEEDBACK = {"question": "q", "answer": "a", "citations": [], "helpful": True, "bad_citation": None, "comment": None}


# --- CORS and origins ----------------------------------------------------------------


def test_preflight_from_allowed_origin(client: httpx.Client):
    r = client.options("/ask", headers={
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in r.headers["access-control-allow-methods"]


def test_preflight_from_refused_origin_gets_no_cors_headers(client: httpx.Client):
    r = client.options("/ask", headers={"Origin": REFUSED_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers
    assert r.json()["error"]["type"] == "cors_refused"


def test_actual_request_from_allowed_origin(client: httpx.Client):
    r = client.post("/ask", json=ASK, headers={"Origin": ALLOWED_ORIGIN})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "Retry-After" in r.headers["access-control-expose-headers"]


@pytest.mark.parametrize("route", ["/ask", "/ask/stream", "/feedback", "/v1/chat/completions"])
def test_refused_origin_gets_403_and_no_answer(client: httpx.Client, route: str):
    body = FEEDBACK if route == "/feedback" else ASK
    if route.startswith("/v1"):
        body = {"model": "qa", "messages": [{"role": "user", "content": ASK["question"]}]}
    r = client.post(route, json=body, headers={"Origin": REFUSED_ORIGIN})
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers
    assert r.json()["error"]["type"] == "origin_refused"
    r = client.post(route, json=body, headers={"Origin": "null"})
    assert r.status_code == 403


def test_same_origin_page_is_allowed(live: LiveServer, client: httpx.Client):
    # The /demo page posts with the server's own origin.
    r = client.post("/ask", json=ASK, headers={"Origin": live.url})
    assert r.status_code == 200


def test_reading_routes_answer_without_cors_headers_for_refused_origin(client: httpx.Client):
    r = client.get("/healthz", headers={"Origin": REFUSED_ORIGIN})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


# --- rate limiting -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory, built_index: Path, shared_engine) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("limited")
    settings = api_settings(tmp, built_index, rate_limit_per_minute=3)
    server = start_server(create_app(settings, engine_loader=shared_engine))
    yield server
    server.stop()


def test_rate_limit_gives_429_with_retry_after(limited: LiveServer):
    with limited.client() as c:
        statuses = [c.post("/ask", json=ASK).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        r = c.post("/ask", json=ASK)
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 20
        assert r.json()["error"]["type"] == "rate_limited"
        # Shared across the answering routes, per client.
        assert c.get("/search", params={"q": "care"}).status_code == 429
        assert c.post("/feedback", json=FEEDBACK).status_code == 429
        # Health, readiness, metrics and the widget are never limited.
        for path in ["/healthz", "/readyz", "/metrics", "/widget/v1/widget.js", "/demo"]:
            assert c.get(path).status_code == 200, path
        # The valid API key is its own client, with its own allowance.
        assert c.post("/ask", json=ASK, headers={"X-API-Key": API_KEY}).status_code == 200
        # A made-up key is not a fresh identity.
        assert c.post("/ask", json=ASK, headers={"X-API-Key": "made-up"}).status_code == 429


# --- API key --------------------------------------------------------------------------------


def test_admin_needs_the_api_key(client: httpx.Client):
    r = client.post("/admin/reindex")
    assert r.status_code == 401 and r.json()["error"]["type"] == "missing_api_key"
    r = client.post("/admin/reindex", headers={"X-API-Key": "wrong"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "wrong_api_key"
    r = client.post("/admin/reindex", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403


def test_admin_with_the_right_key_rebuilds(client: httpx.Client):
    # The index is up to date, so this is quick; the swap under load is tested in test_api_reindex.
    r = client.post("/admin/reindex", headers={"Authorization": f"Bearer {API_KEY}"})
    assert r.status_code == 200, r.text
    assert r.json()["documents"] >= 1
    r = client.post("/admin/reindex", headers={"X-API-Key": API_KEY})
    assert r.status_code == 200
    assert client.get("/readyz").status_code == 200


def test_admin_disabled_without_configured_key(tmp_path, built_index, shared_engine):
    server = start_server(create_app(api_settings(tmp_path, built_index, api_key=None), engine_loader=shared_engine))
    try:
        with server.client() as c:
            r = c.post("/admin/reindex", headers={"X-API-Key": "anything"})
            assert r.status_code == 403
            assert "QA_API_KEY" in r.json()["error"]["message"]
            assert c.post("/ask", json=ASK).status_code == 200  # reading needs no key
    finally:
        server.stop()


# --- body limits -------------------------------------------------------------------------------


def test_body_over_limit_by_content_length(client: httpx.Client):
    big = {"question": "q" * (70 * 1024)}
    r = client.post("/ask", json=big)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "body_too_large"


def test_body_over_limit_when_streamed_without_length(client: httpx.Client):
    def chunks():
        yield b'{"question": "'
        for _ in range(100):
            yield b"q" * 1024
        yield b'"}'

    r = client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "body_too_large"


def test_small_chunked_body_is_accepted(client: httpx.Client):
    def chunks():
        yield b'{"question": '
        yield b'"What are accountable care systems?"}'

    r = client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
