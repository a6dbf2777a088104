"""The offline copy, unpacked and opened from file:// in Chromium: pages link
to each other, the search finds results, and nothing is requested from
anywhere but the unpacked files."""

import io
import tarfile

import pytest

NAME = "almalinux-docs-offline.tar.gz"
TOP = "almalinux-docs-offline"


@pytest.fixture(scope="module")
def unpacked(built_site, tmp_path_factory):
    target = tmp_path_factory.mktemp("offline")
    data = (built_site / "downloads" / NAME).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(target, filter="data")
    return target / TOP


@pytest.fixture
def offline_page(browser):
    context = browser.new_context()
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.requests = requests
    yield page
    context.close()


def test_offline_copy_links_and_search_work_from_file_urls_alone(unpacked, offline_page):
    page = offline_page
    page.goto((unpacked / "index.html").as_uri())
    page.locator("article a[href$='.html']").first.click()
    page.wait_for_load_state()
    assert page.url != (unpacked / "index.html").as_uri()
    assert page.url.startswith(unpacked.as_uri()) and page.url.split("#")[0].endswith(".html")
    assert page.locator("h1").first.inner_text().strip() != ""
    search = page.locator("input.md-search__input")
    search.click()
    results = page.locator(".md-search-result__list a")
    # A query typed before the worker has loaded the index gets no answer:
    # type it again until the results come, for at most 20 seconds.
    for _ in range(20):
        search.fill("")
        search.press_sequentially("migrate", delay=20)
        try:
            results.first.wait_for(timeout=1000)
            break
        except Exception:  # noqa: BLE001 - Playwright's timeout; retried
            continue
    assert results.count() > 0
    results.first.click()
    page.wait_for_load_state()
    assert page.url.startswith(unpacked.as_uri())
    outside = [url for url in page.requests if not url.startswith(("file://", "data:", "blob:", "about:"))]
    assert page.requests and outside == []
