"""``GET /sources/{doc_id}``: one indexed document, to show a citation in context."""

from __future__ import annotations

from fastapi import APIRouter, Request

from qa.models import SourceDocument
from qa.serve.deps import current_engine, run_engine
from qa.serve.errors import ERROR_RESPONSES, APIError

router = APIRouter()


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
