"""Every page links to a prefilled new issue about itself."""

import html
import re
from urllib.parse import parse_qs, urlsplit


from project import ROOT

LINK = re.compile(r'<a href="([^"]+)"[^>]*>Report a problem with this page</a>')


def repo_url():
    text = (ROOT / "mkdocs.yml").read_text()
    return re.search(r"^repo_url:\s*(\S+)", text, re.M).group(1)


def test_every_page_has_a_report_link_with_its_title_address_and_source(built_site):
    pages = sorted(built_site.glob("**/index.html"))
    assert len(pages) >= 8
    for page in pages:
        text = page.read_text()
        found = LINK.findall(text)
        assert len(found) == 1, page
        url = urlsplit(html.unescape(found[0]))
        assert f"{url.scheme}://{url.netloc}{url.path}" == repo_url() + "/issues/new"
        query = parse_qs(url.query)
        title = query["title"][0].removeprefix("Problem on the page: ")
        assert title and title != query["title"][0], page
        assert title in html.unescape(re.search(r"<title>(.*?)</title>", text).group(1)) \
            or title == "Home", page
        body = query["body"][0]
        assert f"Page: {title}" in body
        path = page.relative_to(built_site).parent.as_posix()
        assert re.search(r"^Source: docs/\S+\.md$", body, re.M), body
        assert "Address: " in body and (path == "." or path + "/" in body), body
