"""Every page has its own description and exactly one h1, in the source and
in the built HTML; the release pages show what the release data says."""

import pytest

from content_pages import PAGES, front_matter


def test_there_are_pages_to_check():
    assert "index.md" in PAGES and "faq.md" in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_source_has_a_description(page):
    description = front_matter(page).get("description")
    assert isinstance(description, str) and len(description.split()) >= 8, \
        f"docs/{page} needs a front-matter description of a sentence or two"


def test_descriptions_are_unique():
    seen = {}
    for page in PAGES:
        description = " ".join(str(front_matter(page).get("description", "")).split())
        assert description not in seen, f"{page} repeats the description of {seen[description]}"
        seen[description] = page


@pytest.mark.parametrize("page", PAGES)
def test_built_page_carries_its_own_description(page, built_html):
    meta = built_html(page).find("meta", attrs={"name": "description"})
    assert meta is not None, f"{page} has no <meta name=description>"
    own = front_matter(page).get("description")
    assert own, f"docs/{page} has no front-matter description, so it gets the site's"
    assert " ".join(meta["content"].split()) == " ".join(own.split())


@pytest.mark.parametrize("page", PAGES)
def test_built_page_has_exactly_one_h1(page, built_html):
    headings = built_html(page).find_all("h1")
    assert len(headings) == 1, f"{page} has {len(headings)} h1 elements: " \
        f"{[h.get_text(strip=True) for h in headings]}"


def article_text(soup):
    return " ".join(soup.select_one("article").get_text(" ").split())


def latest_versions(data):
    latest = {}
    for release in data["releases"]:
        major, minor = (int(part) for part in str(release["version"]).split("."))
        latest[major] = max(latest.get(major, -1), minor)
    return {major: f"{major}.{minor}" for major, minor in latest.items()}


def test_releases_page_shows_the_latest_version_of_every_major(built_html, release_data):
    text = article_text(built_html("releases/index.md"))
    for major, version in latest_versions(release_data).items():
        assert f"AlmaLinux {major} {version}" in text, f"latest {major}.x ({version}) not shown"


def test_releases_page_lists_every_release(built_html, release_data):
    text = article_text(built_html("releases/index.md"))
    missing = [r["version"] for r in release_data["releases"]
               if f"{r['version']} {r['codename']}" not in text]
    assert not missing, f"releases missing from the table: {missing}"


def test_lifecycle_page_shows_every_support_end(built_html, release_data):
    text = article_text(built_html("releases/lifecycle.md"))
    for major in release_data["majors"]:
        for field in ("active_support_end", "security_support_end"):
            assert str(major[field]) in text, f"AlmaLinux {major['major']} {field} not shown"


def test_gpg_keys_page_shows_every_fingerprint(built_html, release_data):
    page = built_html("releases/gpg-keys.md")
    shown = "".join(page.select_one("article").get_text().split()).upper()
    for major in release_data["majors"]:
        for key in major["gpg_keys"]:
            assert key["fingerprint"].upper() in shown, \
                f"AlmaLinux {major['major']} key {key['fingerprint']} not shown"


@pytest.mark.parametrize("page", ["migrate/one-host.md", "migrate/air-gapped.md"])
def test_migration_pages_show_the_published_script_checksum(page, built_html, built_site):
    sums = (built_site / "downloads" / "SHA256SUMS").read_text().split()
    digest = sums[sums.index("almalinux-migrate.sh") - 1]
    assert digest in built_html(page).select_one("article").get_text()
