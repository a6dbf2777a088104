"""Fixtures for the end-to-end tests: the built site on a real HTTP server,
Debian's Chromium driven by Playwright, and a log of every request the
browser makes, which must all go to the local server."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from siteserver import SiteServer

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LOCAL_HOST = "127.0.0.1"
# Without these Chromium phones home (updates, sync, field trials) on start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--metrics-recording-only",
]
# Schemes that never leave the browser.
IN_BROWSER_SCHEMES = {"data", "blob", "about"}


def is_local(url):
    parts = urlsplit(url)
    return parts.scheme in IN_BROWSER_SCHEMES or parts.hostname == LOCAL_HOST


@pytest.fixture(scope="session")
def site_url(built_site):
    """Base URL of the built site served like a real host (404 page, gzip)."""
    with SiteServer(built_site, gzip_text=True) as server:
        yield server.url


@pytest.fixture(scope="session")
def request_log():
    """Every URL any page requested during the whole run."""
    log = []
    yield log
    assert log, "no request was recorded: the request log is not wired up"
    foreign = sorted({url for url in log if not is_local(url)})
    assert not foreign, f"requests left {LOCAL_HOST}: {foreign}"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium "
                    "(or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, site_url, request_log):
    """Factory: a page in a fresh browser context (own storage, own settings).

    Requests are recorded; at teardown the test fails if one went anywhere
    but the local server, or if the page threw an uncaught JavaScript error.
    """
    contexts, seen, errors = [], [], []

    def make(**context_options):
        options = {"base_url": site_url, "color_scheme": "light", **context_options}
        context = browser.new_context(**options)
        context.on("request", lambda request: seen.append(request.url))
        context.on("request", lambda request: request_log.append(request.url))
        contexts.append(context)
        # Fail in seconds, not Playwright's default 30 s, when a step is stuck.
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    foreign = sorted({url for url in seen if not is_local(url)})
    assert not foreign, f"requests left {LOCAL_HOST}: {foreign}"
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def axe_script():
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} missing: run `npm ci` (make test does)")
    return AXE_SCRIPT
