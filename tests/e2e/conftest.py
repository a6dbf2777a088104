"""Fixtures for the end-to-end tests: the built site on nginx with the
deployment's configuration (Content-Security-Policy enforced), Debian's
Chromium driven by Playwright, and a log of every request the browser makes,
which must all go to the local server.

Every page a test opens is watched: a `securitypolicyviolation` event (or
Chromium's console report of one, which also covers the search worker)
fails the test, and so does a response of the server without the headers
the build generated."""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nginxserver import NginxError, NginxServer

from project import ROOT

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
# Runs in every page before its own scripts; reports each violation at once,
# so none is lost when the page navigates away.
CSP_LISTENER = """
addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation({
    page: location.href, directive: event.effectiveDirective,
    blocked: event.blockedURI, source: event.sourceFile,
    line: event.lineNumber, sample: event.sample,
  });
}, true);
"""
ADD_HEADER = re.compile(r'^add_header (\S+) "(.*)" always;$')


def generated_headers(site_dir):
    """name -> value of the headers the build wrote for nginx."""
    lines = (site_dir / "_nginx" / "security-headers.conf").read_text().splitlines()
    headers = {}
    for line in lines:
        match = ADD_HEADER.match(line)
        if match:
            headers[match[1].lower()] = match[2]
    assert "content-security-policy" in headers, lines
    return headers


def is_local(url):
    parts = urlsplit(url)
    return parts.scheme in IN_BROWSER_SCHEMES or parts.hostname == LOCAL_HOST


@pytest.fixture(scope="session")
def nginx(built_site, tmp_path_factory):
    """nginx serving the built site with the deployment's configuration."""
    server = NginxServer(built_site, tmp_path_factory.mktemp("nginx"))
    try:
        with server:
            yield server
    except NginxError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def site_url(nginx):
    return nginx.url


@pytest.fixture(scope="session")
def security_headers(built_site):
    return generated_headers(built_site)


@pytest.fixture
def csp_violations():
    """Violations reported by the pages of one test (must stay empty)."""
    return []


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


def missing_headers(response, expected):
    """Names of expected headers a response lacks or carries with another value."""
    headers = response.headers
    return sorted(name for name, value in expected.items() if headers.get(name) != value)


@pytest.fixture
def new_page(browser, site_url, request_log, csp_violations, security_headers):
    """Factory: a page in a fresh browser context (own storage, own settings).

    Requests are recorded; at teardown the test fails if one went anywhere
    but the local server, if the page threw an uncaught JavaScript error, if
    the Content-Security-Policy blocked anything, or if a response of the
    server lacked a security header.
    """
    contexts, seen, errors, bare = [], [], [], []

    def check_headers(response):
        if response.url.startswith(site_url):
            missing = missing_headers(response, security_headers)
            if missing:
                bare.append(f"{response.status} {response.url}: {missing}")

    def console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_violations.append({"console": message.text})

    def make(**context_options):
        options = {"base_url": site_url, "color_scheme": "light", **context_options}
        context = browser.new_context(**options)
        context.on("request", lambda request: seen.append(request.url))
        context.on("request", lambda request: request_log.append(request.url))
        context.on("response", check_headers)
        context.expose_function("__reportCspViolation", lambda found: csp_violations.append(found))
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        # Fail in seconds, not Playwright's default 30 s, when a step is stuck.
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", console)
        return page

    yield make
    for context in contexts:
        context.close()
    foreign = sorted({url for url in seen if not is_local(url)})
    assert not foreign, f"requests left {LOCAL_HOST}: {foreign}"
    assert not errors, f"uncaught JavaScript errors: {errors}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
    assert not bare, f"responses without the security headers: {bare}"


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def axe_script():
    """axe-core's source. Tests run it with page.evaluate: a <script> tag
    would be an inline script the Content-Security-Policy rightly blocks."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} missing: run `npm ci` (make test does)")
    return AXE_SCRIPT.read_text()
