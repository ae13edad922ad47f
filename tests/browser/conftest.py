"""Browser tests: the dashboard and the chat page in headless Chromium, driven by Playwright.

The browser is Debian's /usr/bin/chromium (`.ci/run` installs it), never one that
`playwright install` downloads.  Without it these tests skip with a message, except in CI
(`CI` set), where a missing browser is a failure: the pages must be tested there.

Each test gets a fresh browser context on the plugin's live server (reset before the
test), and fails if a page throws, logs an error, or asks anything of another origin.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root in CI, on a machine whose network is closed: no sandbox, no GPU, and none
# of Chromium's own background connections (they are refused, many at a time).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable(message: str):
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: run .ci/run (as root it installs Debian's chromium) "
                     f"or install chromium yourself (sudo apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: .venv/bin/pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Browsing:
    """A page on the mock, with what went wrong in it."""

    page: object
    url: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def open(self, path: str):
        from playwright.sync_api import expect

        self.page.goto(self.url + path)
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")  # the seed is loaded
        return self.page

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        assert self.errors == [], "the page reported errors"
        assert self.foreign == [], "the page asked something of another origin than the mock"


@pytest.fixture
def ui(browser, mocksmooch):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    browsing = Browsing(page, mocksmooch.url)
    page.on("pageerror", lambda error: browsing.errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: message.type == "error" and browsing.errors.append(
        f"console: {message.text}"))
    page.on("request", lambda request: request.url.startswith((mocksmooch.url + "/", "data:"))
            or browsing.foreign.append(request.url))
    try:
        yield browsing
    finally:
        context.close()
