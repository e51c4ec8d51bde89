"""The HTTP API against a real uvicorn server and a real index of the seeds corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from serve_helpers import LiveServer, api_settings, sse_json, start_server  # noqa: E402

from qa.errors import IndexCorruptError
from qa.models import Answer, SearchResult, SourceDocument
from qa.serve.app import create_app
from qa.serve.feedback import export_feedback

QUESTION = "What are accountable care systems?"


def test_healthz(client: httpx.Client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_the_loaded_index(client: httpx.Client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    assert body["index"]["documents"] >= 1
    assert body["index"]["passages"] >= body["index"]["documents"]


def test_ask_returns_an_answer_with_exact_citations(client: httpx.Client):
    r = client.post("/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    answer = Answer.model_validate(r.json())
    assert answer.question == QUESTION
    assert not answer.abstained
    assert answer.citations
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer
        source = client.get(f"/sources/{c.doc_id}").json()
        assert source["text"][c.start : c.end] == c.text
        assert source["text"][c.quote_start : c.quote_end] == c.quote


def test_ask_explains_only_when_asked_with_one_shape(client: httpx.Client):
    plain = client.post("/ask", json={"question": QUESTION}).json()
    assert "explanation" in plain and plain["explanation"] is None
    r = client.post("/ask?explain=1", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    explained = r.json()
    assert set(explained) == set(plain)
    e = explained["explanation"]
    assert e["decision"] in ("answered", "refused") and e["reason"] and e["sentences"] and e["passages"]
    assert e["sentences"][0]["probability"] >= e["sentences"][-1]["probability"]


def test_ask_top_k_is_passed_on(client: httpx.Client):
    r = client.post("/ask", json={"question": QUESTION, "top_k": 1})
    assert r.status_code == 200, r.text
    citations = r.json()["citations"]
    assert citations
    # One passage retrieved: every cited sentence comes from it.
    assert len({(c["doc_id"], c["start"], c["end"]) for c in citations}) == 1


def test_ask_stream_events(client: httpx.Client):
    r = client.post("/ask/stream", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse_json(r.text)
    kinds = [e for e, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done"
    assert set(kinds[1:-1]) == {"delta"}
    done = Answer.model_validate(events[-1][1])
    assert "".join(d["text"] for e, d in events if e == "delta") == done.answer
    assert events[0][1]["citations"] == [c.model_dump(mode="json") for c in done.citations]


def test_ask_stream_read_as_it_arrives(live: LiveServer):
    # Read it as a client would: events arrive while the response is still open.
    seen = []
    with live.client() as c, c.stream("POST", "/ask/stream", json={"question": QUESTION}) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("event:"):
                seen.append(line.split(":", 1)[1].strip())
    assert seen[0] == "citations" and seen.count("done") == 1 and "delta" in seen


def test_ask_stream_uses_history_for_follow_ups(client: httpx.Client):
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "They are ... [1]"}]
    r = client.post("/ask/stream", json={"question": "and when do they start?", "history": history})
    assert r.status_code == 200, r.text
    done = sse_json(r.text)[-1]
    assert done[0] == "done"
    assert "accountable care systems" in done[1]["question"]


def test_search_returns_ranked_passages(client: httpx.Client):
    r = client.get("/search", params={"q": "accountable care organisations", "k": 3})
    assert r.status_code == 200, r.text
    result = SearchResult.model_validate(r.json())
    assert 1 <= len(result.hits) <= 3
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    hit = result.hits[0]
    text = client.get(f"/sources/{hit.doc_id}").json()["text"]
    assert text[hit.start : hit.end] == hit.text


def test_sources_returns_an_indexed_document(client: httpx.Client):
    hit = client.get("/search", params={"q": "Simon Stevens", "k": 1}).json()["hits"][0]
    r = client.get(f"/sources/{hit['doc_id']}")
    assert r.status_code == 200
    doc = SourceDocument.model_validate(r.json())
    assert doc.doc_id == hit["doc_id"] and doc.segments


@pytest.mark.parametrize(
    "path",
    [
        "/sources/..%2F..%2Fetc%2Fpasswd",
        "/sources/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/sources/..%252F..%252Fetc%252Fpasswd",
        "/sources/%2Fetc%2Fpasswd",
        "/sources/..",
        "/sources/..%5C..%5Cwindows%5Cwin.ini",
        "/sources/seeds%2F000_e394d50cb2b718a3.txt",
        "/sources/000_e394d50cb2b718a3.txt",
        "/sources/does-not-exist",
    ],
)
def test_sources_refuses_anything_but_an_indexed_id(live: LiveServer, path: str):
    # Raw paths, sent byte for byte: httpx would otherwise normalise "..".
    r = httpx.request("GET", httpx.URL(live.url + path), timeout=30)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert "root:" not in r.text
    assert set(r.json()["error"]) == {"type", "message"}


def test_sources_raw_dot_dot_path(live: LiveServer):
    import socket

    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as s:
        s.sendall(b"GET /sources/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split()[1] in (b"404", b"400")
    assert b"root:" not in body
    assert json.loads(body)["error"]


def test_unknown_route_is_json_404(client: httpx.Client):
    r = client.get("/no/such/route")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "not_found"


def test_wrong_method_is_json_405(client: httpx.Client):
    r = client.get("/ask")
    assert r.status_code == 405
    assert r.json()["error"]["type"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("body", "status", "kind", "says"),
    [
        ({"question": ""}, 422, "validation_error", "question"),
        ({"question": "   \n\t "}, 422, "InvalidQuestionError", "empty"),
        ({"question": "x" * 2001}, 422, "InvalidQuestionError", "2000"),
        ({"question": QUESTION, "top_k": 0}, 422, "validation_error", "top_k"),
        ({"question": QUESTION, "top_k": 51}, 422, "validation_error", "top_k"),
        ({"question": QUESTION, "top_k": "many"}, 422, "validation_error", "top_k"),
        ({}, 422, "validation_error", "question"),
        ([QUESTION], 422, "validation_error", "body"),
    ],
)
@pytest.mark.parametrize("route", ["/ask", "/ask/stream"])
def test_bad_input_says_what_is_wrong(client, route, body, status, kind, says):
    r = client.post(route, json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["type"] == kind
    assert says in error["message"]


@pytest.mark.parametrize("route", ["/ask", "/ask/stream", "/feedback", "/v1/chat/completions"])
def test_malformed_json_is_400(client: httpx.Client, route: str):
    r = client.post(route, content=b'{"question": "unterminated', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "malformed_json"


def test_search_bad_input(client: httpx.Client):
    assert client.get("/search").status_code == 422
    assert client.get("/search", params={"q": ""}).status_code == 422
    r = client.get("/search", params={"q": "care", "k": 0})
    assert r.status_code == 422 and "k" in r.json()["error"]["message"]
    r = client.get("/search", params={"q": "y" * 5000})
    assert r.status_code == 422 and r.json()["error"]["type"] == "InvalidQuestionError"


def test_metrics_in_prometheus_format(client: httpx.Client):
    client.post("/ask", json={"question": QUESTION})
    client.get("/no/such/route")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'qa_http_requests_total{method="POST",route="/ask",status="200"}' in text
    assert 'route="(unmatched)",status="404"' in text
    assert "qa_http_request_duration_seconds_bucket" in text
    assert "qa_answers_total" in text and "qa_abstentions_total" in text and "qa_abstention_ratio" in text
    documents = next(line for line in text.splitlines() if line.startswith("qa_index_documents "))
    assert float(documents.split()[1]) >= 1
    assert "qa_index_ready 1.0" in text


def test_widget_is_served_to_any_origin(client: httpx.Client):
    r = client.get("/widget/v1/widget.js", headers={"Origin": "https://any-site.example"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert r.headers["access-control-allow-origin"] == "*"
    assert "function" in r.text
    assert client.get("/widget/v1/nope.js").status_code == 404
    assert client.get("/widget/v1/..%2F..%2Fapi.py").status_code == 404


def test_demo_page(client: httpx.Client):
    r = client.get("/demo")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "widget" in r.text


def test_openapi_docs(client: httpx.Client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in ["/ask", "/ask/stream", "/search", "/sources/{doc_id}", "/v1/chat/completions", "/feedback",
                 "/healthz", "/readyz", "/metrics", "/admin/reindex"]:
        assert path in schema["paths"], path
        for operation in schema["paths"][path].values():
            assert operation["summary"] and "\n" not in operation["summary"]


def test_feedback_is_stored_and_exported(live: LiveServer, client: httpx.Client):
    answer = client.post("/ask", json={"question": QUESTION}).json()
    body = {
        "question": QUESTION,
        "answer": answer["answer"],
        "citations": answer["citations"],
        "helpful": False,
        "bad_citation": 1,
        "comment": "the first source is about something else",
    }
    r = client.post("/feedback", json=body)
    assert r.status_code == 201, r.text
    ident = r.json()["id"]
    assert isinstance(ident, int)
    [item] = [i for i in export_feedback(live.app.state.settings.feedback_db) if i["id"] == f"feedback-{ident}"]
    assert item["question"] == QUESTION and item["category"] == "feedback" and item["split"] == "dev"
    assert len(item["support"]) == len(answer["citations"]) - 1  # the flagged citation is not support
    assert f"from feedback #{ident}: helpful=False, bad_citation=1" in item["notes"]


@pytest.mark.parametrize(
    "body",
    [
        {"question": "q", "answer": "a", "citations": []},  # helpful missing
        {"question": "", "answer": "a", "helpful": True},
        {"question": "q", "answer": "a", "helpful": True, "citations": [{"source": "s", "start": -1, "end": 2}]},
        {"question": "q", "answer": "a", "helpful": True, "comment": "c" * 3000},
    ],
)
def test_feedback_bad_input(client: httpx.Client, body):
    r = client.post("/feedback", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "validation_error"


class _FailingEngine:
    """The real engine, except for two questions that fail the way a broken index or a bug would."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question, top_k=None):
        if question == "corrupt":
            raise IndexCorruptError("the index is damaged. Rebuild it with `qa index --rebuild`.")
        if question == "crash":
            raise RuntimeError("boom")
        return self._engine.ask(question, top_k)


@pytest.fixture(scope="module")
def failing(tmp_path_factory, built_index, shared_engine) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("failing")
    engine = _FailingEngine(shared_engine(None))
    server = start_server(create_app(api_settings(tmp, built_index), engine_loader=lambda _s: engine))
    yield server
    server.stop()


@pytest.mark.parametrize(("question", "kind"), [("corrupt", "IndexCorruptError"), ("crash", "internal_error")])
def test_stream_failure_is_an_error_event(failing: LiveServer, question: str, kind: str):
    with failing.client() as c:
        r = c.post("/ask/stream", json={"question": question})
        assert r.status_code == 200
        assert sse_json(r.text) == [("error", {"error": {"type": kind, "message": ANY_MESSAGE}})]
        r = c.post("/ask", json={"question": question})
        assert r.status_code == (503 if kind == "IndexCorruptError" else 500)
        assert r.json()["error"]["type"] == kind
        assert "boom" not in r.text  # internals stay in the log
        body = {"stream": True, "messages": [{"role": "user", "content": question}]}
        events = sse_json(c.post("/v1/chat/completions", json=body).text)
        assert events[-1][1]["error"]["type"] == kind


class _AnyMessage(str):
    def __eq__(self, other):
        return isinstance(other, str) and bool(other) and "boom" not in other

    __hash__ = str.__hash__


ANY_MESSAGE = _AnyMessage()


def test_startup_reads_the_english_word_list(tmp_path, built_index, shared_engine):
    # A visitor's first misspelt question should not pay for reading the list (0.15 s).
    from qa import words

    words._english_words.cache_clear()
    server = start_server(create_app(api_settings(tmp_path, built_index), engine_loader=shared_engine))
    try:
        assert words._english_words.cache_info().currsize == 1
    finally:
        server.stop()
