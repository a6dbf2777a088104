"""No published address disappears: a page that moves leaves a redirect behind."""

import re

from project import ROOT

LIST = ROOT / "data" / "published-urls.txt"
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"')


def published():
    return [line.strip() for line in LIST.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def built_page(site, address):
    return site / address.lstrip("/") / "index.html"


def test_the_list_has_no_duplicates():
    addresses = published()
    assert len(addresses) == len(set(addresses))


def test_every_published_address_still_answers_with_a_page_or_a_redirect(built_site):
    missing = [a for a in published() if not built_page(built_site, a).is_file()]
    assert missing == [], ("pages gone without a redirect (add one under plugins: redirects: "
                           "in mkdocs.yml): " + ", ".join(missing))


def test_redirects_lead_to_pages_that_exist(built_site):
    for address in published():
        text = built_page(built_site, address).read_text()
        match = REDIRECT.search(text)
        if match:
            target = (built_page(built_site, address).parent / match.group(1)).resolve()
            assert (target / "index.html").is_file() or target.is_file(), (address, match.group(1))


def test_every_page_of_the_site_is_in_the_list(built_site):
    listed = set(published())
    pages = {"/" if p.parent == built_site else p.parent.relative_to(built_site).as_posix() + "/"
             for p in built_site.glob("**/index.html")}
    assert sorted(pages - listed) == [], "new pages: add their addresses to data/published-urls.txt"
