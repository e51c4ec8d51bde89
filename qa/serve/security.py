"""Request guards: body size, cross-origin callers, and the admin API key."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.config import Settings, get_settings
from qa.serve.errors import APIError, error_body, error_response

# The settings as a FastAPI dependency; create_app overrides get_settings with its own.
SettingsDep = Annotated[Settings, Depends(get_settings)]


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a JSON 413.

    Content-Length is checked first; the bytes actually received are counted too,
    because a chunked upload has no Content-Length.  The body (small by definition)
    is buffered and replayed to the app, so nothing downstream sees a partial read.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, "body_too_large", f"The request body is over the limit of {self.max_bytes} bytes."
        )
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit():
                await error_response(400, "bad_request", "Content-Length is not a number.")(scope, receive, send)
                return
            if int(length) > self.max_bytes:
                await too_large(scope, receive, send)
                return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left; there is no one to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for http.disconnect (streaming responses)

        await self.app(scope, replay, send)


class JSONCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, but a refused preflight answers in the API's JSON error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")
        }
        return JSONResponse(
            error_body("cors_refused", f"{response.body.decode()}: see QA_CORS_ORIGINS."),
            status_code=400,
            headers=headers,
        )


def _origin_key(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:  # a port like ":99999" or ":x"
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def origin_allowed(origin: str, request: Request, settings: Settings) -> bool:
    """An origin may call the answering routes if configured, or if it is this server itself."""
    if "*" in settings.cors_origins or origin in settings.cors_origins:
        return True
    # The demo page served by this app posts with an Origin equal to the server's own.
    return _origin_key(origin) == _origin_key(str(request.base_url))


async def check_origin(request: Request, settings: SettingsDep) -> None:
    """Refuse browser calls from a page whose origin is not allowed, so it gets no answer at all.

    CORS alone only stops the page from *reading* the reply; the question would still be
    answered (and counted, and stored for /feedback).  Requests without Origin (curl,
    server-side clients) are not cross-origin browser calls and pass.
    """
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, request, settings):
        raise APIError(
            403,
            "origin_refused",
            f"Requests from origin {origin!r} are not allowed; the operator can add it to QA_CORS_ORIGINS.",
        )


def presented_key(request: Request) -> str | None:
    """The API key sent as ``X-API-Key`` or ``Authorization: Bearer <key>``."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def key_matches(request: Request, settings: Settings) -> bool:
    key = presented_key(request)
    if not settings.api_key or key is None:
        return False
    return hmac.compare_digest(key.encode(), settings.api_key.encode())


async def require_api_key(request: Request, settings: SettingsDep) -> None:
    """Admin routes change server state: they need the configured API key."""
    if not settings.api_key:
        raise APIError(403, "admin_disabled", "Admin routes are disabled: set QA_API_KEY to enable them.")
    if presented_key(request) is None:
        raise APIError(
            401,
            "missing_api_key",
            "This route needs the API key in X-API-Key or Authorization: Bearer.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not key_matches(request, settings):
        raise APIError(403, "wrong_api_key", "The API key is not valid.")


def proxy_options(settings: Settings) -> dict[str, object]:
    """uvicorn options: X-Forwarded-For rewrites the client address only when the connection
    comes from a configured proxy (uvicorn's own default trusts loopback, where anyone on the
    machine could claim any address and get a fresh rate-limit bucket per request)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}
