"""``GET /search``: ranked passages for a query, without an answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from qa.answer.question import validate_question
from qa.models import SearchResult
from qa.serve.deps import current_engine, run_engine
from qa.serve.errors import ERROR_RESPONSES
from qa.serve.ratelimit import rate_limit
from qa.serve.security import SettingsDep

router = APIRouter()


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
