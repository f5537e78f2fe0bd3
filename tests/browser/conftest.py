"""Browser fixtures: a real flowdesk server on a free port and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium (or the playwright package) these tests skip, except in CI (``CI`` set),
where they fail: CI installs Chromium itself (.ci/run). Playwright's own browser downloads are
never used. Screenshots land in tests/browser/artifacts/.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import traceback
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("FLOWDESK_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts"
EXPECT_TIMEOUT_MS = 15000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need {reason} in CI")
    pytest.skip(f"browser tests need {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports where every thread stood, the server's request threads
    included: a request that never answered shows where it waits."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        stacks = [f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame))}"
                  for ident, frame in sys._current_frames().items()]
        report.sections.append(("threads when the test failed", "\n".join(stacks)))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("the playwright package (pip install -e '.[test]')")
    # Assertions wait as long as actions do (open_page). Playwright's default of 5 s once failed
    # CI: a cancel request answered later than that, and could not be made slow again here.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def server(app):
    """The test app served over HTTP on a free port (threads, like a real deployment); yields its URL."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


class Screens:
    """Saves full-page screenshots named ``<test>/<nn>-<step>.png`` under the artifacts folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shoot(self, page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request) -> Screens:
    return Screens(ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def open_page(browser, server):
    """``open_page(width=1280)`` -> a fresh browser tab (own session storage) that fails the test on
    any script error or Content-Security-Policy violation (``expected_console_error``: a pattern to allow)."""
    contexts, problems = [], []

    def make(width: int = 1280, height: int = 900, expected_console_error: str | None = None):
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=server)
        contexts.append(context)
        page = context.new_page()

        def console(message):
            # 4xx answers the page handles are logged by Chromium as failed loads; those are fine.
            if message.type != "error" or "Failed to load resource" in message.text:
                return
            if expected_console_error and re.search(expected_console_error, message.text):
                return
            problems.append(f"console error: {message.text}")

        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", console)
        page.set_default_timeout(EXPECT_TIMEOUT_MS)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def make_key(make_user):
    """``make_key(name, role, *groups)`` -> the new user's API key, to type into the login form."""
    return lambda *args: make_user(*args)["Authorization"].removeprefix("Bearer ")


def key_of(headers: dict) -> str:
    """The API key in a test user's ``Authorization`` header."""
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def backend() -> str:
    """The pages read and write through the API, whose tests run on both backends; here SQLite,
    except where a module walks a whole process on PostgreSQL too (it says so with its own)."""
    return "sqlite"


@pytest.fixture
def log_in():
    """``log_in(page, key, start="/ui/inbox")``: opens ``start``, is sent to the login form, logs in.
    ``key`` is an API key or the headers a test's user fixture gives (``admin``, ``make_user(...)``)."""
    from playwright.sync_api import expect

    def run(page, key: str | dict, start: str = "/ui/inbox") -> None:
        if isinstance(key, dict):
            key = key_of(key)
        page.goto(start)
        expect(page).to_have_url(re.compile(r"/ui/login"))
        page.get_by_label("API key or access token").fill(key)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#who")).not_to_be_empty()
    return run


@pytest.fixture
def drop_files():
    """``drop_files(page, "#dropzone", path, ...)``: a real drag-and-drop of files onto a zone."""
    def drop(page, selector: str, *paths: Path) -> None:
        page.evaluate("""([selector, files]) => {
            const transfer = new DataTransfer();
            for (const [name, text] of files) transfer.items.add(new File([text], name, {type: "application/xml"}));
            const zone = document.querySelector(selector);
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
            }
        }""", [selector, [[path.name, path.read_text()] for path in paths]])
    return drop
