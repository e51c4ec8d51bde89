"""Shared fixtures: the real bundled model and a real index of seeds/, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    """Settings pointing at an index of seeds/ in a temp folder (built by `seed_index`)."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    return Settings(seeds_dir=ROOT / "seeds", index_dir=index_dir)


@pytest.fixture(scope="session")
def seed_index(seed_settings):
    """Build the seed index once; returns the build report."""
    from qa.index.build import build_index

    return build_index(seed_settings)


@pytest.fixture(scope="session")
def engine(seed_settings, seed_index):
    """A loaded Engine over the seed index (model loaded once for the session)."""
    from qa.engine import Engine

    eng = Engine.load(seed_settings)
    eng.warm_up()
    return eng
