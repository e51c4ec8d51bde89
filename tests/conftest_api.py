"""Helpers and fixtures for the API tests: real uvicorn servers on loopback, a real index.

Test modules import the fixtures they use from here (tests/conftest.py belongs to
the engine; keeping these separate avoids editing it).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from qa.config import Settings
from qa.serve.app import create_app
from qa.serve.security import proxy_options

ROOT = Path(__file__).resolve().parents[1]
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


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seeds corpus, built once per test session.

    The engine tests' session index (``seed_settings``/``seed_index`` in tests/conftest.py)
    is reused when present, so a full test run embeds the corpus once.
    """
    try:
        settings = request.getfixturevalue("seed_settings")
        request.getfixturevalue("seed_index")
        return Path(settings.index_dir)
    except pytest.FixtureLookupError:
        pass
    from qa.index.build import build_index

    index_dir = tmp_path_factory.mktemp("api-index")
    build_index(Settings(seeds_dir=SEEDS, index_dir=index_dir), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def live(built_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The main test server: real engine loaded by the app's lifespan, no rate limit."""
    tmp = tmp_path_factory.mktemp("api-live")
    server = start_server(create_app(api_settings(tmp, built_index)))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_engine(live: LiveServer) -> Callable[[Settings], Any]:
    """A loader that hands other test servers the engine the main server already loaded."""
    engine = live.app.state.holder.engine
    assert engine is not None, "the main test server has no engine"
    return lambda _settings: engine


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        yield c


def copy_seeds(dest: Path) -> Path:
    shutil.copytree(SEEDS, dest)
    return dest
