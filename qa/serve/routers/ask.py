"""``POST /ask`` (one JSON answer) and ``POST /ask/stream`` (the same answer as Server-Sent Events)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from qa.answer.question import validate_question
from qa.errors import QAError
from qa.models import Answer
from qa.serve.conversation import make_standalone
from qa.serve.deps import current_engine, run_engine
from qa.serve.errors import ERROR_RESPONSES, INTERNAL_ERROR, error_body
from qa.serve.ratelimit import rate_limit
from qa.serve.security import SettingsDep, check_origin
from qa.serve.sse import SSE_HEADERS, split_deltas, sse

if TYPE_CHECKING:
    from qa.engine import Engine

log = logging.getLogger("qa.api")

router = APIRouter()

# The routes a browser page calls (answers, feedback): origin-checked and rate-limited.
ANSWER_GUARDS = [Depends(check_origin), Depends(rate_limit)]


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="the question (limit: QA_MAX_QUESTION_CHARS)")
    top_k: int | None = Field(None, ge=1, le=50, description="passages to retrieve (default: QA_TOP_K)")


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class StreamAskRequest(AskRequest):
    history: list[Turn] = Field(
        default_factory=list, max_length=50, description="earlier turns, oldest first, for follow-ups"
    )


@router.post("/ask", response_model=Answer, responses=ERROR_RESPONSES, dependencies=ANSWER_GUARDS)
async def ask(body: AskRequest, request: Request, settings: SettingsDep, explain: bool = False) -> Answer:
    """Answer a question with exact-span citations; `?explain=1` adds every candidate's score and why."""
    question = validate_question(body.question, settings)
    engine = current_engine(request)
    ask_fn = partial(engine.ask, explain=True) if explain else engine.ask
    answer: Answer = await run_engine(request, ask_fn, question, body.top_k)
    request.app.state.metrics.observe_answer(answer.abstained)
    return answer


async def _answer_events(request: Request, engine: Engine, question: str, top_k: int | None) -> AsyncIterator[str]:
    try:
        answer: Answer = await run_engine(request, engine.ask, question, top_k)
    except QAError as exc:
        yield sse(error_body(type(exc).__name__, str(exc)), "error")
        return
    except Exception:  # the status line is already sent: report in-band, never cut the stream silently
        log.exception("answer stream failed")
        yield sse(error_body("internal_error", INTERNAL_ERROR), "error")
        return
    request.app.state.metrics.observe_answer(answer.abstained)
    yield sse({"citations": [c.model_dump(mode="json") for c in answer.citations]}, "citations")
    for piece in split_deltas(answer.answer):
        yield sse({"text": piece}, "delta")
    yield sse(answer.model_dump(mode="json"), "done")


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/event-stream": {}},
                                        "description": "events: citations, delta..., done | error"}},
    dependencies=ANSWER_GUARDS,
)
async def ask_stream(
    body: StreamAskRequest, request: Request, settings: SettingsDep
) -> StreamingResponse:
    """Answer a question as Server-Sent Events: citations, then text deltas, then done."""
    question = validate_question(body.question, settings)
    standalone = make_standalone(question, [t.model_dump() for t in body.history])
    if len(standalone) <= settings.max_question_chars:
        question = standalone
    # Refuse before the 200 status line when there is no index: clients get a 503, not a stream.
    engine = current_engine(request)
    return StreamingResponse(
        _answer_events(request, engine, question, body.top_k),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )
