"""Marker errors, in process (no MkDocs build): the line they name is the
line in the source file, front matter included; a marker in another letter
case fails instead of vanishing; an unknown name suggests the closest one."""

import datetime as dt

import pytest
from mkdocs.utils import meta

import sitelib.markers

from project import ROOT

FRONT_MATTER = "---\ndescription: >-\n  A page with front matter,\n  three lines of it.\n---\n\n"


@pytest.fixture
def render(lib):
    """Render one page's source as a generator does: front matter stripped
    first, the markers rendered with the build's facts (real release data,
    no downloads); returns the Markdown or raises the page's errors."""
    day = dt.date(2026, 11, 26)
    data = lib.release_data.load_release_data(ROOT / "data" / "releases.yml",
                                              "data/releases.yml", day)
    releases = lib.facts.Releases(public=lib.release_data.public_data(data, day), today=day,
                                  source="data/releases.yml")
    facts = lib.facts.BuildFacts(releases=releases)

    def run(source, name="guide.md"):
        markdown, _ = meta.get_data(source)
        page = lib.markers.PageRef(path=f"docs/{name}",
                                   first_line=lib.markers.front_matter_lines(source, markdown) + 1)
        return lib.markers.render_markers(markdown, facts, page, "https://docs.example.org/")

    return run


def error_of(render, source):
    with pytest.raises(sitelib.markers.PageErrors) as caught:
        render(source)
    return str(caught.value)


@pytest.mark.parametrize("front_matter", ["", FRONT_MATTER, "---\ntitle: x\n---\n\n\n\n"],
                         ids=["none", "six-lines", "blank-lines-after"])
def test_error_names_the_line_of_the_source_file(render, front_matter):
    source = front_matter + "# Guide\n\nText.\n\n<!-- release:latest 7 -->\n"
    line = source.splitlines().index("<!-- release:latest 7 -->") + 1
    assert f"docs/guide.md:{line}: major '7' is not in the release data" in \
        error_of(render, source)


def test_every_error_of_a_page_names_its_own_line(render):
    source = FRONT_MATTER + "# Guide\n\n<!-- release:nope -->\n\nText.\n\n<!-- release:eol -->\n"
    message = error_of(render, source)
    assert "docs/guide.md:9: unknown marker release:nope" in message
    assert "docs/guide.md:13: marker release:eol takes 1 argument" in message


def test_lines_after_a_code_block_keep_their_numbers(render):
    source = FRONT_MATTER + "# Guide\n\n```text\n<!-- release:nope -->\n```\n\n<!-- release:nope -->\n"
    message = error_of(render, source)
    assert "docs/guide.md:13: unknown marker release:nope" in message
    assert ":11:" not in message


@pytest.mark.parametrize("marker, suggestion", [
    ("<!-- Release:Latest 10 -->", "release:latest"),
    ("<!-- RELEASE:TABLE -->", "release:table"),
    ("<!-- release:Majors -->", "release:majors"),
    ("<!-- Download:SHA256 almalinux-migrate.sh -->", "download:sha256"),
    ("<!-- release:latets 9 -->", "release:latest"),
    ("<!-- relase:table -->", "release:table"),
    ("<!-- script:exitcodes -->", "script:exit-codes"),
])
def test_marker_in_other_case_or_misspelt_fails_and_suggests_the_known_one(
        render, marker, suggestion):
    message = error_of(render, f"# Guide\n\n{marker}\n")
    name = marker[5:].split()[0]
    assert f"docs/guide.md:3: unknown marker {name} (did you mean {suggestion}?)" in message


def test_unknown_name_without_a_close_match_lists_the_known_ones(render):
    message = error_of(render, "# Guide\n\n<!-- release:zzzzzz -->\n")
    assert "unknown marker release:zzzzzz (known: release:date, release:eol," in message


def test_comment_in_another_namespace_lists_the_namespaces(render):
    message = error_of(render, "# Guide\n\n<!-- Note:remember-this -->\n")
    assert "unknown marker Note:remember-this (markers start with release:, download:, script:)" \
        in message


def test_marker_in_other_case_inside_inline_code_stays_as_written(render):
    text = render("# Guide\n\nNot `<!-- Release:Latest 10 -->` but <!-- release:latest 10 -->.\n")
    assert "`<!-- Release:Latest 10 -->` but 10.2." in text


def test_front_matter_lines_counts_what_mkdocs_strips(lib):
    def count(source):
        return lib.markers.front_matter_lines(source, meta.get_data(source)[0])
    assert count("# Title\n") == 0
    assert count(FRONT_MATTER + "# Title\n") == 6
    assert count("---\ntitle: x\n---\n# Title\n") == 3
