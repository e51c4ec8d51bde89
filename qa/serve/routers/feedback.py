"""``POST /feedback``: a visitor's verdict on an answer, stored by qa.serve.feedback."""

from __future__ import annotations

import anyio
from fastapi import APIRouter

from qa.serve import feedback as feedback_store
from qa.serve.errors import ERROR_RESPONSES
from qa.serve.routers.ask import ANSWER_GUARDS
from qa.serve.security import SettingsDep

router = APIRouter()


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
