"""The HTTP service: ``create_app(settings)`` builds the FastAPI app, ``serve(settings)`` runs it.

The routes live in qa.serve.routers, one module per resource: ask (/ask, /ask/stream),
search, sources (/sources/{doc_id}), feedback, operations (/healthz, /readyz, /metrics,
/admin/reindex), widget (/widget/v1/), openai (/v1/chat/completions) and site (/corpus,
/demo).  docs/api.md describes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from qa.config import Settings, get_settings
from qa.serve.deps import ENGINE_CONCURRENCY, EngineHolder, default_loader
from qa.serve.errors import CatchAllMiddleware, install_error_handlers
from qa.serve.metrics import Metrics, MetricsMiddleware
from qa.serve.ratelimit import TokenBucketLimiter
from qa.serve.reload import build_in_subprocess, watch_generations
from qa.serve.routers import ROUTERS
from qa.serve.security import BodyLimitMiddleware, JSONCORSMiddleware, proxy_options
from qa.words import load_english_words

if TYPE_CHECKING:
    from qa.engine import Engine


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the model and index once; without an index the app still starts, not ready."""
    state = app.state
    state.engine_limiter = anyio.CapacityLimiter(ENGINE_CONCURRENCY)
    await anyio.to_thread.run_sync(state.holder.load, state.settings, state.engine_loader)
    # Spelling correction's word list loads on first use (0.15 s); a CLI run without a typo
    # never pays it, a server pays it here once.
    await anyio.to_thread.run_sync(load_english_words)
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
    for api_router in ROUTERS:
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
