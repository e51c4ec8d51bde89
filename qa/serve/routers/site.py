"""What the demo page and the widget say about the corpus: title, welcome and starter
questions from the settings (QA_TITLE, QA_WELCOME, QA_STARTER_QUESTIONS), else from the
loaded index (its document titles), never from any particular corpus."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from qa.config import Settings
from qa.serve.errors import APIError
from qa.serve.security import SettingsDep

if TYPE_CHECKING:
    from qa.engine import Engine

DEMO_PAGE = Path(__file__).parent.parent / "static" / "demo.html"
DEFAULT_TITLE = "Ask a question"
_TITLES_SHOWN = 8

router = APIRouter(tags=["widget"])


class CorpusInfo(BaseModel):
    title: str = Field(description="QA_TITLE, or a generic title")
    welcome: str = Field(description="QA_WELCOME, or a greeting naming the indexed documents")
    starters: list[str] = Field(description="QA_STARTER_QUESTIONS (none unless configured)")
    documents: int = Field(description="documents in the loaded index (0 when none is loaded)")
    document_titles: list[str] = Field(description=f"titles of the first {_TITLES_SHOWN} indexed documents")


def corpus_info(settings: Settings, engine: Engine | None) -> CorpusInfo:
    titles: list[str] = []
    count = 0
    if engine is not None and hasattr(engine, "manifest"):
        kept = sorted(
            (d for d in engine.manifest.documents.values() if d.duplicate_of is None), key=lambda d: d.doc_id
        )
        count = len(kept)
        for d in kept:
            title = " ".join((d.title or Path(d.source).name).split())
            if title and title not in titles:
                titles.append(title)
            if len(titles) == _TITLES_SHOWN:
                break
    if settings.welcome is not None:
        welcome = settings.welcome
    elif count:
        welcome = (
            f"Hi! Ask me about the {count} document{'s' if count != 1 else ''} indexed here; "
            "every answer cites the exact sentences it comes from."
        )
    else:
        welcome = "Hi! Ask me a question and I will answer from the documents, with the exact sources."
    return CorpusInfo(
        title=settings.title or DEFAULT_TITLE, welcome=welcome, starters=list(settings.starter_questions),
        documents=count, document_titles=titles,
    )


@router.get("/corpus", response_model=CorpusInfo)
async def corpus(request: Request, settings: SettingsDep) -> CorpusInfo:
    """Title, welcome text and starter questions for the widget, and what the index holds."""
    return corpus_info(settings, request.app.state.holder.engine)


def _starter_buttons(starters: list[str]) -> str:
    if not starters:
        return '<p class="hint">The operator can suggest questions here with <code>QA_STARTER_QUESTIONS</code>.</p>'
    return "\n      ".join(
        f'<button class="ask" type="button" data-q="{html.escape(q)}">{html.escape(q)}</button>' for q in starters
    )


def _document_list(info: CorpusInfo) -> str:
    if not info.documents:
        return "<p>No index is loaded yet: run <code>qa index</code>.</p>"
    items = "".join(f"<li>{html.escape(t)}</li>" for t in info.document_titles)
    more = info.documents - len(info.document_titles)
    tail = f"<p class=\"hint\">and {more} more.</p>" if more > 0 else ""
    return f"<p>This server answers from {info.documents} indexed document{'s' if info.documents != 1 else ''}:</p>" \
        f"<ul>{items}</ul>{tail}"


def render_demo(template: str, info: CorpusInfo) -> str:
    """Fill the demo page's {{...}} slots; every value is escaped (titles come from documents)."""
    slots = {
        "{{TITLE}}": html.escape(info.title),
        "{{WELCOME}}": html.escape(info.welcome),
        "{{STARTERS}}": html.escape("|".join(info.starters)),
        "{{STARTER_BUTTONS}}": _starter_buttons(info.starters),
        "{{DOCUMENTS}}": _document_list(info),
    }
    for slot, value in slots.items():
        template = template.replace(slot, value)
    return template


@router.get("/demo", response_class=HTMLResponse)
async def demo(request: Request, settings: SettingsDep) -> HTMLResponse:
    """A demo page that embeds the widget and talks to this server."""
    if not DEMO_PAGE.is_file():
        raise APIError(404, "not_found", "The demo page is not installed (qa/serve/static/demo.html).")
    info = corpus_info(settings, request.app.state.holder.engine)
    return HTMLResponse(render_demo(DEMO_PAGE.read_text(encoding="utf-8"), info))
