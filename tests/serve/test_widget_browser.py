"""End-to-end tests of the embeddable chat widget in headless Chromium against the real API.

A real index of ``seeds/`` is served by ``qa.serve.app.create_app`` under uvicorn on
127.0.0.1; the host page (tests/serve/widget_host/index.html) is served by a second,
plain HTTP server on ``localhost`` -- a different origin, as on a customer's site --
and embeds the widget with one <script> tag.

Run:  python -m pytest tests/serve/test_widget_browser.py -q -m browser
Needs the `playwright` Python package and a Chromium binary (Debian: apt-get install
chromium; or set QA_CHROMIUM).  `playwright install` is not needed.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed"
)

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
HOST_PAGE = Path(__file__).parent / "widget_host" / "index.html"
# The screenshots are taken on every run (the page must render); they replace the copies the
# README shows only when asked, so a test run leaves the working tree as it found it.
SCREENSHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("QA_UPDATE_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "qa-widget-screenshots")
CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "What is an accountable care system?"
DEMO_TITLE = "Ask the policy library"  # QA_TITLE of the seed server
XSS_MARKUP = '<img src=x onerror="window.__xss=1">'
TIMEOUT_MS = 30_000

if not Path(CHROMIUM).exists() and os.environ.get("CI"):
    # In CI a missing browser is a broken set-up, not a reason to skip.
    pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run must install it", pytrace=False)
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set QA_CHROMIUM)",
        allow_module_level=True,
    )


# --- servers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiServer:
    """``qa.serve.app.create_app(settings)`` under a real uvicorn server in a thread."""

    def __init__(self, settings: Any, **app_kwargs: Any) -> None:
        import uvicorn

        from qa.serve.app import create_app

        self.settings = settings
        self.app = create_app(settings, **app_kwargs)
        self.port = _free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="widget-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 180
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the API server exited during startup")
            if time.monotonic() > deadline:
                self.server.should_exit = True
                raise TimeoutError("the API server did not start")
            time.sleep(0.05)
        assert self.app.state.holder.engine is not None, (
            "the API server has no engine (index not loaded)"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class HostServer:
    """Serves the host page; ``?api=URL`` fills in where the widget's script comes from."""

    def __init__(self) -> None:
        template = HOST_PAGE.read_text(encoding="utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                parts = urlsplit(self.path)
                if parts.path not in ("/", "/index.html"):
                    self.send_error(404)
                    return
                query = parse_qs(parts.query)
                page = template.replace("{{API}}", query.get("api", [""])[0])
                if query.get("bare"):  # the snippet without title and starters: the server's apply
                    page = re.sub(r'\s+data-(title|starters)="[^"]*"', "", page)
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="widget-host", daemon=True
        )
        self.thread.start()

    @property
    def origin(self) -> str:
        """The allowed origin: same server, but named `localhost` (a different origin from the API)."""
        return f"http://localhost:{self.port}"

    @property
    def refused_origin(self) -> str:
        """The same page on an origin the API does not list in cors_origins."""
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, api: str, origin: str | None = None, bare: bool = False) -> str:
        return f"{origin or self.origin}/index.html?api={api}" + ("&bare=1" if bare else "")

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def host() -> Iterator[HostServer]:
    server = HostServer()
    yield server
    server.stop()


def _settings(seeds: Path, index_dir: Path, tmp: Path, host: HostServer, **overrides: Any) -> Any:
    from qa.config import Settings

    values: dict[str, Any] = {
        "seeds_dir": seeds,
        "index_dir": index_dir,
        "cors_origins": [host.origin],
        "rate_limit_per_minute": 0,
        "feedback_db": tmp / "feedback.sqlite3",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def api(
    host: HostServer, seed_settings, seed_index, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The seed corpus (the session's shared index), served without a rate limit."""
    tmp = tmp_path_factory.mktemp("widget-api")
    settings = _settings(
        SEEDS, seed_settings.index_dir, tmp, host, title=DEMO_TITLE, starter_questions=[QUESTION]
    )
    server = ApiServer(settings)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def limited_api(
    api: ApiServer, host: HostServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """Same engine, but one question per minute per client."""
    tmp = tmp_path_factory.mktemp("widget-limited")
    settings = _settings(SEEDS, api.settings.index_dir, tmp, host, rate_limit_per_minute=1)
    engine = api.app.state.holder.engine
    server = ApiServer(settings, engine_loader=lambda _settings: engine)
    yield server
    server.stop()


XSS_DOCUMENT = f"""Quillon harbour ferry notes <svg onload="window.__xss=2">

The Quillon harbour ferry has carried passengers between the north pier and the south pier since 1931.

The ferry crossing takes eleven minutes in calm weather and up to twenty minutes when the tide is strong.

In 2019 the harbour notice board was hacked and displayed the text {XSS_MARKUP} instead of the timetable.

The harbour master replaced the notice board software the next morning and restored the timetable.

Tickets for the Quillon ferry cost two pounds for adults and one pound for children under twelve.

The ferry does not run on Christmas Day, and it stops for two weeks every February for maintenance.

Bicycles travel free on the ferry, but dogs must be kept on a lead during the crossing.

The Quillon ferry was painted green and yellow in 1987, the colours of the harbour town's football club.

Local schools visit the ferry every summer to learn how the tide affects the harbour crossing.

The harbour museum keeps the original 1931 ferry bell, which was rung at every departure until 1975.
"""


@pytest.fixture(scope="session")
def xss_api(host: HostServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """A one-document corpus whose text contains live-looking HTML."""
    from qa.index.build import build_index

    tmp = tmp_path_factory.mktemp("widget-xss")
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "quillon_ferry.txt").write_text(XSS_DOCUMENT, encoding="utf-8")
    # Never abstain: the point is how the widget shows whatever the corpus says.
    settings = _settings(seeds, tmp / "xss-index", tmp, host, abstain_threshold=0.0)
    build_index(settings, progress=False)
    server = ApiServer(settings)
    yield server
    server.stop()


# --- browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Pages in fresh browser contexts (fresh sessionStorage); page errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(**context_args: Any) -> Any:
        context_args.setdefault("viewport", {"width": 1280, "height": 800})
        ctx = browser.new_context(**context_args)
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda d: (errors.append(f"unexpected dialog: {d.message}"), d.dismiss()))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"errors in the page: {errors}"


# --- helpers ---------------------------------------------------------------------------

W = "qa-widget"  # the widget's host element; Playwright's CSS locators pierce its open shadow root


def open_host(page: Any, host: HostServer, api: ApiServer, origin: str | None = None) -> None:
    page.goto(host.page_url(api.url, origin))
    page.locator(f"{W} .launcher").wait_for()


def open_panel(page: Any) -> None:
    if page.locator(f"{W} .panel").is_hidden():
        page.locator(f"{W} .launcher").click()
    page.locator(f"{W} .panel").wait_for()


LAST_TURN_SETTLED = """() => {
  const root = document.querySelector('qa-widget').shadowRoot;
  const turns = root.querySelectorAll('.msg.bot[data-id]');
  const last = turns[turns.length - 1];
  if (!last) return false;
  return !last.querySelector('.actions').hidden || !last.querySelector('.error').hidden;
}"""


def wait_settled(page: Any) -> None:
    page.wait_for_function(LAST_TURN_SETTLED, timeout=TIMEOUT_MS)


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((event, json.loads("\n".join(data))))
    return events


def ask(page: Any, question: str) -> dict[str, Any]:
    """Type a question, send it with Enter, wait for the answer; return the server's Answer."""
    open_panel(page)
    page.locator(f"{W} textarea").fill(question)
    with page.expect_response(
        lambda r: r.url.endswith("/ask/stream") and r.request.method == "POST"
    ) as info:
        page.locator(f"{W} textarea").press("Enter")
    response = info.value
    assert response.status == 200, response.text()
    wait_settled(page)
    events = parse_sse(response.text())
    kinds = [e for e, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done", kinds
    return events[-1][1]


def active_in_widget(page: Any) -> str | None:
    """Class name of the focused element inside the widget, or None when focus is outside."""
    return page.evaluate(
        """() => {
      const host = document.querySelector('qa-widget');
      if (!host || document.activeElement !== host) return null;
      const a = host.shadowRoot.activeElement;
      return a ? (a.getAttribute('class') || a.tagName.toLowerCase()) : null;
    }"""
    )


def last_answer(page: Any) -> Any:
    return page.locator(f"{W} .msg.bot[data-id]").last


def expected_answer_text(answer: str) -> str:
    # [n] markers become buttons labelled n
    return re.sub(r"\[(\d+)\]", r"\1", answer)


# --- tests -----------------------------------------------------------------------------


def test_ask_streams_answer_and_opens_cited_passage(
    new_page: Callable[..., Any], host: HostServer, api: ApiServer
) -> None:
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_host(page, host, api)

    added = page.evaluate(
        "() => Object.keys(window).filter(k => !JSON.parse(document.documentElement.dataset.globalsBefore).includes(k))"
    )
    assert added == ["QAWidget"], "the widget defines one global, window.QAWidget"

    launcher = page.locator(f"{W} .launcher")
    assert launcher.get_attribute("aria-label")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.click()
    panel = page.locator(f"{W} .panel")
    assert panel.get_attribute("role") == "dialog"
    title_id = panel.get_attribute("aria-labelledby")
    assert page.locator(f"{W} #{title_id}").inner_text() == "Ask the policy library"
    assert page.locator(f"{W} .log").get_attribute("aria-live") == "polite"
    assert active_in_widget(page) == "input", "opening the panel moves focus to the input"
    # the host page's `button {background: hotpink}` must not reach into the widget
    bg = page.locator(f"{W} .send").evaluate("b => getComputedStyle(b).backgroundColor")
    assert bg != "rgb(255, 105, 180)"

    answer = ask(page, QUESTION)
    assert not answer["abstained"], answer
    citations = answer["citations"]
    assert citations and re.search(r"\[\d+\]", answer["answer"])

    turn = last_answer(page)
    # sources: one chip per citation, "Reader comment" on comment passages
    chips = turn.locator(".chip")
    assert chips.count() == len(citations)
    for chip, c in zip(chips.all(), citations, strict=True):
        assert chip.get_attribute("aria-label").startswith(f"Source {c['n']}: {c['title']}")
        assert (chip.locator(".tag").count() == 1) == (c["section"] == "comments")
    # the streamed answer, with [n] markers rendered as buttons
    bubble = turn.locator(".answer")
    assert bubble.text_content() == expected_answer_text(answer["answer"])
    markers = re.findall(r"\[(\d+)\]", answer["answer"])
    cites = bubble.locator("button.cite")
    assert cites.count() == len(markers)

    first = citations[0]
    button = bubble.locator(f'button.cite[data-n="{first["n"]}"]').first
    assert button.get_attribute("aria-label") == f"Source {first['n']}: {first['title']}"
    with page.expect_response(lambda r: f"/sources/{first['doc_id']}" in r.url) as src:
        button.click()
    assert src.value.status == 200
    mark = page.locator(f"{W} .pv mark")
    mark.wait_for()
    assert mark.count() == 1
    assert mark.text_content() == first["quote"]
    assert page.locator(f"{W} .pv-title").text_content() == src.value.json()["title"]
    assert (page.locator(f"{W} .pv .badge").count() == 1) == (first["section"] == "comments")
    # the whole passage is shown around the highlighted sentence
    shown = page.locator(f"{W} .pv-text .psg").text_content()
    assert first["text"].strip() in shown or shown in first["text"]

    # Back returns to the conversation and to the button that opened the passage
    page.locator(f"{W} .back").click()
    assert page.locator(f"{W} .log").is_visible()
    assert active_in_widget(page) == "cite"

    # the widget talked to the configured API origin and nowhere else
    origins = {"{0.scheme}://{0.netloc}".format(urlsplit(u)) for u in requested}
    assert origins == {host.origin, api.url}, origins


def test_demo_page_screenshot_desktop(new_page: Callable[..., Any], api: ApiServer) -> None:
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{api.url}/demo")
    page.locator(f"{W} .launcher").click()
    starter = page.locator(f"{W} .starter", has_text=QUESTION)
    with page.expect_response(lambda r: r.url.endswith("/ask/stream")) as info:
        starter.click()  # starter questions are clickable and ask at once
    assert info.value.status == 200
    wait_settled(page)
    assert last_answer(page).locator("button.cite").count() >= 1
    page.mouse.move(10, 10)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-desktop.png"))


def test_demo_page_speaks_of_the_configured_corpus(
    new_page: Callable[..., Any], api: ApiServer
) -> None:
    page = new_page()
    page.goto(f"{api.url}/demo")
    assert page.locator("h1").inner_text() == DEMO_TITLE
    assert page.locator("button.ask").all_inner_texts() == [QUESTION]
    page.locator(f"{W} .launcher").click()
    assert page.locator(f"{W} .title").inner_text() == DEMO_TITLE
    assert page.locator(f"{W} .starter").all_inner_texts() == [QUESTION]


def test_widget_without_title_or_starters_takes_the_servers(
    new_page: Callable[..., Any], host: HostServer, api: ApiServer, xss_api: ApiServer
) -> None:
    page = new_page()
    page.goto(host.page_url(api.url, bare=True))
    open_panel(page)
    expect = sync_api.expect
    expect(page.locator(f"{W} .title")).to_have_text(DEMO_TITLE)  # QA_TITLE, via GET /corpus
    expect(page.locator(f"{W} .starter")).to_have_text([QUESTION])

    # No settings: a generic title, a welcome counting this server's documents, no starters.
    page = new_page()
    page.goto(host.page_url(xss_api.url, bare=True))
    open_panel(page)
    expect(page.locator(f"{W} .welcome .bubble")).to_contain_text("1 document indexed here")
    assert page.locator(f"{W} .title").inner_text() == "Ask a question"
    assert page.locator(f"{W} .starter").count() == 0


def test_demo_page_lists_document_titles_as_text(
    new_page: Callable[..., Any], xss_api: ApiServer
) -> None:
    page = new_page()
    page.goto(f"{xss_api.url}/demo")
    info = page.request.get(f"{xss_api.url}/corpus").json()
    assert info["document_titles"], info
    assert page.locator("main li").all_inner_texts() == info["document_titles"]  # shown as text
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_passage_markup_is_shown_as_text(
    new_page: Callable[..., Any], host: HostServer, xss_api: ApiServer
) -> None:
    page = new_page()
    open_host(page, host, xss_api)
    answer = ask(page, "What did the hacked harbour notice board display?")
    citations = answer["citations"]
    assert any(XSS_MARKUP in c["text"] for c in citations), (
        "the test corpus passage should be retrieved"
    )

    turn = last_answer(page)
    target = next(c for c in citations if XSS_MARKUP in c["text"])
    turn.locator(f".chip >> nth={citations.index(target)}").click()
    page.locator(f"{W} .pv mark").wait_for()
    assert XSS_MARKUP in page.locator(f"{W} .pv-text").text_content()
    assert XSS_MARKUP in page.locator(f"{W} .pv-text").inner_text()  # visible, as literal text
    if XSS_MARKUP in answer["answer"]:
        assert XSS_MARKUP in turn.locator(".answer").inner_text()

    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.evaluate("typeof window.__xss") == "undefined"
    counts = page.evaluate(
        """() => {
      const root = document.querySelector('qa-widget').shadowRoot;
      return [root.querySelectorAll('img').length, root.querySelectorAll('svg:not(.icon)').length,
              document.querySelectorAll('img').length];
    }"""
    )
    assert counts == [0, 0, 0]


def test_misspelt_word_is_shown_as_read(
    new_page: Callable[..., Any], host: HostServer, xss_api: ApiServer
) -> None:
    # "tikets" is in no English list and one letter from the corpus's "tickets".
    page = new_page()
    open_host(page, host, xss_api)
    answer = ask(page, "How much do ferry tikets cost?")
    assert answer["read_as"] == {"tikets": "tickets"}
    note = last_answer(page).locator(".read-as")
    assert note.is_visible()
    assert note.inner_text() == "Read \u201ctikets\u201d as \u201ctickets\u201d"

    spelled_right = ask(page, "How much do ferry tickets cost?")
    assert spelled_right["read_as"] == {}
    assert last_answer(page).locator(".read-as").is_hidden()

    page.reload()  # the note is kept with the conversation
    open_panel(page)
    turns = page.locator(f"{W} .msg.bot[data-id]")
    assert turns.nth(0).locator(".read-as").inner_text() == "Read \u201ctikets\u201d as \u201ctickets\u201d"


def test_keyboard_only(new_page: Callable[..., Any], host: HostServer, api: ApiServer) -> None:
    page = new_page()
    open_host(page, host, api)
    page.locator("body").focus()
    for _ in range(12):  # the page's link and button come first, then the launcher
        page.keyboard.press("Tab")
        if active_in_widget(page) == "launcher":
            break
    assert active_in_widget(page) == "launcher"

    page.keyboard.press("Enter")
    assert page.locator(f"{W} .panel").is_visible()
    assert active_in_widget(page) == "input"
    page.keyboard.type(QUESTION)
    with page.expect_response(lambda r: r.url.endswith("/ask/stream")) as info:
        page.keyboard.press("Enter")
    assert info.value.status == 200
    wait_settled(page)
    assert active_in_widget(page) == "input", "focus stays in the input after sending"

    for _ in range(30):  # back through the answer's feedback buttons to a citation
        page.keyboard.press("Shift+Tab")
        if active_in_widget(page) == "cite":
            break
    assert active_in_widget(page) == "cite"
    page.keyboard.press("Enter")
    page.locator(f"{W} .pv mark").wait_for()
    assert active_in_widget(page) == "pv-title"

    page.keyboard.press("Escape")
    assert page.locator(f"{W} .panel").is_hidden()
    assert active_in_widget(page) == "launcher"
    assert page.locator(f"{W} .launcher").get_attribute("aria-expanded") == "false"


def test_phone_is_full_screen_and_locks_page_scroll(
    new_page: Callable[..., Any], host: HostServer, api: ApiServer
) -> None:
    page = new_page(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    open_host(page, host, api)
    page.evaluate("window.scrollTo(0, 300)")
    page.locator(f"{W} .launcher").click()
    panel = page.locator(f"{W} .panel")
    rect = panel.evaluate(
        "p => { const r = p.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"
    )
    assert rect == [0, 0, 390, 844]
    assert panel.get_attribute("aria-modal") == "true"
    overflow = page.evaluate(
        "() => [getComputedStyle(document.body).overflow, getComputedStyle(document.documentElement).overflow]"
    )
    assert overflow == ["hidden", "hidden"]
    for _ in range(8):  # a modal dialog keeps Tab inside it
        page.keyboard.press("Tab")
        assert active_in_widget(page) is not None
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") == 300

    answer = ask(page, QUESTION)
    first = answer["citations"][0]
    last_answer(page).locator(f'button.cite[data-n="{first["n"]}"]').first.click()
    page.locator(f"{W} .pv mark").wait_for()
    page.wait_for_timeout(100)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))

    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert page.evaluate(
        "[document.body.style.overflow, document.documentElement.style.overflow]"
    ) == ["", ""]
    assert panel.get_attribute("aria-modal") is None
    assert page.evaluate("window.scrollY") == 300


def test_refused_origin_gets_no_answer(
    new_page: Callable[..., Any], host: HostServer, api: ApiServer
) -> None:
    page = new_page()
    open_host(page, host, api, origin=host.refused_origin)
    open_panel(page)
    page.locator(f"{W} textarea").fill(QUESTION)
    page.locator(f"{W} textarea").press("Enter")
    wait_settled(page)
    turn = last_answer(page)
    error = turn.locator(".error")
    assert error.get_attribute("role") == "alert"
    assert "Can't reach the assistant" in error.inner_text()
    assert turn.locator(".answer").is_hidden()
    assert turn.locator(".chip").count() == 0
    # the send button is back (not stuck in "stop")
    assert page.locator(f"{W} .send").get_attribute("aria-label") == "Send question"


def test_rate_limited_question_shows_retry_time(
    new_page: Callable[..., Any], host: HostServer, limited_api: ApiServer
) -> None:
    import httpx

    # Use up this client's one question per minute (no Origin: not a browser call).
    r = httpx.post(f"{limited_api.url}/ask", json={"question": QUESTION}, timeout=60)
    assert r.status_code == 200, r.text
    page = new_page()
    open_host(page, host, limited_api)
    open_panel(page)
    page.locator(f"{W} textarea").fill("Will there be new money for STPs?")
    with page.expect_response(lambda r: r.url.endswith("/ask/stream")) as info:
        page.locator(f"{W} textarea").press("Enter")
    assert info.value.status == 429
    retry_after = int(info.value.headers["retry-after"])
    wait_settled(page)
    text = last_answer(page).locator(".error").inner_text()
    assert f"Too many questions, try again in {retry_after} s" in text


def test_feedback_and_bad_citation_are_posted(
    new_page: Callable[..., Any], host: HostServer, api: ApiServer
) -> None:
    from qa.serve.feedback import read_feedback

    page = new_page()
    open_host(page, host, api)
    answer = ask(page, QUESTION)
    turn = last_answer(page)
    before = len(read_feedback(api.settings.feedback_db))

    with page.expect_response(lambda r: r.url.endswith("/feedback")) as info:
        turn.locator(".vote-up").click()
    assert info.value.status == 201
    assert isinstance(info.value.json()["id"], int)
    sent = info.value.request.post_data_json
    assert sent["helpful"] is True and sent["bad_citation"] is None and sent["question"] == QUESTION
    assert sent["answer"] == answer["answer"]
    page.locator(f"{W} .actions .thanks", has_text="Thanks").wait_for()
    assert turn.locator(".vote-up").get_attribute("aria-pressed") == "true"

    first = answer["citations"][0]
    turn.locator(f'button.cite[data-n="{first["n"]}"]').first.click()
    page.locator(f"{W} .pv mark").wait_for()
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as info:
        page.locator(f"{W} .flag").click()
    assert info.value.status == 201
    page.locator(f"{W} .pv-foot .thanks", has_text="Thanks").wait_for()

    rows = read_feedback(api.settings.feedback_db)[before:]
    assert [(r["helpful"], r["bad_citation"]) for r in rows] == [(True, None), (False, first["n"])]
    assert rows[0]["question"] == QUESTION
    assert rows[1]["citations"][0]["source"] == answer["citations"][0]["source"]


def test_conversation_survives_reload_and_new_chat_clears_it(
    new_page: Callable[..., Any], host: HostServer, api: ApiServer
) -> None:
    page = new_page()
    open_host(page, host, api)
    answer = ask(page, QUESTION)

    page.reload()
    page.locator(f"{W} .launcher").wait_for()
    assert page.locator(f"{W} .panel").is_visible(), "an open panel stays open across page loads"
    assert page.locator(f"{W} .msg.user .bubble").all_text_contents() == [QUESTION]
    restored = last_answer(page)
    assert restored.locator(".answer").text_content() == expected_answer_text(answer["answer"])
    assert restored.locator("button.cite").count() >= 1

    follow_up = "And when will the first ones start?"
    page.locator(f"{W} textarea").fill(follow_up)
    with page.expect_request(lambda r: r.url.endswith("/ask/stream") and r.method == "POST") as req:
        page.locator(f"{W} textarea").press("Enter")
    body = req.value.post_data_json
    assert body["question"] == follow_up
    assert body["history"] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": answer["answer"]},
    ]
    wait_settled(page)

    page.locator(f"{W} .new-chat").click()
    assert page.locator(f"{W} .msg.user").count() == 0
    assert active_in_widget(page) == "input"
    page.reload()
    page.locator(f"{W} .launcher").wait_for()
    assert page.locator(f"{W} .msg.user").count() == 0
    keys = page.evaluate("Object.keys(sessionStorage)")
    assert all(k.startswith("qa-widget:") for k in keys)
