"""Per-client rate limiting: an in-memory token bucket per client.

A bucket holds up to ``per_minute`` tokens and refills at ``per_minute / 60`` per
second, so a client may burst up to its minute's allowance and then proceeds at the
steady rate.  State is per process: run one worker, or put a shared limiter in front.
"""

from __future__ import annotations

import hashlib
import math
import time

from fastapi import Request

from qa.config import Settings
from qa.serve.errors import APIError
from qa.serve.security import SettingsDep, key_matches, presented_key

# Idle buckets are full again after a minute; forget them past this many clients.
MAX_TRACKED_CLIENTS = 10_000


class TokenBucketLimiter:
    """Not thread-safe by design: it is only called from the event loop."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last seen)

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def acquire(self, client: str) -> float:
        """Take one token for ``client``; return 0 if allowed, else seconds until one is free."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, last = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_TRACKED_CLIENTS:
                self._forget_idle(now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        refill_time = self.capacity / self.rate
        for client, (_, last) in list(self._buckets.items()):
            if now - last >= refill_time:
                del self._buckets[client]


def client_id(request: Request, settings: Settings) -> str:
    """The API key identifies a client only when it is the valid key (else anyone could
    mint fresh buckets by sending random keys); otherwise the client's IP address."""
    if presented_key(request) is not None and key_matches(request, settings):
        return "key:" + hashlib.sha256(settings.api_key.encode()).hexdigest()[:16]
    return "ip:" + (request.client.host if request.client else "unknown")


async def rate_limit(request: Request, settings: SettingsDep) -> None:
    """Dependency for the answering routes: 429 with Retry-After when over the limit."""
    limiter: TokenBucketLimiter = request.app.state.limiter
    wait = limiter.acquire(client_id(request, settings))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise APIError(
            429,
            "rate_limited",
            f"Too many requests: the limit is {settings.rate_limit_per_minute} per minute; "
            f"retry in {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )
