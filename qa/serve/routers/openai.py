"""OpenAI-compatible ``POST /v1/chat/completions`` so existing chat clients can use the assistant.

The last user message is the question; earlier user messages make a follow-up
self-contained (qa.serve.conversation).  Citations travel in one extra top-level field,
``citations`` (a list of Citation), on the non-streamed response and on the final
streamed chunk (the one with ``finish_reason: "stop"``); ``[n]`` markers stay in the text.
``abstained`` and ``read_as`` (misspelt words and how they were read) travel beside it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from qa.answer.question import validate_question
from qa.config import Settings
from qa.errors import InvalidQuestionError, QAError
from qa.models import Answer, Citation
from qa.serve.conversation import make_standalone, message_text
from qa.serve.deps import current_engine, run_engine
from qa.serve.errors import ERROR_RESPONSES, INTERNAL_ERROR, error_body
from qa.serve.ratelimit import rate_limit
from qa.serve.security import SettingsDep, check_origin
from qa.serve.sse import SSE_HEADERS, split_deltas, sse

log = logging.getLogger("qa.api")

router = APIRouter(tags=["openai-compatible"])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling options (temperature, max_tokens, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field("qa", max_length=200, description="echoed back; there is one model")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    top_k: int | None = Field(None, ge=1, le=50, description="extension: passages to retrieve")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    citations: list[Citation] = Field(description="extension: the sources behind the [n] markers")
    abstained: bool = Field(description="extension: true when the assistant declined to answer")
    read_as: dict[str, str] = Field(default_factory=dict, description=(
        "extension: each misspelt question word and the corpus word it was read as"))


def _question(body: ChatCompletionRequest, settings: Settings) -> str:
    turns = [{"role": m.role, "content": message_text(m.content)} for m in body.messages]
    last_user = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=None)
    if last_user is None:
        raise InvalidQuestionError("The messages contain no user message to answer.")
    question = validate_question(turns[last_user]["content"], settings)
    standalone = make_standalone(question, turns[:last_user])
    return standalone if len(standalone) <= settings.max_question_chars else question


def _chunk(ident: str, created: int, model: str, delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": extra.pop("finish_reason", None)}],
        **extra,
    }


async def _stream(request: Request, engine: Any, question: str, body: ChatCompletionRequest,
                  ident: str, created: int) -> AsyncIterator[str]:
    yield sse(_chunk(ident, created, body.model, {"role": "assistant", "content": ""}))
    try:
        answer: Answer = await run_engine(request, engine.ask, question, body.top_k)
    except QAError as exc:
        # The OpenAI client raises APIError for a data line carrying "error".
        yield sse(error_body(type(exc).__name__, str(exc)))
        return
    except Exception:
        log.exception("chat stream failed")
        yield sse(error_body("internal_error", INTERNAL_ERROR))
        return
    request.app.state.metrics.observe_answer(answer.abstained)
    for piece in split_deltas(answer.answer):
        yield sse(_chunk(ident, created, body.model, {"content": piece}))
    citations = [c.model_dump(mode="json") for c in answer.citations]
    yield sse(_chunk(ident, created, body.model, {}, finish_reason="stop",
                     citations=citations, abstained=answer.abstained, read_as=answer.read_as))
    yield sse("[DONE]")


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/event-stream": {}},
                                        "description": "JSON, or SSE chunks when stream is true"}},
    dependencies=[Depends(check_origin), Depends(rate_limit)],
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, settings: SettingsDep
) -> Any:
    """Answer the last user message, OpenAI chat-completions style (streamed or not)."""
    question = _question(body, settings)
    engine = current_engine(request)
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        return StreamingResponse(
            _stream(request, engine, question, body, ident, created),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    answer: Answer = await run_engine(request, engine.ask, question, body.top_k)
    request.app.state.metrics.observe_answer(answer.abstained)
    return ChatCompletion(
        id=ident,
        created=created,
        model=body.model,
        choices=[ChatChoice(message=AssistantMessage(content=answer.answer))],
        citations=answer.citations,
        abstained=answer.abstained,
        read_as=answer.read_as,
    )
