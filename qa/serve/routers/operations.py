"""Operations: ``/healthz``, ``/readyz``, ``/metrics`` and ``POST /admin/reindex``."""

from __future__ import annotations

from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from qa.serve.deps import EngineHolder, load_warm
from qa.serve.errors import ERROR_RESPONSES, APIError, ErrorDetail
from qa.serve.ratelimit import rate_limit
from qa.serve.reload import release_memory
from qa.serve.security import SettingsDep, require_api_key

router = APIRouter()


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    index: dict[str, Any] | None = Field(None, description="engine.info of the loaded index")
    error: ErrorDetail | None = None


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
