"""The real site, built once per run (fixture built_site): links and anchors,
release facts against the YAML, downloads, dates, and no third-party request."""

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from mkdocs.config import load_config

from migrate_script import exit_codes, findings
from project import ROOT
from sitelib import release_data

SITE_HOST = urlsplit(load_config(str(ROOT / "mkdocs.yml"))["site_url"]).netloc
DATA = yaml.load((ROOT / "data" / "releases.yml").read_text(), Loader=yaml.BaseLoader)


def pages(site):
    return sorted(site.rglob("*.html"))


def table_rows(page_html, kind):
    """Cell texts of each body row of the table the hooks marked `kind`."""
    tables = re.findall(rf'<table data-almalinux="{kind}"[^>]*>(.*?)</table>', page_html, re.S)
    rows = []
    for table in tables:
        body = table.split("<tbody>")[1]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = re.findall(r"<td>(.*?)</td>", row, re.S)
            rows.append([html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in cells])
    return rows


def pages_with(site, kind):
    found = [p for p in pages(site) if f'data-almalinux="{kind}"' in p.read_text()]
    assert found, f"no built page renders <!-- release:{kind.split('-')[0]} ... --> ({kind})"
    return found


# -----------------------------------------------------------------------------
# Links
# -----------------------------------------------------------------------------


def precompressed_variants(directory, names):
    """Names in directory that are a .br or .gz copy of a file next to them."""
    present = set(names)
    return {name for name in names
            if name.endswith((".br", ".gz")) and name.rsplit(".", 1)[0] in present}


@pytest.fixture(scope="module")
def readable_site(built_site):
    """A copy LinkChecker can read: run as root it drops to user nobody,
    and pytest's temporary directories are private to root.

    The copy leaves out the precompressed .br/.gz variants: a web server
    sends them in place of the file, but LinkChecker lists file:// directories
    and would parse each one as a page."""
    base = Path(tempfile.mkdtemp(prefix="linkcheck-"))
    base.chmod(0o755)
    copy = base / "site"
    shutil.copytree(built_site, copy, ignore=precompressed_variants)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield copy
    shutil.rmtree(base)


def test_linkchecker_finds_no_broken_internal_link_or_anchor(readable_site):
    linkchecker = Path(sys.executable).parent / "linkchecker"
    assert linkchecker.exists(), "LinkChecker is missing from the virtualenv (requirements/test.txt)"
    config = readable_site.parent / "linkcheckerrc"
    # Anchors on directory URLs (page/#id) are a known LinkChecker gap with
    # file:// URLs; test_every_anchor_on_a_directory_url_exists covers them.
    # One thread: checking files is HTML parsing, bound by Python's GIL; the
    # default ten threads only contend for it and take about a third longer.
    config.write_text("[checking]\nthreads=1\n"
                      "[filtering]\ncheckextern=0\nignorewarnings=file-anchorcheck-directory\n"
                      "[AnchorCheck]\n")
    config.chmod(0o644)
    result = subprocess.run(
        [str(linkchecker), "--config", str(config), "--no-status",
         (readable_site / "index.html").as_uri()],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b0 errors found", result.stdout), result.stdout


class LinkCollector(HTMLParser):
    """Every href and src of a page, and every id/name it defines."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name"):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])


def parse_page(path):
    collector = LinkCollector()
    collector.feed(path.read_text())
    return collector


def test_every_anchor_on_a_directory_url_exists(built_site):
    ids = {}
    broken = []
    for page in pages(built_site):
        for link in parse_page(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.fragment:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built_site)}: {link} (no such page)")
                continue
            if target not in ids:
                ids[target] = parse_page(target).ids
            if unquote(parts.fragment) not in ids[target]:
                broken.append(f"{page.relative_to(built_site)}: {link} (no such anchor)")
    assert not broken, "\n".join(broken)


# -----------------------------------------------------------------------------
# Release facts
# -----------------------------------------------------------------------------


def version_key(version):
    return tuple(int(part) for part in version.split("."))


def test_release_table_matches_the_yaml(built_site):
    expected = [[[r["version"]], r["codename"].split(), [r["date"]], r.get("kernel", "").split(),
                 " ".join(r["architectures"]).replace(" ", ", ").split()]
                for r in sorted(DATA["releases"], key=lambda r: version_key(r["version"]),
                                reverse=True)]
    for page in pages_with(built_site, "release-table"):
        assert table_rows(page.read_text(), "release-table") == expected, page


def test_lifecycle_table_matches_the_yaml_and_the_build_date(built_site):
    labels = release_data.STATUS_LABELS
    for page in pages_with(built_site, "lifecycle"):
        text = page.read_text()
        day = dt.date.fromisoformat(re.search(r'data-status-date="([0-9-]+)"', text).group(1))
        rows = table_rows(text, "lifecycle")
        majors = sorted(DATA["majors"], key=lambda m: int(m["major"]), reverse=True)
        latest = {m["major"]: max((r["version"] for r in DATA["releases"]
                                   if r["version"].split(".")[0] == m["major"]), key=version_key)
                  for m in majors}
        assert rows == [[["AlmaLinux", m["major"]], [m["release_date"]], [latest[m["major"]]],
                         [m["active_support_end"]], [m["security_support_end"]],
                         labels[release_data.lifecycle_status(m, day)].split()]
                        for m in majors], page


def test_lifecycle_status_is_computed_for_the_day_of_the_build(built_site):
    page = pages_with(built_site, "lifecycle")[0].read_text()
    day = re.search(r'data-status-date="([0-9-]+)"', page).group(1)
    today = dt.datetime.now(dt.timezone.utc).date()
    # The build may have run just before midnight UTC.
    assert day in (today.isoformat(), (today - dt.timedelta(days=1)).isoformat()) or \
        "SOURCE_DATE_EPOCH" in os.environ


def test_key_table_matches_the_yaml(built_site):
    expected = []
    for major in sorted(DATA["majors"], key=lambda m: int(m["major"]), reverse=True):
        for key in major["gpg_keys"]:
            fingerprint = key["fingerprint"].upper()
            file = key["url"].rsplit("/", 1)[-1] if "url" in key else "no longer published"
            expected.append((major["major"], key["status"],
                             [fingerprint[i:i + 4] for i in range(0, 40, 4)], file))
    for page in pages_with(built_site, "gpg-keys"):
        text = page.read_text()
        rows = table_rows(text, "gpg-keys")
        assert [(r[0][1], r[1][0], r[2], " ".join(r[3])) for r in rows] == expected, page
        for major in DATA["majors"]:
            for key in major["gpg_keys"]:
                if "url" in key:
                    assert f'<a href="{key["url"]}">' in text


def test_no_key_links_to_an_address_that_serves_another_key():
    """One address serves one key: a retired key that shared its address
    with the current one (the unversioned 8.x file) must not link to it."""
    served = {}
    for major in DATA["majors"]:
        for key in major["gpg_keys"]:
            if "url" in key:
                served.setdefault(key["url"], set()).add(key["fingerprint"].upper())
    assert all(len(prints) == 1 for prints in served.values()), served
    eight = next(m for m in DATA["majors"] if m["major"] == "8")
    previous = next(k for k in eight["gpg_keys"] if k["status"] == "previous")
    assert previous.get("url") != "https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux"


def test_releases_json_matches_the_yaml(built_site):
    published = json.loads((built_site / "releases.json").read_text())
    notes = DATA["release_notes_url"]
    assert {r["version"]: r for r in published["releases"]} == \
        {r["version"]: {**r, "release_notes": notes.format(version=r["version"])}
         for r in DATA["releases"]}
    assert {str(m["major"]): (m["release_date"], m["active_support_end"],
                              m["security_support_end"], m["architectures"])
            for m in published["majors"]} == \
        {m["major"]: (m["release_date"], m["active_support_end"],
                      m["security_support_end"], m["architectures"]) for m in DATA["majors"]}


# -----------------------------------------------------------------------------
# Downloads and dates
# -----------------------------------------------------------------------------


def test_downloads_are_published_and_verify(built_site):
    published = built_site / "downloads"
    assert (published / "almalinux-migrate.sh").read_bytes() == \
        (ROOT / "scripts" / "almalinux-migrate.sh").read_bytes()
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=published,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "almalinux-migrate.sh: OK" in check.stdout
    assert "almalinux-fleet.tar.gz: OK" in check.stdout
    assert "almalinux-migrate.report.schema.json: OK" in check.stdout
    assert (published / "almalinux-migrate.report.schema.json").read_bytes() == \
        (ROOT / "scripts" / "almalinux-migrate.report.schema.json").read_bytes()


def test_checksums_shown_in_pages_are_those_of_the_published_files(built_site):
    published = built_site / "downloads"
    digests = {hashlib.sha256((published / name).read_bytes()).hexdigest()
               for name in ("almalinux-migrate.sh", "almalinux-fleet.tar.gz")}
    shown = set()
    for page in pages(built_site):
        shown |= set(re.findall(r"\b[0-9a-f]{64}\b", page.read_text()))
    assert shown, "no page shows a download checksum"
    assert shown <= digests, f"pages show checksums of other bytes: {shown - digests}"


def test_troubleshooting_lists_every_finding_the_script_can_report(built_site):
    """The findings table is the script's --list-findings, in its order."""
    page = (built_site / "migrate" / "troubleshooting" / "index.html").read_text()
    rows = re.findall(r'<tr id="finding-([\w-]+)" data-level="(\w+)">(.*?)</tr>',
                      page.split('data-almalinux="findings"')[1].split("</table>")[0], re.S)
    shown = {}
    for fid, level, cells in rows:
        texts = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", cells, re.S)]
        assert texts[0] == f"<code>{fid}</code>" and texts[1] == level
        shown[fid] = (level, texts[2], texts[3])
    assert list(shown.items()) == list(findings().items())


def test_exit_code_tables_are_the_scripts_exit_codes(built_site):
    expected = sorted((code, f"EXIT_{name}", " ".join(meaning.split()))
                      for name, (code, meaning) in exit_codes().items())
    for page in pages_with(built_site, "exit-codes"):
        rows = table_rows(page.read_text(), "exit-codes")
        assert [(int(r[0][0]), r[1][0], " ".join(r[2])) for r in rows] == expected, page


def test_every_page_shows_a_last_updated_date(built_site):
    missing = [str(p.relative_to(built_site)) for p in pages(built_site)
               if p.name == "index.html" and p.parent != built_site / "search"
               and not re.search(r'class="md-source-file".*?\b\d{4}-\d{2}-\d{2}\b',
                                 p.read_text(), re.S)]
    assert not missing, f"pages without a last-updated date: {missing}"


# -----------------------------------------------------------------------------
# Privacy: nothing is loaded from another host
# -----------------------------------------------------------------------------

LOADED = {  # tag -> attributes whose URL the browser fetches on its own
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",),
    "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
    "object": ("data",), "embed": ("src",), "track": ("src",), "input": ("src",),
}
FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon",
                 "shortcut", "apple-touch-icon", "manifest", "preconnect", "dns-prefetch"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.S)


class ResourceCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.source_components, self.styles = [], 0, []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-md-component") == "source":
            self.source_components += 1
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        if tag == "style":
            self._in_style = True
        if tag == "link" and FETCHING_RELS & set((attrs.get("rel") or "").lower().split()):
            self.urls.append((tag, attrs.get("href")))
        for name in LOADED.get(tag, ()):
            value = attrs.get(name)
            if value and name == "srcset":
                self.urls += [(tag, part.split()[0]) for part in value.split(",") if part.strip()]
            elif value:
                self.urls.append((tag, value))

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def third_party(url):
    parts = urlsplit(url.strip())
    if parts.scheme == "data" or (not parts.scheme and not parts.netloc):
        return False
    return parts.netloc != SITE_HOST


def css_urls(text):
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(text)]


def test_no_page_loads_anything_from_another_host(built_site):
    offending = []
    for page in pages(built_site):
        collector = ResourceCollector()
        collector.feed(page.read_text())
        urls = [u for _, u in collector.urls] + [u for s in collector.styles for u in css_urls(s)]
        offending += [f"{page.relative_to(built_site)}: {u}" for u in urls if third_party(u)]
    assert not offending, "\n".join(offending)


def test_no_stylesheet_imports_or_loads_from_another_host(built_site):
    stylesheets = sorted(built_site.rglob("*.css"))
    assert stylesheets, "the build wrote no CSS"
    offending = [f"{css.relative_to(built_site)}: {url}" for css in stylesheets
                 for url in css_urls(css.read_text()) if third_party(url)]
    assert not offending, "\n".join(offending)


def test_no_font_face_points_to_another_host(built_site):
    for css in built_site.rglob("*.css"):
        for block in re.findall(r"@font-face\s*{[^}]*}", css.read_text()):
            assert not any(third_party(u) for u in css_urls(block)), f"{css}: {block}"
    for page in pages(built_site):
        assert "fonts.googleapis" not in page.read_text(), page


def test_repository_link_does_not_trigger_the_github_api(built_site):
    counted = {}
    for page in pages(built_site):
        collector = ResourceCollector()
        collector.feed(page.read_text())
        counted[page] = collector.source_components
    assert not any(counted.values()), [str(p) for p, n in counted.items() if n]
    index = (built_site / "index.html").read_text()
    assert 'class="md-source"' in index, "repository link missing from the header"


@pytest.mark.parametrize("url, outside", [
    ("assets/stylesheets/main.css", False),
    ("../img/logo.svg", False),
    ("data:image/svg+xml;charset=utf-8,<svg/>", False),
    (f"https://{SITE_HOST}/assets/x.js", False),
    ("https://fonts.gstatic.com/s/roboto.woff2", True),
    ("//cdn.example.com/lib.js", True),
    ("http://unpkg.com/x", True),
])
def test_third_party_detection(url, outside):
    assert third_party(url) == outside


def test_css_url_extraction_finds_urls_and_imports():
    css = """@import "https://a.example/x.css"; @import url(b.css);
             .x{background:url( 'https://c.example/y.png' )} .y{mask:url(data:abc)}"""
    assert css_urls(css) == ["https://a.example/x.css", "b.css", "https://c.example/y.png", "data:abc"]


@pytest.mark.parametrize("guide", ["migrate/one-host/index.html", "migrate/air-gapped/index.html"])
def test_guides_show_the_signature_check_or_say_the_downloads_are_unsigned(built_site, guide):
    pinned = (load_config(str(ROOT / "mkdocs.yml"))["extra"].get("downloads") or {}) \
        .get("signing_key")
    page = (built_site / guide).read_text()
    published = {p.name for p in (built_site / "downloads").iterdir()}
    if pinned:
        assert str(pinned).upper() in page and "gpgv --status-fd 1" in page
        assert {"SHA256SUMS.asc", "downloads-signing-key.asc"} <= published
    else:
        assert 'data-almalinux="downloads-unsigned"' in page and "gpgv --status-fd" not in page
        assert "SHA256SUMS.asc" not in published
