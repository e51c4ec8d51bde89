"""/v1/chat/completions through the official openai client, streamed and not."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai import OpenAI
from serve_helpers import LiveServer, sse_json  # noqa: E402

from qa.models import Citation

QUESTION = "What are accountable care systems?"


@pytest.fixture
def oai(live: LiveServer) -> OpenAI:
    return OpenAI(base_url=f"{live.url}/v1", api_key="x", max_retries=0, timeout=60)


def test_non_streaming(oai: OpenAI):
    resp = oai.chat.completions.create(model="qa-test", messages=[{"role": "user", "content": QUESTION}])
    assert resp.object == "chat.completion"
    assert resp.model == "qa-test"
    message = resp.choices[0].message
    assert message.role == "assistant" and resp.choices[0].finish_reason == "stop"
    citations = [Citation.model_validate(c) for c in resp.model_extra["citations"]]
    assert citations
    for c in citations:
        assert f"[{c.n}]" in message.content


def test_streaming(oai: OpenAI):
    stream = oai.chat.completions.create(
        model="qa-test", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    assert all(ch.object == "chat.completion.chunk" and ch.model == "qa-test" for ch in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    citations = final.model_extra["citations"]
    assert citations and all(f"[{c['n']}]" in text for c in citations)
    # Same answer as the non-streamed call.
    resp = oai.chat.completions.create(model="qa-test", messages=[{"role": "user", "content": QUESTION}])
    assert text == resp.choices[0].message.content


def test_misspelt_word_is_reported_as_read(oai: OpenAI):
    messages = [{"role": "user", "content": "What are accountable care systms?"}]
    resp = oai.chat.completions.create(model="qa-test", messages=messages)
    assert resp.model_extra["read_as"] == {"systms": "systems"}
    final = list(oai.chat.completions.create(model="qa-test", messages=messages, stream=True))[-1]
    assert final.model_extra["read_as"] == {"systms": "systems"}
    spelled_right = oai.chat.completions.create(model="qa-test", messages=[{"role": "user", "content": QUESTION}])
    assert spelled_right.model_extra["read_as"] == {}


def test_stream_ends_with_done(client: httpx.Client):
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200
    events = sse_json(r.text)
    assert events[-1] == (None, "[DONE]")
    assert "citations" in events[-2][1]


def test_follow_up_uses_earlier_messages(client: httpx.Client):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "They are partnerships. [1]"},
        {"role": "user", "content": "and when do they start?"},
    ]
    r = client.post("/v1/chat/completions", json={"model": "qa", "messages": messages})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"]


def test_content_parts_are_accepted(oai: OpenAI):
    resp = oai.chat.completions.create(
        model="qa", messages=[{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]
    )
    assert resp.choices[0].message.content


def test_no_user_message_is_an_error(oai: OpenAI):
    with pytest.raises(openai.UnprocessableEntityError) as info:
        oai.chat.completions.create(model="qa", messages=[{"role": "system", "content": "hello"}])
    assert "no user message" in str(info.value)


def test_empty_user_message_is_an_error(client: httpx.Client):
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "  "}]})
    assert r.status_code == 422 and r.json()["error"]["type"] == "InvalidQuestionError"
