"""``GET /widget/v1/{name}``: the embeddable chat widget's files (the /demo page is in site.py)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from qa.serve.errors import APIError

WIDGET_DIR = Path(__file__).parent.parent / "static" / "widget" / "v1"

router = APIRouter()


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
