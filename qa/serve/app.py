"""The HTTP service: ``create_app(settings)`` builds the FastAPI app, ``serve(settings)`` runs it.

Routes: /ask, /ask/stream (SSE), /search, /sources/{doc_id}, /v1/chat/completions
(qa.serve.openai), /feedback, /healthz, /readyz, /metrics, /admin/reindex, the widget
files under /widget/v1/, and /corpus plus the /demo page (qa.serve.site).  docs/api.md
describes them.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from qa.answer.question import validate_question
from qa.config import Settings, get_settings
from qa.errors import QAError
from qa.models import Answer, SearchResult, SourceDocument
from qa.serve import feedback as feedback_store
from qa.serve.conversation import make_standalone
from qa.serve.deps import (
    ENGINE_CONCURRENCY,
    EngineHolder,
    current_engine,
    default_loader,
    load_warm,
    run_engine,
)
from qa.serve.errors import (
    ERROR_RESPONSES,
    INTERNAL_ERROR,
    APIError,
    CatchAllMiddleware,
    ErrorDetail,
    error_body,
    install_error_handlers,
)
from qa.serve.metrics import Metrics, MetricsMiddleware
from qa.serve.openai import router as openai_router
from qa.serve.ratelimit import TokenBucketLimiter, rate_limit
from qa.serve.reload import build_in_subprocess, release_memory, watch_generations
from qa.serve.security import (
    BodyLimitMiddleware,
    JSONCORSMiddleware,
    SettingsDep,
    check_origin,
    proxy_options,
    require_api_key,
)
from qa.serve.site import router as site_router
from qa.serve.sse import SSE_HEADERS, split_deltas, sse

if TYPE_CHECKING:
    from qa.engine import Engine

log = logging.getLogger("qa.api")

STATIC_DIR = Path(__file__).parent / "static"
WIDGET_DIR = STATIC_DIR / "widget" / "v1"

router = APIRouter()


# --- request / response models ---------------------------------------------------


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


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    index: dict[str, Any] | None = Field(None, description="engine.info of the loaded index")
    error: ErrorDetail | None = None


# --- answering routes --------------------------------------------------------------

ANSWER_GUARDS = [Depends(check_origin), Depends(rate_limit)]


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


@router.get("/search", response_model=SearchResult, responses=ERROR_RESPONSES, dependencies=[Depends(rate_limit)])
async def search(
    request: Request,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, description="the query")],
    k: Annotated[int, Query(ge=1, le=50, description="passages to return")] = 10,
) -> SearchResult:
    """Ranked passages for a query, with their offsets in the source files."""
    query = validate_question(q, settings)
    engine = current_engine(request)
    return await run_engine(request, engine.search, query, k)


@router.get("/sources/{doc_id}", response_model=SourceDocument, responses=ERROR_RESPONSES)
async def source(doc_id: str, request: Request) -> SourceDocument:
    """One indexed document (text, kept segments, metadata), to show a citation in context."""
    engine = current_engine(request)
    # Looked up by id in the engine's table only; no path is ever built from doc_id.
    try:
        return await run_engine(request, engine.source, doc_id)
    except KeyError:
        raise APIError(
            404, "unknown_document", "No indexed document has this doc_id; ids come from citations and /search."
        ) from None


@router.post(
    "/feedback",
    status_code=201,
    response_model=feedback_store.FeedbackCreated,
    responses=ERROR_RESPONSES,
    dependencies=ANSWER_GUARDS,
)
async def post_feedback(
    body: feedback_store.FeedbackIn, settings: SettingsDep
) -> feedback_store.FeedbackCreated:
    """Store a visitor's verdict on an answer (helpful, bad citation, comment)."""
    ident = await anyio.to_thread.run_sync(feedback_store.store_feedback, settings.feedback_db, body)
    return feedback_store.FeedbackCreated(id=ident)


# --- operations ------------------------------------------------------------------------


@router.get("/healthz", response_model=Health, tags=["operations"])
async def healthz() -> Health:
    """Liveness: the process is up (always 200)."""
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "no index loaded"}},
    tags=["operations"],
)
async def readyz(request: Request) -> Any:
    """Readiness: 200 with index info when an index is loaded, else 503 saying what to run."""
    holder: EngineHolder = request.app.state.holder
    engine = holder.engine
    if engine is None:
        err = holder.error()
        body = Readiness(status="unavailable", error=ErrorDetail(type=type(err).__name__, message=str(err)))
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    return Readiness(status="ready", index=dict(engine.info))


@router.get("/metrics", response_class=Response, tags=["operations"],
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, abstentions, index size."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.post(
    "/admin/reindex",
    response_model=dict[str, Any],
    responses=ERROR_RESPONSES,
    dependencies=[Depends(rate_limit), Depends(require_api_key)],
    tags=["operations"],
)
async def reindex(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Rebuild the index (incremental) and swap in the new engine without dropping requests."""
    state = request.app.state
    holder: EngineHolder = state.holder
    # Checked and set on the event loop, so no two re-indexes can overlap.
    if holder.reindexing:
        raise APIError(409, "reindex_running", "A re-index is already running; try again when it ends.")
    holder.reindexing = True
    try:
        report = await anyio.to_thread.run_sync(lambda: state.index_builder(settings))
        engine = await anyio.to_thread.run_sync(load_warm, settings, state.engine_loader)
    except BaseException:
        state.metrics.reindexes.labels("failed").inc()
        raise
    finally:
        holder.reindexing = False
    holder.swap(engine)  # requests already running keep their reference to the old engine
    state.metrics.set_index(engine.info)
    state.metrics.reindexes.labels("ok").inc()
    del engine
    await anyio.to_thread.run_sync(release_memory)  # the old engine's index, once no request holds it
    return report if isinstance(report, dict) else report.to_dict()


# --- widget and demo page ----------------------------------------------------------------


@router.get("/widget/v1/{name}", response_class=FileResponse, tags=["widget"])
async def widget_file(name: str) -> FileResponse:
    """The embeddable chat widget's files (any site may load them with a script tag)."""
    # Only names that exist in the widget folder are served; the URL never becomes a path.
    files = {p.name: p for p in WIDGET_DIR.iterdir() if p.is_file()} if WIDGET_DIR.is_dir() else {}
    path = files.get(name)
    if path is None:
        raise APIError(404, "not_found", f"No widget file named {name!r}.")
    media_type = "application/javascript" if path.suffix == ".js" else mimetypes.guess_type(path.name)[0]
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Cache-Control": "public, max-age=300",
    }
    return FileResponse(path, media_type=media_type or "application/octet-stream", headers=headers)


# --- the app ----------------------------------------------------------------------------


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the model and index once; without an index the app still starts, not ready."""
    state = app.state
    state.engine_limiter = anyio.CapacityLimiter(ENGINE_CONCURRENCY)
    await anyio.to_thread.run_sync(state.holder.load, state.settings, state.engine_loader)
    engine = state.holder.engine
    state.metrics.set_index(engine.info if engine is not None else None)
    del engine
    watcher = asyncio.create_task(watch_generations(app)) if state.settings.index_watch_seconds > 0 else None
    try:
        yield
    finally:
        if watcher is not None:
            watcher.cancel()


def _summaries_from_docstrings(api_router: APIRouter) -> None:
    # The one-line docstring becomes the OpenAPI summary (FastAPI would use the function name).
    for route in api_router.routes:
        if isinstance(route, APIRoute) and not route.summary and route.description:
            route.summary = route.description.strip().splitlines()[0]


def create_app(
    settings: Settings | None = None,
    *,
    engine_loader: Callable[[Settings], Engine] | None = None,
    index_builder: Callable[[Settings], Any] | None = None,
) -> FastAPI:
    """Build the app.  ``engine_loader``/``index_builder`` replace Engine.load/build_index in tests."""
    settings = settings or get_settings()
    app = FastAPI(
        title="qa: retrieval-augmented Q&A",
        version="1.0",
        description="Answers with exact-span citations from an indexed corpus. Errors are "
        '`{"error": {"type", "message"}}`.',
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.holder = EngineHolder()
    app.state.metrics = Metrics()
    app.state.limiter = TokenBucketLimiter(settings.rate_limit_per_minute)
    app.state.engine_loader = engine_loader or default_loader
    app.state.index_builder = index_builder or build_in_subprocess
    app.dependency_overrides[get_settings] = lambda: settings

    install_error_handlers(app)
    for api_router in (router, openai_router, site_router):
        _summaries_from_docstrings(api_router)
        app.include_router(api_router)

    # Added innermost first: metrics see every response, CORS headers reach 413s and 500s.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(
        JSONCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def serve(settings: Settings | None = None) -> None:
    """Run the service with uvicorn on settings.host:settings.port (``qa serve``)."""
    import uvicorn

    settings = settings or get_settings()
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info", **proxy_options(settings)
    )
