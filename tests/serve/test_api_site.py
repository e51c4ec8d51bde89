"""GET /corpus and /demo speak of the corpus being served: settings first, then the index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_helpers import LiveServer, api_settings, start_server

from qa.serve.app import create_app

DOCS = {
    "lighthouse.txt": "Lighthouse keepers <b>of Vell</b>\n\nThe Vell lighthouse was kept by three families "
    "in turn. Each keeper wrote the weather in a log book twice a day.\n",
    "orchard.txt": "Orchard grafting notes\n\nApple trees in the Marrow valley are grafted in early spring. "
    "A graft takes when the cambium layers of scion and stock meet.\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> tuple[Path, Path]:
    from qa.config import Settings
    from qa.index.build import build_index

    tmp = tmp_path_factory.mktemp("site")
    seeds = tmp / "seeds"
    seeds.mkdir()
    for name, text in DOCS.items():
        (seeds / name).write_text(text, encoding="utf-8")
    build_index(Settings(seeds_dir=seeds, index_dir=tmp / "index"), progress=False)
    return seeds, tmp / "index"


def _server(tmp: Path, index: tuple[Path, Path], **settings) -> LiveServer:
    seeds, index_dir = index
    return start_server(create_app(api_settings(tmp, index_dir, seeds_dir=seeds, **settings)))


@pytest.fixture(scope="module")
def plain(index, tmp_path_factory) -> Iterator[LiveServer]:
    server = _server(tmp_path_factory.mktemp("plain"), index)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def configured(index, tmp_path_factory) -> Iterator[LiveServer]:
    server = _server(
        tmp_path_factory.mktemp("configured"), index, title="Ask the <Vell> archive",
        welcome="Welcome, reader.", starter_questions=["Who kept the Vell lighthouse?", "When are trees grafted?"],
    )
    yield server
    server.stop()


def test_corpus_defaults_come_from_the_index(plain: LiveServer):
    with plain.client() as c:
        info = c.get("/corpus").json()
    assert info["documents"] == 2
    assert info["document_titles"] == ["Lighthouse keepers <b>of Vell</b>", "Orchard grafting notes"]
    assert info["title"] == "Ask a question" and info["starters"] == []
    assert "2 documents" in info["welcome"]


def test_corpus_settings_win(configured: LiveServer):
    with configured.client() as c:
        info = c.get("/corpus").json()
    assert info["title"] == "Ask the <Vell> archive"
    assert info["welcome"] == "Welcome, reader."
    assert info["starters"] == ["Who kept the Vell lighthouse?", "When are trees grafted?"]


def test_demo_page_shows_this_corpus_escaped(plain: LiveServer, configured: LiveServer):
    with plain.client() as c:
        page = c.get("/demo").text
    assert "{{" not in page
    assert "<li>Lighthouse keepers &lt;b&gt;of Vell&lt;/b&gt;</li>" in page  # a title is text, never markup
    assert "<b>of Vell</b>" not in page
    assert "QA_STARTER_QUESTIONS" in page  # no starters configured: says how to add them
    with configured.client() as c:
        page = c.get("/demo").text
    assert "<h1>Ask the &lt;Vell&gt; archive</h1>" in page
    assert 'data-q="Who kept the Vell lighthouse?"' in page
    assert 'data-starters="Who kept the Vell lighthouse?|When are trees grafted?"' in page
    assert 'data-welcome="Welcome, reader."' in page


def test_starter_questions_from_the_environment(monkeypatch):
    from qa.config import Settings

    monkeypatch.setenv("QA_STARTER_QUESTIONS", "Who, if anyone, kept it?|When?")
    assert Settings().starter_questions == ["Who, if anyone, kept it?", "When?"]
    monkeypatch.setenv("QA_STARTER_QUESTIONS", '["A, b?", "C?"]')
    assert Settings().starter_questions == ["A, b?", "C?"]
