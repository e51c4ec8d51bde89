"""Helpers for the HTTP service tests: real uvicorn servers on loopback (fixtures: conftest.py here)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from qa.config import Settings
from qa.serve.security import proxy_options

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
API_KEY = "test-key-123"
ALLOWED_ORIGIN = "https://allowed.example"
REFUSED_ORIGIN = "https://evil.example"


@dataclass
class LiveServer:
    """A uvicorn server running ``app`` in a background thread on a free loopback port."""

    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 120, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_server(app: FastAPI, timeout: float = 120) -> LiveServer:
    # port=0 lets the OS pick a free port: no clash between parallel runs.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", **proxy_options(app.state.settings)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server exited during startup")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("the test server did not start")
        time.sleep(0.05)
    return LiveServer(app, server, thread)


def api_settings(tmp: Path, index_dir: Path, seeds_dir: Path = SEEDS, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "seeds_dir": seeds_dir,
        "index_dir": index_dir,
        "cors_origins": [ALLOWED_ORIGIN],
        "api_key": API_KEY,
        "rate_limit_per_minute": 0,
        "feedback_db": tmp / "var" / "feedback.sqlite3",
    }
    values.update(overrides)
    return Settings(**values)


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    """(event, data) pairs of an SSE body; multi-line data is joined with newlines."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[len("event:"):].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:"):].removeprefix(" "))
        if data:
            events.append((event, "\n".join(data)))
    return events


def sse_json(text: str) -> list[tuple[str | None, Any]]:
    return [(event, data if data == "[DONE]" else json.loads(data)) for event, data in parse_sse(text)]


def copy_seeds(dest: Path) -> Path:
    shutil.copytree(SEEDS, dest)
    return dest
