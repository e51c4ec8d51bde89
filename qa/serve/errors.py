"""One JSON error shape for every failure: ``{"error": {"type": ..., "message": ...}}``.

Clients (the widget, scripts) branch on ``type`` and show ``message``; no route
answers with HTML or a bare string, and a 500 is only the last resort.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.errors import QAError

log = logging.getLogger("qa.api")


class ErrorDetail(BaseModel):
    type: str
    message: str


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


class APIError(Exception):
    """An HTTP-level refusal raised by routes and dependencies (403, 404, 409, 413, 429)."""

    def __init__(
        self, status_code: int, type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.type = type
        self.message = message
        self.headers = headers


def error_body(type: str, message: str) -> dict[str, Any]:
    return {"error": {"type": type, "message": message}}


def error_response(
    status_code: int, type: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(type, message), status_code=status_code, headers=headers)


# Shown in the OpenAPI docs for the routes that can refuse a request.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        400: "malformed JSON",
        403: "origin or API key refused",
        413: "body too large",
        422: "invalid input",
        429: "rate limited (see Retry-After)",
        503: "index not loaded",
    }.items()
}

_HTTP_TYPES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    bad_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        reason = (bad_json.get("ctx") or {}).get("error", "invalid JSON")
        position = bad_json["loc"][-1] if bad_json.get("loc") else "?"
        return error_response(
            400, "malformed_json", f"The request body is not valid JSON: {reason} (at character {position})."
        )
    parts = [f"{_format_loc(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:5]]
    if len(errors) > 5:
        parts.append(f"... and {len(errors) - 5} more")
    return error_response(422, "validation_error", "; ".join(parts))


async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
    return error_response(exc.status_code, type(exc).__name__, str(exc))


async def _api_error(request: Request, exc: APIError) -> JSONResponse:
    return error_response(exc.status_code, exc.type, exc.message, exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = f"No route {request.method} {request.url.path}; the API is described at /docs."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; the API is described at /docs."
    else:
        message = str(exc.detail)
    kind = _HTTP_TYPES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, kind, message, getattr(exc, "headers", None))


INTERNAL_ERROR = "Internal error; the server log has the details."


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Last resort: the traceback goes to the log, the client gets no internals.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", INTERNAL_ERROR)


class CatchAllMiddleware:
    """Answer an unexpected exception with the JSON 500 and keep the connection usable.

    Starlette's handler for ``Exception`` answers too, but then re-raises to the server,
    which drops the connection (the client may see a reset instead of the 500).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for a status line: let the server close the stream
                raise
            await error_response(500, "internal_error", INTERNAL_ERROR)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QAError, _qa_error)
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
