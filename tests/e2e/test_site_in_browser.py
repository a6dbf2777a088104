"""The built site driven in a real browser: search, colour scheme, the
download and its checksum, copy buttons, the mobile drawer and the 404 page."""

import json
import re
from urllib.parse import urlsplit

import pytest

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# Lunr's default separator in the index config, and its trimmer.
WORD_SEPARATOR = re.compile(r"[\s\-]+")
TAG = re.compile(r"<[^>]+>")
# Other pages must not even share this prefix (stemming, prefix search).
PREFIX_LENGTH = 5


def index_words(text):
    plain = TAG.sub(" ", text).lower()
    words = (re.sub(r"^\W+|\W+$", "", token) for token in WORD_SEPARATOR.split(plain))
    return {word for word in words if word}


def faq_only_word(search_index):
    """A word of one FAQ answer's body that no other part of the site has.

    Returns (word, anchor). Titles are excluded on purpose: the match must
    come from the answer's body text.
    """
    sections = {doc["location"]: doc for doc in search_index["docs"]}
    candidates = []
    for location, doc in sections.items():
        path, _, anchor = location.partition("#")
        if path != "faq/" or not anchor:
            continue
        elsewhere = set()
        for other_location, other in sections.items():
            elsewhere |= index_words(other["title"])
            if other_location != location:
                elsewhere |= index_words(other["text"])
        prefixes = {word[:PREFIX_LENGTH] for word in elsewhere}
        for word in index_words(doc["text"]):
            if (word.isalpha() and word.isascii() and len(word) >= 7
                    and word[:PREFIX_LENGTH] not in prefixes):
                candidates.append((-len(word), word, anchor))
    assert candidates, "no word occurs only in one FAQ answer's body"
    _, word, anchor = min(candidates)
    return word, anchor


@pytest.fixture(scope="module")
def search_index(built_site):
    return json.loads((built_site / "search" / "search_index.json").read_text())


def test_search_finds_faq_answer_by_a_word_of_its_body(page, search_index, project_root):
    word, anchor = faq_only_word(search_index)
    assert word in (project_root / "docs" / "faq.md").read_text().lower()

    page.goto("./")
    page.wait_for_load_state("networkidle")  # the search worker has the index
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(word)
    result = page.locator(f".md-search-result__list a[href*='#{anchor}']").first
    result.wait_for()
    # The word is in no other page, so every result is on the FAQ.
    hrefs = page.locator(".md-search-result__list a").evaluate_all(
        "links => links.map(link => new URL(link.href).pathname)")
    assert set(hrefs) == {"/faq/"}
    result.click()
    page.wait_for_url(re.compile(rf"/faq/.*#{re.escape(anchor)}$"))

    url = urlsplit(page.url)
    assert (url.path, url.fragment) == ("/faq/", anchor)
    assert page.locator(f"[id='{anchor}']").is_visible()


def color_scheme(page):
    return page.locator("body").get_attribute("data-md-color-scheme")


def toggle_color_scheme(page):
    page.locator("form[data-md-component='palette'] label:visible").click()


def test_color_scheme_toggle_switches_and_survives_navigation_and_reload(page):
    page.goto("./")
    start = color_scheme(page)
    for _ in range(3):
        toggle_color_scheme(page)
        if color_scheme(page) != start:
            break
    chosen = color_scheme(page)
    assert chosen != start, "the toggle never changed data-md-color-scheme"

    page.locator(".md-tabs__link", has_text="FAQ").click()
    page.wait_for_url("**/faq/")
    assert color_scheme(page) == chosen

    page.reload()
    assert color_scheme(page) == chosen


def published_checksums(built_site):
    """name -> SHA-256 from the SHA256SUMS file published with the downloads."""
    lines = (built_site / "downloads" / "SHA256SUMS").read_text().splitlines()
    return {name.lstrip("*"): digest for digest, name in (line.split() for line in lines)}


def test_download_link_serves_bytes_matching_the_checksum_shown(page, built_site):
    page.goto("migrate/one-host/")
    link = page.locator("article a[href$='downloads/almalinux-migrate.sh']").first
    assert link.count(), "the guide has no link to the migration script"

    # The browser itself fetches the link and hashes what it received.
    served = page.evaluate(
        """async (href) => {
            const response = await fetch(href, {cache: "no-store"});
            if (!response.ok) throw new Error(`${href}: HTTP ${response.status}`);
            const digest = await crypto.subtle.digest(
                "SHA-256", await response.arrayBuffer());
            return [...new Uint8Array(digest)]
                .map(byte => byte.toString(16).padStart(2, "0")).join("");
        }""",
        link.evaluate("a => a.href"),
    )
    assert SHA256_HEX.match(served)

    # Shown as inline code, and in the install block's `sha256sum -c` line.
    inline = {text.strip() for text in page.locator("article p code, article li code")
              .all_inner_texts() if SHA256_HEX.match(text.strip())}
    in_blocks = re.findall(r"\b([0-9a-f]{64})\s+\*?almalinux-migrate\.sh\b",
                           " ".join(page.locator("article pre code").all_inner_texts()))
    assert served in inline
    assert in_blocks and set(in_blocks) == {served}
    # SHA256SUMS agrees; any other checksum on the page is another download's.
    published = published_checksums(built_site)
    assert published["almalinux-migrate.sh"] == served
    assert inline <= set(published.values())


def test_copy_button_copies_exactly_the_command_shown(new_page, site_url):
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    page.goto("migrate/one-host/")
    block = page.locator("article pre:has(code)", has_text="sha256sum -c").first
    shown = block.locator("code").inner_text()
    block.hover()
    block.locator("button.md-code__button[data-md-type='copy']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown.rstrip("\n")
    assert "sha256sum -c" in copied


def test_navigation_drawer_on_a_phone_reaches_the_faq(new_page):
    page = new_page(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page.goto("./")
    drawer_link = page.locator("nav.md-nav--primary a.md-nav__link", has_text="FAQ").first
    assert not drawer_link.is_visible() or not drawer_link.evaluate(
        "a => a.getBoundingClientRect().right > 0")

    page.locator("label.md-header__button[for='__drawer']").click()
    drawer_link.click()
    page.wait_for_url("**/faq/")
    assert "Frequently asked questions" in page.locator("article h1").inner_text()


def test_missing_page_is_a_404_with_a_working_link_home(page, site_url):
    response = page.goto("no/such/page/")
    assert response.status == 404
    assert "not found" in page.locator("article h1").inner_text().lower()
    # Served three levels deep, the page still finds its stylesheet.
    assert page.locator("header.md-header").evaluate(
        "header => getComputedStyle(header).position") == "sticky"

    page.locator("article a", has_text=re.compile("home", re.I)).first.click()
    page.wait_for_load_state()
    assert page.url == site_url
    assert page.locator("article h1").count() == 1
    assert "not found" not in page.locator("article h1").inner_text().lower()


def test_no_page_requests_anything_from_another_host(new_page, built_site, site_url):
    """Every page, fully loaded: all its requests go to the local server
    (checked by the new_page fixture at teardown); here, also that each page
    loads and the request log sees its assets."""
    pages = sorted(
        path.parent.relative_to(built_site).as_posix() + "/"
        for path in built_site.glob("**/index.html"))
    assert len(pages) >= 10, pages
    page = new_page()
    requested = []
    page.context.on("request", lambda request: requested.append(request.url))
    for path in pages:
        response = page.goto("" if path == "./" else path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert any(url.endswith(".css") for url in requested)
    assert any(url.endswith(".js") for url in requested)
    assert all(url.startswith(site_url) or url.startswith(("data:", "blob:"))
               for url in requested), sorted(set(requested))


def test_robots_txt_allows_crawling_and_names_the_sitemap(page, built_site):
    response = page.goto("robots.txt")
    assert response.status == 200
    lines = response.text().splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    sitemap = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap: ")]
    assert len(sitemap) == 1 and sitemap[0].endswith("/sitemap.xml")
    # The address is the site's own (site_url), which the built sitemap uses too.
    assert sitemap[0].removesuffix("sitemap.xml") in (built_site / "sitemap.xml").read_text()
