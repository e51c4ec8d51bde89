"""Fixtures of the HTTP service tests: one index and one real server per session.

Shared with every module in tests/serve/ (helpers to import: serve_helpers.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.config import Settings
from qa.serve.app import create_app

pytest.register_assert_rewrite("serve_helpers")
from serve_helpers import SEEDS, LiveServer, api_settings, start_server  # noqa: E402

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

