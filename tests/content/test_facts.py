"""Facts the pages state that were once wrong, checked against the built
pages: the package set of AlmaLinux 10, the foundation's voting rules,
ELevate's paths and where its bugs go, module streams on 9, Kitten, the
AlmaLinux 8 key change, and what the release tables promise."""

import re

import pytest

from content_pages import DOCS, PAGES

WIKI_NOTES = "https://wiki.almalinux.org/release-notes/"
IDENTICAL_SET = re.compile(
    r"exactly the packages RHEL|same package set as RHEL|same packages as Red Hat"
    r"|does not add packages to these repositories", re.I)
EL7_OTHERS = ("RHEL 7", "Oracle Linux 7", "Scientific Linux 7")


def text_of(element):
    return " ".join(element.get_text(" ").split())


def article(built_html, page):
    return built_html(page).select_one("article")


def section(built_html, page, anchor):
    """Text of a heading and everything up to the next heading of its level or higher."""
    heading = built_html(page).find(id=anchor)
    assert heading is not None, f"{page} has no #{anchor}"
    level = int(heading.name[1])
    parts = [text_of(heading)]
    for sibling in heading.find_next_siblings():
        if re.fullmatch(r"h[1-6]", sibling.name) and int(sibling.name[1]) <= level:
            break
        parts.append(text_of(sibling))
    return " ".join(parts)


def latest_10(release_data):
    minors = [int(str(r["version"]).split(".")[1]) for r in release_data["releases"]
              if str(r["version"]).startswith("10.") and r.get("status") != "upcoming"]
    return f"10.{max(minors)}"


@pytest.mark.parametrize("page", PAGES)
def test_no_page_claims_almalinux_ships_exactly_rhels_packages(page):
    found = IDENTICAL_SET.findall((DOCS / page).read_text(encoding="utf-8"))
    assert not found, f"docs/{page}: AlmaLinux 10 deviates from RHEL 10's package set: {found}"


@pytest.mark.parametrize("page", ["faq.md", "packages/index.md", "packages/request.md"])
def test_package_set_pages_link_to_the_deviations_of_the_latest_10(built_html, release_data, page):
    target = f"{WIKI_NOTES}{latest_10(release_data)}.html#deviations-from-rhel-10"
    hrefs = [a.get("href") for a in article(built_html, page).find_all("a")]
    assert target in hrefs, f"{page} does not link to {target}"


def test_faq_names_the_almalinux_10_deviations(built_html):
    text = section(built_html, "faq.md", "what-is-almalinux")
    for deviation in ("Btrfs", "i686", "SPICE", "Firefox", "Thunderbird", "KVM on IBM POWER"):
        assert deviation in text, f"the FAQ's answer does not name {deviation}"


def test_governance_answer_follows_the_bylaws(built_html):
    text = section(built_html, "faq.md", "community-protection")
    assert "weighted by membership level" in text
    assert "no more than one employee of any member" in text
    assert "open to any individual" in text
    assert "however much" not in text
    hrefs = [a.get("href") for a in built_html("faq.md").find_all("a")]
    assert "https://almalinux.org/p/foundation-bylaws/" in hrefs


def test_elevate_paths_are_the_supported_ones(built_html):
    page = article(built_html, "migrate/major-upgrades.md")
    table = next(t for t in page.find_all("table") if "From" in text_of(t.find("tr")))
    rows = [[text_of(cell) for cell in row.find_all("td")] for row in table.find_all("tr")[1:]]
    assert [(row[0], row[1]) for row in rows] == [
        ("CentOS 7", "AlmaLinux 8"),
        ("AlmaLinux 8 or CentOS Stream 8", "AlmaLinux 9"),
        ("AlmaLinux 9 or CentOS Stream 9", "AlmaLinux 10"),
    ]


@pytest.mark.parametrize("page", PAGES)
def test_other_el7_systems_are_never_sent_to_elevate(built_html, page):
    for element in article(built_html, page).find_all(["p", "li", "td"]):
        text = text_of(element)
        if any(name in text for name in EL7_OTHERS):
            assert "no supported in-place path" in text, f"{page}: {text!r}"


def test_centos_7_guide_points_yum_at_an_archive_before_the_first_update(built_html):
    page = built_html("migrate/major-upgrades.md")
    text = section(built_html, "migrate/major-upgrades.md", "centos-7-repositories")
    assert "CentOS-Base.repo" in text and "vault.centos.org" in text
    headings = [h.get("id") for h in page.select("article h2, article h3")]
    assert headings.index("centos-7-repositories") < headings.index("the-upgrade-in-outline")
    first_path = page.select_one("article table tbody tr")
    assert first_path.find("a")["href"] == "#centos-7-repositories"


def test_x86_64_v2_upgrades_to_10_need_elevate_ng(built_html):
    text = section(built_html, "migrate/major-upgrades.md", "x86-64-v2")
    assert "ELevate NG" in text and "x86_64_v2" in text


@pytest.mark.parametrize("page", PAGES)
def test_where_elevate_bugs_go_is_said_in_one_place_only(built_html, page):
    """major-upgrades.md#report-problems says it; every other page that
    mentions reporting an ELevate problem links there instead."""
    body = article(built_html, page)
    hrefs = [a.get("href", "") for a in body.find_all("a")]
    assert not any("leapp-repository/issues" in href for href in hrefs), page
    if page == "migrate/major-upgrades.md":
        text = section(built_html, page, "report-problems")
        assert "bugs.almalinux.org" in text and "Migration channel" in text
        return
    for element in body.find_all(["p", "li", "tr"]):
        if "ELevate" in text_of(element):
            links = [a.get("href", "") for a in element.find_all("a")]
            assert not any("bugs.almalinux.org" in link for link in links), \
                f"{page} says where ELevate bugs go by itself: {text_of(element)!r}"


def test_upstream_first_sends_elevate_bugs_to_the_one_place(built_html):
    row = next(tr for tr in article(built_html, "packages/upstream-first.md").find_all("tr")
               if "ELevate" in text_of(tr))
    assert [a["href"] for a in row.find_all("a")] == ["../../migrate/major-upgrades/#report-problems"]


def test_module_streams_are_covered_for_9_too(built_html):
    assert "EL9" in section(built_html, "migrate/troubleshooting.md", "module-streams")
    tip = next(text_of(d) for d in article(built_html, "migrate/air-gapped.md")
               .select(".admonition") if "repodata" in text_of(d))
    assert "AlmaLinux 8 and 9" in tip and "keep it for 9" in tip


def test_kitten_previews_the_next_10_minor_not_a_major(built_html):
    note = next(text_of(d) for d in article(built_html, "releases/lifecycle.md")
                .select(".admonition") if "Kitten" in text_of(d))
    assert "next AlmaLinux 10 minor release" in note
    assert "next AlmaLinux major" not in note


@pytest.mark.parametrize("page, wrong, right", [
    pytest.param("releases/lifecycle.md", "always current", "current as of that build date",
                 id="lifecycle-status-is-as-of-the-build-date"),
    pytest.param("releases/index.md", "newest first", "highest version first",
                 id="release-table-order-is-as-sorted"),
])
def test_release_pages_describe_their_tables_as_they_are(built_html, page, wrong, right):
    text = text_of(article(built_html, page))
    assert wrong not in text
    assert right in text


def test_el8_key_rotation_gives_the_real_reason(built_html):
    text = section(built_html, "releases/gpg-keys.md", "el8-key-rotation")
    assert "SHA-1" not in text
    assert "master key" in text and "could not be extended" in text
    hrefs = [a.get("href") for a in built_html("releases/gpg-keys.md").find_all("a")]
    assert "https://almalinux.org/blog/2023-12-20-almalinux-8-key-update/" in hrefs


def test_no_page_links_the_unversioned_8_key_file(built_site):
    """That address now serves the current 8.x key, not the retired one."""
    linked = [path.relative_to(built_site).as_posix() for path in built_site.rglob("*.html")
              if 'href="https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux"'
              in path.read_text(encoding="utf-8")]
    assert not linked
